"""Amazon ECS: the control plane (clusters, task definitions, tasks, services) over the container runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.server.app import App

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113"


def install(app: App) -> None:
    from dockyard.ecs.provider import EcsProvider
    from dockyard.ecs.state import EcsState

    app.store.register("ecs", EcsState)
    app.add_json_service("ecs", TARGET_PREFIX, lambda: EcsProvider(app.store))
