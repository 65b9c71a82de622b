#!/bin/sh
# RELAY for cinder-volume on the stackdoctor lab's volume node (NOT the OpenStack daemon, and
# not in molecule): the real cinder-volume runs on the lab host (tests/lab/lab.sh), whose
# volume-relay loop reads what this writes into the shared directory /var/lib/stackdoctor-lab-relay
# and starts or stops it. Usage: cinder-volume-relay start|stop
set -u
d=/var/lib/stackdoctor-lab-relay
t="$(date +%s%N)-$$"
echo "$1 $t" > "$d/cinder-volume.request"
i=0
while [ $i -lt 450 ]; do
    grep -qx "$t done" "$d/cinder-volume.done" 2>/dev/null && exit 0
    sleep 0.2; i=$((i + 1))
done
echo "cinder-volume-relay: no answer from the lab host's volume-relay in 90 s" >&2
exit 1
