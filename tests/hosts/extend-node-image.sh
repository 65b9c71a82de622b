#!/usr/bin/env bash
# extend-node-image.sh CONTAINERFILE [NAME]: build (or reuse) an image on top of the node image
# (tests/hosts/build-node-image.sh) for nodes that need packages the shared image does not have
# (e.g. molecule/pacemaker: pacemaker, corosync, pcs). Used by tests/hosts/nodes-create.yml for a
# node (molecule platform) that sets `dockerfile:`.
#
#   localhost/stackdoctor-node-extra:<NAME>-<hash>
#
# <hash> covers the node image tag and the Containerfile, so the image is rebuilt only when one of
# them changes ("cached" otherwise, ~0.1 s). The Containerfile starts with
#   ARG NODE_IMAGE
#   FROM ${NODE_IMAGE}
# and is built with --build-arg NODE_IMAGE=<node image tag> and the Containerfile's directory as
# context, on podman's default network (apt reaches the mirror; node containers themselves have none).
# Older tags of the same NAME are removed. The last line written to stdout is the exact image tag.
set -euo pipefail
FILE=$(readlink -f "$1")
NAME=${2:-$(basename "$(dirname "$FILE")")}
HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
[ -f "$FILE" ] || { echo "extend-node-image: no such file: $1" >&2; exit 1; }

BASE=$("$HERE/build-node-image.sh" | tail -n1)
REPO=localhost/stackdoctor-node-extra
HASH=$( { echo "$BASE"; cat "$FILE"; } | sha256sum | cut -c1-12)
TAG="$REPO:$NAME-$HASH"

# one build per NAME at a time (the lab's nodes and a molecule scenario may ask at once in make test)
exec 9> "/tmp/stackdoctor-extend-node-image-$NAME.lock"
flock -w 900 9 || { echo "extend-node-image: $NAME is locked by another build for 15 min" >&2; exit 1; }
if podman image exists "$TAG"; then
    echo "cached"
else
    echo "extend-node-image: building $TAG from $FILE" >&2
    podman build --quiet --build-arg "NODE_IMAGE=$BASE" --label "org.stackdoctor.containerfile=$FILE" \
        -f "$FILE" -t "$TAG" "$(dirname "$FILE")" >/dev/null
    # older builds of this NAME (another node image or Containerfile) are not used any more
    podman images --format '{{.Repository}}:{{.Tag}}' --filter "reference=$REPO:$NAME-*" \
        | grep -vxF "$TAG" | xargs -r podman rmi >/dev/null 2>&1 || true
fi
echo "$TAG"
