"""ECR images: mark the image of a verified revision so lifecycle expiry never takes it, look an image
up by tag, and promote it into another repository without a rebuild.

Marking: the repository's lifecycle policy (terraform/connectors/ecr.tf) gives images tagged `verified-...`
their own highest-priority rule; ECR never lets a lower-priority rule ("keep the last N images") expire an
image a higher-priority rule's tag selection matches. Tagging is adding a second tag to the same manifest
(`PutImage` with the manifest read back by `BatchGetImage`): allowed in an IMMUTABLE repository, because no
existing tag moves. Needs `ecr:BatchGetImage` and `ecr:PutImage` on the repository.

Promotion copies the image manifest byte for byte (`batch_get_image` -> `put_image`), so the target's
digest is the source's: what was verified is what runs. The manifest's layers must already be readable in
the target registry (real ECR refuses a manifest whose layers it does not hold: cross-account replication
of the source repository provides them; docs/decisions/0122-promotion.md).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError


class EcrError(RuntimeError):
    """An ECR call failed or an image is not what it must be: the message names repository and tag."""


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str | None
    digest: str


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "") or str(error)


def find_image(ecr: Any, repository: str, tag: str) -> Image | None:
    """The image tagged `tag`, or None when the repository has no such tag."""
    try:
        details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ClientError as error:
        if _code(error) == "ImageNotFoundException":
            return None
        raise EcrError(f"ECR repository {repository}: {_code(error)}") from None
    except BotoCoreError as error:
        raise EcrError(f"ECR repository {repository} unreachable: {error}") from None
    if not details:
        return None
    return Image(repository, tag, details[0]["imageDigest"])


def _manifest(ecr: Any, repository: str, digest: str) -> tuple[str, str | None]:
    try:
        answer = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": digest}])
    except (ClientError, BotoCoreError) as error:
        reason = _code(error) if isinstance(error, ClientError) else str(error)
        raise EcrError(f"cannot read image {digest} of {repository}: {reason}") from None
    images = answer.get("images") or []
    if not images:
        failure = (answer.get("failures") or [{}])[0].get("failureReason", "not found")
        raise EcrError(f"image {digest} is not in {repository}: {failure}")
    return images[0]["imageManifest"], images[0].get("imageManifestMediaType")


def promote(source_ecr: Any, source: Image, target_ecr: Any, target_repository: str, tag: str) -> Image:
    """Tag `source`'s manifest as `tag` in `target_repository`; the same digest, or an error saying why not.

    Idempotent: an existing `tag` with the same digest is the promotion already done; with another digest
    it is refused (tags are immutable, and the verified image is the only one that may run).
    """
    existing = find_image(target_ecr, target_repository, tag)
    if existing is not None:
        if existing.digest == source.digest:
            return existing
        raise EcrError(
            f"{target_repository}:{tag} already exists with digest {existing.digest}, not the verified "
            f"{source.digest} of {source.repository}:{source.tag}: refused"
        )
    manifest, media_type = _manifest(source_ecr, source.repository, source.digest)
    arguments: dict[str, Any] = {
        "repositoryName": target_repository,
        "imageManifest": manifest,
        "imageTag": tag,
    }
    if media_type:
        arguments["imageManifestMediaType"] = media_type
    try:
        target_ecr.put_image(**arguments, imageDigest=source.digest)
    except (ClientError, BotoCoreError) as error:
        reason = _code(error) if isinstance(error, ClientError) else str(error)
        raise EcrError(f"cannot put {source.digest} into {target_repository} as {tag}: {reason}") from None
    promoted = find_image(target_ecr, target_repository, tag)
    if promoted is None or promoted.digest != source.digest:
        found = promoted.digest if promoted else "nothing"
        raise EcrError(f"{target_repository}:{tag} holds {found} after promotion, not {source.digest}")
    return promoted


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
