#!/usr/bin/env bash
# lab-images.sh: the node image (tests/hosts/build-node-image.sh) and every image the lab's nodes
# extend it with (the `dockerfile:` entries of tests/lab/nodes.yml: libvirt for the computes, galera
# for the controller, pacemaker for the TripleO node), built or found cached by content hash.
# make lab-up runs this beside the control plane's start, so that the nodes phase finds them ready;
# the extended images build in parallel (each under its own lock: tests/hosts/extend-node-image.sh).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
bash "$REPO/tests/hosts/build-node-image.sh"
mapfile -t files < <(sed -n 's/^ *dockerfile: "{{ playbook_dir }}\/\(.*\)"$/\1/p' "$HERE/nodes.yml" | sort -u)
pids=()
for f in "${files[@]}"; do
    bash "$REPO/tests/hosts/extend-node-image.sh" "$HERE/$f" > /dev/null & pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ $rc = 0 ] && echo "node images ready: the base and ${#files[@]} extended ones"
exit $rc
