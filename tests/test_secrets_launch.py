"""secrets, environmentFiles and the injected AWS variables, resolved at launch into real containers."""

from __future__ import annotations

import json

from around_helpers import awslogs, run, stream_events, task_id, wait_for

SECRET = "pa55-w0rd-Zq9"


def env_of(aws, group, arn):
    lines = [e["message"] for e in stream_events(aws("logs"), group, f"ecs/app/{task_id(arn)}")]
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_secrets_from_secrets_manager_and_ssm(clean, ecs, aws, images, server):
    sm, ssm = aws("secretsmanager"), aws("ssm")
    arn = sm.create_secret(Name="db", SecretString=json.dumps({"username": "admin", "port": 5432}))["ARN"]
    sm.put_secret_value(SecretId="db", SecretString=json.dumps({"username": "root", "port": 1}))  # AWSPREVIOUS: first
    plain = sm.create_secret(Name="plain", SecretString=SECRET)["ARN"]
    ssm.put_parameter(Name="/app/token", Value=SECRET + "-ssm", Type="SecureString")
    ssm.put_parameter(Name="hosts", Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name="/app/plain", Value="str", Type="String")
    secrets = [
        {"name": "WHOLE", "valueFrom": plain},
        {"name": "USER", "valueFrom": f"{arn}:username::"},
        {"name": "PORT", "valueFrom": f"{arn}:port::"},
        {"name": "OLD_USER", "valueFrom": f"{arn}:username:AWSPREVIOUS:"},
        {"name": "TOKEN", "valueFrom": "/app/token"},
        {"name": "HOSTS", "valueFrom": "hosts"},
        {"name": "BY_ARN", "valueFrom": "arn:aws:ssm:us-east-1:000000000000:parameter/app/plain"},
    ]
    task_arn = run(
        ecs,
        "sec",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "command": ["env"],
                "secrets": secrets,
                "logConfiguration": awslogs("/t/sec"),
            }
        ],
        executionRoleArn="arn:aws:iam::000000000000:role/exec",
    )
    task = wait_for(ecs, task_arn)
    env = env_of(aws, "/t/sec", task_arn)
    assert env["WHOLE"] == SECRET
    assert env["USER"] == "root" and env["PORT"] == "1"
    assert env["OLD_USER"] == "admin"
    assert env["TOKEN"] == SECRET + "-ssm"
    assert env["HOSTS"] == "a,b,c"
    assert env["BY_ARN"] == "str"
    # values never leave the container: not in the API, introspection or dockyard's own log
    assert SECRET not in json.dumps(task, default=str)
    assert SECRET not in json.dumps(ecs.describe_task_definition(taskDefinition="sec"), default=str)
    assert SECRET not in json.dumps(server.get("/_dockyard/tasks"), default=str)
    assert SECRET not in server.log.read_text()


def test_unresolvable_secret_fails_the_launch(clean, ecs, aws, images):
    container = {"name": "app", "image": images["busybox"], "command": ["true"]}
    missing = "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"
    arn = run(ecs, "bad", [{**container, "secrets": [{"name": "X", "valueFrom": missing}]}])
    task = wait_for(ecs, arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets or registry auth: ")
    assert missing in task["stoppedReason"]
    assert all("runtimeId" not in c for c in task["containers"])  # nothing was created
    arn = run(ecs, "bad2", [{**container, "secrets": [{"name": "X", "valueFrom": "/no/such/param"}]}])
    task = wait_for(ecs, arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "invalid parameters: /no/such/param" in task["stoppedReason"]
    bad_format = "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf:username"
    arn = run(ecs, "bad3", [{**container, "secrets": [{"name": "X", "valueFrom": bad_format}]}])
    assert "invalid ARN format" in wait_for(ecs, arn)["stoppedReason"]


def test_environment_files_precedence_and_injected_variables(clean, ecs, aws, images):
    s3 = aws("s3")
    s3.create_bucket(Bucket="envs")
    s3.put_object(Bucket="envs", Key="one.env", Body=b"# comment\nA=from-one\nB=from-one\n\nAWS_REGION=eu-west-9\n")
    s3.put_object(Bucket="envs", Key="two.env", Body=b"A=from-two\nC=from-two\n")
    files = [{"type": "s3", "value": f"arn:aws:s3:::envs/{k}"} for k in ("one.env", "two.env")]
    arn = run(
        ecs,
        "envf",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "command": ["env"],
                "environment": [{"name": "B", "value": "from-definition"}],
                "environmentFiles": files,
                "logConfiguration": awslogs("/t/envf"),
            }
        ],
    )
    wait_for(ecs, arn)
    env = env_of(aws, "/t/envf", arn)
    assert env["A"] == "from-one"  # the first file defining a key wins
    assert env["B"] == "from-definition"  # the definition beats every file
    assert env["C"] == "from-two"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"].startswith("http://") and env["AWS_ENDPOINT_URL"].count(":") == 2
    # a missing file fails the launch
    arn = run(
        ecs,
        "envf2",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "environmentFiles": [{"type": "s3", "value": "arn:aws:s3:::envs/none.env"}],
            }
        ],
    )
    task = wait_for(ecs, arn)
    assert task["stopCode"] == "TaskFailedToStart" and "none.env" in task["stoppedReason"]


def test_container_reaches_dockyard_through_aws_endpoint_url(clean, ecs, aws, images):
    aws("sqs").create_queue(QueueName="from-task")
    code = "import boto3; boto3.client('sqs').send_message(QueueUrl='from-task', MessageBody='hi from the task')"
    arn = run(
        ecs,
        "endpoint",
        [
            {
                "name": "app",
                "image": images["python"],
                "command": ["python3", "-c", code],
                "environment": [
                    {"name": "AWS_ACCESS_KEY_ID", "value": "test"},
                    {"name": "AWS_SECRET_ACCESS_KEY", "value": "test"},
                ],
            }
        ],
    )
    assert wait_for(ecs, arn)["containers"][0]["exitCode"] == 0
    url = aws("sqs").get_queue_url(QueueName="from-task")["QueueUrl"]
    messages = aws("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in messages] == ["hi from the task"]
