"""Account settings, attributes and container instances through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ROOT = "arn:aws:iam::000000000000:root"


def code_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


def test_effective_settings_start_at_aws_defaults(clean, ecs):
    assert ecs.list_account_settings()["settings"] == []
    settings = ecs.list_account_settings(effectiveSettings=True, maxResults=10)
    assert len(settings["settings"]) == 10 and settings["nextToken"]
    rest = ecs.list_account_settings(effectiveSettings=True, nextToken=settings["nextToken"])
    by_name = {s["name"]: s for s in settings["settings"] + rest["settings"]}
    assert by_name["taskLongArnFormat"] == {
        "name": "taskLongArnFormat",
        "value": "enabled",
        "principalArn": ROOT,
        "type": "aws_managed",
    }
    assert by_name["containerInsights"]["value"] == "disabled"
    assert by_name["defaultLogDriverMode"]["value"] == "non-blocking"
    paged = ecs.get_paginator("list_account_settings").paginate(
        effectiveSettings=True, PaginationConfig={"PageSize": 3}
    )
    assert len([s for page in paged for s in page["settings"]]) == len(by_name)


def test_put_default_then_principal_override_then_delete(clean, ecs):
    user = "arn:aws:iam::000000000000:user/alice"
    out = ecs.put_account_setting_default(name="containerInsights", value="enhanced")["setting"]
    assert out == {"name": "containerInsights", "value": "enhanced", "principalArn": ROOT, "type": "user"}
    ecs.put_account_setting(name="containerInsights", value="disabled", principalArn=user)
    mine = ecs.list_account_settings(name="containerInsights", principalArn=user, effectiveSettings=True)["settings"]
    assert mine[0]["value"] == "disabled"
    assert (
        ecs.list_account_settings(name="containerInsights", effectiveSettings=True)["settings"][0]["value"]
        == "enhanced"
    )
    assert ecs.list_account_settings(value="enhanced")["settings"][0]["name"] == "containerInsights"
    ecs.delete_account_setting(name="containerInsights", principalArn=user)
    mine = ecs.list_account_settings(name="containerInsights", principalArn=user, effectiveSettings=True)["settings"]
    assert mine[0]["value"] == "enhanced"
    assert (
        code_of(ecs.delete_account_setting, name="containerInsights", principalArn=user) == "InvalidParameterException"
    )


@pytest.mark.parametrize(
    ("call", "kwargs", "code"),
    [
        ("put_account_setting", {"name": "containerInsights", "value": "maybe"}, "InvalidParameterException"),
        ("put_account_setting", {"name": "guardDutyActivate", "value": "on"}, "InvalidParameterException"),
        ("put_account_setting", {"name": "fargateTaskRetirementWaitPeriod", "value": "7"}, "InvalidParameterException"),
        ("put_account_setting", {"name": "nonsense", "value": "on"}, "ValidationException"),
        ("list_account_settings", {"maxResults": 11}, "InvalidParameterException"),
    ],
)
def test_invalid_settings_are_rejected(clean, ecs, call, kwargs, code):
    assert code_of(getattr(ecs, call), **kwargs) == code
    assert ecs.list_account_settings()["settings"] == []


def test_retirement_wait_period_via_default(clean, ecs):
    ecs.put_account_setting_default(name="fargateTaskRetirementWaitPeriod", value="14")
    out = ecs.list_account_settings(name="fargateTaskRetirementWaitPeriod", effectiveSettings=True)
    assert out["settings"][0]["value"] == "14"


def test_account_settings_are_per_account(clean, aws):
    aws("ecs", account="111111111111").put_account_setting_default(name="awsvpcTrunking", value="enabled")
    assert aws("ecs", account="222222222222").list_account_settings()["settings"] == []


def test_cluster_without_container_instances(clean, ecs):
    ecs.create_cluster(clusterName="demo")
    assert ecs.list_container_instances(cluster="demo")["containerInstanceArns"] == []
    out = ecs.describe_container_instances(
        cluster="demo", containerInstances=["abc", "arn:aws:ecs:us-east-1:000000000000:container-instance/demo/def"]
    )
    assert out["containerInstances"] == []
    assert out["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:000000000000:container-instance/demo/abc", "reason": "MISSING"},
        {"arn": "arn:aws:ecs:us-east-1:000000000000:container-instance/demo/def", "reason": "MISSING"},
    ]
    assert code_of(ecs.list_container_instances, cluster="nope") == "ClusterNotFoundException"
    assert (
        code_of(ecs.describe_container_instances, cluster="nope", containerInstances=["a"])
        == "ClusterNotFoundException"
    )


def test_attributes(clean, ecs):
    ecs.create_cluster(clusterName="demo")
    assert ecs.list_attributes(cluster="demo", targetType="container-instance")["attributes"] == []
    one = [{"name": "stack", "value": "prod", "targetId": "abc"}]
    assert code_of(ecs.put_attributes, cluster="demo", attributes=one) == "TargetNotFoundException"
    assert code_of(ecs.delete_attributes, cluster="demo", attributes=one) == "TargetNotFoundException"
    many = [{"name": f"a{i}", "targetId": "abc"} for i in range(11)]
    assert code_of(ecs.put_attributes, cluster="demo", attributes=many) == "AttributeLimitExceededException"
    assert code_of(ecs.put_attributes, cluster="nope", attributes=one) == "ClusterNotFoundException"
    assert code_of(ecs.list_attributes, cluster="nope", targetType="container-instance") == "ClusterNotFoundException"


def test_new_clusters_follow_the_container_insights_setting(clean, ecs):
    ecs.put_account_setting_default(name="containerInsights", value="enhanced")
    assert ecs.create_cluster(clusterName="a")["cluster"]["settings"] == [
        {"name": "containerInsights", "value": "enhanced"}
    ]
    explicit = ecs.create_cluster(clusterName="b", settings=[{"name": "containerInsights", "value": "disabled"}])
    assert explicit["cluster"]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
