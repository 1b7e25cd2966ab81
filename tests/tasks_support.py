"""Shared by the task tests: task definitions on the test busybox image, waiting, and looking at the engine."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from typing import Any

from tests.images import BUSYBOX

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-12345678"], "securityGroups": ["sg-12345678"]}}
FAST = {"Delay": 0.2, "MaxAttempts": 600}  # waiters: poll often, give up after ~2 minutes


def container(name: str = "app", *command: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": BUSYBOX, "memory": 64, **({"command": list(command)} if command else {}), **fields}


def register(ecs: Any, family: str, *containers: dict[str, Any], mode: str = "bridge", **fields: Any) -> str:
    if mode == "awsvpc":
        fields = {"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512", **fields}
    td = ecs.register_task_definition(
        family=family, networkMode=mode, containerDefinitions=list(containers) or [container()], **fields
    )
    return td["taskDefinition"]["taskDefinitionArn"]


def run(ecs: Any, td: str, **fields: Any) -> dict[str, Any]:
    reply = ecs.run_task(taskDefinition=td, **fields)
    assert reply["failures"] == []
    return reply["tasks"][0]


def describe(ecs: Any, arn: str, **fields: Any) -> dict[str, Any]:
    return ecs.describe_tasks(tasks=[arn], **fields)["tasks"][0]


def wait(ecs: Any, arns: list[str] | str, status: str = "STOPPED") -> list[dict[str, Any]]:
    arns = [arns] if isinstance(arns, str) else arns
    for start in range(0, len(arns), 100):
        ecs.get_waiter(f"tasks_{status.lower()}").wait(tasks=arns[start : start + 100], WaiterConfig=FAST)
    return [
        t for start in range(0, len(arns), 100) for t in ecs.describe_tasks(tasks=arns[start : start + 100])["tasks"]
    ]


def wait_until(check: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def logs(server: Any, arn: str, name: str = "app") -> list[str]:
    found = server.get(f"/_dockyard/tasks/{arn.rsplit('/', 1)[1]}/logs?container={name}")["containers"]
    return [line["message"] for line in found[0]["lines"]]


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=60).stdout


def inspect(container_id: str) -> dict[str, Any]:
    return json.loads(docker("inspect", container_id))[0]


def engine_objects(task_arn: str, running: bool = False) -> str:
    """Containers (only running ones with ``running``) and volumes on the engine that belong to the task."""
    label = f"label=dev.dockyard.task={task_arn}"
    if running:
        return docker("ps", "-q", "--filter", label)
    return docker("ps", "-aq", "--filter", label) + docker("volume", "ls", "-q", "--filter", label)


def assert_cleaned_up(*task_arns: str) -> None:
    """Call at STOPPED: nothing of the tasks runs any more, and their containers and volumes go soon after."""
    assert [engine_objects(arn, running=True) for arn in task_arns] == [""] * len(task_arns)
    wait_until(lambda: all(engine_objects(arn) == "" for arn in task_arns), timeout_s=30)


def http_get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except OSError:
        return None
