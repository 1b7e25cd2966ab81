"""The OCI distribution (Docker registry v2) endpoints and the on-disk blob store behind them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.ecr.service import Ecr
    from dockyard.server.app import App


def install(app: App, ecr: Ecr) -> None:
    from dockyard.registry.routes import Registry

    app.mount("/v2/", Registry(ecr, auth=app.settings.registry_auth))
