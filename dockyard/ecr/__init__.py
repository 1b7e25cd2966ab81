"""Amazon ECR: the ECR API and, on the same port, the registry docker pushes to and pulls from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.server.app import App

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921"


def install(app: App) -> None:
    from dockyard import registry
    from dockyard.ecr.provider import EcrProvider
    from dockyard.ecr.service import Ecr
    from dockyard.ecr.state import EcrState
    from dockyard.registry.blobs import BlobStore
    from dockyard.registry.tokens import TokenAuthority

    ecr = Ecr(app.settings, app.store, BlobStore(app.settings.resolved_data_dir() / "registry"), TokenAuthority())
    app.store.register("ecr", EcrState)
    app.add_json_service("ecr", TARGET_PREFIX, lambda: EcrProvider(ecr))
    registry.install(app, ecr)
