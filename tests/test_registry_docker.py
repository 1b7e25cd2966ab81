"""End to end with the real docker CLI (a temporary DOCKER_CONFIG, never ~/.docker): login both ways, push a
multi-layer image built locally, pull it back, a second repository, deletes, immutable tags, concurrent pushes."""

from __future__ import annotations

import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from registry_client import password_for

BASE = "dockyard-test/busybox:latest"
DOCKERFILE = f"""FROM {BASE}
RUN echo one > /one
RUN seq 1 20000 > /two
RUN head -c 200000 /dev/urandom > /three
ARG stamp
RUN echo $stamp > /stamp
"""


class Docker:
    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env, "DOCKER_CONFIG": str(config)}

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=240)
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture
def docker(tmp_path):
    return Docker(tmp_path / "docker-config", {})


@pytest.fixture
def ecr(clean, aws):
    return aws("ecr")


@pytest.fixture
def registry(server) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
def built(tmp_path, docker):
    """A locally built image with several RUN layers on the busybox base; removed afterwards."""
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE)
    tag = f"dockyard-test/ecr-e2e:{uuid.uuid4().hex[:8]}"
    image_id = docker("build", "--network", "none", "-q", "--build-arg", f"stamp={tag}", "-t", tag, str(context))
    yield tag
    # by id: also drops the <registry>/<repo>@digest references pushes and pulls left behind
    docker("rmi", "-f", image_id.stdout.strip().splitlines()[-1], check=False)


def login(docker: Docker, ecr, registry: str) -> None:
    docker("login", "-u", "AWS", "--password-stdin", registry, stdin=password_for(ecr))


def test_docker_login_both_ways_and_bad_password(docker, ecr, registry, cli):
    password = cli("ecr", "get-login-password")
    assert password.returncode == 0, password.stderr
    assert ":" not in password.stdout.strip()
    out = docker("login", "-u", "AWS", "--password-stdin", registry, stdin=password.stdout)
    assert "Login Succeeded" in out.stdout
    out = docker("login", "-u", "AWS", "-p", password_for(ecr), f"http://{registry}")
    assert "Login Succeeded" in out.stdout
    bad = docker("login", "-u", "AWS", "-p", "forged.token", registry, check=False)
    assert bad.returncode != 0
    assert "unauthorized" in (bad.stderr + bad.stdout).lower()


def test_push_pull_second_repo_and_deletes(docker, ecr, registry, built):
    ecr.create_repository(repositoryName="team/app")
    ecr.create_repository(repositoryName="team/copy")
    login(docker, ecr, registry)
    remote = f"{registry}/team/app:v1"
    docker("tag", built, remote)
    pushed = docker("push", remote).stdout
    assert "digest: sha256:" in pushed
    digest = pushed.split("digest: ")[1].split()[0]
    detail = ecr.describe_images(repositoryName="team/app")["imageDetails"][0]
    assert (detail["imageDigest"], detail["imageTags"]) == (digest, ["v1"])
    assert detail["imageSizeInBytes"] > 200_000

    # pull it back after deleting it (and its layers) locally
    docker("rmi", "-f", remote, built)
    docker("pull", remote)
    assert docker("run", "--rm", "--network", "none", remote, "cat", "/one").stdout.strip() == "one"
    assert docker("run", "--rm", "--network", "none", remote, "cat", "/stamp").stdout.strip() == built

    # the same layers into a second repository: mounted, not uploaded again
    copy = f"{registry}/team/copy:v1"
    docker("tag", remote, copy)
    second = docker("push", copy).stdout
    assert "Mounted from team/app" in second or "Layer already exists" in second
    assert f"digest: {digest}" in second

    # delete by tag, then by digest
    ecr.batch_delete_image(repositoryName="team/app", imageIds=[{"imageTag": "v1"}])
    docker("rmi", "-f", remote)
    assert docker("pull", remote, check=False).returncode != 0
    ecr.batch_delete_image(repositoryName="team/copy", imageIds=[{"imageDigest": digest}])
    docker("rmi", "-f", copy)
    failed = docker("pull", f"{registry}/team/copy@{digest}", check=False)
    assert failed.returncode != 0
    assert "not found" in failed.stderr.lower() or "unknown" in failed.stderr.lower()
    docker("rmi", "-f", remote, copy, check=False)


def test_immutable_tag_push_is_refused(docker, ecr, registry, built, tmp_path):
    ecr.create_repository(repositoryName="locked", imageTagMutability="IMMUTABLE")
    login(docker, ecr, registry)
    docker("tag", built, f"{registry}/locked:v1")
    docker("push", f"{registry}/locked:v1")
    other = f"{built}-other"
    docker("build", "--network", "none", "-q", "--build-arg", "stamp=other", "-t", other, str(tmp_path / "context"))
    docker("tag", other, f"{registry}/locked:v1")
    refused = docker("push", f"{registry}/locked:v1", check=False)
    assert refused.returncode != 0
    assert (
        "The image tag 'v1' already exists in the 'locked' repository and cannot be overwritten because the "
        "repository is immutable." in refused.stderr
    )
    docker("rmi", "-f", other, f"{registry}/locked:v1", check=False)


def test_concurrent_pushes_share_layers(docker, ecr, registry, built):
    ecr.create_repository(repositoryName="busy")
    login(docker, ecr, registry)
    tags = [f"{registry}/busy:c{i}" for i in range(3)]
    for tag in tags:
        docker("tag", built, tag)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda t: docker("push", t, check=False), tags))
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    listed = ecr.list_images(repositoryName="busy")["imageIds"]
    assert sorted(i["imageTag"] for i in listed) == ["c0", "c1", "c2"]
    assert len({i["imageDigest"] for i in listed}) == 1
    docker("rmi", "-f", *tags, check=False)


def test_push_to_missing_repository_names_it(docker, ecr, registry, built):
    login(docker, ecr, registry)
    docker("tag", built, f"{registry}/nowhere:v1")
    failed = docker("push", f"{registry}/nowhere:v1", check=False)
    assert failed.returncode != 0
    assert "The repository with name 'nowhere' does not exist" in failed.stderr
    docker("rmi", "-f", f"{registry}/nowhere:v1", check=False)
