"""Structural checks of the real Terraform roots (parsed with python-hcl2 and held to the project's rules),
`terraform fmt`, and `terraform validate` of every root with the pinned AWS provider (from the filesystem
mirror, found as the engine finds it: CREDEX_TF_PROVIDER_MIRROR, else /opt/tf-plugins; else the registry).
What the roots do when applied is rehearsed against moto in tests/test_rehearsal_*.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from credex_orchestration import naming
from credex_orchestration.components import app, connectors, databases
from credex_orchestration.environments import COMPONENTS, DEFAULT_ENVIRONMENTS_FILE, load_environments
from credex_orchestration.lib.terraform_providers import require_provider_source, write_cli_config
from credex_orchestration.resources import TerraformResource

from .support.terraform_roots import (
    FIXTURE_ROOTS_DIR,
    ROOTS_DIR,
    UNTAGGABLE,
    apply_outputs,
    load_file,
    load_root,
    name_references,
    names_key,
    single,
    world_open_sensitive_rules,
)

ROOTS = {component: load_root(ROOTS_DIR / component) for component in COMPONENTS}
FIXTURES = {component: load_root(FIXTURE_ROOTS_DIR / component) for component in COMPONENTS}
OUTPUTS = {"connectors": connectors.OUTPUTS, "databases": databases.OUTPUTS, "app": app.OUTPUTS}
# Addresses other code (import and cleanup, issue 7) relies on; `[n]` marks a counted resource.
CONTRACT_ADDRESSES = {
    "connectors": [
        "aws_vpc.main",
        "aws_subnet.public",
        "aws_subnet.private",
        "aws_internet_gateway.main",
        "aws_nat_gateway.main",
        "aws_eip.nat",
        "aws_route_table.public",
        "aws_route_table.private",
        "aws_security_group.alb",
        "aws_security_group.ecs_tasks",
        "aws_security_group.neo4j",
        "aws_lb.main",
        "aws_lb_target_group.app",
        "aws_lb_listener.https",
        "aws_lb_listener.http",
        "aws_acm_certificate.main",
        "aws_acm_certificate_validation.main",
        "aws_route53_record.validation",
        "aws_route53_record.app",
        "aws_ecr_repository.app",
        "aws_ecr_lifecycle_policy.app",
    ],
    "databases": [
        "aws_instance.ledgerspace",
        "aws_instance.searchspace",
        "aws_ebs_volume.ledgerspace_data",
        "aws_ebs_volume.searchspace_data",
        "aws_volume_attachment.ledgerspace_data",
        "aws_volume_attachment.searchspace_data",
        "aws_secretsmanager_secret.neo4j",
        "aws_secretsmanager_secret_version.neo4j",
        "aws_iam_role.neo4j",
        "aws_iam_instance_profile.neo4j",
    ],
    "app": [
        "aws_ecs_cluster.main",
        "aws_ecs_service.app",
        "aws_ecs_task_definition.app",
        "aws_cloudwatch_log_group.app",
        "aws_iam_role.execution",
        "aws_iam_role.task",
        "aws_cloudwatch_metric_alarm.cpu_high",
        "aws_cloudwatch_metric_alarm.memory_high",
        "aws_cloudwatch_metric_alarm.running_tasks_low",
        "aws_secretsmanager_secret.app",
        "aws_secretsmanager_secret_version.app",
        "aws_sns_topic.alarms",
    ],
}
PROVIDER_VERSION = "5.100.0"


def _passed_variables(component: str) -> set[str]:
    """The variable names the engine passes to the component's root (its Python `variables()`)."""
    env = load_environments(DEFAULT_ENVIRONMENTS_FILE)["development"]
    upstream = {name: f"<{name}>" for name in connectors.OUTPUTS}
    db = {name: f"<{name}>" for name in databases.OUTPUTS}
    if component == "connectors":
        return set(connectors.variables(env))
    if component == "databases":
        return set(databases.variables(env, upstream, "ami-0123456789abcdef0"))
    return set(app.variables(env, upstream, db, "0123abc"))


