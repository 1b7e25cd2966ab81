"""Task definitions through boto3: defaults AWS fills in, revisions, statuses, listings and AWS's errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def container(**extra):
    return {"name": "app", "image": "busybox", "memory": 128, **extra}


def register(ecs, family="web", containers=None, **extra):
    return ecs.register_task_definition(family=family, containerDefinitions=containers or [container()], **extra)


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_register_fills_in_aws_defaults(clean, ecs):
    td = register(
        ecs,
        containers=[container(portMappings=[{"containerPort": 80}], healthCheck={"command": ["CMD", "true"]})],
        tags=[{"key": "team", "value": "a"}],
    )
    assert td["tags"] == [{"key": "team", "value": "a"}]
    td = td["taskDefinition"]
    assert td["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"
    assert (td["family"], td["revision"], td["status"]) == ("web", 1, "ACTIVE")
    assert td["registeredBy"] == "arn:aws:iam::000000000000:root"
    assert td["compatibilities"] == ["EXTERNAL", "EC2"]
    assert td["volumes"] == [] and td["placementConstraints"] == []
    c = td["containerDefinitions"][0]
    assert c["essential"] is True and c["cpu"] == 0
    for name in ("environment", "mountPoints", "volumesFrom", "systemControls", "environmentFiles", "ulimits"):
        assert c[name] == []
    assert c["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]
    assert c["healthCheck"] == {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3}
    assert "networkMode" not in td and "cpu" not in td
    # a healthCheck needs the agent capability; a definition without one needs none and omits the member
    assert {"name": "ecs.capability.container-health-check"} in td["requiresAttributes"]
    plain = register(ecs, family="plain")["taskDefinition"]
    assert "requiresAttributes" not in plain


def test_fargate_definition_normalises_cpu_memory_and_ports(clean, ecs):
    td = register(
        ecs,
        containers=[{"name": "app", "image": "busybox", "portMappings": [{"containerPort": 8080, "protocol": "udp"}]}],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="1 vCPU",
        memory="2GB",
    )["taskDefinition"]
    assert (td["cpu"], td["memory"]) == ("1024", "2048")
    assert td["compatibilities"] == ["EC2", "FARGATE"]
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert {"name": "ecs.capability.task-eni"} in td["requiresAttributes"]
    assert td["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "udp"}
    ]


def test_revisions_only_increase_even_after_delete(clean, ecs):
    register(ecs)
    register(ecs)
    ecs.deregister_task_definition(taskDefinition="web:2")
    deleted = ecs.delete_task_definitions(taskDefinitions=["web:2"])
    assert [t["status"] for t in deleted["taskDefinitions"]] == ["DELETE_IN_PROGRESS"]
    assert "deleteRequestedAt" in deleted["taskDefinitions"][0]
    assert register(ecs)["taskDefinition"]["revision"] == 3
    assert register(ecs, family="other")["taskDefinition"]["revision"] == 1


def test_describe_by_family_revision_and_arn(clean, ecs):
    arn1 = register(ecs)["taskDefinition"]["taskDefinitionArn"]
    register(ecs, tags=[{"key": "k", "value": "v"}])
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 2
    assert ecs.describe_task_definition(taskDefinition=arn1)["taskDefinition"]["revision"] == 1
    ecs.deregister_task_definition(taskDefinition="web:2")
    # the family now resolves to the latest ACTIVE revision; the INACTIVE one stays describable
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 1
    inactive = ecs.describe_task_definition(taskDefinition="web:2", include=["TAGS"])
    assert inactive["taskDefinition"]["status"] == "INACTIVE"
    assert "deregisteredAt" in inactive["taskDefinition"]
    assert inactive["tags"] == [{"key": "k", "value": "v"}]
    assert "tags" not in ecs.describe_task_definition(taskDefinition="web:2")


@pytest.mark.parametrize("ref", ["nope", "web:9", "web:x", "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:1"])
def test_describe_unknown_is_a_client_exception(clean, ecs, ref):
    register(ecs)
    assert error_of(ecs.describe_task_definition, taskDefinition=ref) == (
        "ClientException",
        "Unable to describe task definition.",
    )


def test_deregister_needs_a_revision_and_an_existing_definition(clean, ecs):
    register(ecs)
    code, _ = error_of(ecs.deregister_task_definition, taskDefinition="web")
    assert code == "ClientException"
    code, _ = error_of(ecs.deregister_task_definition, taskDefinition="web:7")
    assert code == "ClientException"
    assert ecs.deregister_task_definition(taskDefinition="web:1")["taskDefinition"]["status"] == "INACTIVE"


def test_delete_reports_failures_per_reference(clean, ecs):
    register(ecs)
    register(ecs)
    ecs.deregister_task_definition(taskDefinition="web:1")
    out = ecs.delete_task_definitions(taskDefinitions=["web:1", "web:2", "web:5", "web"])
    assert [t["revision"] for t in out["taskDefinitions"]] == [1]
    reasons = {f["arn"]: f["reason"] for f in out["failures"]}
    assert "still in ACTIVE status" in reasons["arn:aws:ecs:us-east-1:000000000000:task-definition/web:2"]
    assert "does not exist" in reasons["web:5"]
    assert "identifier is invalid" in reasons["web"]
    statuses = ecs.list_task_definitions(status="DELETE_IN_PROGRESS")["taskDefinitionArns"]
    assert statuses == ["arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"]


def test_list_filters_sorts_and_paginates(clean, ecs):
    for family in ("b", "a", "b", "a", "c"):
        register(ecs, family=family)
    ecs.deregister_task_definition(taskDefinition="c:1")
    names = [a.rsplit("/", 1)[1] for a in ecs.list_task_definitions()["taskDefinitionArns"]]
    assert names == ["a:1", "a:2", "b:1", "b:2"]
    desc = [a.rsplit("/", 1)[1] for a in ecs.list_task_definitions(sort="DESC")["taskDefinitionArns"]]
    assert desc == ["b:2", "b:1", "a:2", "a:1"]
    only_b = ecs.list_task_definitions(familyPrefix="b")["taskDefinitionArns"]
    assert len(only_b) == 2
    inactive = ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"]
    assert [a.rsplit("/", 1)[1] for a in inactive] == ["c:1"]
    first = ecs.list_task_definitions(maxResults=3)
    assert len(first["taskDefinitionArns"]) == 3 and first["nextToken"]
    rest = ecs.list_task_definitions(maxResults=3, nextToken=first["nextToken"])
    assert len(rest["taskDefinitionArns"]) == 1 and "nextToken" not in rest
    code, _ = error_of(ecs.list_task_definitions, nextToken="garbage")
    assert code == "InvalidParameterException"
    paged = [
        a
        for page in ecs.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 1})
        for a in page["taskDefinitionArns"]
    ]
    assert len(paged) == 4


def test_list_families_by_status(clean, ecs):
    register(ecs, family="web")
    register(ecs, family="worker")
    register(ecs, family="old")
    ecs.deregister_task_definition(taskDefinition="old:1")
    assert ecs.list_task_definition_families()["families"] == ["old", "web", "worker"]
    assert ecs.list_task_definition_families(status="ACTIVE")["families"] == ["web", "worker"]
    assert ecs.list_task_definition_families(status="INACTIVE")["families"] == ["old"]
    assert ecs.list_task_definition_families(familyPrefix="w")["families"] == ["web", "worker"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"containerDefinitions": [{"name": "app", "image": "busybox"}]},
            "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
        ),
        (
            {"containerDefinitions": [container(essential=False)]},
            "Task definition doesn't have any essential container.",
        ),
        ({"containerDefinitions": []}, "Container list cannot be empty."),
        ({"containerDefinitions": [{"name": "app", "memory": 5}]}, "Container.image should not be null or empty."),
        (
            {"requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"},
            "Fargate only supports network mode \u2018awsvpc\u2019.",
        ),
        (
            {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "memory": "512"},
            "Fargate requires that 'cpu' be defined at the task level.",
        ),
        (
            {"requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "1024", "memory": "1024"},
            "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS "
            "documentation for the valid values.",
        ),
        ({"cpu": "lots"}, "Invalid 'cpu' setting for task."),
        ({"family": "my family"}, "Family contains invalid characters."),
        (
            {"containerDefinitions": [container(), container()]},
            "Container names must be unique within a Task Definition.",
        ),
        ({"containerDefinitions": [container(name="my app")]}, "Container.name contains invalid characters."),
        ({"memory": "1TBX"}, "Invalid 'memory' setting for task."),
        (
            {
                "networkMode": "awsvpc",
                "containerDefinitions": [container(portMappings=[{"containerPort": 80, "hostPort": 81}])],
            },
            "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
        ),
    ],
)
def test_invalid_definitions_are_client_exceptions_and_register_nothing(clean, ecs, kwargs, message):
    kwargs = {"family": "bad", "containerDefinitions": [container()], **kwargs}
    assert error_of(ecs.register_task_definition, **kwargs) == ("ClientException", message)
    assert ecs.list_task_definition_families()["families"] == []


@pytest.mark.parametrize(
    "containers",
    [
        [container(dependsOn=[{"containerName": "ghost", "condition": "START"}])],
        [container(), container(name="init", dependsOn=[{"containerName": "app", "condition": "SUCCESS"}])],
        [container(), container(name="b", dependsOn=[{"containerName": "app", "condition": "HEALTHY"}])],
        [container(mountPoints=[{"sourceVolume": "data", "containerPath": "/d"}])],
        [container(healthCheck={"command": ["CMD", "true"], "interval": 1})],
    ],
)
def test_container_level_validation(clean, ecs, containers):
    code, _ = error_of(ecs.register_task_definition, family="bad", containerDefinitions=containers)
    assert code == "ClientException"
    assert ecs.list_task_definition_families()["families"] == []


def test_revisions_are_per_account_and_region(clean, aws):
    register(aws("ecs", account="111111111111"))
    other = aws("ecs", region="eu-west-1", account="111111111111")
    assert register(other)["taskDefinition"]["revision"] == 1
    assert other.list_task_definitions()["taskDefinitionArns"] == [
        "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:1"
    ]
