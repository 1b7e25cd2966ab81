"""Task metadata endpoint v4 (and v3) read from inside a running task: /, /task, /stats, /task/stats."""

from __future__ import annotations

import json

from around_helpers import awslogs, run, stream_events, task_id, wait_for

READ = r"""
import json, os, urllib.request
def get(path, base=os.environ["ECS_CONTAINER_METADATA_URI_V4"]):
    return json.loads(urllib.request.urlopen(base + path).read())
print(json.dumps({
    "self": get(""), "task": get("/task"), "stats": get("/stats"), "task_stats": get("/task/stats"),
    "v3": get("/task", os.environ["ECS_CONTAINER_METADATA_URI"]),
}))
"""


def test_metadata_from_inside_the_task(clean, ecs, aws, images):
    arn = run(
        ecs,
        "meta",
        [
            {
                "name": "app",
                "image": images["python"],
                "command": ["python3", "-c", READ],
                "logConfiguration": awslogs("/t/meta"),
            },
            {"name": "side", "image": images["busybox"], "command": ["sleep", "30"], "essential": False},
        ],
        cpu="512",
        memory="1024",
    )
    task = wait_for(ecs, arn)
    app = next(c for c in task["containers"] if c["name"] == "app")
    side = next(c for c in task["containers"] if c["name"] == "side")
    assert app["exitCode"] == 0, task
    data = json.loads(stream_events(aws("logs"), "/t/meta", f"ecs/app/{task_id(arn)}")[-1]["message"])

    me = data["self"]
    assert me["Name"] == "app" and me["DockerId"] == app["runtimeId"]
    assert me["Image"] == images["python"] and me["ImageID"].startswith("sha256:")
    assert me["KnownStatus"] == "RUNNING" and me["Type"] == "NORMAL"
    assert me["Labels"]["com.amazonaws.ecs.task-arn"] == arn
    assert me["LogDriver"] == "awslogs"
    assert me["LogOptions"]["awslogs-stream"] == f"ecs/app/{task_id(arn)}"
    assert "awslogs-stream-prefix" not in me["LogOptions"]
    assert me["Networks"][0]["NetworkMode"] == "bridge" and me["Networks"][0]["IPv4Addresses"]
    assert me["StartedAt"].endswith("Z")

    t = data["task"]
    assert t["TaskARN"] == arn and t["Family"] == "meta" and t["Revision"] == "1"
    assert t["Limits"] == {"CPU": 0.5, "Memory": 1024}
    assert t["DesiredStatus"] == "RUNNING" and t["KnownStatus"] == "RUNNING"
    assert sorted(c["Name"] for c in t["Containers"]) == ["app", "side"]
    assert {c["DockerId"] for c in t["Containers"]} == {app["runtimeId"], side["runtimeId"]}
    assert t["FaultInjectionEnabled"] is False and t["LaunchType"] == "EC2"
    assert data["v3"]["TaskARN"] == arn

    # real engine stats
    assert data["stats"]["memory_stats"]["usage"] > 0 and "cpu_stats" in data["stats"]
    assert set(data["task_stats"]) == {app["runtimeId"], side["runtimeId"]}
    assert data["task_stats"][side["runtimeId"]]["pids_stats"]["current"] >= 1