@pytest.mark.parametrize("component", COMPONENTS)
def test_root_interface_matches_engine_and_fixture(component: str) -> None:
    real, fixture, passed = ROOTS[component], FIXTURES[component], _passed_variables(component)
    assert passed <= set(real.variables), (
        f"{component}: engine passes undeclared {passed - set(real.variables)}"
    )
    extras = set(real.variables) - passed
    undefaulted = sorted(name for name in extras if "default" not in real.variables[name])
    assert not undefaulted, f"{component}: variables the engine does not pass need a default: {undefaulted}"
    assert set(fixture.variables) == passed, f"{component}: fixture root variables drifted from variables()"
    for root in (real, fixture):
        missing = sorted(set(OUTPUTS[component]) - set(root.outputs))
        assert not missing, f"{root.path}: outputs {missing} that downstream components read are missing"


@pytest.mark.parametrize("component", COMPONENTS)
def test_variables_typed_and_described_outputs_described(component: str) -> None:
    root = ROOTS[component]
    for name, body in root.variables.items():
        assert "type" in body, f"{component}: variable {name} has no type"
        assert body.get("description"), f"{component}: variable {name} has no description"
    for name, body in root.outputs.items():
        assert body.get("description"), f"{component}: output {name} has no description"


@pytest.mark.parametrize("component", COMPONENTS)
def test_provider_pinned_exactly_locked_and_backend_from_file(component: str) -> None:
    """Exactly the provider the rehearsal exercises, and a lock file made from it (decision 0100)."""
    root = ROOTS[component]
    (block,) = root.terraform
    providers = single(block, "required_providers")
    assert set(providers) - {"__is_block__"} == {"aws"}, f"{component}: only hashicorp/aws (decision 0101)"
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["aws"]["version"] == PROVIDER_VERSION
    lock = load_file(ROOTS_DIR / component / ".terraform.lock.hcl")
    (locked,) = lock["provider"]
    entry = locked["registry.terraform.io/hashicorp/aws"]
    assert (entry["version"], entry["constraints"]) == (PROVIDER_VERSION, PROVIDER_VERSION)
    assert any(item.startswith("h1:") for item in entry["hashes"]), entry["hashes"]
    backend = single(block, "backend")
    assert set(backend) == {"s3"}, "state lives in S3; settings come from terraform/backends/<env>.hcl"
    assert set(backend["s3"]) <= {"__is_block__"}, "backend settings belong in the per-environment file"
    default_tags = single(root.providers["aws"], "default_tags")
    assert default_tags["tags"] == "${local.common_tags}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_common_tags_on_every_taggable_resource(component: str) -> None:
    root = ROOTS[component]
    tags = root.locals["common_tags"]
    assert tags == {
        "Project": "credex-core",
        "Environment": "${var.environment}",
        "Component": component,
        "ManagedBy": "terraform",
    }
    untagged = [
        block.address
        for block in root.resources
        if block.type not in UNTAGGABLE and "local.common_tags" not in str(block.body.get("tags", ""))
    ]
    assert not untagged, f"{component}: resources without the common tags: {untagged}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_contract_addresses_exist(component: str) -> None:
    addresses = {block.address for block in ROOTS[component].resources}
    missing = [address for address in CONTRACT_ADDRESSES[component] if address not in addresses]
    assert not missing, f"{component}: {missing}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_name_comes_from_the_names_map(component: str) -> None:
    """Names are formed in names.tf only (which test_terraform_names holds to naming.py)."""
    root = ROOTS[component]
    keys = set(root.locals["names"])
    exempt = {"aws_route53_record"}  # DNS record names are the domain, not resource names
    problems = []
    for block in root.resources:
        if block.type in exempt:
            continue
        for attribute, expression in name_references(block).items():
            key = names_key(expression)
            if key is None or key not in keys:
                problems.append(f"{block.address}.{attribute} = {expression}")
    assert not problems, f"{component}: names not taken from local.names: {problems}"


