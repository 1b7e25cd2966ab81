"""What the benchmarks share: the servers compared (dockyard, moto's server, MiniStack), started on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
MINISTACK_VENV = BENCH / ".venv-ministack"
# MiniStack pins a newer botocore than dockyard, so it lives in a venv of its own.
MINISTACK = "ministack==1.5.33"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_ministack() -> Path:
    stamp = MINISTACK_VENV / ".installed"
    if not (stamp.exists() and stamp.read_text() == MINISTACK):
        if not (MINISTACK_VENV / "bin" / "python").exists():
            subprocess.run(["python3", "-m", "venv", str(MINISTACK_VENV)], check=True)
        print(f"installing {MINISTACK} into {MINISTACK_VENV}", file=sys.stderr)
        subprocess.run([str(MINISTACK_VENV / "bin" / "pip"), "install", "-q", MINISTACK], check=True)
        stamp.write_text(MINISTACK)
    return MINISTACK_VENV / "bin" / "ministack"


@dataclass
class Contender:
    name: str
    command: Callable[[int, Path], list[str]]
    env: Callable[[int], dict[str, str]] = field(default=lambda port: {})


def _dockyard(port: int, data: Path) -> list[str]:
    return [sys.executable, "-m", "dockyard", "serve", "--port", str(port), "--data-dir", str(data)]


def _moto(port: int, data: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)]


def _ministack(port: int, data: Path) -> list[str]:
    return [str(ensure_ministack())]


def _dockyard_env(port: int) -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT), "DOCKYARD_LOG_LEVEL": "warning"}


def _ministack_env(port: int) -> dict[str, str]:
    return {"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}


CONTENDERS = {
    "dockyard": Contender("dockyard", _dockyard, _dockyard_env),
    "moto": Contender("moto", _moto),
    "ministack": Contender("ministack", _ministack, _ministack_env),
}


def client(endpoint: str, service: str = "ecs") -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # total_max_attempts: in legacy mode "max_attempts" counts retries, and a retry sleeps (that is not the
        # server's start-up time).
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=64),
    )


@dataclass
class Running:
    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    startup_s: float
    data_dir: tempfile.TemporaryDirectory[str]

    def rss_mib(self) -> float:
        """Resident memory of the server and every process it started."""
        return sum(_rss_kib(pid) for pid in [self.process.pid, *_descendants(self.process.pid)]) / 1024

    def cpu_s(self) -> float:
        """CPU time (user + system) the server and its processes have used so far."""
        return sum(_cpu_s(pid) for pid in [self.process.pid, *_descendants(self.process.pid)])

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.data_dir.cleanup()


def start(name: str, timeout: float = 60) -> Running:
    """Starts a contender and measures the time from spawning it to its first answered ``ListClusters``."""
    contender = CONTENDERS[name]
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    probe = client(endpoint)  # made before the clock starts: boto3's own start-up is not the server's
    data = tempfile.TemporaryDirectory(prefix=f"bench-{name}-")
    env = {**os.environ, **contender.env(port)}
    log = open(Path(data.name) / "server.log", "wb")  # noqa: SIM115 - lives as long as the process
    started = time.perf_counter()
    process = subprocess.Popen(
        contender.command(port, Path(data.name)), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = started + timeout
    while True:
        try:
            probe.list_clusters()
            break
        except Exception:
            if process.poll() is not None or time.perf_counter() > deadline:
                process.kill()
                raise RuntimeError(f"{name} did not answer:\n{(Path(data.name) / 'server.log').read_text()}") from None
            time.sleep(0.005)
    return Running(name, endpoint, process, time.perf_counter() - started, data)


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = [int(child) for child in children]
    for child in list(found):
        found.extend(_descendants(child))
    return found


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
