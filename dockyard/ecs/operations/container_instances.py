"""Container instance and attribute operations: ListContainerInstances, DescribeContainerInstances,
PutAttributes, DeleteAttributes, ListAttributes. Clusters here never have container instances."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import clusters, container_instances
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class ContainerInstanceOperations(EcsOperations):
    def list_container_instances(self, ctx: RequestContext, p: JSON) -> JSON:
        clusters.get_active(self.state(ctx), p.get("cluster"))
        page, token = self.page([], p, default=100)
        return {"containerInstanceArns": page, "nextToken": token}

    def describe_container_instances(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.get_active(state, p.get("cluster"))
        return {
            "containerInstances": [],
            "failures": container_instances.missing(state, cluster, p["containerInstances"]),
        }

    def put_attributes(self, ctx: RequestContext, p: JSON) -> JSON:
        clusters.get_active(self.state(ctx), p.get("cluster"))
        container_instances.check_attribute_targets(p["attributes"])
        return {"attributes": p["attributes"]}

    def delete_attributes(self, ctx: RequestContext, p: JSON) -> JSON:
        return self.put_attributes(ctx, p)

    def list_attributes(self, ctx: RequestContext, p: JSON) -> JSON:
        clusters.get_active(self.state(ctx), p.get("cluster"))
        page, token = self.page([], p, default=100)
        return {"attributes": page, "nextToken": token}