def test_no_internet_access_to_ssh_or_neo4j() -> None:
    for component, root in ROOTS.items():
        assert world_open_sensitive_rules(root) == [], component
    connectors_root = ROOTS["connectors"]
    for block in connectors_root.resources:
        if block.type == "aws_security_group":
            assert "ingress" not in block.body and "egress" not in block.body, (
                f"{block.address}: inline rules"
            )
        if block.type == "aws_vpc_security_group_ingress_rule" and "neo4j" in block.body["security_group_id"]:
            assert block.body.get("referenced_security_group_id") == "${aws_security_group.ecs_tasks.id}", (
                f"{block.address}: Neo4j accepts the ECS tasks group only"
            )
            assert "cidr_ipv4" not in block.body and "cidr_ipv6" not in block.body, block.address


def test_internet_rule_check_catches_open_ports(tmp_path: Path) -> None:
    """The check above can fail: rules opening SSH, Bolt or every port to the internet are reported."""
    (tmp_path / "main.tf").write_text(
        textwrap.dedent(
            """
            resource "aws_vpc_security_group_ingress_rule" "ssh" {
              ip_protocol = "tcp"
              from_port   = 20
              to_port     = 25
              cidr_ipv4   = "0.0.0.0/0"
            }
            resource "aws_vpc_security_group_ingress_rule" "all" {
              ip_protocol = "-1"
              cidr_ipv6   = "::/0"
            }
            resource "aws_security_group" "legacy" {
              ingress {
                protocol    = "tcp"
                from_port   = 7687
                to_port     = 7687
                cidr_blocks = ["0.0.0.0/0"]
              }
            }
            resource "aws_vpc_security_group_ingress_rule" "https" {
              ip_protocol = "tcp"
              from_port   = 443
              to_port     = 443
              cidr_ipv4   = "0.0.0.0/0"
            }
            """
        )
    )
    problems = world_open_sensitive_rules(load_root(tmp_path))
    assert problems == [
        "aws_vpc_security_group_ingress_rule.ssh: port 22 open to the internet",
        "aws_vpc_security_group_ingress_rule.all: every port open to the internet",
        "aws_security_group.legacy (inline): port 7687 open to the internet",
    ]


def test_load_balancer_redirects_http_and_uses_a_current_tls_policy() -> None:
    root = ROOTS["connectors"]
    http = single(root.resource("aws_lb_listener.http").body, "default_action")
    assert http["type"] == "redirect"
    assert single(http, "redirect")["port"] == "443"
    https = root.resource("aws_lb_listener.https").body
    assert https["protocol"] == "HTTPS"
    assert root.variables["tls_policy"]["default"].startswith("ELBSecurityPolicy-TLS13-")
    group = root.resource("aws_lb_target_group.app").body
    assert group["target_type"] == "ip"
    check = single(group, "health_check")
    assert (check["path"], check["matcher"]) == ("/health", "200")
    ecr = root.resource("aws_ecr_repository.app").body
    assert single(ecr, "image_scanning_configuration")["scan_on_push"] is True


def test_databases_cannot_be_destroyed_silently() -> None:
    root = ROOTS["databases"]
    for address in ("aws_instance.ledgerspace", "aws_instance.searchspace"):
        body = root.resource(address).body
        assert single(body, "lifecycle")["prevent_destroy"] is True, address
        assert body["ami"] == "${var.ami_id}", f"{address}: AMI must be the pinned variable"
        assert single(body, "metadata_options")["http_tokens"] == "required", f"{address}: IMDSv2"
        assert single(body, "root_block_device")["encrypted"] is True
        assert body["iam_instance_profile"] == "${aws_iam_instance_profile.neo4j.name}"
    for address in ("aws_ebs_volume.ledgerspace_data", "aws_ebs_volume.searchspace_data"):
        body = root.resource(address).body
        assert single(body, "lifecycle")["prevent_destroy"] is True, address
        assert (body["type"], body["encrypted"]) == ("gp3", True), address
    subnets = {
        root.resource(f"aws_instance.{space}").body["subnet_id"] for space in ("ledgerspace", "searchspace")
    }
    assert len(subnets) == 2, "the two instances must be in different private subnets"
    for roots in ROOTS.values():
        assert not [b.address for b in roots.blocks if b.type == "aws_ami"], "no most-recent AMI lookups"
    ssm = root.resource("aws_iam_role_policy_attachment.neo4j_ssm").body["policy_arn"]
    assert ssm.endswith("AmazonSSMManagedInstanceCore")


