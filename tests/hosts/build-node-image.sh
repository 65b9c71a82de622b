#!/usr/bin/env bash
# build-node-image.sh: build the one node image every molecule scenario and the lab use.
#
#   localhost/stackdoctor-node:<hash>   (and localhost/stackdoctor-node:current)
#
# <hash> is a content hash of the package list and of this script, so the image is rebuilt
# only when one of them changes. When the tag already exists nothing is built ("cached").
# The debootstrap rootfs and the finished rootfs are kept as tarballs under
# ${XDG_CACHE_HOME:-$HOME/.cache}/stackdoctor/ so that a rebuild (e.g. after `podman rmi`)
# only re-imports.
#
# The Debian mirror is read from this machine's apt sources (override: STACKDOCTOR_DEBIAN_MIRROR).
# The last line written to stdout is the exact image tag.
set -euo pipefail

IMAGE=localhost/stackdoctor-node
SUITE=bookworm
# Packages installed on top of debootstrap's minbase (+python3). Order does not matter.
PACKAGES="systemd systemd-sysv dbus python3 python3-apt tgt qemu-utils iptables iproute2 procps kmod podman haproxy"
# Kept as .deb files in a local repository inside the image (see below).
LOCAL_REPO=/opt/stackdoctor-repo
LOCAL_REPO_PACKAGES="tgt qemu-utils"
# Units that fail or slow down boot in a container (no udev, no ttys, read-only /proc/sys...).
MASK_UNITS="systemd-networkd-wait-online.service systemd-udevd.service systemd-udevd-control.socket
 systemd-udevd-kernel.socket systemd-udev-trigger.service systemd-udev-settle.service
 getty.target getty@.service serial-getty@.service console-getty.service
 systemd-sysctl.service systemd-modules-load.service systemd-remount-fs.service
 systemd-firstboot.service sys-kernel-config.mount sys-kernel-debug.mount
 sys-kernel-tracing.mount dev-hugepages.mount dev-mqueue.mount
 apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
 fstrim.timer systemd-hwdb-update.service
 podman.service podman.socket podman-auto-update.service podman-auto-update.timer
 podman-restart.service podman-clean-transient.service"

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$( { echo "$PACKAGES" | tr ' ' '\n' | sort -u; cat "$SELF"; } | sha256sum | cut -c1-12)
BASE_HASH=$(echo "minbase python3 $SUITE" | sha256sum | cut -c1-12)
TAG="$IMAGE:$HASH"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/stackdoctor"
BASE_TAR="$CACHE/debootstrap-$SUITE-minbase-$BASE_HASH.tar"
ROOTFS_TAR="$CACHE/node-rootfs-$HASH.tar"

log() { echo "build-node-image: $*" >&2; }

if podman image exists "$TAG"; then
    podman tag "$TAG" "$IMAGE:current"
    echo "cached"
    echo "$TAG"
    exit 0
fi

[ "$(id -u)" = 0 ] || { log "must run as root (debootstrap, chroot)"; exit 1; }
mkdir -p "$CACHE"

# First deb URI of this machine's apt sources that serves $SUITE (one-line or deb822 format).
find_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s="$SUITE" '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            if ($(i+1)==s) { print $i; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        # deb822: paragraphs separated by blank lines
        awk -v s="$SUITE" 'BEGIN{RS=""; FS="\n"}
            { types=""; uris=""; suites="";
              for (i=1;i<=NF;i++) { l=$i; if (l ~ /^#/) continue;
                if (l ~ /^Types:/) types=l; if (l ~ /^URIs:/) uris=l; if (l ~ /^Suites:/) suites=l }
              if (types ~ /[ \t]deb([ \t]|$)/ && (" " suites " ") ~ ("[ \t]" s "[ \t]")) {
                  sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f"
    done
}
MIRROR=${STACKDOCTOR_DEBIAN_MIRROR:-$(find_mirror | head -n1)}
[ -n "$MIRROR" ] || { log "no deb source for $SUITE in /etc/apt/sources.list(.d); set STACKDOCTOR_DEBIAN_MIRROR"; exit 1; }

WORK=$(mktemp -d "$CACHE/build.XXXXXX")
ROOT="$WORK/rootfs"
mounted=""
cleanup() {
    for m in $mounted; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

if [ ! -f "$ROOTFS_TAR" ]; then
    mkdir -p "$ROOT"
    if [ -f "$BASE_TAR" ]; then
        log "debootstrap rootfs from cache $BASE_TAR"
        tar -C "$ROOT" -xpf "$BASE_TAR"
    else
        log "debootstrap --variant=minbase $SUITE from $MIRROR"
        debootstrap --variant=minbase --include=python3 "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
            || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
        tar -C "$ROOT" -cpf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
    fi

    log "installing: $PACKAGES"
    printf '#!/bin/sh\n# no daemon starts while the image is built\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    mount -t proc proc "$ROOT/proc"; mounted="$ROOT/proc $mounted"
    chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C sh -c \
        "apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES" \
        >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; exit 1; }

    # A local package repository standing in for the node's mirror (nodes have no network):
    # the packages a fix role may (re)install. Unused until a source list names it
    # (tests/roles/stackdoctor_testnode does when it purges tgt).
    log "local repository $LOCAL_REPO: $LOCAL_REPO_PACKAGES"
    mkdir -p "$ROOT$LOCAL_REPO"
    for p in $LOCAL_REPO_PACKAGES; do cp "$ROOT"/var/cache/apt/archives/"${p}"_*.deb "$ROOT$LOCAL_REPO/"; done
    ( cd "$ROOT$LOCAL_REPO" && for deb in *.deb; do
          dpkg-deb -f "$deb"
          echo "Filename: ./$deb"
          echo "Size: $(stat -c %s "$deb")"
          echo "SHA256: $(sha256sum "$deb" | cut -d' ' -f1)"
          echo
      done > Packages )
    chroot "$ROOT" apt-get clean

    log "configuring systemd for a container"
    # shellcheck disable=SC2086
    chroot "$ROOT" systemctl mask $MASK_UNITS >/dev/null 2>&1 || true
    for u in $MASK_UNITS; do ln -sfn /dev/null "$ROOT/etc/systemd/system/$u"; done
    chroot "$ROOT" systemctl enable tgt.service >/dev/null 2>&1
    # haproxy (check_haproxy's tests) starts only where a node configures it
    chroot "$ROOT" systemctl disable haproxy.service >/dev/null 2>&1
    chroot "$ROOT" systemctl set-default multi-user.target >/dev/null 2>&1
    umount "$ROOT/proc"; mounted=""

    rm -f "$ROOT/usr/sbin/policy-rc.d" "$ROOT/etc/resolv.conf" "$ROOT/etc/hostname"
    : >"$ROOT/etc/machine-id"           # systemd generates one at first boot
    rm -rf "$ROOT/var/lib/apt/lists/"* "$ROOT/var/cache/apt/"*.bin "$ROOT/var/log/"*.log
    tar -C "$ROOT" -cpf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    # drop finished rootfs tarballs of older hashes (the debootstrap base is kept)
    find "$CACHE" -maxdepth 1 -name 'node-rootfs-*.tar' ! -name "node-rootfs-$HASH.tar" -delete
else
    log "rootfs from cache $ROOTFS_TAR"
fi

log "podman import -> $TAG"
podman import --change 'CMD ["/sbin/init"]' \
    --change 'LABEL org.stackdoctor.packages="'"$PACKAGES"'"' \
    "$ROOTFS_TAR" "$TAG" >/dev/null
podman tag "$TAG" "$IMAGE:current"
echo "$TAG"
