"""TagResource, UntagResource and ListTagsForResource on clusters and task definitions."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


@pytest.fixture
def resources(clean, ecs):
    cluster = ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    td = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "a", "image": "busybox", "memory": 64}]
    )["taskDefinition"]["taskDefinitionArn"]
    return {"cluster": cluster, "task-definition": td}


@pytest.mark.parametrize("kind", ["cluster", "task-definition"])
def test_tag_untag_list(ecs, resources, kind):
    arn = resources[kind]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "3"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "3"},
        {"key": "b", "value": "2"},
    ]
    ecs.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]


def test_tags_show_up_where_included(ecs, resources):
    ecs.tag_resource(resourceArn=resources["cluster"], tags=[{"key": "k", "value": "v"}])
    ecs.tag_resource(resourceArn=resources["task-definition"], tags=[{"key": "t", "value": "d"}])
    assert ecs.describe_clusters(clusters=["demo"], include=["TAGS"])["clusters"][0]["tags"] == [
        {"key": "k", "value": "v"}
    ]
    assert ecs.describe_task_definition(taskDefinition="web:1", include=["TAGS"])["tags"] == [
        {"key": "t", "value": "d"}
    ]


def test_tag_limits(ecs, resources):
    arn = resources["cluster"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert error_of(ecs.tag_resource, resourceArn=arn, tags=[{"key": "one-more", "value": "v"}]) == (
        "InvalidParameterException"
    )
    assert error_of(ecs.tag_resource, resourceArn=arn, tags=[{"key": "x", "value": "v"}] * 51) == "ValidationException"
    assert error_of(ecs.tag_resource, resourceArn=arn, tags=[{"key": "k" * 129, "value": "v"}]) == "ValidationException"
    assert error_of(ecs.tag_resource, resourceArn=arn, tags=[{"key": "k", "value": "v" * 257}]) == "ValidationException"
    assert len(ecs.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


def test_reserved_prefix_is_rejected_everywhere(clean, ecs, resources):
    reserved = [{"key": "aws:owner", "value": "me"}]
    assert error_of(ecs.tag_resource, resourceArn=resources["cluster"], tags=reserved) == "InvalidParameterException"
    assert error_of(ecs.create_cluster, clusterName="x", tags=reserved) == "InvalidParameterException"
    assert (
        error_of(
            ecs.register_task_definition,
            family="x",
            containerDefinitions=[{"name": "a", "image": "b", "memory": 4}],
            tags=reserved,
        )
        == "InvalidParameterException"
    )
    assert len(ecs.list_clusters()["clusterArns"]) == 1
    assert ecs.list_tags_for_resource(resourceArn=resources["cluster"])["tags"] == []


def test_unknown_resources(ecs, resources):
    account = "000000000000"
    assert error_of(ecs.list_tags_for_resource, resourceArn="not-an-arn") == "InvalidParameterException"
    missing_cluster = f"arn:aws:ecs:us-east-1:{account}:cluster/ghost"
    assert error_of(ecs.list_tags_for_resource, resourceArn=missing_cluster) == "ClusterNotFoundException"
    missing_td = f"arn:aws:ecs:us-east-1:{account}:task-definition/web:9"
    assert error_of(ecs.tag_resource, resourceArn=missing_td, tags=[{"key": "a", "value": "b"}]) == "ClientException"
    other_region = resources["cluster"].replace("us-east-1", "eu-west-1")
    assert error_of(ecs.list_tags_for_resource, resourceArn=other_region) == "ClusterNotFoundException"
