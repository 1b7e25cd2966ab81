"""The container engines the suite runs against: Docker's socket, and Podman's Docker-compatible service.

``podman_url()`` starts ``podman system service`` when nothing answers on its socket (with default ulimits
inside this machine's hard limits, which Debian's Podman otherwise exceeds). Both make sure the engine has the
busybox test image (tests/images.py).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import images

DOCKER_SOCKET = Path(os.environ.get("DOCKYARD_DOCKER_SOCK", "/var/run/docker.sock"))
PODMAN_SOCKET = Path(os.environ.get("DOCKYARD_PODMAN_SOCK", "/run/podman/podman.sock"))
BUSYBOX = images.BUSYBOX


class EngineMissing(RuntimeError):
    pass


def _answers(socket: Path) -> bool:
    if not socket.is_socket():
        return False
    probe = subprocess.run(
        ["docker", "-H", f"unix://{socket}", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


def docker_url() -> str:
    if not _answers(DOCKER_SOCKET):
        raise EngineMissing(f"no Docker engine answers on {DOCKER_SOCKET} (scripts/test starts one)")
    images.ensure(["busybox"], ["docker"])
    return f"unix://{DOCKER_SOCKET}"


def podman_conf() -> str:
    """containers.conf for Podman: its default rlimits (nofile 1048576) are above this machine's hard limits."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    nofile = 1048576 if nofile == resource.RLIM_INFINITY else nofile
    # Podman caps its own RLIMIT_NPROC at 32768 here, and runc may not raise a container above that.
    nproc = 32768 if nproc == resource.RLIM_INFINITY else min(nproc, 32768)
    return f'[containers]\ndefault_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'


def podman_url() -> str:
    if shutil.which("podman") is None:
        raise EngineMissing("podman is not installed (scripts/test installs it)")
    if not _answers(PODMAN_SOCKET):
        _start_podman()
    images.ensure(["busybox"], ["podman"])
    return f"unix://{PODMAN_SOCKET}"


def _start_podman() -> None:
    env = dict(os.environ)
    if "CONTAINERS_CONF" not in env and not Path("/etc/containers/containers.conf").exists():
        conf = Path(tempfile.gettempdir()) / "dockyard-podman" / "containers.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_text(podman_conf())
        env["CONTAINERS_CONF"] = str(conf)
    PODMAN_SOCKET.parent.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.gettempdir()) / "dockyard-podman" / "service.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{PODMAN_SOCKET}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the test run, like a system service
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _answers(PODMAN_SOCKET):
            return
        time.sleep(0.2)
    raise EngineMissing(f"podman system service did not answer on {PODMAN_SOCKET}; see {log}")


def engine_cli(kind: str) -> list[str]:
    """The command line client for an engine, for acting on containers from outside dockyard."""
    return ["podman"] if kind == "podman" else ["docker", "-H", f"unix://{DOCKER_SOCKET}"]
