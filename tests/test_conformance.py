"""Every implemented ECS operation, called through boto3, answers a raw JSON body that botocore's output shape
allows; every error an operation can produce here matches its error shape and the operation's documented errors.

The validator below is deliberately independent of dockyard's serializer: it walks botocore's own model objects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from conftest import ROOT, client_for
from images import BUSYBOX

ACCOUNT = "000000000000"
MODEL = botocore.session.get_session().get_service_model("ecs")
TD = {"family": "web", "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64}]}
FARGATE_TD = {
    "family": "fg",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "0.5GB",
    "executionRoleArn": "arn:aws:iam::000000000000:role/exec",
    "taskRoleArn": "arn:aws:iam::000000000000:role/task",
    "containerDefinitions": [
        {
            "name": "app",
            "image": "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:1",
            "portMappings": [{"containerPort": 80}],
            "healthCheck": {"command": ["CMD-SHELL", "true"]},
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "secrets": [{"name": "S", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/p"}],
            "dependsOn": [{"containerName": "side", "condition": "START"}],
        },
        {"name": "side", "image": "busybox", "essential": False, "memoryReservation": 32},
    ],
}
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/conf"


def problems(shape: Any, value: Any, path: str = "") -> list[str]:
    """Everything in ``value`` that botocore's ``shape`` does not allow (types, members, enums)."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {value!r}"]
        out = []
        for name, member in value.items():
            if name not in shape.members:
                out.append(f"{path}.{name}: not a member of {shape.name}")
            else:
                out += problems(shape.members[name], member, f"{path}.{name}")
        return out
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected array, got {value!r}"]
        return [p for i, item in enumerate(value) for p in problems(shape.member, item, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {value!r}"]
        return [p for k, v in value.items() for p in problems(shape.value, v, f"{path}.{k}")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {value!r}"]
        enum = shape.enum
        return [f"{path}: {value!r} not in {enum}"] if enum and value not in enum else []
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected integer, got {value!r}"]
    if kind in ("double", "float", "timestamp"):  # ECS timestamps are epoch seconds as JSON numbers
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected number, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected boolean, got {value!r}"]
    return [] if isinstance(value, str) else [f"{path}: expected base64 string, got {value!r}"]


class Recorder:
    """Keeps the raw HTTP response of the last call a boto3 client made."""

    def __init__(self, client: Any) -> None:
        self.response: Any = None
        client.meta.events.register("after-call.ecs", self._record)

    def _record(self, http_response: Any, **_: Any) -> None:
        self.response = http_response


def build_world(aws: Any) -> None:
    """One cluster, task definitions (one INACTIVE), an account setting: enough for every operation."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="conf", tags=[{"key": "k", "value": "v"}])
    ecs.register_task_definition(**TD, tags=[{"key": "k", "value": "v"}])
    ecs.register_task_definition(**TD)
    ecs.deregister_task_definition(taskDefinition="web:2")
    ecs.register_task_definition(**FARGATE_TD)
    ecs.put_account_setting_default(name="containerInsights", value="enhanced")
    ecs.register_task_definition(**JOB_TD)


@pytest.fixture
def world(clean, aws):
    build_world(aws)
    client = aws("ecs")
    return client, Recorder(client)


# A real task on the local busybox image, for the task operations that name one (``TASK`` in their CALLS).
JOB_TD = {
    "family": "job",
    "networkMode": "bridge",
    "requiresCompatibilities": ["EC2"],
    "containerDefinitions": [{"name": "main", "image": BUSYBOX, "memory": 64, "command": ["sleep", "30"]}],
}
TASK = "<task launched by the test>"


def with_task(client: Any, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with TASK replaced by the ARN of a task just launched."""
    if TASK not in json.dumps(params):
        return params
    arn = client.run_task(cluster="conf", taskDefinition="job", launchType="EC2")["tasks"][0]["taskArn"]
    return json.loads(json.dumps(params).replace(json.dumps(TASK), json.dumps(arn)))


# One successful call per implemented operation (test_capabilities checks this covers all of them).
CALLS: dict[str, dict[str, Any]] = {
    "CreateCluster": {
        "clusterName": "new",
        "tags": [{"key": "a", "value": "b"}],
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}},
        "capacityProviders": ["FARGATE"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
    },
    "DescribeClusters": {
        "clusters": ["conf", "ghost"],
        "include": ["ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"],
    },
    "ListClusters": {"maxResults": 1},
    "DeleteCluster": {"cluster": "conf"},
    "UpdateCluster": {"cluster": "conf", "settings": [{"name": "containerInsights", "value": "enhanced"}]},
    "UpdateClusterSettings": {"cluster": "conf", "settings": [{"name": "containerInsights", "value": "enabled"}]},
    "PutClusterCapacityProviders": {
        "cluster": "conf",
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 2, "base": 1}],
    },
    "DescribeCapacityProviders": {"capacityProviders": ["FARGATE", "nope"], "include": ["TAGS"]},
    "RegisterTaskDefinition": {**FARGATE_TD, "tags": [{"key": "a", "value": "b"}]},
    "DescribeTaskDefinition": {"taskDefinition": "fg", "include": ["TAGS"]},
    "DeregisterTaskDefinition": {"taskDefinition": "web:1"},
    "ListTaskDefinitions": {"maxResults": 1, "sort": "DESC"},
    "ListTaskDefinitionFamilies": {"status": "ALL", "maxResults": 1},
    "DeleteTaskDefinitions": {"taskDefinitions": ["web:2", "web:1", "web:9"]},
    "TagResource": {"resourceArn": CLUSTER_ARN, "tags": [{"key": "x", "value": "y"}]},
    "UntagResource": {"resourceArn": CLUSTER_ARN, "tagKeys": ["k"]},
    "ListTagsForResource": {"resourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:1"},
    "ListAccountSettings": {"effectiveSettings": True, "maxResults": 2},
    "PutAccountSetting": {"name": "awsvpcTrunking", "value": "enabled"},
    "PutAccountSettingDefault": {"name": "fargateTaskRetirementWaitPeriod", "value": "0"},
    "DeleteAccountSetting": {"name": "containerInsights"},
    "ListAttributes": {"cluster": "conf", "targetType": "container-instance"},
    "ListContainerInstances": {"cluster": "conf", "status": "ACTIVE"},
    "DescribeContainerInstances": {"cluster": "conf", "containerInstances": ["abc"]},
    "RunTask": {
        "cluster": "conf",
        "taskDefinition": "job",
        "launchType": "EC2",
        "count": 2,
        "startedBy": "conformance",
        "overrides": {"containerOverrides": [{"name": "main", "environment": [{"name": "A", "value": "1"}]}]},
        "tags": [{"key": "a", "value": "b"}],
    },
    "DescribeTasks": {"cluster": "conf", "tasks": [TASK, "0123456789abcdef0123456789abcdef"], "include": ["TAGS"]},
    "ListTasks": {"cluster": "conf", "desiredStatus": "RUNNING", "maxResults": 1},
    "StopTask": {"cluster": "conf", "task": TASK, "reason": "conformance"},
    "StartTask": {"cluster": "conf", "taskDefinition": "job", "containerInstances": ["abc"]},
}

