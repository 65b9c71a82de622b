#!/usr/bin/env bash
# bench-rootfs.sh: the base root filesystem of the light bench nodes (tests/bench/light_nodes.py),
# built once and cached as a directory, read-only lower layer of every node's overlay.
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/stackdoctor/bench-rootfs-<hash>/
#
# debootstrap --variant=minbase bookworm (+python3), then PACKAGES below. No systemd: a bench
# node is an overlay + network namespace + chroot (docs in tests/bench/README.md), not a booted
# system. <hash> covers the package list and this script. The debootstrap tarball is the same
# one tests/hosts/build-node-image.sh caches (same name and key), so either script reuses the
# other's. The Debian mirror comes from this machine's apt sources (or STACKDOCTOR_DEBIAN_MIRROR).
# The last line on stdout is the rootfs directory.
set -euo pipefail

SUITE=bookworm
# what a packaged cinder volume / nova compute node has that the checks read:
# tgt (tgtd, tgtadm, tgt-admin, targets.conf), systemctl (installed, never booted: the layout
# detection lists unit files with it, as on a real host), procps, iproute2
PACKAGES="tgt systemd procps iproute2"
SELF=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$( { echo "$PACKAGES" | tr ' ' '\n' | sort -u; cat "$SELF"; } | sha256sum | cut -c1-12)
BASE_HASH=$(echo "minbase python3 $SUITE" | sha256sum | cut -c1-12)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/stackdoctor"
BASE_TAR="$CACHE/debootstrap-$SUITE-minbase-$BASE_HASH.tar"
OUT="$CACHE/bench-rootfs-$HASH"

log() { echo "bench-rootfs: $*" >&2; }

if [ -f "$OUT/.stackdoctor-bench-rootfs" ]; then
    echo "cached"
    echo "$OUT"
    exit 0
fi
[ "$(id -u)" = 0 ] || { log "must run as root (debootstrap, chroot)"; exit 1; }
mkdir -p "$CACHE"

find_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s="$SUITE" '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i+1)==s) { print $i; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$SUITE" 'BEGIN{RS=""; FS="\n"}
            { types=""; uris=""; suites="";
              for (i=1;i<=NF;i++) { l=$i; if (l ~ /^#/) continue;
                if (l ~ /^Types:/) types=l; if (l ~ /^URIs:/) uris=l; if (l ~ /^Suites:/) suites=l }
              if (types ~ /[ \t]deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" s "[ \t]")) {
                  sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f"
    done
}

WORK=$(mktemp -d "$CACHE/bench-rootfs-build.XXXXXX")
ROOT="$WORK/rootfs"
proc_mounted=""
cleanup() {
    [ -z "$proc_mounted" ] || umount -l "$ROOT/proc" 2>/dev/null || true
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

mkdir -p "$ROOT"
if [ -f "$BASE_TAR" ]; then
    log "debootstrap rootfs from cache $BASE_TAR"
    tar -C "$ROOT" -xpf "$BASE_TAR"
else
    MIRROR=${STACKDOCTOR_DEBIAN_MIRROR:-$(find_mirror | head -n1)}
    [ -n "$MIRROR" ] || { log "no deb source for $SUITE; set STACKDOCTOR_DEBIAN_MIRROR"; exit 1; }
    log "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
    debootstrap --variant=minbase --include=python3 "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
    tar -C "$ROOT" -cpf "$BASE_TAR.tmp.$$" . && mv "$BASE_TAR.tmp.$$" "$BASE_TAR"
fi

log "installing: $PACKAGES"
printf '#!/bin/sh\n# no daemon starts while the rootfs is built\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"; proc_mounted=1
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C sh -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES && apt-get clean" \
    >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; exit 1; }
umount "$ROOT/proc"; proc_mounted=""
rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/resolv.conf" "$ROOT/etc/hostname"
rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin "$ROOT/var/log/"*.log
touch "$ROOT/.stackdoctor-bench-rootfs"
rm -rf --one-file-system "$OUT"
mv "$ROOT" "$OUT"
# drop bench rootfs dirs of older hashes
find "$CACHE" -maxdepth 1 -name 'bench-rootfs-*' -type d ! -name "bench-rootfs-$HASH" \
    ! -name 'bench-rootfs-build.*' -exec rm -rf --one-file-system {} +
echo "$OUT"
