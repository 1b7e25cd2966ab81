"""Extension points of the task launcher, for the areas around a task (ECR pulls, secrets, credentials, metadata,
CloudWatch Logs, EventBridge).

Each area registers its callbacks once, at install time, on the app's ``Hooks``::

    from dockyard.ecs import hooks
    hooks.of(app).image_resolvers.append(resolve_ecr_image)

The launcher calls them in registration order. Nothing here knows about HTTP or a particular engine.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from dockyard.runtime.backend import LogLine, RegistryAuth

JSON = dict[str, Any]


@dataclass(frozen=True)
class TaskContext:
    """What a hook may know about the task being launched."""

    account: str
    region: str
    cluster_arn: str
    task_arn: str
    task_id: str  # the 32-hex id at the end of the task ARN
    task_definition: JSON  # the DescribeTaskDefinition ``taskDefinition`` dict the task was started from
    # Container name -> its definition after RunTask overrides (command, environment, cpu, memory) were applied.
    containers: Mapping[str, JSON]
    overrides: JSON  # the task's ``overrides`` as DescribeTasks echoes them (taskRoleArn, executionRoleArn, ...)
    network_mode: str  # awsvpc | bridge | host | none
    launch_type: str  # FARGATE | EC2 | EXTERNAL
    dockyard_url: str  # where the task's containers reach dockyard (depends on the network mode and engine)

    @property
    def task_role_arn(self) -> str | None:
        return self.overrides.get("taskRoleArn") or self.task_definition.get("taskRoleArn")

    @property
    def execution_role_arn(self) -> str | None:
        return self.overrides.get("executionRoleArn") or self.task_definition.get("executionRoleArn")


@dataclass(frozen=True)
class PullTarget:
    """What the engine pulls for a task definition's ``image`` (the container's ``image`` stays as written)."""

    reference: str
    auth: RegistryAuth | None = None


class LaunchFailure(Exception):
    """Raised by a launch preparer: the task stops before any container is created, with these values."""

    def __init__(self, reason: str, stop_code: str = "TaskFailedToStart") -> None:
        super().__init__(reason)
        self.reason = reason  # e.g. "ResourceInitializationError: unable to pull secrets or registry auth: ..."
        self.stop_code = stop_code


class LogSink(Protocol):
    """Receives one container's output, line by line, as the container produces it."""

    def write(self, line: LogLine) -> None:
        """Called for every line; must not block (buffer and ship in the background)."""
        ...

    async def close(self) -> None:
        """Called once when the container's output ended (it exited); flush what is left."""
        ...


# (image as written in the task definition, task) -> what to pull, or None when this resolver does not handle it.
ImageResolver = Callable[[str, TaskContext], Awaitable[PullTarget | None]]
# (task) -> container name -> environment variables to add (over the definition's); raise LaunchFailure to fail.
LaunchPreparer = Callable[[TaskContext], Awaitable[Mapping[str, Mapping[str, str]]]]
# (task, container name, its logConfiguration) -> a sink, or None when this factory does not handle the driver.
LogSinkFactory = Callable[[TaskContext, str, JSON], LogSink | None]
# (the task as DescribeTasks answers it, tags included) -> None; called after every change of the task's version.
TaskListener = Callable[[JSON], None]
# (task) -> None; called once when the task has stopped and its containers are gone.
Cleanup = Callable[[TaskContext], Awaitable[None]]


@dataclass
class Hooks:
    image_resolvers: list[ImageResolver] = field(default_factory=list)
    launch_preparers: list[LaunchPreparer] = field(default_factory=list)
    log_sinks: list[LogSinkFactory] = field(default_factory=list)
    task_listeners: list[TaskListener] = field(default_factory=list)
    cleanups: list[Cleanup] = field(default_factory=list)


_HOOKS: weakref.WeakKeyDictionary[Any, Hooks] = weakref.WeakKeyDictionary()


def of(app: Any) -> Hooks:
    """The hooks of ``app`` (a dockyard.server.app.App), created on first use whatever the install order."""
    hooks = _HOOKS.get(app)
    if hooks is None:
        hooks = _HOOKS[app] = Hooks()
    return hooks
