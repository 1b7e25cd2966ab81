"""Task-role credentials at http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, from inside containers."""

from __future__ import annotations

import json
import subprocess

import pytest
from around_helpers import awslogs, run, stream_events, task_id, wait_for

CHAIN = r"""
import json, os, boto3
s3 = boto3.client("s3")
s3.put_object(Bucket="task-bucket", Key="from-task.txt", Body=b"written with the task role")
print(json.dumps({
    "identity": boto3.client("sts").get_caller_identity()["Arn"],
    "method": boto3.Session().get_credentials().method,
    "objects": [o["Key"] for o in s3.list_objects_v2(Bucket="task-bucket")["Contents"]],
}))
"""

# Reads its own credentials, then tries another task's id (given as argv[1]).
PROBE = r"""
import json, os, sys, urllib.request, urllib.error
base = "http://169.254.170.2"
own = json.loads(urllib.request.urlopen(base + os.environ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]).read())
try:
    urllib.request.urlopen(base + "/v2/credentials/" + sys.argv[1])
    other = "readable"
except urllib.error.HTTPError as error:
    other = json.loads(error.read())["code"]
print(json.dumps({"keys": sorted(own), "role": own["RoleArn"], "other": other}))
"""


@pytest.fixture
def role(clean, aws):
    return aws("iam").create_role(RoleName="app-task", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def output(aws, group, arn, container="app"):
    events = stream_events(aws("logs"), group, f"ecs/{container}/{task_id(arn)}")
    return json.loads(events[-1]["message"])


def test_default_credential_chain_inside_the_task(ecs, aws, role, images):
    aws("s3").create_bucket(Bucket="task-bucket")
    arn = run(
        ecs,
        "chain",
        [
            {
                "name": "app",
                "image": images["python"],
                "command": ["python3", "-c", CHAIN],
                "logConfiguration": awslogs("/t/chain"),
            }
        ],
        taskRoleArn=role,
    )
    task = wait_for(ecs, arn)
    assert task["containers"][0]["exitCode"] == 0, task
    result = output(aws, "/t/chain", arn)
    assert result["identity"] == f"arn:aws:sts::000000000000:assumed-role/app-task/{task_id(arn)}"
    assert result["method"] == "container-role"
    assert result["objects"] == ["from-task.txt"]
    body = aws("s3").get_object(Bucket="task-bucket", Key="from-task.txt")["Body"].read()
    assert body == b"written with the task role"


def test_one_task_cannot_read_another_tasks_credentials(ecs, aws, role, images):
    sleeper = run(
        ecs, "sleeper", [{"name": "app", "image": images["python"], "command": ["sleep", "60"]}], taskRoleArn=role
    )
    assert wait_for(ecs, sleeper, "RUNNING")["lastStatus"] == "RUNNING"
    env = ecs.describe_tasks(tasks=[sleeper])["tasks"][0]
    assert "credentials" not in json.dumps(env, default=str).lower()  # the id is not in the API
    # the other task's id is only known to dockyard; take it from the sleeper's own environment
    inspect = subprocess.run(
        ["docker", "inspect", "--format", "{{json .Config.Env}}", env["containers"][0]["runtimeId"]],
        capture_output=True,
        text=True,
        check=True,
    )
    relative = next(e for e in json.loads(inspect.stdout) if e.startswith("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="))
    other_id = relative.rsplit("/", 1)[-1]
    prober = run(
        ecs,
        "prober",
        [
            {
                "name": "app",
                "image": images["python"],
                "command": ["python3", "-c", PROBE, other_id],
                "logConfiguration": awslogs("/t/probe"),
            }
        ],
        taskRoleArn=role,
    )
    wait_for(ecs, prober)
    result = output(aws, "/t/probe", prober)
    assert result["keys"] == ["AccessKeyId", "AccountId", "Expiration", "RoleArn", "SecretAccessKey", "Token"]
    assert result["role"] == role
    assert result["other"] == "InvalidIdInRequest"
    ecs.stop_task(task=sleeper)


def test_no_role_no_credentials_variable(ecs, aws, clean, images):
    arn = run(
        ecs,
        "norole",
        [{"name": "app", "image": images["busybox"], "command": ["env"], "logConfiguration": awslogs("/t/norole")}],
    )
    wait_for(ecs, arn)
    lines = [e["message"] for e in stream_events(aws("logs"), "/t/norole", f"ecs/app/{task_id(arn)}")]
    names = {line.split("=", 1)[0] for line in lines}
    assert "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" not in names
    assert {"ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI", "AWS_REGION", "AWS_DEFAULT_REGION"} <= names
    assert "AWS_ENDPOINT_URL" in names
