"""ECS's view of ECR: an AWS-style image name resolves to a pull from dockyard's registry, done by the real
engine with credentials dockyard issues itself (no docker login, no docker config)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse

import aiodocker
import pytest
from registry_client import RegistryClient, password_for


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
