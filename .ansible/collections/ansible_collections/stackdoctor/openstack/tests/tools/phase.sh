#!/usr/bin/env bash
# phase.sh NAME CMD...: run one phase of make test/demo, print and record how long it took.
set -uo pipefail
name=$1; shift
log=${PHASE_LOG:-.cache/phase-times.txt}
mkdir -p "$(dirname "$log")"
start=$(date +%s.%N)
printf '\n===== phase %s: start =====\n' "$name"
"$@"; rc=$?
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}')
printf '%-28s %8ss  rc=%s\n' "$name" "$secs" "$rc" | tee -a "$log"
exit $rc
