"""use_existing_resources: find an environment's resources in AWS by name and import the ones state lacks.

Discovery looks each resource up by the name `naming` gives it (never "everything tagged"), maps it to the
address the component's root declares, and refuses a resource whose Environment tag names another
environment. Every import id is looked up again right before the import, so an id that does not exist is
refused before Terraform runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .. import naming
from ..environments import Environment
from ..lib.aws import AwsSession
from ..lib.terraform import TerraformWorkspace
from .state_import import ImportRefused, ImportResult, ImportTarget, import_into_state


class TagMismatchError(RuntimeError):
    """A resource's tags disagree with its name (e.g. named for staging, tagged development)."""


@dataclass(frozen=True)
class Found(ImportTarget):
    """A resource that exists in AWS, with the tags it carries."""

    tags: Mapping[str, str] = field(default_factory=dict)


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in items or []}


def _ec2_filters(**filters: str) -> list[dict[str, Any]]:
    return [{"Name": name.replace("_", "-"), "Values": [value]} for name, value in filters.items()]


# ----- connectors ----------------------------------------------------------------------------------------
def _vpc(session: AwsSession, env: Environment) -> dict[str, Any] | None:
    vpcs = session.client("ec2").describe_vpcs(Filters=_ec2_filters(**{"tag:Name": naming.vpc(env)}))["Vpcs"]
    return vpcs[0] if vpcs else None


