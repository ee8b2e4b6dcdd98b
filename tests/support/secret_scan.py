"""Scanning what a world stored for its secrets, in every encoding the redactor knows (lib/redact.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from credex_orchestration.lib.redact import encodings

# The values of a JSON secret that are secret (passwords, keys, tokens); user names and URLs are not.
SECRET_FIELD = re.compile(r"pass|secret|key|token", re.I)


def forms_of(secrets: dict[str, str]) -> dict[str, set[str]]:
    return {name: encodings(value) for name, value in secrets.items()}


def hits_in(where: str, data: bytes, forms: dict[str, set[str]]) -> list[str]:
    return [
        f"{where}: {name} as {variant!r}"
        for name, variants in forms.items()
        for variant in sorted(variants)
        if variant.encode() in data
    ]


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mirror_copies(mirror: Path | None) -> dict[int, set[str]]:
    """Size -> digests of the provider mirror's files: Terraform's plugin cache holds copies of them."""
    copies: dict[int, set[str]] = {}
    for path in mirror.rglob("*") if mirror else ():
        if path.is_file() and not path.is_symlink():
            copies.setdefault(path.stat().st_size, set()).add(_digest(path))
    return copies


def scan(directories: list[Path], secrets: dict[str, str], mirror: Path | None = None) -> list[str]:
    """Every (file, secret, encoding) where a secret appears in a stored file, in any encoding we know.

    Symbolic links and byte-identical copies of the provider mirror's files (the plugin cache: hundreds of
    MB nothing of the run is written into) are not read.
    """
    forms, copies = forms_of(secrets), mirror_copies(mirror)
    found = []
    for directory in directories:
        for path in directory.rglob("*"):
            if path.is_symlink() or not path.is_file():
                continue
            size = path.stat().st_size
            if size in copies and _digest(path) in copies[size]:
                continue
            found += hits_in(str(path), path.read_bytes(), forms)
    return found


def scan_s3(s3: Any, secrets: dict[str, str]) -> tuple[list[str], int]:
    """Every version of every object in every bucket (Terraform state and its history); hits and count."""
    forms, found, count = forms_of(secrets), [], 0
    for bucket in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
                found += hits_in(f"s3://{bucket}/{version['Key']}", body["Body"].read(), forms)
                count += 1
    return found, count


def secrets_manager_values(secretsmanager: Any) -> dict[str, str]:
    """Each secret value in Secrets Manager: a JSON object's secret fields one by one, else the whole string."""
    values = {}
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            try:
                text = secretsmanager.get_secret_value(SecretId=secret["ARN"]).get("SecretString") or ""
            except secretsmanager.exceptions.ResourceNotFoundException:
                continue  # a secret without a value yet
            try:
                body = json.loads(text)
            except ValueError:
                body = None
            if isinstance(body, dict):
                for field, value in body.items():
                    if SECRET_FIELD.search(field) and isinstance(value, str) and len(value) >= 8:
                        values[f"{secret['Name']}:{field}"] = value
            elif len(text) >= 8:
                values[secret["Name"]] = text
    return values