def test_neo4j_secret_has_exactly_the_six_keys_and_user_data_no_secret() -> None:
    root = ROOTS["databases"]
    version = root.resource("aws_secretsmanager_secret_version.neo4j").body
    keys = re.findall(r"\b([a-z]+)\s*=", version["secret_string_wo"])
    assert keys == list(naming.NEO4J_SECRET_KEYS)
    assert "secret_string" not in version, (
        "the value is write-only: never secret_string (it is kept in state)"
    )
    assert version["secret_string_wo_version"] == "${local.neo4j_addresses_version}"
    assert "local.neo4j_addresses" in str(root.locals["neo4j_addresses_version"])
    # Generated passwords are ephemeral and flow into the write-only value only.
    kinds = {block.type for block in root.blocks if block.kind == "ephemeral"}
    assert kinds == {"aws_secretsmanager_random_password", "aws_secretsmanager_secret_version"}
    passwords = str(root.locals["neo4j_passwords"])
    assert "ephemeral.aws_secretsmanager_random_password.neo4j" in passwords
    assert "ephemeral.aws_secretsmanager_secret_version.neo4j_current" in passwords
    readers = [
        block.address
        for block in root.resources
        if "local.neo4j_passwords" in str(block.body) or "ephemeral." in str(block.body)
    ]
    assert readers == ["aws_secretsmanager_secret_version.neo4j"], readers
    assert not [name for name, body in root.outputs.items() if "neo4j_passwords" in str(body)]
    assert not [b.address for b in root.blocks if b.type == "random_password"]
    template = (ROOTS_DIR / "databases" / "user-data.sh.tftpl").read_text()
    placeholders = set(re.findall(r"(?<!\$)\$\{([a-z_]+)\}", template))
    assert placeholders == {
        "region",
        "space",
        "edition",
        "secret_name",
        "licence_secret",
        "password_key",
        "volume_id",
    }
    assert "set -x" not in template


def test_app_secret_is_written_once_and_redeploys_the_service() -> None:
    root = ROOTS["app"]
    version = root.resource("aws_secretsmanager_secret_version.app").body
    assert "secret_string" not in version and "secret_string_wo" in version
    assert version["secret_string_wo_version"] == 1, "written once: the version never changes"
    service = root.resource("aws_ecs_service.app").body
    assert service["force_new_deployment"] is True
    assert set(service["triggers"]) == {"neo4j_secret_version", "app_secret_version"}
    assert "var.neo4j_secret_version_id" in str(service["triggers"])
    task = root.resource("aws_ecs_task_definition.app").body
    assert task["skip_destroy"] is True, "old revisions stay ACTIVE for the rollback"


def test_dns_alias_takes_over_an_existing_record_and_ecr_keeps_verified_images() -> None:
    connectors_root = ROOTS["connectors"]
    assert connectors_root.resource("aws_route53_record.app").body["allow_overwrite"] is True
    policy = connectors_root.resource("aws_ecr_lifecycle_policy.app").body["policy"]
    first = policy.index("rulePriority = 1")
    assert "tagPrefixList = [var.ecr_verified_tag_prefix]" in policy[first : policy.index("rulePriority = 2")]
    assert connectors_root.variables["ecr_verified_tag_prefix"]["default"] == "verified-"


