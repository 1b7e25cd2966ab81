"""Clusters and capacity providers through boto3: include fields, INACTIVE semantics, capacity providers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"


def code_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"]


def test_create_without_name_is_default_and_is_idempotent(clean, ecs):
    first = ecs.create_cluster()["cluster"]
    assert first["clusterName"] == "default"
    assert first["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert ecs.create_cluster(clusterName="default")["cluster"]["clusterArn"] == first["clusterArn"]
    assert ecs.list_clusters()["clusterArns"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/default"]


def test_describe_include_controls_optional_fields(clean, ecs):
    ecs.create_cluster(clusterName="demo", tags=[{"key": "a", "value": "b"}])
    plain = ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert "tags" not in plain and "settings" not in plain and plain["statistics"] == []
    full = ecs.describe_clusters(clusters=["demo"], include=["TAGS", "SETTINGS", "STATISTICS", "ATTACHMENTS"])
    cluster = full["clusters"][0]
    assert cluster["tags"] == [{"key": "a", "value": "b"}]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    stats = {s["name"]: s["value"] for s in cluster["statistics"]}
    assert stats["runningFargateTasksCount"] == "0" and stats["activeEC2ServiceCount"] == "0"
    assert cluster["attachments"] == []
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 0)


def test_describe_missing_clusters_are_failures(clean, ecs):
    out = ecs.describe_clusters(clusters=["ghost", f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/gone"])
    assert out["clusters"] == []
    assert out["failures"] == [
        {"arn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/ghost", "reason": "MISSING"},
        {"arn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/gone", "reason": "MISSING"},
    ]


def test_deleted_cluster_is_inactive_unlisted_and_recreatable(clean, ecs):
    ecs.create_cluster(clusterName="demo", tags=[{"key": "old", "value": "1"}])
    assert ecs.delete_cluster(cluster="demo")["cluster"]["status"] == "INACTIVE"
    assert ecs.list_clusters()["clusterArns"] == []
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["status"] == "INACTIVE"
    assert code_of(ecs.delete_cluster, cluster="demo") == "ClusterNotFoundException"
    assert code_of(ecs.update_cluster_settings, cluster="demo", settings=[]) == "ClusterNotFoundException"
    again = ecs.create_cluster(clusterName="demo")["cluster"]
    assert again["status"] == "ACTIVE" and again["tags"] == []


def test_update_cluster_and_settings(clean, ecs):
    ecs.create_cluster(clusterName="demo")
    out = ecs.update_cluster_settings(cluster="demo", settings=[{"name": "containerInsights", "value": "enabled"}])
    assert out["cluster"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    conf = {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    out = ecs.update_cluster(cluster="demo", configuration=conf)
    assert out["cluster"]["configuration"] == conf
    described = ecs.describe_clusters(clusters=["demo"], include=["CONFIGURATIONS"])["clusters"][0]
    assert described["configuration"] == conf
    assert code_of(ecs.update_cluster, cluster="nope", configuration=conf) == "ClusterNotFoundException"


def test_put_cluster_capacity_providers(clean, ecs):
    ecs.create_cluster(clusterName="demo")
    strategy = [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3},
    ]
    out = ecs.put_cluster_capacity_providers(
        cluster="demo", capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=strategy
    )["cluster"]
    assert out["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    echoed = [{**strategy[0]}, {**strategy[1], "base": 0}]  # AWS fills in base 0
    assert out["defaultCapacityProviderStrategy"] == echoed
    described = ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert described["defaultCapacityProviderStrategy"] == echoed


@pytest.mark.parametrize(
    ("providers", "strategy"),
    [
        (["FARGATE"], [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]),
        (["MY_ASG"], []),
        (
            ["FARGATE", "FARGATE_SPOT"],
            [{"capacityProvider": "FARGATE", "base": 1}, {"capacityProvider": "FARGATE_SPOT", "base": 2}],
        ),
    ],
)
def test_invalid_capacity_providers_change_nothing(clean, ecs, providers, strategy):
    ecs.create_cluster(clusterName="demo")
    assert (
        code_of(
            ecs.put_cluster_capacity_providers,
            cluster="demo",
            capacityProviders=providers,
            defaultCapacityProviderStrategy=strategy,
        )
        == "InvalidParameterException"
    )
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["capacityProviders"] == []
    assert (
        code_of(
            ecs.create_cluster,
            clusterName="other",
            capacityProviders=providers,
            defaultCapacityProviderStrategy=strategy,
        )
        == "InvalidParameterException"
    )
    assert ecs.list_clusters()["clusterArns"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/demo"]


def test_put_capacity_providers_on_missing_cluster(clean, ecs):
    code = code_of(
        ecs.put_cluster_capacity_providers, cluster="nope", capacityProviders=[], defaultCapacityProviderStrategy=[]
    )
    assert code == "ClusterNotFoundException"


def test_fargate_capacity_providers_exist_everywhere(clean, aws):
    ecs = aws("ecs", region="ap-south-1", account="123456789012")
    out = ecs.describe_capacity_providers()
    assert [p["name"] for p in out["capacityProviders"]] == ["FARGATE", "FARGATE_SPOT"]
    assert out["capacityProviders"][0] == {
        "capacityProviderArn": "arn:aws:ecs:ap-south-1:123456789012:capacity-provider/FARGATE",
        "name": "FARGATE",
        "status": "ACTIVE",
        "type": "FARGATE",
        "tags": [],
    }
    assert out["failures"] == []
    tagged = ecs.describe_capacity_providers(capacityProviders=["FARGATE_SPOT"], include=["TAGS"])
    assert tagged["capacityProviders"][0]["tags"] == []


def test_describe_capacity_providers_pages_and_failures(clean, ecs):
    first = ecs.describe_capacity_providers(maxResults=1)
    assert [p["name"] for p in first["capacityProviders"]] == ["FARGATE"]
    second = ecs.describe_capacity_providers(maxResults=1, nextToken=first["nextToken"])
    assert [p["name"] for p in second["capacityProviders"]] == ["FARGATE_SPOT"] and "nextToken" not in second
    out = ecs.describe_capacity_providers(capacityProviders=["FARGATE", "nope"])
    assert [p["name"] for p in out["capacityProviders"]] == ["FARGATE"]
    assert out["failures"] == [{"arn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:capacity-provider/nope", "reason": "MISSING"}]
    assert code_of(ecs.describe_capacity_providers, maxResults=11) == "InvalidParameterException"


def test_custom_capacity_providers_are_honestly_unsupported(clean, ecs):
    code = code_of(
        ecs.create_capacity_provider,
        name="mine",
        autoScalingGroupProvider={
            "autoScalingGroupArn": "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:x"
        },
    )
    assert code == "UnsupportedFeatureException"


@pytest.mark.parametrize("name", ["has space", "dots.not.allowed", "x" * 256])
def test_invalid_cluster_names(clean, ecs, name):
    assert code_of(ecs.create_cluster, clusterName=name) == "InvalidParameterException"
    assert ecs.list_clusters()["clusterArns"] == []


def test_arns_of_other_regions_and_accounts_name_nothing(clean, ecs):
    arn = ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    assert ecs.describe_clusters(clusters=[arn])["clusters"][0]["clusterName"] == "demo"
    for other in (arn.replace("us-east-1", "eu-west-1"), arn.replace(ACCOUNT, "111111111111")):
        assert ecs.describe_clusters(clusters=[other])["failures"] == [{"arn": other, "reason": "MISSING"}]
        assert code_of(ecs.delete_cluster, cluster=other) == "ClusterNotFoundException"
    assert ecs.list_clusters()["clusterArns"] == [arn]
