"""ECR resources of one account and region: repositories, their images and tags. Plain data.

The registry (``/v2/``) and the ECR API read and change the same objects, so an image pushed by docker is the
image DescribeImages lists, and a PutImage is pullable at once. Blob bytes live in the shared blob store; a
repository only records which digests it holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass
class Image:
    digest: str
    manifest: bytes  # exactly as pushed: the digest is of these bytes
    media_type: str
    artifact_media_type: str | None
    size: int
    references: list[str]  # blob digests (image manifest) or child manifest digests (index)
    is_index: bool
    subject: str | None = None
    pushed_at: float = field(default_factory=time.time)
    last_pull: float | None = None


@dataclass
class Repository:
    name: str
    arn: str
    registry_id: str
    created_at: float = field(default_factory=time.time)
    tag_mutability: str = "MUTABLE"
    mutability_exclusions: list[JSON] = field(default_factory=list)
    scan_on_push: bool = False
    encryption: JSON = field(default_factory=lambda: {"encryptionType": "AES256"})
    tags: list[JSON] = field(default_factory=list)
    policy: str | None = None
    lifecycle_policy: str | None = None
    lifecycle_evaluated_at: float | None = None
    lifecycle_preview: JSON | None = None
    images: dict[str, Image] = field(default_factory=dict)  # digest -> image
    image_tags: dict[str, str] = field(default_factory=dict)  # tag -> digest
    blobs: set[str] = field(default_factory=set)  # layer and config digests uploaded to or mounted in it

    def tags_of(self, digest: str) -> list[str]:
        return sorted(t for t, d in self.image_tags.items() if d == digest)


@dataclass
class EcrState:
    account: str
    region: str
    repositories: dict[str, Repository] = field(default_factory=dict)
    registry_policy: str | None = None
    scanning_configuration: JSON = field(default_factory=lambda: {"scanType": "BASIC", "rules": []})

    def arn(self, name: str) -> str:
        return f"arn:aws:ecr:{self.region}:{self.account}:repository/{name}"
