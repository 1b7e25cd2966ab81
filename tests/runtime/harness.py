"""What the runtime tests drive an engine with: a backend with its own instance label, and the events it saw."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engines import BUSYBOX, docker_url, podman_url

from dockyard.runtime.backend import LABEL_CONTAINER, LABEL_INSTANCE, LABEL_OWNER, ContainerEvent, ContainerSpec
from dockyard.runtime.docker import DockerBackend

T = TypeVar("T")
SCENARIO_TIMEOUT_S = 240  # 50 Podman containers on a busy 2-core machine take ~2 min


@dataclass
class Harness:
    """One backend with its own instance label, and every event it saw."""

    backend: DockerBackend
    instance: str
    kind: str
    events: list[ContainerEvent] = field(default_factory=list)
    _seen: asyncio.Condition = field(default_factory=asyncio.Condition)
    _names: int = 0

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL_INSTANCE: self.instance, LABEL_OWNER: "tests"}

    def spec(self, *command: str, **fields: Any) -> ContainerSpec:
        self._names += 1
        name = f"dyt-{self.instance[:8]}-{self._names}"
        labels = {**self.labels, LABEL_CONTAINER: name, **fields.pop("labels", {})}
        if command:
            fields["command"] = list(command)
        return ContainerSpec(name=name, image=BUSYBOX, labels=labels, **fields)

    async def run(self, spec: ContainerSpec) -> str:
        container_id = await self.backend.create(spec)
        await self.backend.start(container_id)
        return container_id

    async def watch(self) -> None:
        async for event in self.backend.events():
            async with self._seen:
                self.events.append(event)
                self._seen.notify_all()

    async def event(self, container_id: str, action: str) -> ContainerEvent:
        """The first event of ``container_id`` whose action starts with ``action``, waiting for it."""

        def found() -> ContainerEvent | None:
            return next(
                (e for e in self.events if e.container_id == container_id and e.action.startswith(action)), None
            )

        async with self._seen:
            await self._seen.wait_for(lambda: found() is not None)
        event = found()
        assert event is not None
        return event


@dataclass
class Engine:
    kind: str
    url: str

    def run(self, scenario: Callable[[Harness], Awaitable[T]]) -> T:
        """Runs ``scenario`` with a fresh harness watching events; removes everything it labelled afterwards."""

        async def main() -> T:
            harness = Harness(DockerBackend(self.url, uuid.uuid4().hex), "", self.kind)
            harness.instance = harness.backend.instance
            watcher = asyncio.ensure_future(harness.watch())
            await asyncio.sleep(0)  # the stream's replay point is taken now, before any container exists
            try:
                async with asyncio.timeout(SCENARIO_TIMEOUT_S):
                    return await scenario(harness)
            finally:
                watcher.cancel()
                await harness.backend.remove_labelled({LABEL_INSTANCE: harness.instance})
                await harness.backend.close()

        return asyncio.run(main())


_URLS: dict[str, str] = {}


def engine_url(kind: str) -> str:
    if kind not in _URLS:
        _URLS[kind] = docker_url() if kind == "docker" else podman_url()
    return _URLS[kind]
