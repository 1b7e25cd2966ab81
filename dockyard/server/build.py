"""Assembles the app from the service packages."""

from __future__ import annotations

from dockyard.config import Settings
from dockyard.server import internal
from dockyard.server.app import App


def build_app(settings: Settings | None = None) -> App:
    from dockyard import adapters, ecs

    app = App(settings)
    internal.install(app)
    ecs.install(app)
    adapters.install(app)
    return app
