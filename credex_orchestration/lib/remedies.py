"""What a failed deploy means and what to do about it, from the error's own words (no Dagster here).

Terraform reports some causes in words that point elsewhere (a provider that cannot be installed fails
`terraform init`, which reads as a backend problem). Each known cause gets one line saying what is wrong and
the remedy; the original message follows it, whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Remedy:
    cause: str
    remedy: str


_KNOWN: tuple[tuple[re.Pattern[str], Remedy], ...] = (
    (
        re.compile(
            r"Failed to query available provider packages|Failed to install provider|"
            r"could not connect to registry\.terraform\.io|provider registry\.terraform\.io/\S+ .*not available|"
            r"Missing required provider|no available releases match",
            re.I | re.S,
        ),
        Remedy(
            "Terraform could not install the hashicorp/aws provider (this is not a state backend problem)",
            "give Terraform a provider it can install: on a machine without registry access, set "
            "TF_CLI_CONFIG_FILE to a CLI config with `provider_installation { filesystem_mirror { path = "
            '"/opt/tf-plugins" } }` (a mirror made with `terraform providers mirror`)',
        ),
    ),
    (
        re.compile(r"NoSuchBucket|S3 bucket \S+ does not exist|bucket does not exist", re.I),
        Remedy(
            "the Terraform state bucket of the environment does not exist",
            "create it once per environment (`state.bucket` in environments.yaml, default "
            'credex-terraform-state-<env>; docs/deployers-guide.md, "From an empty AWS account")',
        ),
    ),
    (
        re.compile(
            r"InvalidAMIID|The image id '\[?ami-[0-9a-f]+\]?' does not exist|needs a Neo4j \S+ AMI", re.I
        ),
        Remedy(
            "the Neo4j AMI the databases use does not exist in this account and region",
            "materialise neo4j_ami/<edition> (job build_neo4j_ami_<edition>) or pin an existing "
            "`neo4j.ami_id` in environments.yaml",
        ),
    ),
    (
        re.compile(r"credentials belong to AWS account \d+, but the environment expects", re.I),
        Remedy(
            "the AWS credentials are of another account than the environment's `aws.account_id`",
            "use the environment's account (profile, SSO or role) or its `aws.role_arn`; nothing was changed",
        ),
    ),
)


def remedy_for(text: str) -> Remedy | None:
    return next((remedy for pattern, remedy in _KNOWN if pattern.search(text)), None)


def explain(where: str, message: str) -> str:
    """`where: cause. Remedy: ...` then the original message, whole; the message alone when unknown."""
    known = remedy_for(message)
    if known is None:
        return f"{where}: {message}"
    return f"{where}: {known.cause}. Remedy: {known.remedy}.\n\n{message}"
