"""ECS's view of ECR: an AWS-style image name resolves to a pull from dockyard's registry, done by the real
engine with credentials dockyard issues itself (no docker login, no docker config)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.parse

import aiodocker
import pytest
from registry_client import RegistryClient, password_for
from tasks_support import container, logs, register, run, wait

from tests.images import BUSYBOX


@pytest.fixture
def ecr(clean, aws):
    return aws("ecr", region="eu-west-1", account="123456789012")


def resolve(server, image: str, **scope: str) -> tuple[int, dict]:
    query = urllib.parse.urlencode({"image": image, **scope})
    try:
        return 200, server.get(f"/_dockyard/ecr/resolve?{query}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def engine_pull(ref: str, auth: dict[str, str]) -> list[str]:
    docker = aiodocker.Docker()
    try:
        await docker.images.pull(ref, auth=auth)
        image = await docker.images.inspect(ref)
        await docker.images.delete(ref, force=True)
        return image["RepoDigests"]
    finally:
        await docker.close()


def test_aws_style_names_resolve_and_pull_with_dockyard_credentials(server, ecr):
    ecr.create_repository(repositoryName="team/web")
    reg = RegistryClient(server.port, password_for(ecr))
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "config": {}}
    ).encode()
    digest, _ = reg.push_image("team/web", "v1", [], config=config)
    name = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web"
    for image in (f"{name}:v1", f"{name}@{digest}"):
        status, found = resolve(server, image)
        assert status == 200, found
        assert found["digest"] == digest
        assert found["pull"] == f"127.0.0.1:{server.port}/team/web@{digest}"
        assert found["auth"]["username"] == "AWS"
        assert f"127.0.0.1:{server.port}/team/web@{digest}" in asyncio.run(engine_pull(found["pull"], found["auth"]))
    # the repositoryUri form resolves in the task's own account and region
    status, found = resolve(server, f"127.0.0.1:{server.port}/team/web:v1", account="123456789012", region="eu-west-1")
    assert (status, found["digest"]) == (200, digest)


def test_missing_images_give_cannot_pull_reasons(server, ecr):
    ecr.create_repository(repositoryName="team/web")
    name = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:nope"
    assert resolve(server, name) == (
        404,
        {
            "reason": f"CannotPullContainerError: Error response from daemon: manifest for {name} not found: "
            "manifest unknown: Requested image not found"
        },
    )
    status, body = resolve(server, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ghost:v1")
    assert status == 404
    assert "The repository with name 'ghost' does not exist in the registry with id '123456789012'" in body["reason"]
    # not an ECR image: left to the engine
    assert resolve(server, "dockyard-test/busybox:latest")[0] == 404


def push_busybox(tmp_path, ecr, server, repo: str, tag: str) -> str:
    """Pushes the test busybox image with the docker CLI (temporary DOCKER_CONFIG); returns its digest."""
    env = {**os.environ, "DOCKER_CONFIG": str(tmp_path / "docker-config")}
    remote = f"127.0.0.1:{server.port}/{repo}:{tag}"

    def docker(*args: str, stdin: str | None = None) -> str:
        proc = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    docker("login", "-u", "AWS", "--password-stdin", f"127.0.0.1:{server.port}", stdin=password_for(ecr))
    docker("tag", BUSYBOX, remote)
    out = docker("push", remote)
    docker("rmi", remote)
    return out.split("digest: ")[1].split()[0]


def test_run_task_pulls_from_ecr(clean, server, aws, images, tmp_path):
    ecr, ecs = aws("ecr", account="123456789012"), aws("ecs", account="123456789012")
    ecr.create_repository(repositoryName="team/job")
    digest = push_busybox(tmp_path, ecr, server, "team/job", "v1")
    ecs.create_cluster(clusterName="default")
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/job"
    td = register(
        ecs,
        "ecr-job",
        container("app", "echo", "from ecr", image=f"{image}:v1"),
        container("pinned", "true", image=f"{image}@{digest}", essential=False),
    )
    task = wait(ecs, run(ecs, td)["taskArn"])[0]
    by_name = {c["name"]: c for c in task["containers"]}
    assert by_name["app"]["exitCode"] == 0, task
    assert by_name["app"]["image"] == f"{image}:v1"
    assert by_name["app"]["imageDigest"] == digest
    assert by_name["pinned"]["imageDigest"] == digest
    assert logs(server, task["taskArn"]) == ["from ecr"]
    subprocess.run(["docker", "rmi", "-f", f"127.0.0.1:{server.port}/team/job@{digest}"], capture_output=True)


def test_run_task_with_missing_ecr_image_cannot_pull(clean, server, aws, images):
    ecr, ecs = aws("ecr", account="123456789012"), aws("ecs", account="123456789012")
    ecr.create_repository(repositoryName="team/job")
    ecs.create_cluster(clusterName="default")
    td = register(
        ecs, "ecr-missing", container("app", image="123456789012.dkr.ecr.us-east-1.amazonaws.com/team/job:nope")
    )
    task = wait(ecs, run(ecs, td)["taskArn"])[0]
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    assert "Requested image not found" in task["stoppedReason"]
    assert "Requested image not found" in task["containers"][0]["reason"]