def test_app_service_rolls_back_and_has_alarms() -> None:
    root = ROOTS["app"]
    service = root.resource("aws_ecs_service.app").body
    breaker = single(service, "deployment_circuit_breaker")
    assert (breaker["enable"], breaker["rollback"]) == (True, True)
    assert service["launch_type"] == "FARGATE"
    assert service["health_check_grace_period_seconds"] == "${var.health_check_grace_seconds}"
    assert single(service, "network_configuration")["assign_public_ip"] is False
    assert "lifecycle" not in service, "Terraform is the only owner of the task definition: no ignore_changes"
    task = root.resource("aws_ecs_task_definition.app").body
    assert task["container_definitions"] == "${jsonencode(local.task_definition.containerDefinitions)}", (
        "containers come from task-definition.json only"
    )
    assert "task-definition.json" in root.locals["task_definition"]
    alarms = [block for block in root.resources if block.type == "aws_cloudwatch_metric_alarm"]
    assert {block.body["metric_name"] for block in alarms} == {
        "CPUUtilization",
        "MemoryUtilization",
        "RunningTaskCount",
    }
    for alarm in alarms:
        assert alarm.body["alarm_actions"] == alarm.body["ok_actions"] == "${local.alarm_actions}"
    assert "aws_sns_topic.alarms.arn" in root.locals["alarm_actions"]
    log_group = root.resource("aws_cloudwatch_log_group.app").body
    assert log_group["retention_in_days"] == "${var.log_retention_days}"


def test_execution_role_reads_only_this_environments_secrets() -> None:
    policy = ROOTS["app"].resource("aws_iam_role_policy.execution").body["policy"]
    secret_statement = re.search(r'Sid = "ReadSecrets".*?Resource = \[(.*?)\]', policy, re.S)
    assert secret_statement, policy
    assert sorted(part.strip() for part in secret_statement.group(1).split(",") if part.strip()) == [
        "aws_secretsmanager_secret.app.arn",
        "var.neo4j_secret_arn",
    ]
    assert "secretsmanager:*" not in policy and '"*"' not in policy.replace('Resource = "*"', "")


def test_backend_files_match_the_engine() -> None:
    engine = TerraformResource()
    environments = load_environments(DEFAULT_ENVIRONMENTS_FILE)
    expected = {f"{name}.hcl" for name, env in environments.items() if env.state.backend == "s3"}
    assert {path.name for path in (ROOTS_DIR / "backends").glob("*.hcl")} == expected
    for name in expected:
        env = environments[name.removesuffix(".hcl")]
        text = (ROOTS_DIR / "backends" / name).read_text()
        assert text == engine.backend(env).render(), name
        assert f'bucket = "credex-terraform-state-{env.slug}"' in text
        assert "encrypt = true" in text and "use_lockfile = true" in text


def _terraform_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_terraform_fmt_check_passes_on_all_roots() -> None:
    result = _terraform_cli("fmt", "-check", "-recursive", "-diff", str(ROOTS_DIR))
    assert result.returncode == 0, f"terraform fmt -check failed:\n{result.stdout}{result.stderr}"


