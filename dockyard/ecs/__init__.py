"""Amazon ECS: the control plane (clusters, task definitions, tasks, services) over the container runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.server.app import App

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113"


def install(app: App) -> None:
    from dockyard.ecs import hooks, introspection
    from dockyard.ecs.launcher import Launcher
    from dockyard.ecs.provider import EcsProvider
    from dockyard.ecs.state import EcsState

    app.store.register("ecs", EcsState)
    assert app.runtime is not None, "the runtime is installed before ECS"
    launcher = Launcher(app.runtime, hooks.of(app))
    # On shutdown (hooks run in reverse) the tasks go before the engine connection closes; close() itself
    # removes whatever this instance still has on the engine.
    app.on_reset(launcher.close)
    app.on_shutdown(launcher.close)

    def provider() -> EcsProvider:
        ecs = EcsProvider(app.store)
        ecs.launcher = launcher
        return ecs

    app.add_json_service("ecs", TARGET_PREFIX, provider)
    app.internal_routes["tasks"] = introspection.handler(app.store)
