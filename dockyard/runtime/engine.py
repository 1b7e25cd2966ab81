"""Finding the container engine: the explicit setting, else DOCKER_HOST, the Docker socket, the Podman sockets.

Docker and Podman are told apart by ``/version`` (see ``DockerBackend.info``), not by the address.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from dockyard.config import Settings
from dockyard.runtime.backend import EngineUnavailable
from dockyard.runtime.docker import DockerBackend

DOCKER_SOCKET = Path("/var/run/docker.sock")
PODMAN_SOCKET = Path("/run/podman/podman.sock")
# A first answer from a live engine takes milliseconds (seconds for Podman on a loaded machine); longer
# means it is wedged or not an engine.
PROBE_TIMEOUT_S = 15.0


def candidates(settings: Settings) -> list[tuple[str, str]]:
    """(url, where it came from), in the order they are tried; an explicit setting is the only candidate."""
    if settings.engine:
        return [(_url(settings.engine), "DOCKYARD_ENGINE")]
    found = []
    if os.environ.get("DOCKER_HOST"):
        found.append((_url(os.environ["DOCKER_HOST"]), "DOCKER_HOST"))
    found.append((f"unix://{DOCKER_SOCKET}", "the Docker socket"))
    found.append((f"unix://{PODMAN_SOCKET}", "the Podman socket"))
    if os.environ.get("XDG_RUNTIME_DIR"):
        found.append((f"unix://{os.environ['XDG_RUNTIME_DIR']}/podman/podman.sock", "the rootless Podman socket"))
    return found


def _url(address: str) -> str:
    return f"unix://{address}" if address.startswith("/") else address


async def connect(settings: Settings, instance: str) -> DockerBackend:
    """The first candidate that answers ``/version``; EngineUnavailable lists every attempt and why it failed."""
    tried = []
    for url, origin in candidates(settings):
        if url.startswith("unix://") and not Path(url.removeprefix("unix://")).is_socket():
            tried.append(f"{origin} {url} (no such socket)")
            continue
        backend = DockerBackend(url, instance)
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await backend.info()
            return backend
        except Exception as exc:
            await backend.close()
            tried.append(f"{origin} {url} ({exc or type(exc).__name__})")
    raise EngineUnavailable(
        "No container engine is reachable; tried " + "; ".join(tried) + ". Start Docker or Podman "
        "(podman system service --time=0 unix:///run/podman/podman.sock) or set DOCKYARD_ENGINE to its API URL."
    )
