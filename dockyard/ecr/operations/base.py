"""What every group of ECR operations shares: the ECR service objects and the caller's region state."""

from __future__ import annotations

from typing import Any

from dockyard.ecr import repositories
from dockyard.ecr.service import Ecr
from dockyard.ecr.state import EcrState, Repository
from dockyard.protocol.provider import Provider, RequestContext

JSON = dict[str, Any]


class EcrOperations(Provider):
    service = "ecr"

    def __init__(self, ecr: Ecr) -> None:
        self.ecr = ecr

    def state(self, ctx: RequestContext) -> EcrState:
        return self.ecr.state(ctx.account, ctx.region)

    def repo(self, ctx: RequestContext, p: JSON) -> Repository:
        return repositories.get(self.state(ctx), p["repositoryName"], p.get("registryId"))

    def registry_id(self, ctx: RequestContext, p: JSON) -> str:
        return p.get("registryId") or ctx.account
