"""Capacity provider operations: DescribeCapacityProviders. Create/Update/DeleteCapacityProvider are not
supported (no Auto Scaling groups here) and answer UnsupportedFeatureException."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import capacity_providers
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class CapacityProviderOperations(EcsOperations):
    def describe_capacity_providers(self, ctx: RequestContext, p: JSON) -> JSON:
        found, failures = capacity_providers.lookup(self.state(ctx), p.get("capacityProviders"))
        page, token = self.page(found, p, default=10, limit=10)
        return {"capacityProviders": page, "failures": failures, "nextToken": token}
