"""podman against the registry: login, push (OCI manifest), pull back; podman uses its own temporary storage
and auth file, never the user's."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_client import OCI_MANIFEST, RegistryClient, password_for


class Podman:
    def __init__(self, tmp: Path) -> None:
        self.base = ["podman", "--root", str(tmp / "root"), "--runroot", str(tmp / "run"), "--storage-driver", "vfs"]
        self.authfile = str(tmp / "auth.json")

    def cleanup(self) -> None:
        self("rmi", "--all", "--force", check=False)

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([*self.base, *args], input=stdin, capture_output=True, text=True, timeout=240)
        if check and proc.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture
def podman() -> Iterator[Podman]:
    # podman limits the run root's path to 50 characters: pytest's tmp_path is too long
    tmp = Path(tempfile.mkdtemp(prefix="dky-podman-", dir="/tmp"))
    engine = Podman(tmp)
    yield engine
    engine.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


def test_podman_login_push_pull(clean, aws, server, podman, tmp_path):
    ecr = aws("ecr")
    ecr.create_repository(repositoryName="pod/app")
    registry = f"127.0.0.1:{server.port}"
    tls = "--tls-verify=false"
    podman(
        "login", tls, "--authfile", podman.authfile, "-u", "AWS", "--password-stdin", registry, stdin=password_for(ecr)
    )
    podman("pull", "docker-daemon:dockyard-test/busybox:latest")
    remote = f"{registry}/pod/app:v1"
    podman("tag", "dockyard-test/busybox:latest", remote)
    podman("push", tls, "--authfile", podman.authfile, "--format", "oci", remote)
    detail = ecr.describe_images(repositoryName="pod/app")["imageDetails"][0]
    assert detail["imageTags"] == ["v1"]
    assert detail["imageManifestMediaType"] == OCI_MANIFEST
    podman("rmi", "-f", remote, "dockyard-test/busybox:latest")
    podman("pull", tls, "--authfile", podman.authfile, remote)
    inspected = podman("image", "inspect", remote, "--format", "{{.Digest}}").stdout.strip()
    assert inspected == detail["imageDigest"]
    # without the auth file podman is refused
    refused = podman("pull", tls, "--authfile", str(tmp_path / "none.json"), remote, check=False)
    assert refused.returncode != 0
    reg = RegistryClient(server.port, password_for(ecr))
    assert reg.request("GET", "/v2/pod/app/tags/list").json["tags"] == ["v1"]
