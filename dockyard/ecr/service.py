"""What the ECR API and the registry share: the store, the blob store and the token authority."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.config import Settings
from dockyard.ecr.state import EcrState
from dockyard.registry.blobs import BlobStore
from dockyard.registry.tokens import TokenAuthority
from dockyard.store import Store


@dataclass
class Ecr:
    settings: Settings
    store: Store
    blobs: BlobStore
    tokens: TokenAuthority

    def state(self, account: str, region: str) -> EcrState:
        return self.store.state("ecr", account, region)

    def registry_host(self, request_host: str | None) -> str:
        """The ``host:port`` docker on this machine reaches the registry at: the one the caller used."""
        return request_host or f"{self.settings.host}:{self.settings.port}"
