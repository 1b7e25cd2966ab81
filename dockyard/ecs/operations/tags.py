"""Tagging operations for every taggable ECS resource: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from dockyard.ecs import tags
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.provider import RequestContext

JSON = dict[str, Any]


class TagOperations(EcsOperations):
    def tag_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        resource = tags.find(self.state(ctx), p["resourceArn"])
        resource.tags = tags.merge(resource.tags, p["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        resource = tags.find(self.state(ctx), p["resourceArn"])
        resource.tags = tags.remove(resource.tags, p["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, p: JSON) -> JSON:
        return {"tags": tags.find(self.state(ctx), p["resourceArn"]).tags}
