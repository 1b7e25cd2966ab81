"""A smaller task suite on Podman's Docker-compatible API: the same launcher, another engine."""

from __future__ import annotations

import subprocess

import boto3
import pytest
from conftest import start_server, stop_server
from engines import EngineMissing, podman_url
from tasks_support import container, http_get, register, run, wait, wait_until


@pytest.fixture(scope="module")
def podman(tmp_path_factory, images):
    try:
        url = podman_url()
    except EngineMissing as exc:
        pytest.fail(str(exc))
    server = start_server(tmp_path_factory.mktemp("podman"), env={"DOCKYARD_ENGINE": url})
    yield server
    stop_server(server)


@pytest.fixture
def ecs(podman):
    podman.reset()
    client = boto3.client(
        "ecs",
        endpoint_url=podman.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_cluster(clusterName="default")
    return client


def test_echo_and_exit_code_on_podman(ecs, podman):
    register(ecs, "echo", container("app", "sh", "-c", "echo hi; exit 4"))
    task = run(ecs, "echo")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "EssentialContainerExited"
    assert done["containers"][0]["exitCode"] == 4
    lines = podman.get(f"/_dockyard/tasks/{task['taskArn'].rsplit('/', 1)[1]}/logs")["containers"][0]["lines"]
    assert [line["message"] for line in lines] == ["hi"]


def test_port_stop_and_kill_on_podman(ecs):
    register(
        ecs,
        "web",
        container(
            "app",
            "sh",
            "-c",
            "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www",
            portMappings=[{"containerPort": 8080}],
            stopTimeout=2,  # no init here: Podman on this machine has no catatonit
        ),
    )
    served, killed = run(ecs, "web"), run(ecs, "web")
    running = wait(ecs, [served["taskArn"], killed["taskArn"]], "RUNNING")
    port = running[0]["containers"][0]["networkBindings"][0]["hostPort"]
    assert wait_until(lambda: http_get(f"http://127.0.0.1:{port}/")) == "hello\n"
    subprocess.run(["podman", "kill", running[1]["containers"][0]["runtimeId"]], check=True, capture_output=True)
    ecs.stop_task(task=served["taskArn"])
    done = wait(ecs, [served["taskArn"], killed["taskArn"]])
    assert [t["stopCode"] for t in done] == ["UserInitiated", "EssentialContainerExited"]
    assert done[1]["containers"][0]["exitCode"] == 137
