"""Tasks on Podman: a second dockyard whose engine is Podman's Docker-compatible service, driven through boto3.

The smaller end-to-end suite of issue 3 (the full one runs on Docker): exit codes, StopTask, a bridge port
answering HTTP, dependsOn ordering and captured output. Each test checks that its containers really were
Podman's (listed by ``podman ps``, not by Docker), and gone once the task stopped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Server, client_for, start_server, stop_server
from engines import EngineMissing, podman_url
from tasks_support import container, describe, http_get, register, run, wait_until

# No initProcessEnabled here: Podman's init (catatonit) is a package of its own, not installed with podman.
GRACEFUL = "trap 'echo got SIGTERM; exit 7' TERM; while true; do sleep 0.2; done"
# Podman answers slower than Docker, but a task here takes seconds, not minutes: fail in one.
PATIENCE = {"Delay": 0.2, "MaxAttempts": 300}


@pytest.fixture(scope="module")
def podman_server(tmp_path_factory: pytest.TempPathFactory, images: dict[str, str]) -> Iterator[Server]:
    try:
        url = podman_url()
    except EngineMissing as exc:
        pytest.fail(str(exc))
    server = start_server(tmp_path_factory.mktemp("dockyard-podman"), env={"DOCKYARD_ENGINE": url})
    yield server
    stop_server(server)


@pytest.fixture
def ecs(podman_server: Server) -> Any:
    podman_server.reset()
    client = client_for(podman_server.endpoint, "ecs")
    client.create_cluster(clusterName="default")
    return client


def wait(ecs: Any, arns: list[str] | str, status: str = "STOPPED") -> list[dict[str, Any]]:
    arns = [arns] if isinstance(arns, str) else arns
    ecs.get_waiter(f"tasks_{status.lower()}").wait(tasks=arns, WaiterConfig=PATIENCE)
    return ecs.describe_tasks(tasks=arns)["tasks"]


def podman_containers(task_arn: str, running: bool = False) -> list[str]:
    """Podman's containers of the task (only running ones with ``running``); Docker must have none of them."""
    label = f"label=dev.dockyard.task={task_arn}"
    found = [
        subprocess.run(
            [*cli, "ps", *([] if running else ["-a"]), "-q", "--filter", label],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        for cli in (["podman"], ["docker"])
    ]
    assert found[1] == [], "the task's containers are on Docker, not Podman"
    return found[0]


def output(server: Server, arn: str) -> dict[str, list[dict[str, Any]]]:
    found = server.get(f"/_dockyard/tasks/{arn.rsplit('/', 1)[1]}/logs")["containers"]
    return {c["name"]: c["lines"] for c in found}


def test_the_engine_is_podman(podman_server):
    def connected() -> dict[str, Any] | None:
        runtime = podman_server.get("/_dockyard/health")["runtime"]
        return runtime if runtime["status"] != "connecting" else None

    runtime = wait_until(connected, timeout_s=30)
    assert (runtime["status"], runtime["engine"]) == ("available", "podman")
    assert runtime["url"] == podman_url()


def test_exit_codes_and_output(ecs, podman_server):
    register(ecs, "ok", container("app", "sh", "-c", "echo hi; echo oops >&2"))
    register(ecs, "bad", container("app", "sh", "-c", "echo failing; exit 3"))
    ok, bad = run(ecs, "ok"), run(ecs, "bad")
    done = {t["taskArn"]: t for t in wait(ecs, [ok["taskArn"], bad["taskArn"]])}
    for arn, code in [(ok["taskArn"], 0), (bad["taskArn"], 3)]:
        task = done[arn]
        assert (task["stopCode"], task["stoppedReason"]) == (
            "EssentialContainerExited",
            "Essential container in task exited",
        )
        [c] = task["containers"]
        assert (c["lastStatus"], c["exitCode"]) == ("STOPPED", code)
        assert len(c["runtimeId"]) == 64
        assert task["createdAt"] <= task["startedAt"] <= task["stoppedAt"]
        assert podman_containers(arn, running=True) == []  # nothing runs at STOPPED; removal follows
        wait_until(lambda arn=arn: podman_containers(arn) == [], timeout_s=30)
    lines = output(podman_server, ok["taskArn"])["app"]
    assert sorted((line["stream"], line["message"]) for line in lines) == [("stderr", "oops"), ("stdout", "hi")]
    assert [line["message"] for line in output(podman_server, bad["taskArn"])["app"]] == ["failing"]


def test_stop_task_with_a_reason(ecs, podman_server):
    register(ecs, "sleeper", container("app", "sh", "-c", GRACEFUL))
    task = run(ecs, "sleeper")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    [runtime_id] = [c["runtimeId"] for c in running["containers"]]
    assert [runtime_id[:12]] == podman_containers(task["taskArn"])
    stopping = ecs.stop_task(task=task["taskArn"], reason="deploying v2")["task"]
    assert stopping["desiredStatus"] == "STOPPED"
    [done] = wait(ecs, task["taskArn"])
    assert (done["stopCode"], done["stoppedReason"]) == ("UserInitiated", "deploying v2")
    assert done["containers"][0]["exitCode"] == 7  # its SIGTERM handler ran: a graceful stop, not a SIGKILL
    assert podman_containers(task["taskArn"], running=True) == []
    wait_until(lambda: podman_containers(task["taskArn"]) == [], timeout_s=30)
    assert [line["message"] for line in output(podman_server, task["taskArn"])["app"]] == ["got SIGTERM"]


def test_bridge_dynamic_host_port_answers_http(ecs):
    register(
        ecs,
        "web",
        container(
            "app",
            "sh",
            "-c",
            "mkdir -p /www && echo hello from podman > /www/index.html && exec httpd -f -p 8080 -h /www",
            portMappings=[{"containerPort": 8080}],
            stopTimeout=2,  # httpd as PID 1 ignores SIGTERM
        ),
    )
    task = run(ecs, "web")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    [binding] = running["containers"][0]["networkBindings"]
    assert (binding["containerPort"], binding["protocol"]) == (8080, "tcp")
    assert binding["hostPort"] not in (0, 8080)  # dynamic: the engine chose it
    body = wait_until(lambda: http_get(f"http://127.0.0.1:{binding['hostPort']}/"), timeout_s=30)
    assert body == "hello from podman\n"
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


def test_depends_on_orders_two_containers(ecs, podman_server):
    register(
        ecs,
        "ordered",
        container("init", "sh", "-c", "sleep 1; echo first", essential=False),
        container("app", "echo", "second", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
    )
    task = run(ecs, "ordered")
    [done] = wait(ecs, task["taskArn"])
    assert {c["name"]: c["exitCode"] for c in done["containers"]} == {"init": 0, "app": 0}
    assert done["stopCode"] == "EssentialContainerExited"
    lines = output(podman_server, task["taskArn"])
    [first], [second] = lines["init"], lines["app"]
    assert (first["message"], second["message"]) == ("first", "second")
    # app started only once init had exited: its line comes after init's, which waited a second to print
    assert second["timestamp"] >= first["timestamp"]
    assert describe(ecs, task["taskArn"])["lastStatus"] == "STOPPED"


def test_concurrent_exits_are_all_seen(ecs):
    # Podman reports a container whose process has exited but is not cleaned up yet as State.Status "stopped"
    # (no exit code); a "die" event read while it is in that state must still stop the task.
    register(ecs, "exits", container("app", "sh", "-c", "exit 3", memory=16))
    arns = [t["taskArn"] for t in ecs.run_task(taskDefinition="exits", count=10)["tasks"]]
    done = wait(ecs, arns)
    assert [[c.get("exitCode") for c in t["containers"]] for t in done] == [[3]] * 10
    assert all(t["stopCode"] == "EssentialContainerExited" for t in done)


def test_a_container_killed_with_podman_kill_stops_its_task(ecs):
    register(ecs, "victim", container("app", "sh", "-c", "while true; do sleep 0.2; done", memory=16))
    task = run(ecs, "victim")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    subprocess.run(["podman", "kill", running["containers"][0]["runtimeId"]], check=True, capture_output=True)
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "EssentialContainerExited"
    assert done["containers"][0]["exitCode"] == 137
