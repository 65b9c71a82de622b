#!/usr/bin/env bash
# make demo: the lab up, every fault of tests/lab/sabotage/lab_sabotage.yml injected, diagnose,
# remediate, diagnose again; prints the time of each phase, both verdicts, what was found and
# repaired, and where the reports are. Leaves the lab UP (make lab-down takes it down).
# Safe to run again: the faults are re-injected into the running lab.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
VENV=$(make -s venv-path)
export PATH=$VENV/bin:$PATH ANSIBLE_CONFIG=$ROOT/ansible.cfg
export OS_CLIENT_CONFIG_FILE=$ROOT/inventories/lab/clouds.yaml
export PHASE_LOG=$ROOT/.cache/demo-times.txt
PHASE=$ROOT/tests/tools/phase.sh
REPORTS=$ROOT/stackdoctor-reports/demo
LOGS=$ROOT/.cache/demo
INV=inventories/lab/hosts.yml
# one history for the three runs: each report shows what changed since the run before it
HIST=(-e stackdoctor_report_history_dir="$REPORTS/runs")
t0=$(date +%s.%N)

# run one playbook, its output in $LOGS/<name>.log; show the verdict/summary lines
play() {
    local name=$1; shift
    if ansible-playbook -i "$INV" "$@" >"$LOGS/$name.log" 2>&1; then
        # result lines only: a TASK/HANDLER header names what a task checks, not what happened
        # ("TASK [... : Fail if a removed allocation is still there]" is printed before it passes)
        grep -v -E "^(TASK|RUNNING HANDLER|PLAY) \[" "$LOGS/$name.log" \
            | grep -E "^ +- '(report|html|changes|verdict):|CHANGED:|removed|^ +- +consumer|msg: .*(added|removed)" \
            | sed 's/^ */    /' | head -20
        echo "    (full output: $LOGS/$name.log)"
    else
        tail -40 "$LOGS/$name.log"; echo "demo: $name FAILED, full output: $LOGS/$name.log" >&2; return 1
    fi
}

if [ "${1:-}" = _play ]; then shift; play "$@"; exit; fi

mkdir -p "$LOGS" && rm -f "$PHASE_LOG" && rm -rf "$REPORTS"
echo "== stackdoctor demo: a real OpenStack control plane on 127.0.0.1 + node containers =="
$PHASE demo:1-lab-up make -s lab-up || exit 1
$PHASE demo:2-sabotage "$0" _play sabotage tests/lab/sabotage/lab_sabotage.yml -e fault=all || exit 1
$PHASE demo:3-diagnose "$0" _play diagnose-before playbooks/diagnose.yml \
    -e stackdoctor_report_dir="$REPORTS/1-before" "${HIST[@]}" -e 'stackdoctor_report_title="stackdoctor demo: before"' || exit 1
$PHASE demo:4-remediate "$0" _play remediate playbooks/remediate.yml \
    -e stackdoctor_report_dir="$REPORTS/2-remediate" "${HIST[@]}" -e 'stackdoctor_report_title="stackdoctor demo: remediation"' || exit 1
$PHASE demo:5-diagnose-again "$0" _play diagnose-after playbooks/diagnose.yml \
    -e stackdoctor_report_dir="$REPORTS/3-after" "${HIST[@]}" -e 'stackdoctor_report_title="stackdoctor demo: after"' || exit 1
total=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')

python "$ROOT/tests/demo/summary.py" "$REPORTS" || exit 1
echo
echo "== time per phase of make demo (total ${total}s) =="
cat "$PHASE_LOG"
echo
echo "The lab is still UP so you can look around:"
echo "  make lab-status                      # services, node containers, memory"
echo "  podman exec -it sd-lab-volume1 bash  # a node (also sd-lab-kolla1, sd-lab-compute1, ...)"
echo "  ansible-playbook -i $INV tests/lab/sabotage/lab_sabotage.yml -e fault=all   # break it again"
echo "Take it down with: make lab-down"
