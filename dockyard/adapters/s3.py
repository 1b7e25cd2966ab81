"""S3 (rest-xml), path-style or virtual-hosted; environmentFiles are read from here."""

from __future__ import annotations

from dockyard.adapters.bridge import MotoService

SERVICE = MotoService("s3", "s3", regional=False)


class ObjectMissing(Exception):
    """The bucket or key does not exist; the message says which, as S3 would."""


def get_object(account: str, bucket: str, key: str) -> bytes:
    from moto.s3.exceptions import MissingBucket

    backend = SERVICE.backend(account, "global")
    try:
        obj = backend.get_object(bucket, key)
    except MissingBucket:
        raise ObjectMissing(f"NoSuchBucket: The specified bucket does not exist: {bucket}") from None
    if obj is None:
        raise ObjectMissing(f"NoSuchKey: The specified key does not exist: {key}")
    return bytes(obj.value)
