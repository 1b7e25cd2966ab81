"""ECS Task State Change events on the default bus, delivered by the user's own rules."""

from __future__ import annotations

import json
import re

from around_helpers import run, wait_for

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_rule_delivers_stopped_event_to_sqs(clean, ecs, aws, images):
    events, sqs = aws("events"), aws("sqs")
    url = sqs.create_queue(QueueName="stopped")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"], "detail": {"lastStatus": ["STOPPED"]}}
    events.put_rule(Name="on-stop", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="on-stop", Targets=[{"Id": "q", "Arn": queue_arn}])
    all_url = sqs.create_queue(QueueName="all")["QueueUrl"]
    all_arn = sqs.get_queue_attributes(QueueUrl=all_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["aws.ecs"]}))
    events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": all_arn}])

    arn = run(ecs, "evt", [{"name": "app", "image": images["busybox"], "command": ["sh", "-c", "sleep 1; exit 7"]}])
    task = wait_for(ecs, arn)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in messages]
    assert len(bodies) == 1
    event = bodies[0]
    assert event["source"] == "aws.ecs" and event["detail-type"] == "ECS Task State Change"
    assert event["account"] == "000000000000" and event["region"] == "us-east-1"
    assert event["resources"] == [arn]
    detail = event["detail"]
    assert detail["taskArn"] == arn and detail["lastStatus"] == "STOPPED"
    assert detail["clusterArn"] == task["clusterArn"] and detail["taskDefinitionArn"] == task["taskDefinitionArn"]
    assert detail["stopCode"] == "EssentialContainerExited"
    assert detail["containers"][0]["exitCode"] == 7
    assert detail["version"] == task["version"]
    for key in ("createdAt", "startedAt", "stoppedAt", "updatedAt"):
        assert ISO.match(detail[key]), (key, detail[key])

    seen = []
    for _ in range(10):
        batch = sqs.receive_message(QueueUrl=all_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            break
        seen += [json.loads(m["Body"])["detail"] for m in batch]
    versions = sorted(d["version"] for d in seen)
    assert versions == sorted(set(versions)) and versions[-1] == task["version"]  # every version, once
    statuses = {d["lastStatus"] for d in seen}
    assert {"PROVISIONING", "PENDING", "RUNNING", "STOPPED"} & statuses >= {"RUNNING", "STOPPED"}


def test_rule_delivers_to_cloudwatch_logs(clean, ecs, aws, images):
    events, logs = aws("events"), aws("logs")
    logs.create_log_group(logGroupName="/aws/events/ecs")
    group_arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/ecs"
    events.put_rule(
        Name="to-logs", EventPattern=json.dumps({"source": ["aws.ecs"], "detail": {"lastStatus": ["STOPPED"]}})
    )
    events.put_targets(Rule="to-logs", Targets=[{"Id": "l", "Arn": group_arn}])
    arn = run(ecs, "evl", [{"name": "app", "image": images["busybox"], "command": ["true"]}])
    wait_for(ecs, arn)
    found = logs.filter_log_events(logGroupName="/aws/events/ecs")["events"]
    assert [json.loads(e["message"])["detail"]["taskArn"] for e in found] == [arn]


def test_events_stay_in_the_tasks_account(clean, aws, images):
    ecs_b = aws("ecs", account="222222222222")
    sqs_a, sqs_b = aws("sqs"), aws("sqs", account="222222222222")
    for sqs, events in ((sqs_a, aws("events")), (sqs_b, aws("events", account="222222222222"))):
        url = sqs.create_queue(QueueName="mine")["QueueUrl"]
        q = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(
            Name="r", EventPattern=json.dumps({"source": ["aws.ecs"], "detail": {"lastStatus": ["STOPPED"]}})
        )
        events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": q}])
    arn = run(ecs_b, "acct", [{"name": "app", "image": images["busybox"], "command": ["true"]}])
    wait_for(ecs_b, arn)
    url_a = sqs_a.get_queue_url(QueueName="mine")["QueueUrl"]
    url_b = sqs_b.get_queue_url(QueueName="mine")["QueueUrl"]
    assert sqs_a.receive_message(QueueUrl=url_a, WaitTimeSeconds=0).get("Messages", []) == []
    got = sqs_b.receive_message(QueueUrl=url_b, WaitTimeSeconds=0)["Messages"]
    assert json.loads(got[0]["Body"])["account"] == "222222222222"
