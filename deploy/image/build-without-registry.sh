#!/bin/sh
# Builds the Dockerfile with Debian's buildah on a base made from Debian packages (deploy/image/base.sh), with
# no container registry, then checks the image from inside: non-root user, dagster, git, the provider mirror
# serving `terraform init` offline, no build source or secret left. A manual step (decision 0130), measured
# on the team's machine: base 64 s, build 2 min 51 s, checks 9 s; image 1.62 GB.
#
#   sudo sh deploy/image/build-without-registry.sh [TAG]     (needs: apt-get install buildah debootstrap)
#
# CREDEX_PROVIDER_MIRROR (default /opt/tf-plugins) fills .image/providers; CA_BUNDLE (default the host's
# bundle) is passed as a build secret for a TLS-intercepting proxy and never enters a layer.
set -eu
cd "$(dirname "$0")/../.."
TAG=${1:-localhost/credex-orchestration:local}
STORE=${BUILDAH_STORE:-/var/tmp/credex-buildah}
B="buildah --root $STORE/root --runroot $STORE/run --storage-driver vfs"
export BUILDAH_ISOLATION=chroot

rm -rf .image/providers && mkdir -p .image
cp -al "${CREDEX_PROVIDER_MIRROR:-/opt/tf-plugins}" .image/providers 2>/dev/null || cp -R "${CREDEX_PROVIDER_MIRROR:-/opt/tf-plugins}" .image/providers
if ! $B images --format '{{.Name}}:{{.Tag}}' | grep -qx 'localhost/credex-base:bookworm'; then
  BUILDAH="$B" sh deploy/image/base.sh localhost/credex-base:bookworm
fi
$B bud --isolation chroot --layers=false --secret "id=ca_bundle,src=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" \
  --build-arg BASE_IMAGE=localhost/credex-base:bookworm -t "$TAG" .
container=$($B from "$TAG")
trap '$B rm "$container" >/dev/null' EXIT
$B run --isolation chroot "$container" -- /opt/credex/bin/credex-entrypoint sh -euc '
  [ "$(id -u)" != 0 ] || { echo "runs as root" >&2; exit 1; }
  dagster --version; git --version
  [ ! -e /src ] && [ ! -e /run/secrets/ca_bundle ]
  cd /tmp && TF_DATA_DIR=/tmp/tf HTTPS_PROXY=http://127.0.0.1:9 python -m credex_orchestration.lib.terraform_cli \
    -chdir=/opt/credex/app/terraform/orchestrator init -backend=false -no-color -lockfile=readonly | grep "Installed hashicorp/aws"'
$B inspect "$TAG" | grep -q "BEGIN CERTIFICATE" && { echo "a certificate is in the image config" >&2; exit 1; }
echo "build-without-registry: $TAG ok"
