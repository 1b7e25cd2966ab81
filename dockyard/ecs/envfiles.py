"""``environmentFiles``: ``KEY=VALUE`` files read from S3 at launch.

Precedence (ECS agent): the container's ``environment`` (with overrides) beats every file, and among files the
first one that defines a key wins.
"""

from __future__ import annotations

from collections.abc import Iterable

from dockyard.adapters import s3

REASON_PREFIX = "ResourceInitializationError: failed to download env files: "


class EnvFileError(Exception):
    """A file could not be read; ``str()`` is the task's stoppedReason."""

    def __init__(self, detail: str) -> None:
        super().__init__(REASON_PREFIX + detail)


def load(account: str, files: Iterable[dict[str, str]]) -> dict[str, str]:
    """The variables of ``files`` (``[{"type": "s3", "value": "arn:aws:s3:::bucket/key.env"}]``), first file wins."""
    merged: dict[str, str] = {}
    for entry in files:
        arn = entry.get("value", "")
        bucket, _, key = arn.removeprefix("arn:aws:s3:::").partition("/")
        if not arn.startswith("arn:aws:s3:::") or not bucket or not key:
            raise EnvFileError(f"invalid environment file ARN: {arn}")
        try:
            text = s3.get_object(account, bucket, key).decode("utf-8", errors="replace")
        except s3.ObjectMissing as error:
            raise EnvFileError(f"file download command: non empty error stream: {error} ({arn})") from None
        for name, value in parse(text).items():
            merged.setdefault(name, value)
    return merged


def parse(text: str) -> dict[str, str]:
    """``KEY=VALUE`` per line (a later line wins); blank lines and ``#`` comments skipped; values verbatim."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or "=" not in stripped:
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value
    return values
