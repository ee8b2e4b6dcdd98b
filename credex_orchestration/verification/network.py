"""Check 3 and the connectors' checks: load-balancer targets healthy, load balancer active, HTTPS served."""

from __future__ import annotations

from typing import Any

from .. import naming
from ..environments import Environment
from .outcome import Outcome, guarded


def _target_group_arn(elbv2: Any, name: str) -> str:
    groups = elbv2.describe_target_groups(Names=[name])["TargetGroups"]
    return groups[0]["TargetGroupArn"]


def targets_healthy(elbv2: Any, target_group: str) -> Outcome:
    """Every registered target of the target group is healthy (and there is at least one)."""
    arn = _target_group_arn(elbv2, target_group)
    descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    targets = [
        {
            "id": d["Target"]["Id"],
            "port": d["Target"].get("Port"),
            "state": d["TargetHealth"].get("State", ""),
            "reason": d["TargetHealth"].get("Reason", ""),
            "description": d["TargetHealth"].get("Description", ""),
        }
        for d in descriptions
    ]
    unhealthy = [t for t in targets if t["state"] != "healthy"]
    facts = {"target_group": target_group, "targets": targets, "healthy": len(targets) - len(unhealthy)}
    if not targets:
        return Outcome.fail(f"target group {target_group} has no registered targets", **facts)
    if unhealthy:
        listed = ", ".join(f"{t['id']} {t['state']} ({t['reason'] or 'no reason'})" for t in unhealthy)
        return Outcome.fail(
            f"{len(unhealthy)} of {len(targets)} targets of {target_group} not healthy: {listed}", **facts
        )
    return Outcome.ok(f"all {len(targets)} targets of {target_group} healthy", **facts)


def _load_balancer(elbv2: Any, name: str) -> dict[str, Any]:
    return elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]


def load_balancer_active(elbv2: Any, name: str) -> Outcome:
    balancer = _load_balancer(elbv2, name)
    state = balancer.get("State", {}).get("Code", "unknown")
    facts = {"load_balancer": name, "state": state, "dns_name": balancer.get("DNSName", "")}
    if state != "active":
        return Outcome.fail(f"load balancer {name} is {state}, expected active", **facts)
    return Outcome.ok(f"load balancer {name} active", **facts)


def https_listeners(elbv2: Any, load_balancer: str) -> list[dict[str, Any]]:
    arn = _load_balancer(elbv2, load_balancer)["LoadBalancerArn"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    return [listener for listener in listeners if listener.get("Protocol") == "HTTPS"]


def https_listener(elbv2: Any, load_balancer: str) -> Outcome:
    found = https_listeners(elbv2, load_balancer)
    facts = {"load_balancer": load_balancer, "https_ports": [listener.get("Port") for listener in found]}
    if not any(listener.get("Port") == 443 for listener in found):
        return Outcome.fail(f"load balancer {load_balancer} has no HTTPS listener on 443", **facts)
    return Outcome.ok(f"load balancer {load_balancer} serves HTTPS on 443", **facts)


def certificate_issued(elbv2: Any, acm: Any, load_balancer: str) -> Outcome:
    """Every certificate on the HTTPS listeners is ISSUED (not pending validation, expired or revoked)."""
    arns = sorted(
        {
            c["CertificateArn"]
            for listener in https_listeners(elbv2, load_balancer)
            for c in listener.get("Certificates", [])
        }
    )
    if not arns:
        return Outcome.fail(
            f"no certificate on the HTTPS listeners of {load_balancer}", load_balancer=load_balancer
        )
    certificates = []
    for arn in arns:
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        certificates.append(
            {"arn": arn, "domain": detail.get("DomainName", ""), "status": detail.get("Status", "")}
        )
    bad = [c for c in certificates if c["status"] != "ISSUED"]
    if bad:
        listed = ", ".join(f"{c['domain']} {c['status']}" for c in bad)
        return Outcome.fail(f"certificate not issued: {listed}", certificates=certificates)
    return Outcome.ok(f"{len(certificates)} certificate(s) ISSUED", certificates=certificates)


def verify_connectors(session: Any, environment: Environment) -> dict[str, Outcome]:
    """The connectors' three checks in order, each guarded: what `<env>/connectors`' asset check reports."""
    elbv2, acm = session.client("elbv2"), session.client("acm")
    balancer = naming.alb(environment)
    return {
        "load_balancer_active": guarded("load balancer", lambda: load_balancer_active(elbv2, balancer)),
        "https_listener": guarded("HTTPS listener", lambda: https_listener(elbv2, balancer)),
        "certificate_issued": guarded("certificate", lambda: certificate_issued(elbv2, acm, balancer)),
    }
