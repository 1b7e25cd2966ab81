"""The task API's shapes, validation, idempotency and listings (../shared/aws-ecs-behaviour.md §1.5-1.7, §2.6).

Tasks here run ``sleep`` on the busybox image and are stopped promptly (init process: SIGTERM ends them).
"""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError
from tasks_support import AWSVPC, container, describe, register, run, wait

SLEEP = container("app", "sleep", "300", linuxParameters={"initProcessEnabled": True})
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def ecs(clean, aws, images):
    client = aws("ecs")
    client.create_cluster(clusterName="default")
    return client


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_run_task_fargate_shape(ecs):
    td = register(ecs, "web", SLEEP, container("side", "sleep", "300", essential=False), mode="awsvpc")
    reply = ecs.run_task(
        taskDefinition="web", networkConfiguration=AWSVPC, startedBy="me", tags=[{"key": "k", "value": "v"}]
    )
    task = reply["tasks"][0]
    assert reply["failures"] == []
    task_id = task["taskArn"].rsplit("/", 1)[1]
    assert HEX32.match(task_id)
    assert task["taskArn"] == f"arn:aws:ecs:us-east-1:000000000000:task/default/{task_id}"
    assert task["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/default"
    assert task["taskDefinitionArn"] == td
    assert task["lastStatus"] == "PROVISIONING"
    assert task["desiredStatus"] == "RUNNING"
    assert task["launchType"] == "FARGATE"
    assert task["platformVersion"] == "1.4.0"
    assert (task["cpu"], task["memory"]) == ("256", "512")
    assert task["group"] == "family:web"
    assert task["startedBy"] == "me"
    assert task["version"] == 1
    assert task["tags"] == [{"key": "k", "value": "v"}]  # RunTask answers with the tags, DescribeTasks on request
    assert task["overrides"] == {
        "containerOverrides": [{"name": "app"}, {"name": "side"}],
        "inferenceAcceleratorOverrides": [],
    }
    [eni] = task["attachments"]
    assert eni["type"] == "ElasticNetworkInterface"
    assert {d["name"] for d in eni["details"]} >= {"subnetId", "networkInterfaceId", "macAddress"}
    assert [c["name"] for c in task["containers"]] == ["app", "side"]
    for c in task["containers"]:
        assert re.match(
            rf"^arn:aws:ecs:us-east-1:000000000000:container/default/{task_id}/[0-9a-f-]{{36}}$", c["containerArn"]
        )
        assert c["taskArn"] == task["taskArn"]
        assert c["lastStatus"] == "PENDING"
        assert c["healthStatus"] == "UNKNOWN"
    assert describe(ecs, task["taskArn"], include=["TAGS"])["tags"] == [{"key": "k", "value": "v"}]
    assert "tags" not in describe(ecs, task["taskArn"])
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    [eni] = running["attachments"]
    assert eni["status"] == "ATTACHED"
    address = next(d["value"] for d in eni["details"] if d["name"] == "privateIPv4Address")
    assert running["containers"][0]["networkInterfaces"] == [{"attachmentId": eni["id"], "privateIpv4Address": address}]
    assert running["connectivity"] == "CONNECTED"
    assert running["version"] > 1
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


def test_run_task_bridge_is_pending_on_ec2(ecs):
    register(ecs, "plain", SLEEP)
    task = run(ecs, "plain")
    assert task["lastStatus"] == "PENDING"
    assert task["launchType"] == "EC2"
    assert task["attachments"] == []
    assert "platformVersion" not in task
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"taskDefinition": "nope"}, ("ClientException", "TaskDefinition not found.")),
        ({"cluster": "nope"}, ("ClusterNotFoundException", "Cluster not found.")),
        ({"launchType": "FARGATE"}, ("ClientException", "Task definition does not support launch_type FARGATE.")),
        (
            {"overrides": {"containerOverrides": [{"name": "ghost", "command": ["x"]}]}},
            (
                "InvalidParameterException",
                "Override for container named ghost is not a container in the TaskDefinition.",
            ),
        ),
        ({"count": 11}, ("InvalidParameterException", "count must be between 1 and 10.")),
    ],
)
def test_run_task_rejects_bad_input_and_starts_nothing(ecs, fields, expected):
    register(ecs, "plain", SLEEP)
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(**{"taskDefinition": "plain", **fields})
    assert code(excinfo) == expected
    assert ecs.list_tasks()["taskArns"] == []


def test_awsvpc_needs_network_configuration(ecs):
    register(ecs, "web", SLEEP, mode="awsvpc")
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(taskDefinition="web")
    assert code(excinfo) == (
        "InvalidParameterException",
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    )


def test_inactive_definition_cannot_run(ecs):
    td = register(ecs, "old", SLEEP)
    ecs.deregister_task_definition(taskDefinition=td)
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(taskDefinition=td)
    assert code(excinfo) == ("ClientException", "TaskDefinition is inactive")


def test_count_and_client_token(ecs):
    register(ecs, "plain", SLEEP)
    first = ecs.run_task(taskDefinition="plain", count=3, clientToken="tok-1")["tasks"]
    assert len({t["taskArn"] for t in first}) == 3
    again = ecs.run_task(taskDefinition="plain", count=3, clientToken="tok-1")["tasks"]
    assert [t["taskArn"] for t in again] == [t["taskArn"] for t in first]
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(taskDefinition="plain", count=2, clientToken="tok-1")
    assert excinfo.value.response["Error"]["Code"] == "ConflictException"
    assert excinfo.value.response["resourceIds"] == [t["taskArn"] for t in first]
    assert len(ecs.list_tasks()["taskArns"]) == 3
    for t in first:
        ecs.stop_task(task=t["taskArn"])
    wait(ecs, [t["taskArn"] for t in first])


