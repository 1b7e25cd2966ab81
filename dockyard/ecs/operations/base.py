"""What every group of ECS operations shares: the store, the caller's region state and pagination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.state import EcsState
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.store import Store

T = TypeVar("T")


class EcsOperations(Provider):
    service = "ecs"

    def __init__(self, store: Store) -> None:
        self.store = store

    def state(self, ctx: RequestContext) -> EcsState:
        return self.store.state("ecs", ctx.account, ctx.region)

    @staticmethod
    def page(items: Sequence[T], p: dict[str, Any], default: int, limit: int = 100) -> tuple[list[T], str | None]:
        """One page of ``items`` for ``maxResults``/``nextToken`` in ``p``; AWS's page limits (§1.5)."""
        size = p.get("maxResults")
        if size is not None and not 1 <= size <= limit:
            raise invalid_parameter(f"maxResults must be between 1 and {limit}.")  # inferred wording
        return paginate(items, size, p.get("nextToken"), default_page=default)
