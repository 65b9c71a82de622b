#!/usr/bin/env bash
# podman-socket.sh start|stop|stop-if-unused|status: the host's podman API socket that kolla-layout node
# containers mount, so that `podman ps/restart/exec` inside a node act on its sibling
# containers (tgtd, cinder_volume, ...).
#
#   socket:  ${STACKDOCTOR_PODMAN_SOCK:-/run/stackdoctor/podman.sock}
#   pidfile: <socket dir>/podman-service.pid (stop kills only that PID)
#
# `start` is idempotent (a running service is reused) and waits until the API answers.
# `stop-if-unused` (make lab-down, make molecule): stops the service this script started when no
# kolla node container (label org.stackdoctor.kolla=True) is running, else says who uses it and
# how to stop it. A podman service this script did not start is never touched.
set -euo pipefail
# Close every inherited fd above 2 (except the one bash reads this script from): the daemons
# started here must not keep a caller's lock (flock /tmp/stackdoctor-heavy.lock make ...) held
# for as long as they run.
# (no redirection on the loop: bash would park the real stderr on a high fd that the loop closes)
for _fd in $(ls /proc/$$/fd); do
  if [ "$_fd" -gt 2 ] && [ -e /proc/$$/fd/$_fd ] && [ "$(readlink /proc/$$/fd/$_fd)" != "$(readlink -f "$0")" ]; then
    eval "exec $_fd>&-"
  fi
done

SOCK=${STACKDOCTOR_PODMAN_SOCK:-/run/stackdoctor/podman.sock}
DIR=$(dirname "$SOCK")
PIDFILE="$DIR/podman-service.pid"
LOG="$DIR/podman-service.log"

running_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # make sure the PID still belongs to our podman service (PIDs get reused)
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "system service .*unix://$SOCK" || return 1
    echo "$pid"
}

answers() { podman --url "unix://$SOCK" version >/dev/null 2>&1; }

case "${1:-status}" in
start)
    if pid=$(running_pid); then echo "podman service already running (pid $pid) on $SOCK"; exit 0; fi
    mkdir -p "$DIR"
    rm -f "$SOCK"
    setsid podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do answers && break; sleep 0.1; done
    answers || { echo "podman service did not answer on $SOCK, see $LOG" >&2; exit 1; }
    echo "podman service started (pid $(cat "$PIDFILE")) on $SOCK"
    ;;
stop)
    if pid=$(running_pid); then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        echo "podman service stopped (pid $pid)"
    else
        echo "podman service not running"
    fi
    rm -f "$PIDFILE" "$SOCK"
    ;;
stop-if-unused)
    pid=$(running_pid) || exit 0
    users=$(podman ps --filter label=org.stackdoctor.kolla=True --format '{{.Names}}' 2>/dev/null | tr '\n' ' ')
    if [ -z "${users// /}" ]; then
        exec "$0" stop
    fi
    echo "podman service left running (pid $pid, $SOCK): used by kolla node containers: $users"
    echo "  stop it when they are gone: $0 stop"
    ;;
status)
    if pid=$(running_pid) && answers; then echo "running (pid $pid) on $SOCK"; else echo "not running"; exit 3; fi
    ;;
*)
    echo "usage: $0 start|stop|stop-if-unused|status" >&2; exit 2 ;;
esac
