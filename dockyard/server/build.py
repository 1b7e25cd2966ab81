"""Assembles the app from the service packages."""

from __future__ import annotations

import contextlib

from dockyard.config import Settings
from dockyard.server import internal
from dockyard.server.app import App


def build_app(settings: Settings | None = None) -> App:
    from dockyard import adapters, ecr, ecs

    app = App(settings)
    internal.install(app)
    install_runtime(app)
    ecs.install(app)
    ecr.install(app)
    adapters.install(app)
    install_task_wiring(app)
    return app


def install_task_wiring(app: App) -> None:
    """What AWS wires around a task: metadata and credentials, secrets, awslogs, EventBridge events."""
    from dockyard import tmds
    from dockyard.ecs import awslogs, events, secrets

    metadata = tmds.install(app)
    secrets.install(app)
    awslogs.install(app, metadata.set_log_options)
    events.install(app)


def install_runtime(app: App) -> None:
    """Connects to the container engine in the background; reset and shutdown remove this instance's objects."""
    from dockyard.runtime.service import Runtime

    async def listen(host: str) -> None:
        if app.listener is not None and host != app.settings.host and app.settings.host not in ("0.0.0.0", "::"):
            await app.listener(host)

    app.runtime = runtime = Runtime(app.settings, listen)

    async def connect() -> None:
        # Runtime.backend() connects once, whoever asks first; a failure is reported by health, not raised here.
        # Connecting imports aiodocker and aiohttp, ~0.15 s of CPU (measured: start to first answer 0.43 -> 0.29 s
        # of CPU when deferred), hence after start-up.
        with contextlib.suppress(Exception):
            await runtime.backend()

    app.after_startup(connect)
    app.on_shutdown(runtime.close)
    app.on_reset(runtime.reset)
    app.health_checks["runtime"] = runtime.health
