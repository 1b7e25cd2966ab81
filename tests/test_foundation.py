"""The server itself: health, reset, routing, account and region isolation, protocol errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError


def raw_post(endpoint: str, target: str, body: bytes) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        endpoint,
        data=body,
        method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read())


def test_health_reports_version_and_services(server):
    health = server.get("/_dockyard/health")
    assert health["version"]
    assert "ecs" in health["services"]


def test_accounts_and_regions_are_isolated(clean, aws):
    aws("ecs", account="111111111111").create_cluster(clusterName="mine")
    assert aws("ecs", account="222222222222").list_clusters()["clusterArns"] == []
    assert aws("ecs", region="eu-west-1", account="111111111111").list_clusters()["clusterArns"] == []
    arns = aws("ecs", account="111111111111").list_clusters()["clusterArns"]
    assert arns == ["arn:aws:ecs:us-east-1:111111111111:cluster/mine"]
    # a non-numeric key is the default account
    assert aws("ecs").list_clusters()["clusterArns"] == []


@pytest.mark.parametrize("path", ["/_dockyard/reset", "/moto-api/reset"])
def test_reset_wipes_everything(clean, aws, server, path):
    aws("ecs").create_cluster(clusterName="a")
    aws("ecs", region="eu-west-1").create_cluster(clusterName="b")
    server.post(path)
    assert aws("ecs").list_clusters()["clusterArns"] == []
    assert aws("ecs", region="eu-west-1").list_clusters()["clusterArns"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "SerializationException"),
        (b"[1,2]", "SerializationException"),
        (b'{"clusterName": 5}', "SerializationException"),
        (b'{"clusterName": {"a": 1}}', "SerializationException"),
        (b'{"tags": "x"}', "SerializationException"),
        (b'{"tags": [{"key": "' + b"k" * 200 + b'"}]}', "ValidationException"),
    ],
)
def test_malformed_requests_get_aws_errors_and_change_nothing(clean, server, body, code, ecs):
    status, headers, reply = raw_post(server.endpoint, "AmazonEC2ContainerServiceV20141113.CreateCluster", body)
    assert status == 400
    assert reply["__type"] == code
    assert headers["x-amzn-errortype"] == code
    assert reply["message"]
    assert ecs.list_clusters()["clusterArns"] == []


def test_unknown_operation_is_a_clean_error(server):
    status, _, reply = raw_post(server.endpoint, "AmazonEC2ContainerServiceV20141113.LaunchRocket", b"{}")
    assert status == 400
    assert reply["__type"] == "UnknownOperationException"


def test_unknown_target_is_a_clean_error(server):
    status, _, reply = raw_post(server.endpoint, "NoSuchService_2020.DoThing", b"{}")
    assert status == 400
    assert reply["__type"] == "UnknownOperationException"


def test_request_id_reaches_boto3(ecs):
    meta = ecs.list_clusters()["ResponseMetadata"]
    assert len(meta["RequestId"]) == 36


def test_client_errors_reach_boto3_with_code_and_message(clean, ecs):
    with pytest.raises(ClientError) as info:
        ecs.delete_cluster(cluster="nope")
    assert info.value.response["Error"] == {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
