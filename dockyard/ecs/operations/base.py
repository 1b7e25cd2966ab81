"""What every group of ECS operations shares: the store and the caller's region state."""

from __future__ import annotations

from dockyard.ecs.state import EcsState
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.store import Store


class EcsOperations(Provider):
    service = "ecs"

    def __init__(self, store: Store) -> None:
        self.store = store

    def state(self, ctx: RequestContext) -> EcsState:
        return self.store.state("ecs", ctx.account, ctx.region)
