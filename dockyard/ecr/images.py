"""Image domain logic shared by the ECR API and the registry: put, find, untag and delete manifests."""

from __future__ import annotations

import hashlib
import time

from dockyard.ecr import lifecycle, manifests
from dockyard.ecr.errors import image_not_found, invalid_parameter, layers_not_found, tag_immutable
from dockyard.ecr.repositories import tag_is_immutable
from dockyard.ecr.state import Image, Repository
from dockyard.protocol.errors import AwsError
from dockyard.registry.blobs import DIGEST, BlobStore

ImageId = dict[str, str]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put(
    repo: Repository,
    blobs: BlobStore,
    data: bytes,
    media_type: str | None,
    tag: str | None,
    expected_digest: str | None = None,
) -> tuple[Image, bool]:
    """Stores a manifest (verbatim) and points ``tag`` at it; returns the image and whether anything changed."""
    digest = digest_of(data)
    if expected_digest and expected_digest != digest:
        raise AwsError(
            "ImageDigestDoesNotMatchException",
            f"Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The digest {expected_digest} does "
            f"not match the digest {digest} of the image manifest'",
        )
    try:
        parsed = manifests.parse(data, media_type)
    except manifests.InvalidManifest as exc:
        raise invalid_parameter(f"Invalid parameter at 'ImageManifest' failed to satisfy constraint: '{exc}'") from exc
    existing = repo.images.get(digest)
    if tag is not None and repo.image_tags.get(tag) == digest:
        raise AwsError(
            "ImageAlreadyExistsException",
            f"Image with digest '{digest}' and tag '{tag}' already exists in the repository with name '{repo.name}' "
            f"in registry with id '{repo.registry_id}'",
        )
    if tag is None and existing is not None:
        return existing, False
    if tag is not None and tag in repo.image_tags and tag_is_immutable(repo, tag):
        raise tag_immutable(tag, repo.name)
    if parsed.is_index:
        missing = [d for d in parsed.children if d not in repo.images]
        if missing:
            raise AwsError(
                "ReferencedImagesNotFoundException",
                f"Manifest references images {missing} that do not exist in the repository with name "
                f"'{repo.name}' in the registry with id '{repo.registry_id}'",
            )
        size = max((repo.images[d].size for d in parsed.children), default=0)
    else:
        missing = [d for d in parsed.blobs if d not in repo.blobs or not blobs.exists(d)]
        if missing and media_type not in (manifests.DOCKER_V1, manifests.DOCKER_V1_SIGNED):
            raise layers_not_found(missing, repo.name, repo.registry_id)
        size = sum(blobs.size(d) or 0 for d in parsed.layer_digests)
    image = existing or Image(
        digest=digest,
        manifest=data,
        media_type=parsed.media_type,
        artifact_media_type=parsed.artifact_media_type,
        size=size,
        references=parsed.children if parsed.is_index else parsed.blobs,
        is_index=parsed.is_index,
        subject=parsed.subject,
    )
    repo.images[digest] = image
    if tag is not None:
        repo.image_tags[tag] = digest
        image.pushed_at = image.pushed_at if existing else time.time()
    lifecycle.apply(repo)
    return image, True


def find(repo: Repository, image_id: ImageId) -> Image | None:
    """The image an imageId names; a tag and a digest together must agree."""
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if tag is not None:
        tagged = repo.image_tags.get(tag)
        if tagged is None or (digest and digest != tagged):
            return None
        return repo.images.get(tagged)
    return repo.images.get(digest) if digest else None


def failure(repo: Repository, image_id: ImageId) -> tuple[str, str]:
    """failureCode and failureReason for an imageId ``find`` did not resolve."""
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if not digest and not tag:
        return "MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"
    if digest and not DIGEST.match(digest):
        return (
            "InvalidImageDigest",
            "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        )
    if digest and tag and tag in repo.image_tags:
        return "ImageTagDoesNotMatchDigest", "Invalid request parameters: image tag does not match digest"
    return "ImageNotFound", "Requested image not found"


def get(repo: Repository, image_id: ImageId) -> Image:
    image = find(repo, image_id)
    if image is None:
        raise image_not_found(image_id, repo.name, repo.registry_id)
    return image


def referencing_indexes(repo: Repository, digest: str) -> list[Image]:
    return [i for i in repo.images.values() if i.is_index and digest in i.references]


def delete(repo: Repository, image_id: ImageId) -> tuple[list[ImageId], tuple[str, str] | None]:
    """BatchDeleteImage for one id: by tag removes the tag (and the image with its last tag); by digest removes
    the image and all its tags. Returns the ids deleted, or a failure."""
    image = find(repo, image_id)
    if image is None:
        return [], failure(repo, image_id)
    tag = image_id.get("imageTag")
    if tag is not None and len(repo.tags_of(image.digest)) > 1:
        del repo.image_tags[tag]
        return [{"imageDigest": image.digest, "imageTag": tag}], None
    if referencing_indexes(repo, image.digest):
        return [], ("ImageReferencedByManifestList", "Requested image is referenced by an image index")
    tags = repo.tags_of(image.digest)
    for t in tags:
        del repo.image_tags[t]
    del repo.images[image.digest]
    deleted = [{"imageDigest": image.digest, "imageTag": t} for t in tags] or [{"imageDigest": image.digest}]
    return deleted, None
