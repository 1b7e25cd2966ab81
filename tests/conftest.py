"""Fixtures: a real dockyard server in a subprocess, and real AWS clients (boto3, the AWS CLI) pointed at it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests import images as test_images
from tests.images import BUSYBOX, PYTHON

ROOT = Path(__file__).resolve().parent.parent
AWS_CLI = Path(sys.executable).with_name("aws")
__all__ = ["BUSYBOX", "PYTHON"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    endpoint: str
    port: int
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.endpoint + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str) -> Any:
        request = urllib.request.Request(self.endpoint + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self.post("/_dockyard/reset")


def start_server(data_dir: Path, env: dict[str, str] | None = None, port: int | None = None) -> Server:
    """Starts ``dockyard serve`` from this checkout, strict about response shapes, and waits for health."""
    port = port or free_port()
    log = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "DOCKYARD_STRICT": "1", **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "dockyard", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", port, data_dir, log, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dockyard exited with {process.returncode}:\n{log.read_text()}")
        try:
            server.get("/_dockyard/health")
            return server
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"dockyard did not become healthy:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("dockyard"))
    yield srv
    stop_server(srv)


ClientFactory = Callable[..., Any]


def client_for(
    endpoint: str,
    service: str,
    region: str = "us-east-1",
    key: str = "test",
    secret: str = "test",
    token: str | None = None,
    **config: Any,
) -> Any:
    """A boto3 client for a dockyard at ``endpoint``; one attempt, so a failure is seen, not retried away."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


@pytest.fixture(scope="session")
def aws(server: Server) -> ClientFactory:
    """``aws("ecs", region="eu-west-1", account="111111111111")``: a boto3 client for the live server."""

    def make(service: str, region: str = "us-east-1", account: str | None = None) -> Any:
        return client_for(server.endpoint, service, region=region, key=account or "test")

    return make


@pytest.fixture
def ecs(aws: ClientFactory) -> Any:
    return aws("ecs")


@pytest.fixture
def clean(server: Server) -> Server:
    """A server with every account and region wiped first."""
    server.reset()
    return server


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture(scope="session")
def cli(server: Server) -> Callable[..., CliResult]:
    """Runs the AWS CLI against the live server: ``cli("ecs", "list-clusters")``."""

    def run(*args: str, region: str = "us-east-1", cwd: Path | None = None) -> CliResult:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": region,
            "AWS_PAGER": "",
        }
        proc = subprocess.run(
            [str(AWS_CLI), "--endpoint-url", server.endpoint, "--output", "json", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=120,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """The locally built test images, in every engine that answers: ``{"busybox": BUSYBOX, "python": PYTHON}``."""
    return test_images.ensure()