# Implemented operations with no successful call: attributes need a container instance, and there are none.
ERROR_ONLY = {"PutAttributes", "DeleteAttributes"}

# Errors the implemented operations produce, each with inputs that trigger it.
ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("DescribeTaskDefinition", {"taskDefinition": "ghost"}, "ClientException"),
    (
        "RegisterTaskDefinition",
        {"family": "x", "containerDefinitions": [{"name": "a", "image": "b"}]},
        "ClientException",
    ),
    (
        "RegisterTaskDefinition",
        {"family": "x", "containerDefinitions": [], "tags": [{"key": "aws:x", "value": ""}]},
        "InvalidParameterException",
    ),
    ("DeregisterTaskDefinition", {"taskDefinition": "web:x"}, "InvalidParameterException"),
    ("DeregisterTaskDefinition", {"taskDefinition": "web:99"}, "ClientException"),
    ("DeleteTaskDefinitions", {"taskDefinitions": []}, "InvalidParameterException"),
    ("ListTaskDefinitions", {"nextToken": "bogus"}, "InvalidParameterException"),
    ("ListTaskDefinitionFamilies", {"maxResults": 500}, "InvalidParameterException"),
    ("ListClusters", {"maxResults": 0}, "InvalidParameterException"),
    ("CreateCluster", {"clusterName": "x", "capacityProviders": ["NOPE"]}, "InvalidParameterException"),
    ("DeleteCluster", {"cluster": "ghost"}, "ClusterNotFoundException"),
    ("UpdateCluster", {"cluster": "ghost", "settings": []}, "ClusterNotFoundException"),
    ("UpdateClusterSettings", {"cluster": "ghost", "settings": []}, "ClusterNotFoundException"),
    (
        "PutClusterCapacityProviders",
        {"cluster": "ghost", "capacityProviders": [], "defaultCapacityProviderStrategy": []},
        "ClusterNotFoundException",
    ),
    (
        "PutClusterCapacityProviders",
        {"cluster": "conf", "capacityProviders": ["X"], "defaultCapacityProviderStrategy": []},
        "InvalidParameterException",
    ),
    ("DescribeCapacityProviders", {"maxResults": 20}, "InvalidParameterException"),
    ("CreateCapacityProvider", {"name": "mine"}, "UnsupportedFeatureException"),
    (
        "TagResource",
        {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/ghost", "tags": []},
        "ClusterNotFoundException",
    ),
    (
        "TagResource",
        {"resourceArn": CLUSTER_ARN, "tags": [{"key": "aws:x", "value": "y"}]},
        "InvalidParameterException",
    ),
    (
        "TagResource",
        {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/no:1", "tags": []},
        "ClientException",
    ),
    (
        "UntagResource",
        {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/ghost", "tagKeys": ["a"]},
        "ClusterNotFoundException",
    ),
    ("UntagResource", {"resourceArn": "nonsense", "tagKeys": ["a"]}, "InvalidParameterException"),
    ("ListTagsForResource", {"resourceArn": "nonsense"}, "InvalidParameterException"),
    (
        "ListTagsForResource",
        {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/no:1"},
        "ClientException",
    ),
    (
        "ListTagsForResource",
        {"resourceArn": "arn:aws:ecs:us-east-1:000000000000:cluster/ghost"},
        "ClusterNotFoundException",
    ),
    ("ListAccountSettings", {"maxResults": 11}, "InvalidParameterException"),
    ("PutAccountSetting", {"name": "containerInsights", "value": "sometimes"}, "InvalidParameterException"),
    ("PutAccountSettingDefault", {"name": "guardDutyActivate", "value": "on"}, "InvalidParameterException"),
    ("DeleteAccountSetting", {"name": "awsvpcTrunking"}, "InvalidParameterException"),
    ("PutAttributes", {"cluster": "conf", "attributes": [{"name": "a", "targetId": "i"}]}, "TargetNotFoundException"),
    (
        "PutAttributes",
        {"cluster": "conf", "attributes": [{"name": f"a{i}", "targetId": "i"} for i in range(11)]},
        "AttributeLimitExceededException",
    ),
    ("PutAttributes", {"cluster": "ghost", "attributes": [{"name": "a", "targetId": "i"}]}, "ClusterNotFoundException"),
    ("PutAttributes", {"cluster": "conf", "attributes": []}, "InvalidParameterException"),
    (
        "DeleteAttributes",
        {"cluster": "conf", "attributes": [{"name": "a", "targetId": "i"}]},
        "TargetNotFoundException",
    ),
    (
        "DeleteAttributes",
        {"cluster": "ghost", "attributes": [{"name": "a", "targetId": "i"}]},
        "ClusterNotFoundException",
    ),
    ("ListAttributes", {"cluster": "ghost", "targetType": "container-instance"}, "ClusterNotFoundException"),
    ("ListContainerInstances", {"cluster": "ghost"}, "ClusterNotFoundException"),
    ("DescribeContainerInstances", {"cluster": "ghost", "containerInstances": ["a"]}, "ClusterNotFoundException"),
    ("DescribeContainerInstances", {"cluster": "conf", "containerInstances": []}, "InvalidParameterException"),
    ("DescribeClusters", {"clusters": ["a"], "include": ["NOPE"]}, "ValidationException"),
    ("CreateCluster", {"clusterName": 7}, "ParamValidation"),
    ("RunTask", {"cluster": "ghost", "taskDefinition": "job"}, "ClusterNotFoundException"),
    ("RunTask", {"cluster": "conf", "taskDefinition": "ghost"}, "ClientException"),
    ("RunTask", {"cluster": "conf", "taskDefinition": "job", "count": 11}, "InvalidParameterException"),
    ("StopTask", {"cluster": "conf", "task": "0123456789abcdef0123456789abcdef"}, "InvalidParameterException"),
    ("DescribeTasks", {"cluster": "conf", "tasks": []}, "InvalidParameterException"),
    ("ListTasks", {"cluster": "ghost"}, "ClusterNotFoundException"),
    (
        "StartTask",
        {"cluster": "ghost", "taskDefinition": "job", "containerInstances": ["a"]},
        "ClusterNotFoundException",
    ),
]


def call(client: Any, operation: str, params: dict[str, Any]) -> Callable[[], Any]:
    return lambda: getattr(client, xform_name(operation))(**params)


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_response_matches_output_shape(world, operation):
    client, recorder = world
    parsed = call(client, operation, with_task(client, CALLS[operation]))()
    raw = recorder.response
    assert raw.status_code == 200
    body = raw.content and json.loads(raw.content)
    output = MODEL.operation_model(operation).output_shape
    assert problems(output, body or {}, operation) == []
    assert parsed["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize(("operation", "params", "code"), ERRORS, ids=[f"{op}-{code}" for op, _, code in ERRORS])
def test_errors_match_error_shapes(world, operation, params, code):
    client, recorder = world
    if code == "ParamValidation":  # boto3 refuses a wrong type before sending; the wire case is test_foundation's
        with pytest.raises(Exception, match="Parameter validation failed"):
            call(client, operation, params)()
        return
    if code == "ValidationException":
        client = _unvalidated(client)
        recorder = Recorder(client)
    with pytest.raises(ClientError) as info:
        call(client, operation, params)()
    raw = recorder.response
    body = json.loads(raw.content)
    assert (raw.status_code, body["__type"], raw.headers["x-amzn-errortype"]) == (400, code, code)
    assert info.value.response["Error"]["Code"] == code
    assert isinstance(body["message"], str) and body["message"]
    documented = {s.name for s in MODEL.operation_model(operation).error_shapes}
    assert code in documented | {"ValidationException", "UnsupportedFeatureException"}
    error_shape = MODEL.shape_for(code) if code in MODEL.shape_names else None
    if error_shape is not None:
        assert problems(error_shape, {k: v for k, v in body.items() if k != "__type"}, code) == []


def _unvalidated(client: Any) -> Any:
    """A client that sends what it is given, to reach the server's own validation."""
    return client_for(client.meta.endpoint_url, "ecs", parameter_validation=False)


def test_every_implemented_operation_has_a_conformance_call():
    """Keeps CALLS honest: it names operations of the model, and test_capabilities ties it to the server."""
    assert set(CALLS) <= set(MODEL.operation_names)


def test_the_validator_catches_what_aws_could_not_send():
    output = MODEL.operation_model("DescribeClusters").output_shape
    assert problems(output, {"clusters": [{"clusterName": "a", "status": "ACTIVE"}]}) == []
    assert problems(output, {"clusters": [{"bogus": 1}]})
    assert problems(output, {"clusters": [{"runningTasksCount": "1"}]})
    assert problems(output, {"failures": {"arn": "x"}})
    td = MODEL.operation_model("DescribeTaskDefinition").output_shape
    assert problems(td, {"taskDefinition": {"status": "GONE"}})
    assert problems(td, {"taskDefinition": {"registeredAt": "2024-01-01"}})
    assert problems(td, {"taskDefinition": {"containerDefinitions": [{"essential": "true"}]}})


STRICT_PROBE = """
import asyncio, json
from dockyard.protocol.dispatch import JsonService
from dockyard.protocol.errors import AwsError
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.protocol.specs import service_spec

class Probe(Provider):
    def list_clusters(self, ctx, p):
        raise AwsError("ServiceNotFoundException", "not an error ListClusters documents")
    def delete_cluster(self, ctx, p):
        raise AwsError("ClusterNotFoundException", "Cluster not found.")

out = {}
for strict in (True, False):
    service = JsonService(service_spec("ecs"), Probe(), strict=strict)
    for op in ("ListClusters", "DeleteCluster"):
        ctx = RequestContext("ecs", op, "000000000000", "us-east-1")
        status, body, code = asyncio.run(service.call(ctx, b'{"cluster": "x"}'))
        out[f"{op}-{strict}"] = [status, code, json.loads(body)["message"]]
print(json.dumps(out))
"""


def test_strict_mode_rejects_undocumented_errors():
    """Run in a child process on this checkout's code (the venv's editable install points at main)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", STRICT_PROBE], capture_output=True, text=True, env=env, check=True)
    out = json.loads(done.stdout)
    assert out["ListClusters-True"][:2] == [500, "ServerException"]
    assert "ServiceNotFoundException is not an error ListClusters can answer" in out["ListClusters-True"][2]
    assert out["ListClusters-False"][:2] == [400, "ServiceNotFoundException"]
    assert out["DeleteCluster-True"][:2] == [400, "ClusterNotFoundException"]


ERROR_PROBE = """
import json, sys
from dockyard.protocol.errors import AwsError
from dockyard.protocol.json11 import ResponseSerializer
from dockyard.protocol.specs import service_spec

serializer = ResponseSerializer(service_spec("ecs"), strict=True)
fields = json.loads(sys.argv[1])
print(json.dumps({code: json.loads(serializer.serialize_error(AwsError(code, "why", **fields.get(code, {}))))
                  for code in sys.argv[2:]}))
"""


def test_every_documented_error_serializes_to_its_shape():
    """Each of the model's error shapes, as dockyard's serializer writes it, including ConflictException's
    resourceIds (RunTask's clientToken reuse); run on this checkout's code in a child process."""
    codes = sorted({e.name for op in MODEL.operation_names for e in MODEL.operation_model(op).error_shapes})
    fields = {"ConflictException": {"resourceIds": ["arn:aws:ecs:us-east-1:000000000000:task/c/0123"]}}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", ERROR_PROBE, json.dumps(fields), *codes]
    bodies = json.loads(subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout)
    assert len(bodies) == len(codes)
    for code, body in bodies.items():
        assert body["__type"] == code and body["message"] == "why"
        assert problems(MODEL.shape_for(code), {k: v for k, v in body.items() if k != "__type"}, code) == []
    assert bodies["ConflictException"]["resourceIds"] == fields["ConflictException"]["resourceIds"]
