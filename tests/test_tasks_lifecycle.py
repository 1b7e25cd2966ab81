"""Tasks on real containers: lifecycle, container definition mapping, dependencies, health, failures, networking.

Each test runs short-lived busybox containers; stops use an init process or a short stopTimeout, so the
suite spends its time in the engine, not in waits.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import client_for
from tasks_support import (
    AWSVPC,
    assert_cleaned_up,
    container,
    describe,
    docker,
    http_get,
    inspect,
    logs,
    register,
    run,
    wait,
    wait_until,
)

from dockyard.runtime.pause import pause_reference

INIT = {"initProcessEnabled": True}


@pytest.fixture
def ecs(clean, aws, images):
    client = aws("ecs")
    client.create_cluster(clusterName="default")
    return client


def test_echo_runs_to_stopped_with_output_and_timestamps(ecs, server):
    register(ecs, "echo", container("app", "sh", "-c", "echo hi; echo oops >&2"))
    task = run(ecs, "echo")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "EssentialContainerExited"
    assert done["stoppedReason"] == "Essential container in task exited"
    assert done["desiredStatus"] == "STOPPED"
    [c] = done["containers"]
    assert c["lastStatus"] == "STOPPED"
    assert c["exitCode"] == 0
    assert len(c["runtimeId"]) == 64
    times = [done[k] for k in ("createdAt", "startedAt", "executionStoppedAt", "stoppingAt", "stoppedAt")]
    assert times == sorted(times)
    assert done["createdAt"] <= done["startedAt"] <= done["stoppedAt"]
    assert "pullStartedAt" not in done  # the image was local: nothing was pulled
    assert done["version"] > task["version"]
    assert sorted(logs(server, task["taskArn"])) == ["hi", "oops"]
    streams = server.get(f"/_dockyard/tasks/{done['taskArn'].rsplit('/', 1)[1]}/logs")["containers"][0]["lines"]
    assert {line["message"]: line["stream"] for line in streams} == {"hi": "stdout", "oops": "stderr"}
    assert_cleaned_up(task["taskArn"])  # containers removed at stop


def test_non_essential_exit_only_updates_that_container(ecs):
    register(
        ecs,
        "pair",
        container("app", "sleep", "300", linuxParameters=INIT),
        container("side", "sh", "-c", "exit 3", essential=False),
    )
    task = run(ecs, "pair")
    wait(ecs, task["taskArn"], "RUNNING")
    side = wait_until(lambda: [c for c in describe(ecs, task["taskArn"])["containers"] if c.get("exitCode") == 3])
    assert side[0]["lastStatus"] == "STOPPED"
    current = describe(ecs, task["taskArn"])
    assert (current["lastStatus"], current["desiredStatus"]) == ("RUNNING", "RUNNING")
    ecs.stop_task(task=task["taskArn"])
    [done] = wait(ecs, task["taskArn"])
    assert (done["stopCode"], done["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
    assert {c["name"]: c["exitCode"] for c in done["containers"]} == {"app": 143, "side": 3}


def test_container_definition_mapping(ecs, server):
    # pytest's tmp_path is private to root; the container runs as nobody
    tmp_path = Path(tempfile.mkdtemp(prefix="dockyard-mount-"))
    tmp_path.chmod(0o755)
    (tmp_path / "in.txt").write_text("from the host\n")
    register(
        ecs,
        "mapped",
        container(
            "app",
            "-c",
            "pwd; id -u; echo $GREETING; cat /host/in.txt; ulimit -n; touch /nope 2>/dev/null || echo ro; sleep 300",
            entryPoint=["sh"],
            workingDirectory="/tmp",
            user="65534",
            environment=[{"name": "GREETING", "value": "hello"}],
            ulimits=[{"name": "nofile", "softLimit": 1000, "hardLimit": 2000}],
            readonlyRootFilesystem=True,
            dockerLabels={"team": "blue"},
            cpu=128,
            memory=48,
            memoryReservation=32,
            mountPoints=[{"sourceVolume": "host", "containerPath": "/host", "readOnly": True}],
            linuxParameters={
                **INIT,
                "capabilities": {"drop": ["NET_RAW"]},
                "tmpfs": [{"containerPath": "/scratch", "size": 8}],
            },
            stopTimeout=5,
        ),
        volumes=[{"name": "host", "host": {"sourcePath": str(tmp_path)}}],
    )
    task = run(ecs, "mapped")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    wait_until(lambda: "ro" in logs(server, task["taskArn"]))
    assert logs(server, task["taskArn"]) == ["/tmp", "65534", "hello", "from the host", "1000", "ro"]
    c = running["containers"][0]
    assert (c["cpu"], c["memory"], c["memoryReservation"]) == ("128", "48", "32")
    info = inspect(c["runtimeId"])
    labels = info["Config"]["Labels"]
    assert labels["team"] == "blue"
    assert labels["com.amazonaws.ecs.task-arn"] == task["taskArn"]
    assert labels["com.amazonaws.ecs.container-name"] == "app"
    assert labels["com.amazonaws.ecs.task-definition-family"] == "mapped"
    assert labels["com.amazonaws.ecs.task-definition-version"] == "1"
    host = info["HostConfig"]
    assert (host["Memory"], host["MemoryReservation"], host["CpuShares"]) == (48 << 20, 32 << 20, 128)
    assert host["ReadonlyRootfs"] and host["Init"] and host["CapDrop"] == ["NET_RAW"]
    assert "/scratch" in host["Tmpfs"]
    assert info["Config"]["Entrypoint"] == ["sh"]
    assert info["Config"]["StopTimeout"] == 5
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])
    shutil.rmtree(tmp_path)


def test_overrides_apply_to_the_container(ecs, server):
    register(ecs, "over", container("app", "sh", "-c", "echo default", environment=[{"name": "A", "value": "1"}]))
    task = run(
        ecs,
        "over",
        overrides={
            "containerOverrides": [
                {"name": "app", "command": ["sh", "-c", "echo $A-$B"], "environment": [{"name": "B", "value": "2"}]}
            ]
        },
    )
    wait(ecs, task["taskArn"])
    assert logs(server, task["taskArn"]) == ["1-2"]


def test_depends_on_success_with_a_task_volume(ecs, server):
    register(
        ecs,
        "ordered",
        container(
            "init",
            "sh",
            "-c",
            "sleep 1; echo ready > /data/flag",
            essential=False,
            mountPoints=[{"sourceVolume": "shared", "containerPath": "/data"}],
        ),
        container(
            "app",
            "cat",
            "/data/flag",
            dependsOn=[{"containerName": "init", "condition": "SUCCESS"}],
            mountPoints=[{"sourceVolume": "shared", "containerPath": "/data"}],
        ),
        volumes=[{"name": "shared", "dockerVolumeConfiguration": {"scope": "task", "driver": "local"}}],
    )
    task = run(ecs, "ordered")
    [done] = wait(ecs, task["taskArn"])
    assert logs(server, task["taskArn"]) == ["ready"]
    assert {c["name"]: c["exitCode"] for c in done["containers"]} == {"init": 0, "app": 0}
    assert done["stopCode"] == "EssentialContainerExited"
    assert_cleaned_up(task["taskArn"])  # the task-scoped volume went with the task


def test_depends_on_success_fails_when_the_dependency_fails(ecs):
    register(
        ecs,
        "broken",
        container("init", "false", essential=False),
        container("app", "echo", "never", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
    )
    task = run(ecs, "broken")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "TaskFailedToStart"
    assert "startedAt" not in done
    app = next(c for c in done["containers"] if c["name"] == "app")
    assert "exitCode" not in app
    assert app["reason"] == done["stoppedReason"]
    assert done["stoppedReason"].startswith(
        "dependency graph: failed to resolve the container ordering dependency [init]"
    )


def test_health_check_and_healthy_dependency(ecs, server):
    register(
        ecs,
        "healthy",
        container(
            "db",
            "sh",
            "-c",
            "sleep 1; touch /tmp/up; sleep 300",
            linuxParameters=INIT,
            healthCheck={"command": ["CMD-SHELL", "test -f /tmp/up"], "interval": 5, "timeout": 2, "retries": 1},
        ),
        container(
            "app",
            "sh",
            "-c",
            "echo db is up; sleep 300",
            linuxParameters=INIT,
            dependsOn=[{"containerName": "db", "condition": "HEALTHY"}],
        ),
        container(  # non-essential: its health never counts for the task's
            "sick",
            "sleep",
            "300",
            essential=False,
            linuxParameters=INIT,
            healthCheck={"command": ["CMD", "false"], "interval": 5, "timeout": 2, "retries": 1},
        ),
    )
    task = run(ecs, "healthy")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    wait_until(lambda: describe(ecs, task["taskArn"])["containers"][2]["healthStatus"] == "UNHEALTHY")
    running = describe(ecs, task["taskArn"])
    by_name = {c["name"]: c for c in running["containers"]}
    assert by_name["db"]["healthStatus"] == "HEALTHY"
    assert by_name["app"]["healthStatus"] == "UNKNOWN"  # no check of its own
    assert running["healthStatus"] == "HEALTHY"
    assert wait_until(lambda: logs(server, task["taskArn"])) == ["db is up"]
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


def test_dependency_start_timeout(ecs):
    register(
        ecs,
        "late",
        container(
            "db",
            "sleep",
            "300",
            essential=False,
            linuxParameters=INIT,
            startTimeout=2,
            healthCheck={"command": ["CMD", "false"], "interval": 300},
        ),
        container("app", "echo", "never", dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
    )
    task = run(ecs, "late")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "TaskFailedToStart"
    assert (
        done["stoppedReason"] == "dependency graph: container ordering dependency [db] for target [app] has timed out."
    )
    assert {c["name"]: c["lastStatus"] for c in done["containers"]} == {"db": "STOPPED", "app": "STOPPED"}
    assert_cleaned_up(task["taskArn"])


def test_out_of_memory_is_exit_137_with_reason(ecs):
    register(ecs, "oom", container("app", "sh", "-c", "a=$(yes | head -c 200000000); echo survived", memory=8))
    task = run(ecs, "oom")
    [done] = wait(ecs, task["taskArn"])
    [c] = done["containers"]
    assert c["exitCode"] == 137
    assert c["reason"] == "OutOfMemoryError: Container killed due to memory usage"


def test_stop_timeout_then_sigkill(ecs):
    # sleep as PID 1 ignores SIGTERM: only the SIGKILL after stopTimeout ends it.
    register(ecs, "stubborn", container("app", "sleep", "300", stopTimeout=2))
    task = run(ecs, "stubborn")
    wait(ecs, task["taskArn"], "RUNNING")
    ecs.stop_task(task=task["taskArn"])
    stopping = wait_until(lambda: (t := describe(ecs, task["taskArn"]))["lastStatus"] in ("STOPPING", "STOPPED") and t)
    [done] = wait(ecs, task["taskArn"])
    assert stopping["desiredStatus"] == "STOPPED"
    assert done["containers"][0]["exitCode"] == 137
    assert (
        done["stoppedAt"] - done["stoppingAt"]
    ).total_seconds() >= 2  # the SIGKILL waited for stopTimeout (a lower bound)


def test_bridge_dynamic_port_answers_http(ecs):
    register(
        ecs,
        "web",
        container(
            "app",
            "sh",
            "-c",
            "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www",
            portMappings=[{"containerPort": 8080}],
            linuxParameters=INIT,
        ),
    )
    task = run(ecs, "web")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    [binding] = running["containers"][0]["networkBindings"]
    assert binding["containerPort"] == 8080 and binding["protocol"] == "tcp"
    assert binding["hostPort"] > 1024
    url = f"http://127.0.0.1:{binding['hostPort']}/"
    body = wait_until(lambda: http_get(url))
    assert body == "hello\n"
    ecs.stop_task(task=task["taskArn"])
    wait(ecs, task["taskArn"])


def test_awsvpc_containers_share_localhost(ecs, server):
    register(
        ecs,
        "vpc",
        container(
            "server",
            "sh",
            "-c",
            "mkdir -p /www && echo from-server > /www/index.html && exec httpd -f -p 8080 -h /www",
            essential=False,
            linuxParameters=INIT,
            portMappings=[{"containerPort": 8080}],
        ),
        container(
            "app",
            "sh",
            "-c",
            "until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done",
            dependsOn=[{"containerName": "server", "condition": "START"}],
        ),
        mode="awsvpc",
    )
    task = run(ecs, "vpc", networkConfiguration=AWSVPC)
    assert task["lastStatus"] == "PROVISIONING"
    [done] = wait(ecs, task["taskArn"])
    assert logs(server, task["taskArn"]) == ["from-server"]
    assert done["connectivity"] == "CONNECTED" and "connectivityAt" in done
    assert done["attachments"][0]["status"] == "DELETED"
    assert all(c["networkBindings"] == [] for c in done["containers"])
    assert_cleaned_up(task["taskArn"])  # the pause container too
    # The sandbox ran dockyard's own generated pause image, which needs no base image on the machine.
    inspect = subprocess.run(["docker", "image", "inspect", pause_reference()], capture_output=True, text=True)
    assert inspect.returncode == 0 and '"/pause"' in inspect.stdout


def test_killed_from_outside_is_noticed(ecs):
    register(ecs, "victim", container("app", "sleep", "300"))
    task = run(ecs, "victim")
    [running] = wait(ecs, task["taskArn"], "RUNNING")
    docker("kill", running["containers"][0]["runtimeId"])
    [done] = wait(ecs, task["taskArn"])
    assert done["containers"][0]["exitCode"] == 137
    assert done["stopCode"] == "EssentialContainerExited"


def test_pull_failure(ecs):
    register(ecs, "nopull", container("app", image="127.0.0.1:9/nothing/here:1"))
    task = run(ecs, "nopull")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "TaskFailedToStart"
    assert done["stoppedReason"].startswith("CannotPullContainerError: ")
    assert done["containers"][0]["reason"] == done["stoppedReason"]
    assert "pullStartedAt" in done and "startedAt" not in done


def test_start_failure(ecs):
    register(ecs, "nostart", container("app", entryPoint=["/does/not/exist"]))
    task = run(ecs, "nostart")
    [done] = wait(ecs, task["taskArn"])
    assert done["stopCode"] == "TaskFailedToStart"
    assert done["stoppedReason"].startswith("CannotStartContainerError: ")
    assert_cleaned_up(task["taskArn"])


def test_stop_task_during_launch_wins(ecs):
    register(
        ecs,
        "slow",
        container(
            "db", "sleep", "300", linuxParameters=INIT, healthCheck={"command": ["CMD", "false"], "interval": 300}
        ),
        container("app", "sleep", "300", dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
    )
    waiting = run(ecs, "slow")
    wait_until(lambda: describe(ecs, waiting["taskArn"])["containers"][0]["lastStatus"] == "RUNNING")
    immediate = run(ecs, "slow")
    ecs.stop_task(task=immediate["taskArn"])
    ecs.stop_task(task=waiting["taskArn"], reason="changed my mind")
    done = wait(ecs, [waiting["taskArn"], immediate["taskArn"]])
    assert [t["stopCode"] for t in done] == ["UserInitiated", "UserInitiated"]
    assert done[0]["stoppedReason"] == "changed my mind"
    assert all("startedAt" not in t for t in done)
    assert_cleaned_up(waiting["taskArn"], immediate["taskArn"])


def test_fifty_concurrent_tasks_keep_exact_counters(ecs):
    register(ecs, "many", container("app", "sleep", "300", memory=16, linuxParameters=INIT))
    arns = [t["taskArn"] for _ in range(5) for t in ecs.run_task(taskDefinition="many", count=10)["tasks"]]
    cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert cluster["runningTasksCount"] + cluster["pendingTasksCount"] == 50
    wait(ecs, arns, "RUNNING")
    cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (50, 0)
    assert len(ecs.list_tasks()["taskArns"]) == 50
    for arn in arns:
        ecs.stop_task(task=arn)
    wait(ecs, arns)
    cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 0)


def test_no_engine_stops_tasks_with_a_clear_reason(tmp_path):
    from conftest import start_server, stop_server

    server = start_server(tmp_path / "noengine", env={"DOCKYARD_ENGINE": "unix:///nonexistent/engine.sock"})
    try:
        ecs = client_for(server.endpoint, "ecs")
        ecs.create_cluster(clusterName="default")
        register(ecs, "x", container())
        task = run(ecs, "x")
        [done] = wait(ecs, task["taskArn"])
        assert done["stopCode"] == "TaskFailedToStart"
        assert done["stoppedReason"].startswith("ResourceInitializationError: no container engine is available")
        assert "/nonexistent/engine.sock" in done["stoppedReason"]
        assert server.get("/_dockyard/health")["runtime"]["status"] == "unavailable"
    finally:
        stop_server(server)
