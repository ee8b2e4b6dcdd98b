"""ECR lifecycle policy evaluation, as AWS documents it (moto stores policies but never evaluates them).

Stands in for exactly ECR's evaluation, from "Lifecycle policy evaluation rules" in the ECR user guide:
rules are evaluated from the lowest rulePriority; a rule's selection matches images by tag status
(`tagged` with `tagPrefixList`, `untagged`, `any`); `imageCountMoreThan` N expires the matched images beyond
the N most recently pushed, `sinceImagePushed` those older than the count; an image matched by a rule's
selection is never expired by a rule of lower priority. Pushed times tie in moto (whole seconds): ties keep
the repository's listing order, which is push order in moto.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def _matches(selection: dict[str, Any], tags: list[str]) -> bool:
    status = selection["tagStatus"]
    if status == "untagged":
        return not tags
    if status == "tagged":
        prefixes = selection.get("tagPrefixList", [])
        return any(tag.startswith(prefix) for tag in tags for prefix in prefixes)
    return True


def expired(policy: dict[str, Any], images: list[dict[str, Any]], now: datetime | None = None) -> set[str]:
    """Digests the policy would expire among `images` (describe_images entries)."""
    now = now or datetime.now(UTC)
    order = {image["imageDigest"]: index for index, image in enumerate(images)}
    newest_first = sorted(images, key=lambda i: (i["imagePushedAt"], order[i["imageDigest"]]), reverse=True)
    claimed: set[str] = set()
    gone: set[str] = set()
    for rule in sorted(policy["rules"], key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        matched = [
            image
            for image in newest_first
            if image["imageDigest"] not in claimed and _matches(selection, image.get("imageTags", []))
        ]
        claimed |= {image["imageDigest"] for image in matched}
        if selection["countType"] == "imageCountMoreThan":
            gone |= {image["imageDigest"] for image in matched[selection["countNumber"] :]}
        else:
            limit = now - timedelta(days=selection["countNumber"])
            gone |= {image["imageDigest"] for image in matched if image["imagePushedAt"] < limit}
    return gone
