#!/usr/bin/env bash
# make test: every phase. The lab, molecule and two lanes of short phases (unit, lint, sanity, docs,
# browser, build, compat) start in the background; integration, the longest chain, runs on the lab as
# soon as it is up. Molecule and the lanes (nice 10) fill the second core. Every phase runs
# even when one before it failed; the exit code says whether all passed and the failed ones are named. Phase
# times: .cache/phase-times.txt (printed at the end; the lab start's own output is printed when it
# is waited for).
#
#   STACKDOCTOR_LAB_KEEP=1   leave the lab up at the end (by default it is taken down when this run
#                            brought it up; a lab that was already up is left as it was)
#   PHASES="unit lint ..."   run only these phases (lab-up and integration go together)
#   STACKDOCTOR_TEST_MOLECULE_BG=0  molecule in the foreground, after the lanes (the old order)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PHASE=tests/tools/phase.sh
export PHASE_LOG=$ROOT/.cache/phase-times.txt
mkdir -p .cache && rm -f "$PHASE_LOG" .cache/junit-*.xml
# the molecule target must not stop the podman API service while the lab's kolla node starts
export STACKDOCTOR_PODMAN_SOCKET_KEEP=1
ALL="images unit lint sanity docs browser build compat molecule integration"
PHASES=${PHASES:-$ALL}
want() { [[ " $PHASES " == *" $1 "* ]]; }
failed=()
t0=$(date +%s.%N)

lab_was_up=no
tests/lab/lab.sh status >/dev/null 2>&1 && tests/lab/lab-nodes.sh status >/dev/null 2>&1 && lab_was_up=yes
lab_pid=""
mol_pid=""

