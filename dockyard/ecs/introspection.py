"""``/_dockyard/tasks``: every task of every account and region, one task, and the output of its containers."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.ecs.tasks import Task
from dockyard.server.http import Handler, Request, Response
from dockyard.store import Store


def handler(store: Store) -> Handler:
    def every_task() -> Iterator[Task]:
        for _, _, state in store.existing("ecs"):
            yield from list(state.tasks.values())

    async def serve(request: Request) -> Response:
        if request.method != "GET":
            return Response.json({"message": f"No such endpoint: {request.method} {request.path}"}, status=404)
        parts = request.path.rstrip("/").split("/")[3:]  # after /_dockyard/tasks
        if not parts:
            return Response.json({"tasks": [t.describe(include_tags=True) for t in every_task()]})
        task = next((t for t in every_task() if t.id == parts[0] or t.arn == parts[0]), None)
        if task is None or len(parts) > 2 or (len(parts) == 2 and parts[1] != "logs"):
            return Response.json({"message": f"No such task: {parts[0]}"}, status=404)
        if len(parts) == 1:
            return Response.json({"task": task.describe(include_tags=True)})
        wanted = request.query.get("container")
        containers = [
            {
                "name": c.name,
                "runtimeId": c.runtime_id,
                "dropped": c.logs.dropped,
                "lines": [
                    {"timestamp": line.nanos / 1e9, "stream": line.stream, "message": line.text}
                    for line in list(c.logs.lines)
                ],
            }
            for c in task.containers
            if wanted is None or c.name == wanted
        ]
        return Response.json({"taskArn": task.arn, "containers": containers})

    return serve
