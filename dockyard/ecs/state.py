"""ECS resources of one account and region. Plain data: the domain modules change it, the provider shapes it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.ecs import arns

if TYPE_CHECKING:
    from dockyard.ecs.task_definitions import TaskDefinition
    from dockyard.ecs.tasks import Task

JSON = dict[str, Any]


@dataclass
class Cluster:
    name: str
    arn: str
    tags: list[JSON] = field(default_factory=list)
    settings: list[JSON] = field(default_factory=list)
    configuration: JSON | None = None
    capacity_providers: list[str] = field(default_factory=list)
    default_strategy: list[JSON] = field(default_factory=list)
    service_connect_defaults: JSON | None = None
    status: str = "ACTIVE"
    created_at: float = field(default_factory=time.time)


@dataclass
class EcsState:
    account: str
    region: str
    clusters: dict[str, Cluster] = field(default_factory=dict)
    # "family:revision" -> definition, and the last revision ever used per family (revisions never repeat)
    task_definitions: dict[str, TaskDefinition] = field(default_factory=dict)
    task_definition_revisions: dict[str, int] = field(default_factory=dict)
    # task ARN -> task (stopped ones too, until they expire), and RunTask clientToken -> (request, task ARNs)
    tasks: dict[str, Task] = field(default_factory=dict)
    task_tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    # (principal ARN, setting name) -> value; the root user's entries are the account defaults
    account_settings: dict[tuple[str, str], str] = field(default_factory=dict)

    def arn(self, kind: str, rest: str) -> str:
        return arns.arn(self.region, self.account, kind, rest)
