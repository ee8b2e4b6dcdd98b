"""Mark an ECR image as the image of a verified revision, so lifecycle expiry never takes it.

The repository's lifecycle policy (terraform/connectors/ecr.tf) gives images tagged `verified-...` their own
highest-priority rule; ECR never lets a lower-priority rule ("keep the last N images") expire an image a
higher-priority rule's tag selection matches. Tagging is adding a second tag to the same manifest
(`PutImage` with the manifest read back by `BatchGetImage`): allowed in an IMMUTABLE repository, because no
existing tag moves. Needs `ecr:BatchGetImage` and `ecr:PutImage` on the repository.
"""

from __future__ import annotations

import contextlib
from typing import Any

VERIFIED_PREFIX = "verified-"


class ImageNotFound(LookupError):
    """The repository has no image with the tag to mark."""


def verified_tag(image_tag: str) -> str:
    return f"{VERIFIED_PREFIX}{image_tag}"


def mark_verified(ecr: Any, repository: str, image_tag: str) -> str:
    """Add `verified-<image_tag>` to the image tagged `image_tag`; returns that tag (idempotent)."""
    images = ecr.batch_get_image(
        repositoryName=repository,
        imageIds=[{"imageTag": image_tag}],
        acceptedMediaTypes=[
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
        ],
    )["images"]
    if not images:
        raise ImageNotFound(f"ECR repository {repository} has no image tagged {image_tag}")
    image = images[0]
    tag = verified_tag(image_tag)
    request: dict[str, Any] = {
        "repositoryName": repository,
        "imageManifest": image["imageManifest"],
        "imageTag": tag,
    }
    if image.get("imageManifestMediaType"):
        request["imageManifestMediaType"] = image["imageManifestMediaType"]
    with contextlib.suppress(ecr.exceptions.ImageAlreadyExistsException):  # already marked
        ecr.put_image(**request)
    return tag
