"""Task metadata (v4/v3) and task-role credentials, served at http://169.254.170.2 to the task's containers.

The launcher's hooks feed it: a launch preparer registers the task and gives each container its endpoint
variables, a task listener keeps the DescribeTasks view current, a cleanup forgets the task.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dockyard.tmds import state
from dockyard.tmds.server import ADDRESS, FORWARDED, TmdsListener

if TYPE_CHECKING:
    from dockyard.ecs.hooks import TaskContext
    from dockyard.server.app import App
    from dockyard.server.http import Request, Response

JSON = dict[str, Any]


def _env_on(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


class Tmds:
    def __init__(self, app: App) -> None:
        self.app = app
        self.registry = state.Registry()
        self.listener = TmdsListener(self.answer, app.settings.port)
        self.inject_endpoint = _env_on("DOCKYARD_CONTAINER_ENDPOINT_URL")

    # -- hooks ---------------------------------------------------------------------------------------------

    async def prepare(self, ctx: TaskContext) -> Mapping[str, Mapping[str, str]]:
        """Registers the task; every container gets the metadata, credentials, region and endpoint variables."""
        entry = self.registry.add(ctx.account, ctx.region, ctx.task_arn, ctx.task_role_arn, list(ctx.containers))
        entry.task = {"taskArn": ctx.task_arn, "launchType": ctx.launch_type}
        self.listener.register([*entry.endpoints, *([entry.credentials_id] if entry.credentials_id else [])])
        by_name = {name: endpoint for endpoint, name in entry.endpoints.items()}
        env: dict[str, dict[str, str]] = {}
        for name, definition in ctx.containers.items():
            defined = {e["name"] for e in definition.get("environment") or []}
            values = {
                "ECS_CONTAINER_METADATA_URI_V4": f"http://{ADDRESS}/v4/{by_name[name]}",
                "ECS_CONTAINER_METADATA_URI": f"http://{ADDRESS}/v3/{by_name[name]}",
                "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE" if ctx.launch_type == "FARGATE" else "AWS_ECS_EC2",
                "AWS_REGION": ctx.region,
                "AWS_DEFAULT_REGION": ctx.region,
            }
            if entry.credentials_id:
                values["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = f"/v2/credentials/{entry.credentials_id}"
            if self.inject_endpoint:
                values["AWS_ENDPOINT_URL"] = ctx.dockyard_url
            env[name] = {k: v for k, v in values.items() if k not in defined or k.startswith("ECS_")}
        return env

    def task_changed(self, task: JSON) -> None:
        entry = self.registry.tasks.get(task.get("taskArn", ""))
        if entry is not None:
            entry.task = task

    async def cleanup(self, ctx: TaskContext) -> None:
        entry = self.registry.remove(ctx.task_arn)
        if entry is not None:
            self.listener.unregister([*entry.endpoints, *([entry.credentials_id] if entry.credentials_id else [])])

    def set_log_options(self, task_arn: str, container: str, options: dict[str, str]) -> None:
        entry = self.registry.tasks.get(task_arn)
        if entry is not None:
            entry.log_options[container] = options

    # -- answers -------------------------------------------------------------------------------------------

    async def answer(self, path: str, query: dict[str, list[str]], caller: str | None) -> tuple[int, object]:
        segments = [s for s in path.split("/") if s]
        if segments[:2] in (["v2", "credentials"], ["v1", "credentials"]):
            ident = segments[2] if segments[0] == "v2" and len(segments) == 3 else (query.get("id") or [""])[0]
            entry = self.registry.by_credentials.get(ident) if ident else None
            if not ident:
                return 400, {"code": "NoIdInRequest", "message": "CredentialsV2Request: No ID in the request"}
            if entry is None or not (await self._runtime(entry, caller))[0]:
                return 400, {"code": "InvalidIdInRequest", "message": "CredentialsV2Request: Credentials not found"}
            return 200, await asyncio.to_thread(state.credentials_body, entry)
        if len(segments) >= 2 and segments[0] in ("v3", "v4"):
            entry = self.registry.by_endpoint.get(segments[1])
            allowed, runtime = (await self._runtime(entry, caller)) if entry else (False, {})
            if entry is None or not allowed:
                return 404, {"message": f"{segments[0].upper()} metadata handler: unable to find the container"}
            return await self._metadata(entry, segments[1], segments[2:], runtime)
        return 404, {"message": "Not found"}

    async def _metadata(self, entry: state.TaskEntry, endpoint: str, rest: list[str], runtime: dict[str, JSON]) -> Any:
        name = entry.endpoints[endpoint]
        if rest == []:
            return 200, state.container_body(entry, name, runtime[name])
        if rest in (["task"], ["taskWithTags"]):
            body = state.task_body(entry, [state.container_body(entry, n, r) for n, r in runtime.items()])
            if rest == ["taskWithTags"]:
                body["TaskTags"] = {t["key"]: t["value"] for t in entry.task.get("tags") or []}
                body["ContainerInstanceTags"] = {}
            return 200, body
        if rest == ["stats"]:
            return 200, await self._stats(runtime[name].get("id"))
        if rest == ["task", "stats"]:
            ids = [r.get("id") for r in runtime.values() if r.get("id")]
            stats = await asyncio.gather(*(self._stats(i) for i in ids))
            return 200, dict(zip(ids, stats, strict=True))
        return 404, {"message": "Not found"}

    async def _runtime(self, entry: state.TaskEntry, caller: str | None) -> tuple[bool, dict[str, JSON]]:
        """Engine facts per container (id, image id, addresses, times) and whether ``caller`` is in the task."""
        from dockyard.runtime.backend import ContainerError

        backend = await self.app.runtime.backend()  # type: ignore[union-attr]
        mode = "bridge"
        out: dict[str, JSON] = {}
        addresses: set[str] = set()
        for attachment in entry.task.get("attachments") or []:
            mode = "awsvpc"
            addresses.update(d["value"] for d in attachment.get("details") or [] if d["name"] == "privateIPv4Address")
        definition = self._definitions(entry)
        for container in entry.task.get("containers") or []:
            facts: JSON = {"definition": definition.get(container["name"], {}), "network_mode": mode}
            runtime_id = container.get("runtimeId")
            if runtime_id:
                try:
                    inspected = await backend.inspect(runtime_id)
                except ContainerError:
                    inspected = None
                if inspected is not None:
                    facts.update(
                        id=runtime_id,
                        image_id=inspected.image_id,
                        addresses=set(inspected.ip_addresses.values()),
                        started_at=inspected.started_at,
                        finished_at=inspected.finished_at,
                    )
                    addresses.update(inspected.ip_addresses.values())
            out[container["name"]] = facts
        entry.addresses = {a for a in addresses if a}
        return entry.allows(caller), out

    def _definitions(self, entry: state.TaskEntry) -> dict[str, JSON]:
        from dockyard.ecs import task_definitions
        from dockyard.ecs.state import EcsState

        ecs: EcsState = self.app.store.state("ecs", entry.account, entry.region)
        try:
            td = task_definitions.resolve(ecs, entry.task.get("taskDefinitionArn", ""), "missing")
        except Exception:
            return {}
        return {c["name"]: c for c in td.containers}

    async def _stats(self, runtime_id: str | None) -> Any:
        from dockyard.runtime.backend import ContainerError

        if not runtime_id:
            return None
        try:
            return await (await self.app.runtime.backend()).stats(runtime_id)  # type: ignore[union-attr]
        except ContainerError:
            return None

    async def forwarded(self, request: Request) -> Response:
        """``/_dockyard/tmds/<path>``: the owner of 169.254.170.2 asking on behalf of a container of ours."""
        from dockyard.server.http import Response

        if request.client_host is None or not request.client_host.startswith("127."):
            return Response.json({"message": "Forbidden"}, status=403)
        path = request.path.removeprefix("/_dockyard/tmds")
        query = {k: [v] for k, v in request.query.items()}
        status, body = await self.answer(path, query, request.headers.get(FORWARDED) or None)
        return Response.json(body, status=status)

    def reset(self) -> None:
        for task_arn in list(self.registry.tasks):
            entry = self.registry.remove(task_arn)
            if entry is not None:
                self.listener.unregister([*entry.endpoints, *([entry.credentials_id] if entry.credentials_id else [])])


def install(app: App) -> Tmds:
    from dockyard.ecs import hooks

    tmds = Tmds(app)
    h = hooks.of(app)
    h.launch_preparers.append(tmds.prepare)
    h.task_listeners.append(tmds.task_changed)
    h.cleanups.append(tmds.cleanup)
    app.internal_routes["tmds"] = tmds.forwarded
    # In the background: configuring the address (ip, iptables) must not delay the first API calls.
    app.after_startup(tmds.listener.start)
    app.on_shutdown(tmds.listener.close)
    app.on_reset(tmds.reset)
    app.health_checks["tmds"] = tmds.listener.health
    return tmds