finish() {
    local rc=$?
    local p
    for p in $lab_pid $mol_pid ${lane1_pid:-} ${lane2_pid:-}; do
        if kill -0 "$p" 2>/dev/null; then
            echo "make test: interrupted, stopping background process group $p"
            kill -TERM -- "-$p" 2>/dev/null; wait "$p" 2>/dev/null
        fi
    done
    if want integration && [ $lab_was_up = no ] && [ "${STACKDOCTOR_LAB_KEEP:-0}" != 1 ]; then
        $PHASE lab-down make -s lab-down || true
    fi
    return $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

run() {  # run NAME CMD...: one phase, recorded; a failure is remembered, the next phase still runs
    local name=$1; shift
    want "$name" || return 0
    $PHASE "$name" "$@" || failed+=("$name")
}

run images make -s images
if want integration; then
    if [[ " ${failed[*]} " == *" images "* ]]; then
        echo "make test: no node image, the lab cannot start"
    else
        # its own process group (setsid) so that an interruption stops all of it
        echo "make test: the lab starts in the background (log: .cache/lab-up-bg.log)"
        setsid make -s lab-up > .cache/lab-up-bg.log 2>&1 < /dev/null &
        lab_pid=$!
    fi
fi
# molecule in the background (default): its node containers and the lab's share nothing but the
# podman API socket (kept up above). Integration waits on services and timeouts (~0.9 core) while
# molecule's containers and playbooks take ~1.3 cores, so together they fill the 2 cores. Fresh
# clone, 2 cores, 2026-12-03: 1502 s wall (molecule 1145 s in the background, integration 1184 s)
# against ~1950 s with molecule in the foreground (molecule 692 s, integration 1019 s). An earlier
# try (molecule 17 -> 34 min, integration 26 -> 40 min) ran while other sessions loaded the machine.
# With the kolla volume node's real cinder-volume and its test (9c6f0f1), molecule niced: 1667 s wall
# (lanes 395 s, molecule 1249 s, integration 1275 s) + lab-down 32 s.
# Measured 2026-12-03 with neutron and the network node in the lab (fresh clones, 2 cores):
#   molecule at t=0, nice 10: lab up at 410 s (molecule's containers beside the lab's), integration
#     1282 s after it, its last ~460 s alone on one core (molecule ended at 1229 s): 1712 s wall;
#   molecule started once the lab was up: lab up at 283 s, but molecule then overlapped all of
#     integration and slowed it more than the lab's start gained (worse, ~1900 s, stopped);
#   molecule at t=0, nice 19: lab up at 411 s, molecule ended at 1371 s, integration 1452 s: 1864 s.
# What slows integration is molecule's overlap (podman and disk beside the lab), not CPU priority: the
# sooner molecule is done the better. Molecule starts at t=0, nice 10 (the 1712 s run).
if want molecule && [ "${STACKDOCTOR_TEST_MOLECULE_BG:-1}" = 1 ]; then
    echo "make test: molecule runs in the background (log: .cache/molecule-bg.log)"
    setsid nice -n 10 $PHASE molecule make -s molecule > .cache/molecule-bg.log 2>&1 < /dev/null &
    mol_pid=$!
fi
# The short phases need nothing of each other and are mostly one process each: two lanes, so that
# both cores work while the lab starts in the background (it mostly waits: ~70 s of CPU in its
# ~270 s). They are niced like molecule: once the lab is up, integration (~0.85 core, the longest
# chain: ~900 s alone) goes first. Until 2026-12-03 integration waited for the lanes (~400 s) and
# ran its last ~400 s alone with one core idle: 1667 s wall here, 1831 s in CI.
# tests/tools/lane.sh runs a lane; its output goes to .cache/lane-<n>.log and is printed when the
# lane ends.
PHASES=$PHASES setsid nice -n 10 tests/tools/lane.sh 1 unit docs build browser compat > .cache/lane-1.log 2>&1 < /dev/null &
lane1_pid=$!
PHASES=$PHASES setsid nice -n 10 tests/tools/lane.sh 2 lint sanity > .cache/lane-2.log 2>&1 < /dev/null &
lane2_pid=$!
wait_lanes() {
    local n pid_var
    for n in 1 2; do
        pid_var=lane${n}_pid
        [ -n "${!pid_var}" ] || continue
        wait "${!pid_var}"; eval "$pid_var="
        echo "----- lane $n: $(grep -h -o '^===== phase [a-z]*' .cache/lane-$n.log | cut -d' ' -f3 | paste -sd' ') -----"
        cat ".cache/lane-$n.log"
        while read -r p; do [ -n "$p" ] && failed+=("$p"); done < ".cache/lane-$n.failed"
    done
}
# without integration (PHASES) or with molecule in the foreground, the lanes come first as before
if ! want integration || [ -z "$mol_pid" ]; then wait_lanes; fi
[ -n "$mol_pid" ] || run molecule make -s molecule

if want integration; then
    if [ -n "$lab_pid" ]; then
        tw=$(date +%s.%N); wait "$lab_pid"; lab_rc=$?; lab_pid=""
        printf '%-28s %8ss  rc=%s\n' lab-up-wait "$(awk -v s="$tw" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')" \
            "$lab_rc" | tee -a "$PHASE_LOG"
        echo "----- lab-up (background) -----"; cat .cache/lab-up-bg.log; echo "-----"
        if [ $lab_rc = 0 ]; then run integration make -s integration
        else echo "make test: the lab did not come up (rc=$lab_rc), integration not run"; failed+=(lab-up integration); fi
    else
        failed+=(integration)
    fi
fi

wait_lanes

if [ -n "$mol_pid" ]; then
    tw=$(date +%s.%N); wait "$mol_pid"; mol_rc=$?; mol_pid=""
    printf '%-28s %8ss  rc=%s\n' molecule-wait "$(awk -v s="$tw" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')" \
        "$mol_rc" | tee -a "$PHASE_LOG"
    echo "----- molecule (background) -----"; cat .cache/molecule-bg.log; echo "-----"
    [ $mol_rc = 0 ] || failed+=(molecule)
fi

make -s test-times
printf '%-28s %8ss\n' "make test (wall)" "$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')"
if [ ${#failed[@]} -gt 0 ]; then
    echo "make test: FAILED phases: ${failed[*]}"
    exit 1
fi
echo "make test: all phases passed"
