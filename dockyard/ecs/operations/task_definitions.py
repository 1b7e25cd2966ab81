"""Task definition operations: RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition,
ListTaskDefinitions, ListTaskDefinitionFamilies, DeleteTaskDefinitions."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import tags, task_definitions
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class TaskDefinitionOperations(EcsOperations):
    def register_task_definition(self, ctx: RequestContext, p: JSON) -> JSON:
        tags.validate(p.get("tags") or [])
        td = task_definitions.register(self.state(ctx), p)
        return {"taskDefinition": td.describe(), "tags": td.tags}

    def describe_task_definition(self, ctx: RequestContext, p: JSON) -> JSON:
        td = task_definitions.resolve(self.state(ctx), p["taskDefinition"])
        out: JSON = {"taskDefinition": td.describe()}
        if "TAGS" in p.get("include", ()):
            out["tags"] = td.tags
        return out

    def deregister_task_definition(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"taskDefinition": task_definitions.deregister(self.state(ctx), p["taskDefinition"]).describe()}

    def delete_task_definitions(self, ctx: RequestContext, p: JSON) -> JSON:
        deleted, failures = task_definitions.delete(self.state(ctx), p["taskDefinitions"])
        return {"taskDefinitions": [td.describe() for td in deleted], "failures": failures}

    def list_task_definitions(self, ctx: RequestContext, p: JSON) -> JSON:
        found = task_definitions.listing(
            self.state(ctx), p.get("familyPrefix"), p.get("status", "ACTIVE"), p.get("sort") == "DESC"
        )
        page, token = self.page(found, p, default=100)
        return {"taskDefinitionArns": page, "nextToken": token}

    def list_task_definition_families(self, ctx: RequestContext, p: JSON) -> JSON:
        found = task_definitions.families(self.state(ctx), p.get("familyPrefix"), p.get("status", "ALL"))
        page, token = self.page(found, p, default=100)
        return {"families": page, "nextToken": token}
