"""The awslogs driver: container output streamed into CloudWatch Logs while the task runs."""

from __future__ import annotations

import time

from around_helpers import awslogs, run, stream_events, task_id, wait_for


def test_fifty_thousand_lines_complete_and_in_order(clean, ecs, aws, images):
    arn = run(
        ecs,
        "burst",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "command": ["seq", "1", "50000"],
                "logConfiguration": awslogs("/t/burst"),
            }
        ],
    )
    task = wait_for(ecs, arn)
    assert task["containers"][0]["exitCode"] == 0
    events = stream_events(aws("logs"), "/t/burst", f"ecs/app/{task_id(arn)}")
    assert [e["message"] for e in events] == [str(i) for i in range(1, 50001)]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert abs(stamps[0] - task["startedAt"].timestamp() * 1000) < 60_000  # the container's own clock


def test_lines_arrive_while_the_task_runs(clean, ecs, aws, images):
    script = "i=0; while [ $i -lt 600 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done"
    arn = run(
        ecs,
        "live",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "command": ["sh", "-c", script],
                "logConfiguration": awslogs("/t/live"),
            }
        ],
    )
    assert wait_for(ecs, arn, "RUNNING")["lastStatus"] == "RUNNING"
    logs = aws("logs")
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while len(seen) < 5 and time.monotonic() < deadline:
        seen = [e["message"] for e in stream_events(logs, "/t/live", f"ecs/app/{task_id(arn)}")]
        time.sleep(0.2)
    assert seen[:5] == [f"tick {i}" for i in range(5)]
    # a line printed now is visible within about a second, while the task still runs
    before = len(seen)
    time.sleep(1.5)
    later = [e["message"] for e in stream_events(logs, "/t/live", f"ecs/app/{task_id(arn)}")]
    assert len(later) > before + 5
    assert later == [f"tick {i}" for i in range(len(later))]
    assert ecs.describe_tasks(tasks=[arn])["tasks"][0]["lastStatus"] == "RUNNING"
    ecs.stop_task(task=arn)


def test_stdout_stderr_and_instant_exit(clean, ecs, aws, images):
    script = "echo out-1; echo err-1 >&2; echo out-2; exit 3"
    arn = run(
        ecs,
        "both",
        [
            {
                "name": "app",
                "image": images["busybox"],
                "command": ["sh", "-c", script],
                "logConfiguration": awslogs("/t/both"),
            }
        ],
    )
    task = wait_for(ecs, arn)
    assert task["containers"][0]["exitCode"] == 3
    messages = sorted(e["message"] for e in stream_events(aws("logs"), "/t/both", f"ecs/app/{task_id(arn)}"))
    assert messages == ["err-1", "out-1", "out-2"]


def test_missing_group_fails_the_task_unless_created(clean, ecs, aws, images):
    container = {"name": "app", "image": images["busybox"], "command": ["echo", "hi"]}
    arn = run(ecs, "nogroup", [{**container, "logConfiguration": awslogs("/t/absent", create=False)}])
    task = wait_for(ecs, arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: failed to validate logger args")
    assert "The specified log group does not exist." in task["stoppedReason"]
    assert aws("logs").describe_log_groups(logGroupNamePrefix="/t/absent")["logGroups"] == []
    # an existing group works without create-group
    aws("logs").create_log_group(logGroupName="/t/absent")
    arn = run(ecs, "nogroup", [{**container, "logConfiguration": awslogs("/t/absent", create=False)}])
    wait_for(ecs, arn)
    assert [e["message"] for e in stream_events(aws("logs"), "/t/absent", f"ecs/app/{task_id(arn)}")] == ["hi"]


def test_multiline_pattern_and_datetime_format(clean, ecs, aws, images):
    script = "printf 'START a\\n  at x\\n  at y\\nSTART b\\nSTART c\\n  more\\n'"
    pattern = awslogs("/t/multi", **{"awslogs-multiline-pattern": "^START"})
    arn = run(
        ecs,
        "multi",
        [{"name": "app", "image": images["busybox"], "command": ["sh", "-c", script], "logConfiguration": pattern}],
    )
    wait_for(ecs, arn)
    messages = [e["message"] for e in stream_events(aws("logs"), "/t/multi", f"ecs/app/{task_id(arn)}")]
    assert messages == ["START a\n  at x\n  at y", "START b", "START c\n  more"]

    script = "printf '2026-01-02 03:04:05 one\\ncontinued\\n2026-01-02 03:04:06 two\\n'"
    dated = awslogs("/t/dated", **{"awslogs-datetime-format": "%Y-%m-%d %H:%M:%S"})
    arn = run(
        ecs,
        "dated",
        [{"name": "app", "image": images["busybox"], "command": ["sh", "-c", script], "logConfiguration": dated}],
    )
    wait_for(ecs, arn)
    messages = [e["message"] for e in stream_events(aws("logs"), "/t/dated", f"ecs/app/{task_id(arn)}")]
    assert messages == ["2026-01-02 03:04:05 one\ncontinued", "2026-01-02 03:04:06 two"]
