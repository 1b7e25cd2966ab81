"""The AWS CLI calls of issue 2, exactly as a user types them."""

from __future__ import annotations

import json

ACCOUNT = "000000000000"
TD = {
    "family": "demo-web",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": ".25 vCPU",
    "memory": "0.5GB",
    "containerDefinitions": [
        {
            "name": "web",
            "image": "busybox",
            "portMappings": [{"containerPort": 8080}],
            "healthCheck": {"command": ["CMD-SHELL", "wget -q -O- localhost:8080"]},
        }
    ],
}


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.json if result.stdout.strip() else None


def test_cluster_lifecycle(clean, cli):
    cluster = ok(cli("ecs", "create-cluster", "--cluster-name", "demo"))["cluster"]
    assert cluster["clusterArn"] == f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/demo"
    assert cluster["status"] == "ACTIVE"
    assert ok(cli("ecs", "list-clusters"))["clusterArns"] == [cluster["clusterArn"]]
    described = ok(cli("ecs", "describe-clusters", "--clusters", "demo", "--include", "TAGS", "SETTINGS", "STATISTICS"))
    assert described["failures"] == []
    got = described["clusters"][0]
    assert got["tags"] == [] and got["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert {"name": "runningFargateTasksCount", "value": "0"} in got["statistics"]
    updated = ok(
        cli("ecs", "update-cluster-settings", "--cluster", "demo", "--settings", "name=containerInsights,value=enabled")
    )
    assert updated["cluster"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    conf = json.dumps({"executeCommandConfiguration": {"logging": "DEFAULT"}})
    assert ok(cli("ecs", "update-cluster", "--cluster", "demo", "--configuration", conf))["cluster"][
        "configuration"
    ] == {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    put = ok(
        cli(
            "ecs",
            "put-cluster-capacity-providers",
            "--cluster",
            "demo",
            "--capacity-providers",
            "FARGATE",
            "FARGATE_SPOT",
            "--default-capacity-provider-strategy",
            "capacityProvider=FARGATE,weight=1,base=1",
            "capacityProvider=FARGATE_SPOT,weight=4",
        )
    )["cluster"]
    assert put["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    providers = ok(cli("ecs", "describe-capacity-providers"))["capacityProviders"]
    assert [p["name"] for p in providers] == ["FARGATE", "FARGATE_SPOT"]
    assert ok(cli("ecs", "delete-cluster", "--cluster", "demo"))["cluster"]["status"] == "INACTIVE"
    assert ok(cli("ecs", "list-clusters"))["clusterArns"] == []


def test_task_definition_lifecycle(clean, cli, tmp_path):
    (tmp_path / "td.json").write_text(json.dumps(TD))
    registered = ok(cli("ecs", "register-task-definition", "--cli-input-json", "file://td.json", cwd=tmp_path))
    td = registered["taskDefinition"]
    assert (td["revision"], td["cpu"], td["memory"], td["status"]) == (1, "256", "512", "ACTIVE")
    container = td["containerDefinitions"][0]
    assert container["essential"] is True and container["cpu"] == 0 and container["environment"] == []
    assert container["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    assert container["healthCheck"]["interval"] == 30
    ok(cli("ecs", "register-task-definition", "--cli-input-json", "file://td.json", cwd=tmp_path))
    described = ok(cli("ecs", "describe-task-definition", "--task-definition", "demo-web"))
    assert described["taskDefinition"]["revision"] == 2
    listed = ok(cli("ecs", "list-task-definitions"))["taskDefinitionArns"]
    assert [a.rsplit(":", 1)[1] for a in listed] == ["1", "2"]
    assert ok(cli("ecs", "list-task-definition-families"))["families"] == ["demo-web"]
    gone = ok(cli("ecs", "deregister-task-definition", "--task-definition", "demo-web:1"))["taskDefinition"]
    assert gone["status"] == "INACTIVE"
    deleted = ok(cli("ecs", "delete-task-definitions", "--task-definitions", "demo-web:1"))
    assert deleted["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS" and deleted["failures"] == []
    third = ok(cli("ecs", "register-task-definition", "--cli-input-json", "file://td.json", cwd=tmp_path))
    assert third["taskDefinition"]["revision"] == 3


def test_tagging_account_settings_and_attributes(clean, cli):
    arn = ok(cli("ecs", "create-cluster", "--cluster-name", "demo"))["cluster"]["clusterArn"]
    ok(cli("ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=team,value=core", "key=env,value=dev"))
    ok(cli("ecs", "untag-resource", "--resource-arn", arn, "--tag-keys", "env"))
    assert ok(cli("ecs", "list-tags-for-resource", "--resource-arn", arn))["tags"] == [{"key": "team", "value": "core"}]
    ok(cli("ecs", "put-account-setting", "--name", "containerInsights", "--value", "enhanced"))
    settings = ok(cli("ecs", "list-account-settings", "--effective-settings", "--name", "containerInsights"))
    assert settings["settings"][0]["value"] == "enhanced"
    ok(cli("ecs", "put-account-setting-default", "--name", "awsvpcTrunking", "--value", "enabled"))
    ok(cli("ecs", "delete-account-setting", "--name", "containerInsights"))
    listed = ok(cli("ecs", "list-account-settings"))["settings"]
    assert [s["name"] for s in listed] == ["awsvpcTrunking"]
    assert (
        ok(cli("ecs", "list-attributes", "--cluster", "demo", "--target-type", "container-instance"))["attributes"]
        == []
    )
    failed = cli("ecs", "put-attributes", "--cluster", "demo", "--attributes", "name=stack,value=prod,targetId=abc")
    assert failed.returncode != 0 and "TargetNotFoundException" in failed.stderr


def test_cli_errors_are_aws_errors(clean, cli):
    missing = cli("ecs", "describe-task-definition", "--task-definition", "nope")
    assert missing.returncode != 0
    assert "(ClientException)" in missing.stderr and "Unable to describe task definition." in missing.stderr
    gone = cli("ecs", "delete-cluster", "--cluster", "nope")
    assert "(ClusterNotFoundException)" in gone.stderr and "Cluster not found." in gone.stderr
