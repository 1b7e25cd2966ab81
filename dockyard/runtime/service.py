"""The runtime as the server holds it: one engine connection per server instance, made in the background.

The ECS task launcher gets everything container-related from ``Runtime``: ``await runtime.backend()``, the
labels to put on what it creates, and the URL containers use to call dockyard.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from dockyard.config import Settings
from dockyard.runtime import pause
from dockyard.runtime.backend import (
    LABEL_CONTAINER,
    LABEL_INSTANCE,
    LABEL_OWNER,
    LABEL_TASK,
    Backend,
    ContainerError,
    EngineInfo,
    EngineUnavailable,
)

log = logging.getLogger("dockyard.runtime")

# After a failed attempt, callers get the same error for this long before the engine is tried again.
RETRY_AFTER_S = 2.0

Listen = Callable[[str], Awaitable[None]]


class Runtime:
    def __init__(self, settings: Settings, listen: Listen | None = None) -> None:
        self.settings = settings
        self.instance = uuid.uuid4().hex
        # A restart on the same host and port removes what its dead predecessor left behind.
        self.owner = f"{socket.gethostname()}:{settings.port}"
        self.labels = {LABEL_INSTANCE: self.instance, LABEL_OWNER: self.owner}
        # Makes the server listen on one more address (the engine's host gateway), same port.
        self._listen = listen
        self._backend: Backend | None = None
        self._info: EngineInfo | None = None
        self._error: str | None = None
        self._failed_at = 0.0
        self._connecting: asyncio.Task[Backend] | None = None
        self._lock = asyncio.Lock()
        self._pause_image: str | None = None

    # -- for the task launcher -----------------------------------------------------------------------------

    def labels_for(self, task_arn: str, container_name: str) -> dict[str, str]:
        """The labels every container of a task carries (networks and volumes: ``labels`` plus the task)."""
        return {**self.labels, LABEL_TASK: task_arn, LABEL_CONTAINER: container_name}

    async def pause_image(self) -> str:
        """The image of awsvpc sandboxes: ``DOCKYARD_PAUSE_IMAGE`` (its default command must block forever), or
        dockyard's own generated one, imported into the engine the first time it is missing."""
        if self.settings.pause_image:
            return self.settings.pause_image
        if self._pause_image is None:
            if not pause.supported():
                raise ContainerError("no pause image for this CPU architecture: set DOCKYARD_PAUSE_IMAGE")
            backend, reference = await self.backend(), pause.pause_reference()
            if await backend.image(reference) is None:
                await backend.import_image(reference, pause.pause_tarball(), ["/pause"])
            self._pause_image = reference
        return self._pause_image

    async def backend(self) -> Backend:
        """The connected backend; waits for the background connection, EngineUnavailable if there is none."""
        if self._backend is not None:
            return self._backend
        async with self._lock:
            if self._backend is not None:
                return self._backend
            if self._connecting is None or (
                self._connecting.done() and time.monotonic() - self._failed_at > RETRY_AFTER_S
            ):
                self._connecting = asyncio.ensure_future(self._connect())
            connecting = self._connecting
        return await asyncio.shield(connecting)

    @property
    def info(self) -> EngineInfo | None:
        return self._info

    @property
    def host_address(self) -> str | None:
        """The host's address on the engine's default bridge (Docker's 172.17.0.1, Podman's 10.88.0.1)."""
        return self._info.host_gateway if self._info else None

    def endpoint_for_containers(self, network_mode: str) -> str:
        """The URL a container in ``network_mode`` calls dockyard at (host: loopback; bridge/awsvpc: gateway)."""
        if network_mode == "host" or self.host_address is None:
            return f"http://127.0.0.1:{self.settings.port}"
        return f"http://{self.host_address}:{self.settings.port}"

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def _connect(self) -> Backend:
        # aiodocker and aiohttp take ~0.1 s to import: off the event loop, so start-up does not wait for them.
        engine = await asyncio.to_thread(importlib.import_module, "dockyard.runtime.engine")
        try:
            backend = await engine.connect(self.settings, self.instance)
        except EngineUnavailable as exc:
            self._error, self._failed_at = str(exc), time.monotonic()
            log.warning("%s", exc)
            raise
        info = await backend.info()
        # Nothing of ours exists yet (no caller has the backend), so all this owner's objects are a predecessor's.
        removed = await backend.remove_labelled({LABEL_OWNER: self.owner})
        if removed:
            log.info("removed %d leftovers of a previous dockyard on %s", removed, self.owner)
        if self._listen is not None and info.host_gateway:
            try:
                await self._listen(info.host_gateway)
            except OSError as exc:
                log.warning("cannot listen on %s for containers: %s", info.host_gateway, exc)
        self._backend, self._info, self._error = backend, info, None
        log.info("container engine: %s %s at %s", info.kind, info.version, info.api_url)
        return backend

    async def reset(self) -> None:
        """Removes exactly this instance's containers, networks and volumes."""
        if self._backend is not None:
            await self._backend.remove_labelled({LABEL_INSTANCE: self.instance})

    async def close(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self._backend is not None:
            await self.reset()
            await self._backend.close()
            self._backend = None

    def health(self) -> dict[str, Any]:
        if self._info is not None:
            return {
                "status": "available",
                "engine": self._info.kind,
                "version": self._info.version,
                "url": self._info.api_url,
                "hostAddress": self._info.host_gateway,
                "instance": self.instance,
            }
        if self._error is not None:
            return {"status": "unavailable", "error": self._error}
        return {"status": "connecting"}
