#!/usr/bin/env bash
# apt-install.sh [--no-install-recommends] PKG...: install the Debian packages not yet installed, quietly, under one lock
# (/tmp/stackdoctor-apt.lock) so that phases of make test and make demo running side by side
# (the lab's control plane, node images, the browser test) never race for dpkg's lock.
# apt-get update runs once per call, only when something is missing. Bounded: 15 min.
set -uo pipefail
opts=()
[ "${1:-}" = --no-install-recommends ] && { opts+=("$1"); shift; }
missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} = 0 ] && exit 0
exec 9>/tmp/stackdoctor-apt.lock
flock -w 900 9 || { echo "apt-install: /tmp/stackdoctor-apt.lock held for 15 min" >&2; exit 1; }
# another holder of the lock may have installed them meanwhile
still=()
for p in "${missing[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || still+=("$p"); done
[ ${#still[@]} = 0 ] && exit 0
log=$(mktemp)
if DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q "${opts[@]}" \
       -o DPkg::Lock::Timeout=300 "${still[@]}" >"$log" 2>&1 \
   || { timeout 300 apt-get update -q >>"$log" 2>&1 && DEBIAN_FRONTEND=noninteractive timeout 900 \
        apt-get install -y -q "${opts[@]}" -o DPkg::Lock::Timeout=300 "${still[@]}" >>"$log" 2>&1; }; then
  rm -f "$log"; exit 0
fi
echo "apt-install: apt-get install ${still[*]} failed; last lines of its output:" >&2
tail -20 "$log" >&2; rm -f "$log"; exit 1
