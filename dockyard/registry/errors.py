"""The distribution spec's error body, and how ECR's API errors appear on the registry wire."""

from __future__ import annotations

import json
from typing import Any

from dockyard.protocol.errors import AwsError
from dockyard.server.http import Response

API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


class RegistryError(Exception):
    def __init__(self, code: str, message: str, status: int, detail: Any = None, headers: dict | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail is not None:
            error["detail"] = self.detail
        body = json.dumps({"errors": [error]}).encode()
        return Response(self.status, body, {"Content-Type": "application/json", **API_VERSION, **self.headers})


# ECR API error -> (registry code, HTTP status) for the domain calls the registry shares with the API.
_FROM_AWS = {
    "RepositoryNotFoundException": ("NAME_UNKNOWN", 404),
    "ImageNotFoundException": ("MANIFEST_UNKNOWN", 404),
    "ImageTagAlreadyExistsException": ("TAG_INVALID", 400),
    "LayersNotFoundException": ("MANIFEST_BLOB_UNKNOWN", 400),
    "ReferencedImagesNotFoundException": ("MANIFEST_BLOB_UNKNOWN", 400),
    "ImageDigestDoesNotMatchException": ("DIGEST_INVALID", 400),
    "InvalidParameterException": ("MANIFEST_INVALID", 400),
}


def from_aws(error: AwsError) -> RegistryError:
    code, status = _FROM_AWS.get(error.code, ("UNKNOWN", 500))
    return RegistryError(code, error.message, status)


def blob_unknown(digest: str) -> RegistryError:
    return RegistryError("BLOB_UNKNOWN", "blob unknown to registry", 404, {"digest": digest})


def upload_unknown() -> RegistryError:
    return RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404)


def manifest_unknown(message: str = "Requested image not found") -> RegistryError:
    return RegistryError("MANIFEST_UNKNOWN", message, 404)


def digest_invalid(digest: str) -> RegistryError:
    return RegistryError("DIGEST_INVALID", "provided digest did not match uploaded content", 400, {"digest": digest})
