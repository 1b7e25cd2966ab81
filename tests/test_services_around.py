"""The services around a task (Logs, Secrets Manager, SSM, EventBridge, SQS, STS, IAM, S3) on dockyard's port."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import client_for

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"


def test_logs_round_trip_and_errors(clean, aws):
    logs = aws("logs")
    logs.create_log_group(logGroupName="/app/web")
    logs.create_log_stream(logGroupName="/app/web", logStreamName="s1")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/app/web",
        logStreamName="s1",
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(3)],
    )
    events = logs.get_log_events(logGroupName="/app/web", logStreamName="s1", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["line 0", "line 1", "line 2"]
    with pytest.raises(ClientError) as err:
        logs.create_log_group(logGroupName="/app/web")
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as err:
        logs.create_log_stream(logGroupName="/nope", logStreamName="s")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_secrets_and_parameters(clean, aws):
    sm = aws("secretsmanager")
    arn = sm.create_secret(Name="db", SecretString='{"password":"hunter2"}')["ARN"]
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == '{"password":"hunter2"}'
    sm.create_secret(Name="bin", SecretBinary=b"\x00\x01raw")
    assert sm.get_secret_value(SecretId="bin")["SecretBinary"] == b"\x00\x01raw"
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="missing")
    ssm = aws("ssm")
    ssm.put_parameter(Name="/app/token", Value="s3cr3t", Type="SecureString")
    assert ssm.get_parameter(Name="/app/token", WithDecryption=True)["Parameter"]["Value"] == "s3cr3t"
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/app/none")


def test_sqs_json_and_query_protocols(clean, aws, server):
    sqs = aws("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    assert url.endswith("/000000000000/jobs")
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in messages] == ["hello"]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="nope")
    # the query protocol, as older SDKs send it
    auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
    request = urllib.request.Request(
        server.endpoint + "/",
        data=b"Action=ListQueues&Version=2012-11-05",
        headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode()
    assert "<ListQueuesResponse" in body and "/000000000000/jobs</QueueUrl>" in body


def test_s3_objects_path_style_and_cli(clean, aws, cli, tmp_path):
    s3 = aws("s3")
    s3.create_bucket(Bucket="env-files")
    s3.put_object(Bucket="env-files", Key="app/prod.env", Body=b"A=1\nB=2\n")
    assert s3.get_object(Bucket="env-files", Key="app/prod.env")["Body"].read() == b"A=1\nB=2\n"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="env-files")["Contents"]]
    assert keys == ["app/prod.env"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="env-files", Key="nope")
    local = tmp_path / "big.bin"
    local.write_bytes(b"x" * (9 * 1024 * 1024))  # multipart through the CLI
    assert cli("s3", "cp", str(local), "s3://env-files/big.bin").returncode == 0
    head = s3.head_object(Bucket="env-files", Key="big.bin")
    assert head["ContentLength"] == 9 * 1024 * 1024
    listing = cli("s3", "ls", "s3://env-files/")
    assert listing.returncode == 0 and "big.bin" in listing.stdout


def test_iam_and_sts_assumed_role_identity(clean, aws, server):
    iam = aws("iam", account=ACCOUNT_A)
    role_arn = iam.create_role(RoleName="task-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    assert role_arn == f"arn:aws:iam::{ACCOUNT_A}:role/task-role"
    sts = aws("sts", account=ACCOUNT_A)
    assert sts.get_caller_identity()["Account"] == ACCOUNT_A
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    keys = {"key": creds["AccessKeyId"], "secret": creds["SecretAccessKey"], "token": creds["SessionToken"]}
    assumed = client_for(server.endpoint, "sts", **keys)
    identity = assumed.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/task-role/s1"
    assert identity["Account"] == ACCOUNT_A
    # The same keys act in the role's account on the JSON services too (ECS, Logs, ...), as on AWS.
    aws("ecs", account=ACCOUNT_A).create_cluster(clusterName="in-a")
    ecs = client_for(server.endpoint, "ecs", **keys)
    assert ecs.list_clusters()["clusterArns"] == [f"arn:aws:ecs:us-east-1:{ACCOUNT_A}:cluster/in-a"]


def test_accounts_and_regions_are_isolated(clean, aws):
    aws("sqs", account=ACCOUNT_A).create_queue(QueueName="q")
    aws("logs", account=ACCOUNT_A, region="eu-west-1").create_log_group(logGroupName="g")
    aws("s3", account=ACCOUNT_A).create_bucket(Bucket="bucket-a")
    aws("secretsmanager", account=ACCOUNT_A).create_secret(Name="s", SecretString="v")
    assert aws("sqs", account=ACCOUNT_B).list_queues().get("QueueUrls", []) == []
    assert aws("sqs", account=ACCOUNT_A, region="eu-west-1").list_queues().get("QueueUrls", []) == []
    assert aws("logs", account=ACCOUNT_A).describe_log_groups()["logGroups"] == []
    assert [
        g["logGroupName"] for g in aws("logs", account=ACCOUNT_A, region="eu-west-1").describe_log_groups()["logGroups"]
    ] == ["g"]
    assert aws("s3", account=ACCOUNT_B).list_buckets()["Buckets"] == []
    assert aws("secretsmanager", account=ACCOUNT_B).list_secrets()["SecretList"] == []


def test_reset_wipes_every_service(clean, aws, server):
    aws("logs").create_log_group(logGroupName="g")
    aws("sqs").create_queue(QueueName="q")
    aws("s3").create_bucket(Bucket="bucket-r")
    aws("ssm").put_parameter(Name="p", Value="v", Type="String")
    aws("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    aws("events").put_rule(Name="r", EventPattern=json.dumps({"source": ["aws.ecs"]}))
    server.reset()
    assert aws("logs").describe_log_groups()["logGroups"] == []
    assert aws("sqs").list_queues().get("QueueUrls", []) == []
    assert aws("s3").list_buckets()["Buckets"] == []
    assert aws("ssm").describe_parameters()["Parameters"] == []
    assert aws("iam").list_roles()["Roles"] == []
    assert aws("events").list_rules()["Rules"] == []


def test_eventbridge_rule_delivers_to_sqs(clean, aws):
    events, sqs = aws("events"), aws("sqs")
    url = sqs.create_queue(QueueName="ecs-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="mine", EventPattern=json.dumps({"source": ["my.app"], "detail": {"n": [1]}}))
    events.put_targets(Rule="mine", Targets=[{"Id": "q", "Arn": queue_arn}])
    entries = [{"Source": "my.app", "DetailType": "t", "Detail": json.dumps({"n": n})} for n in (1, 2)]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"])["detail"] for m in messages] == [{"n": 1}]


def test_cli_reaches_json_services(clean, cli):
    assert cli("logs", "create-log-group", "--log-group-name", "cli-group").returncode == 0
    out = cli("logs", "describe-log-groups")
    assert [g["logGroupName"] for g in out.json["logGroups"]] == ["cli-group"]
    missing = cli("secretsmanager", "get-secret-value", "--secret-id", "nope")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
