"""Task operations: RunTask, StartTask, StopTask, DescribeTasks, ListTasks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockyard.ecs import clusters, tags, tasks
from dockyard.ecs.errors import invalid_parameter
from dockyard.ecs.operations.base import EcsOperations
from dockyard.protocol.pagination import paginate
from dockyard.protocol.provider import RequestContext

if TYPE_CHECKING:
    from dockyard.ecs.launcher import Launcher

JSON = dict[str, Any]

# Task ARNs are task/<cluster>/<id>; TagResource and friends find tasks through this.
tags.FINDERS["task"] = lambda state, path: tasks.get(
    state, clusters.get_active(state, path.split("/")[0]), path.rsplit("/", 1)[-1]
)


class TaskOperations(EcsOperations):
    launcher: Launcher | None = None

    def run_task(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        tasks.expire(state)
        count = p.get("count", 1)
        if not 1 <= count <= tasks.MAX_COUNT:
            raise invalid_parameter("count must be between 1 and 10.")  # inferred
        tags.validate(p.get("tags") or [])
        cluster, td, launch = tasks.check_run(state, p)
        again = tasks.idempotent(state, p)
        if again is not None:
            return {"tasks": [t.describe(include_tags=True) for t in again], "failures": []}
        started = [tasks.create(state, p, cluster, td, launch) for _ in range(count)]
        tasks.remember(state, p, started)
        # The reply shows each task as accepted, before the launcher (on this loop) moves it on.
        reply = {"tasks": [t.describe(include_tags=True) for t in started], "failures": []}
        for task in started:
            self._launch(task)
        return reply

    def start_task(self, ctx: RequestContext, p: JSON) -> JSON:
        """StartTask places on named container instances; dockyard has none, so each one is MISSING."""
        state = self.state(ctx)
        clusters.get_active(state, p.get("cluster"))
        tasks.check_run(state, {**p, "launchType": "EC2"})
        instances = p.get("containerInstances") or []
        if not instances:
            raise invalid_parameter("Container instances cannot be empty.")  # inferred
        if len(instances) > tasks.MAX_COUNT:
            raise invalid_parameter("instanceIds can have at most 10 items.")  # inferred
        return {"tasks": [], "failures": [{"arn": ref, "reason": "MISSING"} for ref in instances]}

    def stop_task(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        cluster = clusters.get_active(state, p.get("cluster"))
        task = tasks.get(state, cluster, p["task"])
        if tasks.request_stop(task, "UserInitiated", p.get("reason") or "Task stopped by user"):
            task.tags = []
            if self.launcher is not None:
                self.launcher.stop(task)
        return {"task": task.describe()}

    def describe_tasks(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        tasks.expire(state)
        cluster = clusters.get_active(state, p.get("cluster"))
        refs = p.get("tasks") or []
        if not refs:
            raise invalid_parameter("Tasks cannot be empty.")
        if len(refs) > 100:
            raise invalid_parameter("Tasks cannot have more than 100 elements.")  # inferred
        include_tags = "TAGS" in (p.get("include") or ())
        found, failures = [], []
        for ref in refs:
            task = tasks.find(state, cluster, ref)
            if task is None:
                failures.append({"arn": ref, "reason": "MISSING"})
            else:
                found.append(task.describe(include_tags=include_tags))
        return {"tasks": found, "failures": failures}

    def list_tasks(self, ctx: RequestContext, p: JSON) -> JSON:
        state = self.state(ctx)
        tasks.expire(state)
        cluster = clusters.get_active(state, p.get("cluster"))
        found = tasks.listing(state, cluster, p)
        page, token = paginate(found, p.get("maxResults"), p.get("nextToken"), default_page=100)
        return {"taskArns": page, "nextToken": token}

    def _launch(self, task: tasks.Task) -> None:
        if self.launcher is not None:
            self.launcher.launch(task)
