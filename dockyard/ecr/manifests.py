"""Manifest media types and what a manifest references (../shared/aws-ecs-behaviour.md §7.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from dockyard.registry.blobs import DIGEST

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

INDEX_TYPES = {DOCKER_LIST, OCI_INDEX}
MEDIA_TYPES = {DOCKER_V2, DOCKER_LIST, DOCKER_V1, DOCKER_V1_SIGNED, OCI_MANIFEST, OCI_INDEX}


class InvalidManifest(ValueError):
    pass


@dataclass
class Parsed:
    media_type: str
    is_index: bool
    blobs: list[str]  # config + layers of an image manifest
    children: list[str]  # manifests an index lists
    artifact_media_type: str | None
    layer_digests: list[str]
    subject: str | None


def parse(data: bytes, declared: str | None) -> Parsed:
    """Reads a manifest's references; ``declared`` is the Content-Type / imageManifestMediaType given."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise InvalidManifest("Invalid JSON syntax") from exc
    if not isinstance(doc, dict):
        raise InvalidManifest("Invalid JSON syntax")
    inner = doc.get("mediaType")
    declared = (declared or "").split(";")[0].strip() or None
    if declared in (None, "application/json", "application/octet-stream"):
        declared = None
    media_type = inner or declared or _guess(doc)
    if media_type not in MEDIA_TYPES:
        raise InvalidManifest(
            f"Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: "
            f"'Unsupported media type {media_type}'"
        )
    if inner and declared and inner != declared:
        raise InvalidManifest(f"Manifest media type '{inner}' does not match the declared media type '{declared}'")
    if media_type in (DOCKER_V1, DOCKER_V1_SIGNED):
        layers = [layer.get("blobSum", "") for layer in doc.get("fsLayers", []) if isinstance(layer, dict)]
        return Parsed(media_type, False, _digests(layers), [], None, _digests(layers), None)
    subject = doc.get("subject", {}).get("digest") if isinstance(doc.get("subject"), dict) else None
    if media_type in INDEX_TYPES:
        children = _digests([m.get("digest", "") for m in _list(doc, "manifests")])
        return Parsed(media_type, True, [], children, doc.get("artifactType"), [], subject)
    config = doc.get("config")
    if not isinstance(config, dict):
        raise InvalidManifest("Manifest has no config")
    layers = _digests([layer.get("digest", "") for layer in _list(doc, "layers")])
    blobs = [*_digests([config.get("digest", "")]), *layers]
    return Parsed(media_type, False, blobs, [], doc.get("artifactType") or config.get("mediaType"), layers, subject)


def _guess(doc: dict) -> str:
    if "manifests" in doc:
        return OCI_INDEX
    if doc.get("schemaVersion") == 1:
        return DOCKER_V1_SIGNED if "signatures" in doc else DOCKER_V1
    return OCI_MANIFEST


def _list(doc: dict, key: str) -> list[dict]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidManifest(f"Manifest member '{key}' is not a list of descriptors")
    return value


def _digests(values: list[str]) -> list[str]:
    for value in values:
        if not DIGEST.match(value):
            raise InvalidManifest(f"Invalid digest '{value}' in manifest")
    return list(dict.fromkeys(values))


def accepts(accept: list[str], media_type: str) -> bool:
    """Whether a client's Accept headers allow ``media_type`` (no header at all means anything)."""
    types = {part.split(";")[0].strip() for header in accept for part in header.split(",") if part.strip()}
    return (
        not types
        or media_type in types
        or "*/*" in types
        or (media_type in (DOCKER_V1, DOCKER_V1_SIGNED) and bool(types & {DOCKER_V1, DOCKER_V1_SIGNED}))
    )