def test_overrides_are_echoed(ecs):
    register(ecs, "plain", SLEEP, container("side", "true", essential=False))
    overrides = {
        "containerOverrides": [{"name": "app", "command": ["sleep", "1"], "memory": 32}],
        "cpu": "512",
        "memory": "256",
        "taskRoleArn": "arn:aws:iam::000000000000:role/r",
    }
    task = run(ecs, "plain", overrides=overrides)
    assert task["overrides"] == {
        "containerOverrides": [{"name": "app", "command": ["sleep", "1"], "memory": 32}, {"name": "side"}],
        "cpu": "512",
        "memory": "256",
        "taskRoleArn": "arn:aws:iam::000000000000:role/r",
        "inferenceAcceleratorOverrides": [],
    }
    assert (task["cpu"], task["memory"]) == ("512", "256")
    assert task["containers"][0]["memory"] == "32"
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


def test_describe_tasks_missing_and_errors(ecs):
    missing = "arn:aws:ecs:us-east-1:000000000000:task/default/" + "0" * 32
    reply = ecs.describe_tasks(tasks=[missing, "f" * 32])
    assert reply["tasks"] == []
    assert reply["failures"] == [{"arn": missing, "reason": "MISSING"}, {"arn": "f" * 32, "reason": "MISSING"}]
    with pytest.raises(ClientError) as excinfo:
        ecs.describe_tasks(tasks=[])
    assert code(excinfo) == ("InvalidParameterException", "Tasks cannot be empty.")
    with pytest.raises(ClientError) as excinfo:
        ecs.describe_tasks(cluster="nope", tasks=[missing])
    assert code(excinfo)[0] == "ClusterNotFoundException"


def test_stop_task(ecs):
    register(ecs, "plain", SLEEP)
    task = run(ecs, "plain", tags=[{"key": "k", "value": "v"}])
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_task(task="0" * 32)
    assert code(excinfo) == ("InvalidParameterException", "The referenced task was not found.")
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_task(task="not-a-task")
    assert code(excinfo) == ("InvalidParameterException", "Task Identifier is invalid")
    stopped = ecs.stop_task(task=task["taskArn"].rsplit("/", 1)[1], reason="done here")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "done here"
    assert "stoppingAt" in stopped
    [final] = wait(ecs, task["taskArn"])
    assert final["stoppedReason"] == "done here"
    assert describe(ecs, task["taskArn"], include=["TAGS"])["tags"] == []  # StopTask deletes the task's tags
    # stopping a stopped task answers it unchanged
    assert ecs.stop_task(task=task["taskArn"])["task"]["version"] == final["version"]


def test_start_task_without_container_instances(ecs):
    register(ecs, "plain", SLEEP)
    instance = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/" + "a" * 32
    reply = ecs.start_task(taskDefinition="plain", containerInstances=[instance])
    assert reply == {**reply, "tasks": [], "failures": [{"arn": instance, "reason": "MISSING"}]}
    assert ecs.list_tasks()["taskArns"] == []


def test_list_tasks_filters_and_pages(ecs):
    register(ecs, "a", SLEEP)
    register(ecs, "b", SLEEP)
    a = [t["taskArn"] for t in ecs.run_task(taskDefinition="a", count=3, startedBy="robot")["tasks"]]
    b = run(ecs, "b")["taskArn"]
    assert sorted(ecs.list_tasks()["taskArns"]) == sorted([*a, b])
    assert sorted(ecs.list_tasks(family="a")["taskArns"]) == sorted(a)
    assert sorted(ecs.list_tasks(startedBy="robot")["taskArns"]) == sorted(a)
    assert ecs.list_tasks(launchType="FARGATE")["taskArns"] == []
    assert ecs.list_tasks(desiredStatus="PENDING")["taskArns"] == []
    with pytest.raises(ClientError) as excinfo:
        ecs.list_tasks(startedBy="robot", family="a")
    assert code(excinfo)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        ecs.list_tasks(serviceName="nope")
    assert code(excinfo)[0] == "ServiceNotFoundException"
    pages = list(ecs.get_paginator("list_tasks").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["taskArns"]) for p in pages] == [3, 1]
    assert "nextToken" not in pages[-1]
    ecs.stop_task(task=b)
    assert ecs.list_tasks(desiredStatus="STOPPED")["taskArns"] == [b]
    assert b not in ecs.list_tasks()["taskArns"]
    for arn in a:
        ecs.stop_task(task=arn)
    wait(ecs, [*a, b])


def test_tag_resource_on_tasks(ecs):
    register(ecs, "plain", SLEEP)
    arn = run(ecs, "plain")["taskArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "x"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "x"}]
    ecs.stop_task(task=arn)
    wait(ecs, arn)


def test_introspection_lists_tasks(ecs, server):
    register(ecs, "plain", SLEEP)
    arn = run(ecs, "plain")["taskArn"]
    assert arn in [t["taskArn"] for t in server.get("/_dockyard/tasks")["tasks"]]
    assert server.get(f"/_dockyard/tasks/{arn.rsplit('/', 1)[1]}")["task"]["taskArn"] == arn
    ecs.stop_task(task=arn)
    wait(ecs, arn)
