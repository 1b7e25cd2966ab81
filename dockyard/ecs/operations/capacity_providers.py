"""Capacity provider operations: DescribeCapacityProviders. Create/Update/DeleteCapacityProvider are not
supported (no Auto Scaling groups here) and answer UnsupportedFeatureException."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import capacity_providers
from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class CapacityProviderOperations(EcsOperations):
    def describe_capacity_providers(self, ctx: RequestContext, p: JSON) -> JSON:
        size = p.get("maxResults")
        if size is not None and not 1 <= size <= 10:
            raise invalid_parameter("maxResults must be between 1 and 10.")  # inferred
        found, failures = capacity_providers.lookup(
            self.state(ctx), p.get("capacityProviders"), "TAGS" in p.get("include", ())
        )
        page, token = paginate(found, size, p.get("nextToken"), default_page=10)
        return {"capacityProviders": page, "failures": failures, "nextToken": token}
