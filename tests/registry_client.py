"""A minimal registry v2 client over http.client for the registry and ECR tests (no mocks: real HTTP)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from dataclasses import dataclass
from typing import Any

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> str:
        return self.json["errors"][0]["code"]


class RegistryClient:
    def __init__(self, port: int, password: str | None = None, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.auth = (
            {"Authorization": "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()} if password else {}
        )

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                method, path, body=body, headers={"Host": f"{self.host}:{self.port}", **self.auth, **(headers or {})}
            )
            response = conn.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def push_blob(self, repo: str, data: bytes) -> str:
        d = digest(data)
        reply = self.request("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data)
        assert reply.status == 201, reply
        return d

    def push_manifest(self, repo: str, ref: str, manifest: dict[str, Any], media_type: str = DOCKER_V2) -> Reply:
        return self.request(
            "PUT", f"/v2/{repo}/manifests/{ref}", json.dumps(manifest).encode(), {"Content-Type": media_type}
        )

    def push_image(self, repo: str, tag: str, layers: list[bytes], config: bytes | None = None) -> tuple[str, dict]:
        """Pushes blobs and a schema-2 manifest; returns (manifest digest, manifest)."""
        config = config or json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers"}}).encode()
        manifest = image_manifest(config, layers)
        for blob in [config, *layers]:
            self.push_blob(repo, blob)
        reply = self.push_manifest(repo, tag, manifest)
        assert reply.status == 201, reply
        return reply.headers["docker-content-digest"], manifest


def image_manifest(config: bytes, layers: list[bytes]) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": DOCKER_V2,
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(config),
            "digest": digest(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(layer),
                "digest": digest(layer),
            }
            for layer in layers
        ],
    }


def password_for(ecr: Any) -> str:
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":")
    assert user == "AWS"
    return password