def discover_connectors(session: AwsSession, env: Environment) -> list[Found]:
    ec2, elb, ecr = session.client("ec2"), session.client("elbv2"), session.client("ecr")
    found: list[Found] = []
    vpc = _vpc(session, env)
    if vpc:
        vpc_id = vpc["VpcId"]
        found.append(Found("aws_vpc.main", vpc_id, naming.vpc(env), _tags(vpc.get("Tags"))))
        subnets = ec2.describe_subnets(Filters=_ec2_filters(vpc_id=vpc_id))["Subnets"]
        for tier in ("public", "private"):
            # The root creates one subnet per AZ and tier; index = position in AZ order.
            tiered = sorted(
                (s for s in subnets if _subnet_tier(s) == tier),
                key=lambda s: (s["AvailabilityZone"], s["CidrBlock"]),
            )
            for index, subnet in enumerate(tiered):
                found.append(
                    Found(
                        f"aws_subnet.{tier}[{index}]",
                        subnet["SubnetId"],
                        _tags(subnet.get("Tags")).get("Name", ""),
                        _tags(subnet.get("Tags")),
                    )
                )
        gateways = ec2.describe_internet_gateways(Filters=_ec2_filters(**{"attachment.vpc_id": vpc_id}))
        for gateway in gateways["InternetGateways"][:1]:
            tags = _tags(gateway.get("Tags"))
            found.append(
                Found("aws_internet_gateway.main", gateway["InternetGatewayId"], tags.get("Name", ""), tags)
            )
        nats = ec2.describe_nat_gateways(Filters=_ec2_filters(vpc_id=vpc_id, state="available"))[
            "NatGateways"
        ]
        public_order = [f.import_id for f in found if f.address.startswith("aws_subnet.public")]
        nats.sort(key=lambda n: public_order.index(n["SubnetId"]) if n["SubnetId"] in public_order else 99)
        for index, nat in enumerate(nats):
            tags = _tags(nat.get("Tags"))
            found.append(
                Found(f"aws_nat_gateway.main[{index}]", nat["NatGatewayId"], tags.get("Name", ""), tags)
            )
            found.extend(_nat_address(ec2, nat, index))
        found.extend(_route_tables(ec2, found))
        for address, name in (
            ("aws_security_group.alb", naming.alb_security_group(env)),
            ("aws_security_group.ecs_tasks", naming.ecs_tasks_security_group(env)),
            ("aws_security_group.neo4j", naming.neo4j_security_group(env)),
        ):
            groups = ec2.describe_security_groups(Filters=_ec2_filters(vpc_id=vpc_id, group_name=name))
            for group in groups["SecurityGroups"][:1]:
                found.append(Found(address, group["GroupId"], name, _tags(group.get("Tags"))))
    balancer = _first(lambda: elb.describe_load_balancers(Names=[naming.alb(env)])["LoadBalancers"])
    if balancer:
        arn = balancer["LoadBalancerArn"]
        found.append(Found("aws_lb.main", arn, naming.alb(env), _elb_tags(elb, arn)))
        for listener in elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
            kind = {443: "https", 80: "http"}.get(listener["Port"])
            if kind:
                found.append(
                    Found(
                        f"aws_lb_listener.{kind}",
                        listener["ListenerArn"],
                        f"{naming.alb(env)}:{listener['Port']}",
                    )
                )
    group = _first(lambda: elb.describe_target_groups(Names=[naming.target_group(env)])["TargetGroups"])
    if group:
        arn = group["TargetGroupArn"]
        found.append(Found("aws_lb_target_group.app", arn, naming.target_group(env), _elb_tags(elb, arn)))
    repository = _first(
        lambda: ecr.describe_repositories(repositoryNames=[naming.ecr_repository(env)])["repositories"]
    )
    if repository:
        tags = _tags(ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"]).get("tags"))
        found.append(
            Found("aws_ecr_repository.app", repository["repositoryName"], repository["repositoryName"], tags)
        )
    return found


def _nat_address(ec2: Any, nat: Mapping[str, Any], index: int) -> list[Found]:
    """The Elastic IP of a NAT gateway: without it the root would make a new address and replace the NAT."""
    allocations = [a["AllocationId"] for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
    if not allocations:
        return []
    address = ec2.describe_addresses(AllocationIds=allocations[:1])["Addresses"][0]
    tags = _tags(address.get("Tags"))
    return [Found(f"aws_eip.nat[{index}]", allocations[0], tags.get("Name", ""), tags)]


def _route_tables(ec2: Any, found: list[Found]) -> list[Found]:
    """The route tables the subnets are associated with, and those associations, found by subnet (the old
    system named its tables otherwise; AWS allows one association per subnet, so the root must take it over).

    The root has one public table and one private table per NAT gateway, in private subnet order.
    """
    tables: list[Found] = []
    for tier in ("public", "private"):
        subnets = [f.import_id for f in found if f.address.startswith(f"aws_subnet.{tier}[")]
        order: list[str] = []
        for index, subnet in enumerate(subnets):
            described = ec2.describe_route_tables(Filters=_ec2_filters(**{"association.subnet_id": subnet}))
            for table in described["RouteTables"][:1]:
                table_id, tags = table["RouteTableId"], _tags(table.get("Tags"))
                if table_id not in order:
                    order.append(table_id)
                    if tier == "private":
                        tables.append(
                            Found(
                                f"aws_route_table.private[{len(order) - 1}]",
                                table_id,
                                tags.get("Name", ""),
                                tags,
                            )
                        )
                    elif len(order) == 1:
                        tables.append(Found("aws_route_table.public", table_id, tags.get("Name", ""), tags))
                association = f"aws_route_table_association.{tier}[{index}]"
                tables.append(Found(association, f"{subnet}/{table_id}", subnet))
    return tables


def _subnet_tier(subnet: Mapping[str, Any]) -> str:
    tags = _tags(subnet.get("Tags"))
    label = " ".join([tags.get("Tier", ""), tags.get("Name", "")]).lower()
    if "private" in label:
        return "private"
    if "public" in label or subnet.get("MapPublicIpOnLaunch"):
        return "public"
    return "private"


def _elb_tags(elb: Any, arn: str) -> dict[str, str]:
    descriptions = elb.describe_tags(ResourceArns=[arn])["TagDescriptions"]
    return _tags(descriptions[0].get("Tags")) if descriptions else {}


def _first(call: Callable[[], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The first item of a describe call that raises NotFound for a missing name."""
    try:
        items = call()
    except ClientError as error:
        if "NotFound" in error.response["Error"]["Code"] or "NotFound" in str(error):
            return None
        raise
    return items[0] if items else None


# ----- databases -----------------------------------------------------------------------------------------
def discover_databases(session: AwsSession, env: Environment) -> list[Found]:
    ec2, secrets = session.client("ec2"), session.client("secretsmanager")
    found: list[Found] = []
    for space in ("LedgerSpace", "SearchSpace"):
        name = naming.neo4j_instance(env, space)
        reservations = ec2.describe_instances(
            Filters=[
                {"Name": "tag:Name", "Values": [name]},
                {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
            ]
        )["Reservations"]
        instances = [instance for reservation in reservations for instance in reservation["Instances"]]
        if not instances:
            continue
        instance = instances[0]
        key = space.lower()
        found.append(Found(f"aws_instance.{key}", instance["InstanceId"], name, _tags(instance.get("Tags"))))
        root_device = instance.get("RootDeviceName")
        for mapping in instance.get("BlockDeviceMappings", []):
            if mapping["DeviceName"] == root_device:
                continue
            volume_id = mapping["Ebs"]["VolumeId"]
            volume = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
            tags = _tags(volume.get("Tags"))
            found.append(
                Found(f"aws_ebs_volume.{key}_data", volume_id, tags.get("Name", f"{name} data"), tags)
            )
            break
    secret = _first(lambda: [secrets.describe_secret(SecretId=naming.neo4j_secret(env))])
    if secret:
        found.append(
            Found("aws_secretsmanager_secret.neo4j", secret["ARN"], secret["Name"], _tags(secret.get("Tags")))
        )
    return found


# ----- app -----------------------------------------------------------------------------------------------
def discover_app(session: AwsSession, env: Environment) -> list[Found]:
    ecs, logs = session.client("ecs"), session.client("logs")
    found: list[Found] = []
    cluster_name = naming.ecs_cluster(env)
    clusters = ecs.describe_clusters(clusters=[cluster_name], include=["TAGS"])["clusters"]
    clusters = [c for c in clusters if c.get("status") == "ACTIVE"]
    if clusters:
        cluster = clusters[0]
        tags = {t["key"]: t["value"] for t in cluster.get("tags", [])}
        found.append(Found("aws_ecs_cluster.main", cluster_name, cluster_name, tags))
        services = ecs.describe_services(
            cluster=cluster_name, services=[naming.ecs_service(env)], include=["TAGS"]
        )["services"]
        for service in services:
            if service.get("status") == "ACTIVE":
                tags = {t["key"]: t["value"] for t in service.get("tags", [])}
                found.append(
                    Found(
                        "aws_ecs_service.app",
                        f"{cluster_name}/{service['serviceName']}",
                        service["serviceName"],
                        tags,
                    )
                )
    secret = _first(
        lambda: [session.client("secretsmanager").describe_secret(SecretId=naming.app_secret(env))]
    )
    if secret:
        found.append(
            Found("aws_secretsmanager_secret.app", secret["ARN"], secret["Name"], _tags(secret.get("Tags")))
        )
    groups = logs.describe_log_groups(logGroupNamePrefix=naming.log_group(env))["logGroups"]
    for group in groups:
        if group["logGroupName"] == naming.log_group(env):
            arn = group["arn"].removesuffix(":*")
            tags = logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
            found.append(
                Found("aws_cloudwatch_log_group.app", group["logGroupName"], group["logGroupName"], tags)
            )
    return found


DISCOVERERS: dict[str, Callable[[AwsSession, Environment], list[Found]]] = {
    "connectors": discover_connectors,
    "databases": discover_databases,
    "app": discover_app,
}


def check_tags(environment: Environment, found: list[Found]) -> None:
    """Refuse resources found under this environment's names whose Environment/Project tags say otherwise."""
    problems = []
    for item in found:
        tagged = item.tags.get("Environment")
        if tagged is not None and tagged != environment.name:
            problems.append(
                f"{item.address} {item.import_id} ({item.name}): named for {environment.name} but tagged "
                f"Environment={tagged}"
            )
        project = item.tags.get("Project")
        if project is not None and project not in (naming.PROJECT_TAG, *naming.FORMER_PROJECT_TAGS):
            problems.append(f"{item.address} {item.import_id} ({item.name}): tagged Project={project}")
    if problems:
        raise TagMismatchError(
            f"existing resources of {environment.name} refused, nothing imported: tags disagree with names:\n  "
            + "\n  ".join(problems)
        )


# Re-reads one resource by its import id; raises (NotFound) when the id does not exist.
_EXISTS: dict[str, Callable[[AwsSession, str], object]] = {
    "aws_vpc": lambda s, i: s.client("ec2").describe_vpcs(VpcIds=[i])["Vpcs"],
    "aws_subnet": lambda s, i: s.client("ec2").describe_subnets(SubnetIds=[i])["Subnets"],
    "aws_internet_gateway": lambda s, i: s.client("ec2").describe_internet_gateways(InternetGatewayIds=[i])[
        "InternetGateways"
    ],
    "aws_nat_gateway": lambda s, i: s.client("ec2").describe_nat_gateways(NatGatewayIds=[i])["NatGateways"],
    "aws_eip": lambda s, i: s.client("ec2").describe_addresses(AllocationIds=[i])["Addresses"],
    "aws_route_table": lambda s, i: s.client("ec2").describe_route_tables(RouteTableIds=[i])["RouteTables"],
    "aws_route_table_association": lambda s, i: [
        a
        for t in s.client("ec2").describe_route_tables(RouteTableIds=[i.split("/")[-1]])["RouteTables"]
        for a in t.get("Associations", [])
        if a.get("SubnetId") == i.split("/")[0]
    ],
    "aws_security_group": lambda s, i: s.client("ec2").describe_security_groups(GroupIds=[i])[
        "SecurityGroups"
    ],
    "aws_lb": lambda s, i: s.client("elbv2").describe_load_balancers(LoadBalancerArns=[i])["LoadBalancers"],
    "aws_lb_target_group": lambda s, i: s.client("elbv2").describe_target_groups(TargetGroupArns=[i])[
        "TargetGroups"
    ],
    "aws_lb_listener": lambda s, i: s.client("elbv2").describe_listeners(ListenerArns=[i])["Listeners"],
    "aws_ecr_repository": lambda s, i: s.client("ecr").describe_repositories(repositoryNames=[i])[
        "repositories"
    ],
    "aws_instance": lambda s, i: [
        x
        for r in s.client("ec2").describe_instances(InstanceIds=[i])["Reservations"]
        for x in r["Instances"]
        if x["State"]["Name"] != "terminated"
    ],
    "aws_ebs_volume": lambda s, i: s.client("ec2").describe_volumes(VolumeIds=[i])["Volumes"],
    "aws_secretsmanager_secret": lambda s, i: [s.client("secretsmanager").describe_secret(SecretId=i)],
    "aws_ecs_cluster": lambda s, i: [
        c for c in s.client("ecs").describe_clusters(clusters=[i])["clusters"] if c.get("status") == "ACTIVE"
    ],
    "aws_ecs_service": lambda s, i: [
        x
        for x in s.client("ecs").describe_services(cluster=i.split("/")[0], services=[i.split("/")[-1]])[
            "services"
        ]
        if x.get("status") == "ACTIVE"
    ],
    "aws_cloudwatch_log_group": lambda s, i: [
        g
        for g in s.client("logs").describe_log_groups(logGroupNamePrefix=i)["logGroups"]
        if g["logGroupName"] == i
    ],
}


def verify_exist(session: AwsSession, environment: Environment, targets: list[ImportTarget]) -> None:
    """Look every import id up again; refuse (nothing imported) when one does not exist."""
    missing = []
    for target in targets:
        kind = target.address.split(".")[0]
        lookup = _EXISTS.get(kind)
        if lookup is None:
            missing.append(f"{target.address}: no way to verify a {kind} import id")
            continue
        try:
            exists = bool(lookup(session, target.import_id))
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if "NotFound" not in code and "Invalid" not in code and "NotFound" not in str(error):
                raise
            exists = False
        if not exists:
            missing.append(f"{target.address}: import id {target.import_id!r} does not exist in AWS")
    if missing:
        raise ImportRefused(
            f"existing resources of {environment.name} refused, nothing imported:\n  " + "\n  ".join(missing)
        )


def discover_missing(
    session: AwsSession, environment: Environment, component: str, in_state: list[str]
) -> list[Found]:
    """The component's resources that exist in AWS under our names and are missing from the state."""
    found = DISCOVERERS[component](session, environment)
    check_tags(environment, found)
    present = set(in_state)
    return [item for item in found if item.address not in present]


def use_existing_resources(
    session: AwsSession,
    environment: Environment,
    component: str,
    workspace: TerraformWorkspace,
    run_dir: Path,
    variables: Mapping[str, Any],
) -> ImportResult:
    """Discover, verify and import; raises before importing anything when one resource is refused."""
    missing = discover_missing(session, environment, component, workspace.state_list())
    verify_exist(session, environment, missing)
    return import_into_state(workspace, list(missing), run_dir, variables)


def import_before_plan(
    context: Any,
    environment: Environment,
    component: str,
    terraform: Any,
    aws: Any,
    workspace: TerraformWorkspace,
    variables: Mapping[str, Any],
    enabled: bool,
) -> dict[str, Any]:
    """The deploy step's hook: with the deploy config's use_existing_resources on, import first.

    Returns metadata for the materialisation (empty when the flag is off).
    """
    if not enabled:
        return {}
    run_dir = terraform.work_path / "imports" / environment.name / component / context.run.run_id
    result = use_existing_resources(
        aws.session(environment), environment, component, workspace, run_dir, variables
    )
    imported = [f"{target.address} <- {target.import_id}" for target in result.imported]
    context.log.info(
        f"{environment.name}/{component}: imported {len(imported)} existing resource(s)"
        + "".join(f"\n  {line}" for line in imported)
        + "".join(f"\n  created with them: {address}" for address in result.created)
    )
    return {
        "imported_existing": imported,
        "imported_then_updated": result.updated,
        "created_with_import": result.created,
    }