def test_terraform_fmt_check_catches_bad_formatting(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("locals {\n  a = 1\n  bb   = 2\n}\n")
    result = _terraform_cli("fmt", "-check", "-recursive", "-diff", str(tmp_path))
    assert result.returncode != 0 and "main.tf" in result.stdout


@pytest.fixture(scope="module")
def provider_mirror() -> Path | None:
    """The mirror the engine would use; no mirror and no registry fails here, saying how to get one."""
    return require_provider_source()


@pytest.mark.parametrize("component", COMPONENTS)
def test_terraform_validate_with_the_pinned_provider(
    component: str, provider_mirror: Path | None, tmp_path: Path
) -> None:
    """`init -backend=false` + `validate` on a copy of the root, checked against the lock file."""
    root = tmp_path / component
    shutil.copytree(ROOTS_DIR / component, root)
    env = {**os.environ, "TF_DATA_DIR": str(tmp_path / "data")}
    if provider_mirror is not None:
        env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(provider_mirror, tmp_path))
    for args in (
        ["init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"],
        ["validate", "-no-color"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", f"-chdir={root}", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"{component}: terraform {args[0]}:\n{result.stdout}{result.stderr}"


def test_validate_catches_an_unknown_argument(provider_mirror: Path | None, tmp_path: Path) -> None:
    """The validate test can fail: an argument the provider's schema does not have is an error."""
    root = tmp_path / "connectors"
    shutil.copytree(ROOTS_DIR / "connectors", root)
    (root / "zz_typo.tf").write_text(
        'resource "aws_ecr_repository" "typo" {\n  name = "x"\n  force_destroyy = true\n}\n'
    )
    env = {**os.environ, "TF_DATA_DIR": str(tmp_path / "data")}
    if provider_mirror is not None:
        env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(provider_mirror, tmp_path))
    command = [sys.executable, "-m", "credex_orchestration.lib.terraform_cli", f"-chdir={root}"]
    init = subprocess.run(
        [*command, "init", "-backend=false", "-input=false"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    result = subprocess.run(
        [*command, "validate", "-no-color"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 1 and "force_destroyy" in result.stdout + result.stderr


def test_user_data_renders_with_names_only(tmp_path: Path) -> None:
    """Real templatefile() on the boot script: valid bash, memory split as the old system had it."""
    values = {
        "region": "af-south-1",
        "space": "ledgerspace",
        "edition": "enterprise",
        "secret_name": "neo4j_prod_secrets",
        "licence_secret": "credex-neo4j-licence-production",
        "password_key": "ledgerspacepass",
        "volume_id": "vol-0123456789abcdef0",
    }
    (tmp_path / "main.tf").write_text(
        'variable "vars" {\n  type = map(string)\n}\n'
        f'output "user_data" {{\n  value = templatefile("{ROOTS_DIR}/databases/user-data.sh.tftpl", var.vars)\n}}\n'
    )
    (tmp_path / "vars.tfvars.json").write_text(json.dumps({"vars": values}))
    script = apply_outputs(tmp_path, tmp_path / "vars.tfvars.json")["user_data"]
    assert 'SECRET_NAME="neo4j_prod_secrets"' in script and 'PASSWORD_KEY="ledgerspacepass"' in script
    assert "HEAP_MB=$(( MEM_MB / 4 ))" in script and "PAGECACHE_MB=$(( MEM_MB / 2 ))" in script
    assert "server.memory.heap.max_size=${HEAP_MB}m" in script
    (tmp_path / "user-data.sh").write_text(script)
    checked = subprocess.run(["bash", "-n", str(tmp_path / "user-data.sh")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


_VAR_OR_LOCAL = re.compile(r"(?<![\w./-])(var|local)\.([a-z0-9_]+)")
_RESOURCE_REF = re.compile(r"(?<![\w./-])(aws_[a-z0-9_]+)\.([a-z0-9_]+)")
_DATA_REF = re.compile(r"(?<![\w./-])data\.([a-z0-9_]+)\.([a-z0-9_]+)")
_EPHEMERAL_REF = re.compile(r"(?<![\w./-])ephemeral\.([a-z0-9_]+)\.([a-z0-9_]+)")


@pytest.mark.parametrize("component", COMPONENTS)
def test_references_resolve_within_the_root(component: str) -> None:
    """What `terraform validate` would catch first, without the provider: references to undeclared things."""
    root = ROOTS[component]
    text = "\n".join(
        line.split(" #")[0]
        for path in sorted((ROOTS_DIR / component).glob("*.tf"))
        for line in path.read_text().splitlines()
        if not line.lstrip().startswith("#")
    )
    declared = {
        "var": set(root.variables),
        "local": set(root.locals),
        "resource": {block.address for block in root.resources},
        "data": {block.address for block in root.blocks if block.kind == "data"},
        "ephemeral": {block.address for block in root.blocks if block.kind == "ephemeral"},
    }
    problems = [f"{kind}.{name}" for kind, name in _VAR_OR_LOCAL.findall(text) if name not in declared[kind]]
    problems += [
        f"{type_}.{name}"
        for type_, name in _RESOURCE_REF.findall(text)
        if f"{type_}.{name}" not in declared["resource"]
    ]
    problems += [
        f"data.{type_}.{name}"
        for type_, name in _DATA_REF.findall(text)
        if f"data.{type_}.{name}" not in declared["data"]
    ]
    problems += [
        f"ephemeral.{type_}.{name}"
        for type_, name in _EPHEMERAL_REF.findall(text)
        if f"ephemeral.{type_}.{name}" not in declared["ephemeral"]
    ]
    assert not problems, f"{component}: undeclared references {sorted(set(problems))}"
