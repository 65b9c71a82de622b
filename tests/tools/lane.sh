#!/usr/bin/env bash
# lane.sh N PHASE...: run `make -s PHASE` for each phase in order (tests/tools/make-test.sh runs two
# lanes at once); every phase runs even when one before it failed; the failed ones are written to
# .cache/lane-N.failed. PHASES (if set) selects, as in make-test.sh.
set -uo pipefail
n=$1; shift
: > ".cache/lane-$n.failed"
for p in "$@"; do
    [ -z "${PHASES:-}" ] || [[ " $PHASES " == *" $p "* ]] || continue
    tests/tools/phase.sh "$p" make -s "$p" || echo "$p" >> ".cache/lane-$n.failed"
done
