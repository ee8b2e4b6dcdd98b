#!/bin/sh
# Makes the image's base from Debian packages alone (debootstrap), for a builder that reaches Debian's
# mirror but no container registry. Needs root, debootstrap and buildah (Debian packages).
#
#   deploy/image/base.sh [TAG]      (default localhost/credex-base:bookworm)
#
# Then: buildah bud --build-arg BASE_IMAGE=localhost/credex-base:bookworm -t credex-orchestration:<sha> .
set -eu
TAG=${1:-localhost/credex-base:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "base.sh: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
BUILDAH=${BUILDAH:-buildah}
command -v buildah >/dev/null || { echo "base.sh: buildah is missing (apt-get install buildah)" >&2; exit 1; }
ROOTFS=$(mktemp -d)
trap 'rm -rf "$ROOTFS"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,git,ca-certificates bookworm "$ROOTFS" "$MIRROR" >/dev/null
# debootstrap leaves the builder's resolver and apt lists behind: nothing of the builder goes in the image.
rm -rf "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS/var/cache/apt/"*.bin
: > "$ROOTFS/etc/resolv.conf"
container=$($BUILDAH from scratch)
$BUILDAH copy "$container" "$ROOTFS" / >/dev/null
$BUILDAH config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$container"
$BUILDAH commit --rm "$container" "$TAG" >/dev/null
echo "base.sh: $TAG"
