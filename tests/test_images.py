"""The locally built test images run in every engine and carry what the tests expect of them."""

from __future__ import annotations

import subprocess

import pytest

from tests import images as test_images
from tests.images import BUSYBOX, PYTHON


def engine_run(cli: str, image: str, *command: str) -> str:
    """Runs through the engine's Docker API (the docker CLI), as dockyard does; for Podman, its service."""
    api = ["docker"] if cli == "docker" else ["docker", "-H", f"unix://{test_images.PODMAN_SOCKET}"]
    proc = subprocess.run([*api, "run", "--rm", "--network", "none", image, *command], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module", params=["docker", "podman"])
def engine(request, images):
    if request.param not in test_images.engines():
        pytest.fail(f"{request.param} does not answer")
    return request.param


def test_fixture_names_the_images(images):
    assert images == {"busybox": BUSYBOX, "python": PYTHON}


def test_images_are_labelled_with_their_recipe(engine):
    for image in test_images.IMAGES.values():
        assert test_images.current_key(engine, image.tag) == image.key()


def test_busybox_applets_and_users(engine):
    out = engine_run(engine, BUSYBOX, "sh", "-c", "echo hi; seq 3 | head -n 1; id -u nobody; ls /usr/bin/env")
    assert out.split() == ["hi", "1", "65534", "/usr/bin/env"]


def test_python_has_boto3_and_the_aws_cli(engine):
    out = engine_run(engine, PYTHON, "sh", "-c", "python3 -c 'import boto3; print(boto3.__version__)'; aws --version")
    assert out.split()[0] == "1.43.11"
    assert "aws-cli/1.45.11" in out
