"""Shared steps of the tests of the AWS around a task: run a task to its end, read a container's log stream."""

from __future__ import annotations

import time
from typing import Any

TERMINAL = "STOPPED"


def run(ecs: Any, family: str, containers: list[dict[str, Any]], **task_definition: Any) -> str:
    """Registers ``family`` with ``containers`` (memory defaulted) and runs it on EC2; returns the task ARN."""
    for container in containers:
        container.setdefault("memory", 256)
        container.setdefault("essential", True)
    ecs.create_cluster(clusterName="default")  # idempotent, as on AWS
    ecs.register_task_definition(family=family, containerDefinitions=containers, **task_definition)
    response = ecs.run_task(taskDefinition=family, launchType="EC2")
    assert response["failures"] == [], response["failures"]
    return response["tasks"][0]["taskArn"]


def wait_for(ecs: Any, task_arn: str, status: str = TERMINAL, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        task = ecs.describe_tasks(tasks=[task_arn])["tasks"][0]
        if task["lastStatus"] == status or task["lastStatus"] == TERMINAL or time.monotonic() > deadline:
            return task
        time.sleep(0.25)


def stream_events(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    """Every event of a stream, oldest first, following forward tokens to the end."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    for _ in range(1000):
        page = logs.get_log_events(**kwargs)
        events += page["events"]
        if page["nextForwardToken"] == kwargs.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextForwardToken"]
    raise AssertionError("GetLogEvents never reached the end of the stream")


def task_id(task_arn: str) -> str:
    return task_arn.rsplit("/", 1)[-1]


def awslogs(group: str, create: bool = True, **extra: str) -> dict[str, Any]:
    options = {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs", **extra}
    if create:
        options["awslogs-create-group"] = "true"
    return {"logDriver": "awslogs", "options": options}
