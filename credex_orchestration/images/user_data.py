"""User data of the builder and smoke-test instances.

The builder installs exactly one version and edition from Neo4j's RPM repository on Amazon Linux 2023,
installs a boot-time memory script (heap 25 % of RAM, page cache 50 %, computed on the instance that runs
the AMI, not on the builder) and reports through an SSM parameter. No secret is ever part of user data:
the smoke test's Neo4j password is generated on the instance and never leaves it.
"""

import shlex

from .repository import PACKAGES

_SIGNAL = r"""
REGION=@REGION@
SIGNAL_PARAMETER=@PARAMETER@
STAGE=start
signal() {
  aws ssm put-parameter --region "$REGION" --name "$SIGNAL_PARAMETER" --type String --overwrite \
    --value "$(printf '{"status":"%s","stage":"%s","version":"%s","edition":"%s"}' "$1" "$STAGE" "${2:-}" "${3:-}")"
}
trap 'signal failed' ERR
"""

_MEMORY_SCRIPT = r"""#!/bin/bash
# Neo4j memory from this machine's RAM: heap 25 %, page cache 50 % (credex-orchestration).
set -euo pipefail
total_mb=$(( $(awk '/^MemTotal:/ {print $2}' "${MEMINFO:-/proc/meminfo}") / 1024 ))
heap_mb=$(( total_mb * 25 / 100 ))
cache_mb=$(( total_mb * 50 / 100 ))
conf=${NEO4J_CONF:-/etc/neo4j/neo4j.conf}
sed -i -E '/^#?server\.memory\.(heap\.initial_size|heap\.max_size|pagecache\.size)=/d' "$conf"
printf 'server.memory.heap.initial_size=%sm\nserver.memory.heap.max_size=%sm\nserver.memory.pagecache.size=%sm\n' \
  "$heap_mb" "$heap_mb" "$cache_mb" >> "$conf"
"""

_BUILD = r"""#!/bin/bash
set -euo pipefail
@SIGNAL@
STAGE=repository
rpm --import @GPG_KEY_URL@
cat > /etc/yum.repos.d/neo4j.repo <<'REPO'
[neo4j]
name=Neo4j RPM repository
baseurl=@REPOSITORY_URL@
enabled=1
gpgcheck=1
REPO
STAGE=install
dnf install -y java-21-amazon-corretto-headless
NEO4J_ACCEPT_LICENSE_AGREEMENT=yes dnf install -y @PACKAGE@-@VERSION@
STAGE=verify
installed=$(rpm -q --qf '%{VERSION}' @PACKAGE@)
[ "$installed" = @VERSION@ ]
STAGE=memory
cat > /usr/local/sbin/neo4j-memory-settings <<'MEMORY'
@MEMORY_SCRIPT@MEMORY
chmod 0755 /usr/local/sbin/neo4j-memory-settings
mkdir -p /etc/systemd/system/neo4j.service.d
printf '[Service]\nExecStartPre=+/usr/local/sbin/neo4j-memory-settings\n' \
  > /etc/systemd/system/neo4j.service.d/memory.conf
systemctl daemon-reload
systemctl disable neo4j || true
STAGE=done
signal success "$installed" @EDITION@
"""

_SMOKE = r"""#!/bin/bash
set -euo pipefail
@SIGNAL@
STAGE=password
password=$(openssl rand -hex 24)
neo4j-admin dbms set-initial-password "$password" >/dev/null
STAGE=start
systemctl start neo4j
STAGE=ready
for attempt in $(seq 1 60); do
  if cypher-shell -u neo4j -p "$password" --format plain 'RETURN 1' >/dev/null 2>&1; then break; fi
  sleep 5
done
STAGE=components
components=$(cypher-shell -u neo4j -p "$password" --format plain \
  'CALL dbms.components() YIELD versions, edition RETURN versions[0], edition' | tail -n 1 | tr -d '"')
version=$(echo "$components" | cut -d, -f1 | tr -d ' ')
edition=$(echo "$components" | cut -d, -f2 | tr -d ' ')
STAGE=done
signal success "$version" "$edition"
"""


def memory_script() -> str:
    """The boot-time memory script the AMI installs (MEMINFO / NEO4J_CONF override its paths for tests)."""
    return _MEMORY_SCRIPT


def _render(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    return template


def _signal(region: str, parameter: str) -> str:
    return _render(_SIGNAL, {"REGION": shlex.quote(region), "PARAMETER": shlex.quote(parameter)})


def builder_user_data(
    *, edition: str, version: str, repository_url: str, gpg_key_url: str, region: str, parameter: str
) -> str:
    """Install `version` of `edition` and nothing else; signal success with the installed version."""
    return _render(
        _BUILD,
        {
            "SIGNAL": _signal(region, parameter),
            "MEMORY_SCRIPT": _MEMORY_SCRIPT,
            "GPG_KEY_URL": shlex.quote(gpg_key_url),
            "REPOSITORY_URL": repository_url,
            "PACKAGE": PACKAGES[edition],
            "VERSION": shlex.quote(version),
            "EDITION": shlex.quote(edition),
        },
    )


def smoke_user_data(*, region: str, parameter: str) -> str:
    """Start Neo4j from the AMI and report the version and edition the running server says it is."""
    return _render(_SMOKE, {"SIGNAL": _signal(region, parameter)})
