#!/bin/sh
# The image's entrypoint: `code-server`, `webserver` or `daemon` start that process; anything else is run
# as a command in the image's environment. EcsRunLauncher starts a run worker that way: it overrides the
# container command with `dagster api execute_run <args>`, which runs here.
set -eu
PREFIX=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PREFIX/venv/bin:$PATH"
export DAGSTER_HOME="${DAGSTER_HOME:-$PREFIX/dagster_home}"
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE:-$PREFIX/terraform/cli.tfrc}"
export CREDEX_WORK_DIR="${CREDEX_WORK_DIR:-${HOME:-/tmp}/.credex/terraform}"
export CREDEX_CODE_SERVER_HOST="${CREDEX_CODE_SERVER_HOST:-localhost}"
export CREDEX_CODE_SERVER_PORT="${CREDEX_CODE_SERVER_PORT:-4000}"

case "${1:-}" in
  code-server)
    shift
    exec dagster code-server start -h 0.0.0.0 -p "$CREDEX_CODE_SERVER_PORT" \
      -m credex_orchestration.definitions -d "$PREFIX/app" "$@"
    ;;
  webserver)
    shift
    exec dagster-webserver -h 0.0.0.0 -p "${CREDEX_WEBSERVER_PORT:-3000}" -w "$PREFIX/workspace.yaml" "$@"
    ;;
  daemon)
    shift
    exec dagster-daemon run -w "$PREFIX/workspace.yaml" "$@"
    ;;
  "")
    echo "usage: credex-entrypoint code-server|webserver|daemon|COMMAND..." >&2
    exit 2
    ;;
  *)
    exec "$@"
    ;;
esac
