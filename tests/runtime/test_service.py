"""The runtime inside a live server: health, background connection, cleanup of exactly its own objects, and
containers reaching the server at the engine's host gateway."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engines import BUSYBOX, engine_cli

from dockyard.runtime.backend import LABEL_INSTANCE, LABEL_OWNER
from tests.conftest import Server, client_for, free_port, start_server, stop_server
from tests.runtime.harness import engine_url


def runtime_health(server: Server) -> dict[str, Any]:
    """The health report's runtime entry once the background connection settled (bounded wait)."""
    for _ in range(300):
        report = server.get("/_dockyard/health")["runtime"]
        if report["status"] != "connecting":
            return report
        time.sleep(0.05)
    raise AssertionError("the runtime never finished connecting")


def labelled(kind: str, name: str, labels: dict[str, str]) -> str:
    """Starts a long-sleeping container carrying ``labels`` straight through the engine's CLI."""
    args = [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]
    run = [*engine_cli(kind), "run", "-d", "--name", name, *args, BUSYBOX, "sleep", "300"]
    return subprocess.run(run, check=True, capture_output=True, text=True).stdout.strip()


def exists(kind: str, container_id: str) -> bool:
    return subprocess.run([*engine_cli(kind), "inspect", container_id], capture_output=True).returncode == 0


@pytest.fixture(params=["docker", "podman"])
def kind(request: pytest.FixtureRequest) -> str:
    engine_url(request.param)  # starts Podman's service when needed
    return request.param


@pytest.fixture
def foreign(kind: str) -> Iterator[str]:
    """A container of some other dockyard, which no cleanup of ours may touch."""
    tag = f"dyt-foreign-{free_port()}"
    container_id = labelled(kind, tag, {LABEL_INSTANCE: "someone-else", LABEL_OWNER: "elsewhere:1"})
    yield container_id
    subprocess.run([*engine_cli(kind), "rm", "-f", container_id], capture_output=True)


def test_health_reports_the_engine(kind: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"DOCKYARD_ENGINE": engine_url(kind)})
    try:
        report = runtime_health(server)
        assert report["status"] == "available"
        assert report["engine"] == kind
        assert report["url"] == engine_url(kind)
        assert report["version"] and report["hostAddress"]
    finally:
        stop_server(server)


def test_no_engine_keeps_the_control_plane_up(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"DOCKYARD_ENGINE": "unix:///nonexistent/engine.sock"})
    try:
        report = runtime_health(server)
        assert report["status"] == "unavailable"
        assert "unix:///nonexistent/engine.sock" in report["error"]
        ecs = client_for(server.endpoint, "ecs")
        assert ecs.list_clusters()["clusterArns"] == []
    finally:
        stop_server(server)


def test_restart_removes_its_dead_predecessors_leftovers(kind: str, foreign: str, tmp_path: Path) -> None:
    port = free_port()
    owner = f"{socket.gethostname()}:{port}"
    leftover = labelled(kind, f"dyt-leftover-{port}", {LABEL_INSTANCE: "dead-predecessor", LABEL_OWNER: owner})
    server = start_server(tmp_path, env={"DOCKYARD_ENGINE": engine_url(kind)}, port=port)
    try:
        assert runtime_health(server)["status"] == "available"
        assert not exists(kind, leftover)
        assert exists(kind, foreign)
    finally:
        stop_server(server)


def test_reset_and_shutdown_remove_exactly_this_instances_objects(kind: str, foreign: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"DOCKYARD_ENGINE": engine_url(kind)})
    try:
        report = runtime_health(server)
        ours = {LABEL_INSTANCE: report["instance"], LABEL_OWNER: "tests"}
        first = labelled(kind, f"dyt-ours-{server.port}-1", ours)
        server.reset()
        assert not exists(kind, first)
        assert exists(kind, foreign)
        second = labelled(kind, f"dyt-ours-{server.port}-2", ours)
    finally:
        stop_server(server)
    assert not exists(kind, second)
    assert exists(kind, foreign)


def test_containers_reach_the_server_at_the_host_gateway(kind: str, tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"DOCKYARD_ENGINE": engine_url(kind)})
    try:
        gateway = runtime_health(server)["hostAddress"]
        url = f"http://{gateway}:{server.port}/_dockyard/health"
        probe = subprocess.run(
            [*engine_cli(kind), "run", "--rm", BUSYBOX, "wget", "-qO-", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert probe.returncode == 0, probe.stderr
        assert json.loads(probe.stdout)["runtime"]["engine"] == kind
    finally:
        stop_server(server)
