#!/usr/bin/env bash
# lab-nodes.sh up|down|status|mem: the lab's node containers (tests/lab/nodes.yml) around the
# control plane of tests/lab/lab.sh. Run from `make lab-up|lab-down|lab-status` (needs the
# tooling venv on PATH and ANSIBLE_CONFIG).
#
#   up      control plane must be up. Runs tests/lab/nodes.yml unless every node and sibling is
#           running with the same inputs (stamp: hash of the playbooks, role, node configs and
#           the inodes of the bind-mounted control-plane logs), then it takes ~1 s.
#           Starts the podman API socket for the kolla node if it was not running, and notes
#           that it did (down stops it then, and only then).
#   down    removes every container labelled owner=stackdoctor-lab, the nodes' state dir, and
#           the podman socket if `up` started it and no other kolla node uses it.
#   status  one line per node container; exit 0 only when all are running.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LAB=${STACKDOCTOR_LAB_DIR:-/var/tmp/stackdoctor-lab}
NODES_DIR=${STACKDOCTOR_LAB_NODES_DIR:-/var/tmp/stackdoctor-lab-nodes}
export STACKDOCTOR_LAB_DIR=$LAB STACKDOCTOR_LAB_NODES_DIR=$NODES_DIR
export ANSIBLE_ROLES_PATH=$REPO/tests/roles:$REPO/roles
STAMP=$NODES_DIR/.stamp
SOCK_MARK=${NODES_DIR}.podman-socket-started-by-lab   # outside NODES_DIR: destroy removes that dir
NODES="sd-lab-controller sd-lab-compute1 sd-lab-compute2 sd-lab-volume1 sd-lab-kolla1 sd-lab-tripleo1 sd-lab-network1"
SIBLINGS="sd-lab-kolla1-tgtd sd-lab-kolla1-cinder_volume"
PLAYBOOK=(ansible-playbook -i "$REPO/inventories/lab/hosts.yml" "$HERE/nodes.yml")

stamp() {
    {
        cat "$HERE/nodes.yml" "$HERE/node_configs.py" "$REPO/tests/hosts/nodes-create.yml"
        find "$REPO/tests/roles/stackdoctor_testnode" -type f -print0 | sort -z | xargs -0 cat
        cat "$REPO/tests/hosts/build-node-image.sh"
        for f in nova-api nova-conductor nova-scheduler placement keystone nova-compute-1 nova-compute-2; do
            stat -c "%n %i" "$LAB/log/$f.log" 2>/dev/null
        done
        sha256sum "$LAB"/etc/nova/*.conf "$LAB"/etc/placement/placement.conf 2>/dev/null
        # the network node: its agent's code and configs, and the ids of the lab's network
        find "$HERE/netnode" -type f -print0 | sort -z | xargs -0 cat
        sha256sum "$LAB"/etc/neutron/neutron.conf "$LAB/etc/network.json" "$LAB/venv" 2>/dev/null
    } | sha256sum | cut -c1-16
}

all_running() {
    local n
    for n in $NODES $SIBLINGS; do
        [ "$(podman container inspect -f '{{.State.Running}}' "$n" 2>/dev/null)" = true ] || return 1
    done
}

case "${1:-status}" in
up)
    "$HERE/lab.sh" status >/dev/null || { echo "lab-nodes: the control plane is not up (tests/lab/lab.sh up)" >&2; exit 1; }
    want=$(stamp)
    if all_running && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        echo "lab nodes: up to date (stamp $want)"; exit 0
    fi
    if ! "$REPO/tests/hosts/podman-socket.sh" status >/dev/null 2>&1; then
        "$REPO/tests/hosts/podman-socket.sh" start && touch "$SOCK_MARK"
    fi
    log=$(mktemp /tmp/stackdoctor-lab-nodes.XXXXXX.log)
    echo "lab nodes: running tests/lab/nodes.yml (log $log)"
    if ! "${PLAYBOOK[@]}" >"$log" 2>&1; then
        tail -40 "$log"; echo "lab nodes: FAILED (full log $log)" >&2; exit 1
    fi
    grep -A10 '^PLAY RECAP' "$log" | grep -v '^$'
    mkdir -p "$NODES_DIR" && stamp >"$STAMP"
    rm -f "$log"
    ;;
down)
    rm -f "$STAMP"
    # (no `| grep -q` here: with pipefail, podman's SIGPIPE would make the test false)
    if [ -n "$(podman ps -aq --filter label=owner=stackdoctor-lab)" ]; then
        "${PLAYBOOK[@]}" -e lab_nodes=absent >/tmp/stackdoctor-lab-nodes-down.log 2>&1 \
            || { tail -20 /tmp/stackdoctor-lab-nodes-down.log; }
        # anything of ours still there (a node removed from the spec, a failed run)
        ids=$(podman ps -aq --filter label=owner=stackdoctor-lab)
        [ -z "$ids" ] || podman rm -f -t 1 $ids >/dev/null
    fi
    rm -rf "$NODES_DIR"
    echo "lab nodes: removed"
    if [ -f "$SOCK_MARK" ]; then
        # another kolla node (a molecule scenario) still uses the socket: leave it to its owner
        others=$(podman ps -q --filter label=org.stackdoctor.kolla=True)
        if [ -z "$others" ]; then
            "$REPO/tests/hosts/podman-socket.sh" stop && rm -f "$SOCK_MARK"
        else
            echo "podman socket: left running (used by other kolla nodes: $(podman ps --filter label=org.stackdoctor.kolla=True --format '{{.Names}}' | tr '\n' ' '))"
        fi
    fi
    ;;
status)
    rc=0
    for n in $NODES $SIBLINGS; do
        s=$(podman container inspect -f '{{.State.Status}}' "$n" 2>/dev/null) || s=absent
        m=$(podman stats --no-stream --format '{{.MemUsage}}' "$n" 2>/dev/null | cut -d/ -f1)
        printf '%-30s %-10s %s\n' "$n" "$s" "${m:-}"
        [ "$s" = running ] || rc=3
    done
    exit $rc
    ;;
mem)
    # MB used by every lab container (nodes and siblings), from podman stats (cgroup memory)
    ids=$(podman ps -q --filter label=owner=stackdoctor-lab)
    [ -n "$ids" ] || { echo 0; exit 0; }
    podman stats --no-stream --format '{{.MemUsage}}' $ids | awk '
        { v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[a-zA-Z]+$/, "", v);
          f = (u=="kB"||u=="KiB") ? 1/1024 : (u=="GB"||u=="GiB") ? 1024 : (u=="B") ? 1/1048576 : 1; t += v*f }
        END { printf "%.0f\n", t }'
    ;;
*)
    echo "usage: $0 up|down|status|mem" >&2; exit 2 ;;
esac
