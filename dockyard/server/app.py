"""The ASGI application: one port for every AWS service dockyard answers, the registry and its own endpoints.

Routing, in order:
1. ``X-Amz-Target`` names a JSON-protocol service (ECS, ECR, Logs, ...) and operation.
2. A SigV4 credential scope names a service served by another wire protocol (S3, STS, IAM, SQS query).
3. Path mounts: ``/v2/`` (registry), ``/_dockyard/`` (introspection), ``/moto-api/``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockyard import __version__
from dockyard.config import Settings
from dockyard.protocol.dispatch import JsonService
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.protocol.specs import botocore_version, service_spec
from dockyard.server.auth import Caller, account_for, caller_of
from dockyard.server.http import ClientDisconnected, Handler, Receive, Request, Response, Scope, Send
from dockyard.store import Store

if TYPE_CHECKING:
    from dockyard.runtime.service import Runtime

log = logging.getLogger("dockyard.server")

Hook = Callable[[], Awaitable[None] | None]

# Start-up work that imports or configures much (the engine connection, the metadata endpoint) waits this long,
# so it does not hold the interpreter while the first calls arrive; whoever needs it sooner starts it on demand.
BACKGROUND_DELAY_S = 0.5


@dataclass
class _JsonMount:
    service: str
    factory: Callable[[], Provider]
    bound: JsonService | None = None


class App:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.store = Store()
        self._json: dict[str, _JsonMount] = {}
        self._signed: dict[str, Handler] = {}
        self._mounts: list[tuple[str, Handler]] = []
        self._startup: list[Hook] = []
        self._shutdown: list[Hook] = []
        self._reset: list[Hook] = []
        self._background: list[Hook] = []
        self.health_checks: dict[str, Callable[[], dict[str, Any]]] = {}
        # ``/_dockyard/<name>/...`` introspection endpoints contributed by services (e.g. ``tasks``).
        self.internal_routes: dict[str, Handler] = {}
        # The account of an access key issued by dockyard's own STS/IAM (task-role credentials), if it is one.
        self.issued_key_account: Callable[[str], str | None] | None = None
        # The container engine connection (set by build_app); the ECS task launcher gets its backend here.
        self.runtime: Runtime | None = None
        # Set by what serves the app (cli.py): also listen on this address, same port (for containers).
        self.listener: Callable[[str], Awaitable[None]] | None = None

    # -- registration --------------------------------------------------------------------------------------

    def add_json_service(self, service: str, target_prefix: str, factory: Callable[[], Provider]) -> None:
        """Serve ``service`` (botocore name) for ``X-Amz-Target: <target_prefix>.<Operation>``; built on first use."""
        self._json[target_prefix] = _JsonMount(service, factory)

    def add_signed_service(self, signing_name: str, handler: Handler) -> None:
        self._signed[signing_name] = handler

    def mount(self, prefix: str, handler: Handler) -> None:
        self._mounts.append((prefix, handler))
        self._mounts.sort(key=lambda m: -len(m[0]))

    def on_startup(self, hook: Hook) -> None:
        self._startup.append(hook)

    def after_startup(self, hook: Hook) -> None:
        """Runs ``hook`` in the background ``BACKGROUND_DELAY_S`` after start-up; its failure is only logged."""
        self._background.append(hook)

    def on_shutdown(self, hook: Hook) -> None:
        self._shutdown.append(hook)

    def on_reset(self, hook: Hook) -> None:
        self._reset.append(hook)

    # -- context -------------------------------------------------------------------------------------------

    def context(self, request: Request, service: str, operation: str, caller: Caller | None = None) -> RequestContext:
        caller = caller or caller_of(request)
        return RequestContext(
            service=service,
            operation=operation,
            account=account_for(caller.access_key, self.settings.default_account, self.issued_key_account),
            region=caller.region or self.settings.default_region,
            host=request.headers.get("host") or f"{self.settings.host}:{self.settings.port}",
        )

    def json_service(self, target_prefix: str) -> JsonService | None:
        mount = self._json.get(target_prefix)
        if mount is None:
            return None
        if mount.bound is None:
            mount.bound = JsonService(service_spec(mount.service), mount.factory(), strict=self.settings.strict)
        return mount.bound

    # -- ASGI ----------------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except ClientDisconnected:
            return
        except Exception:
            log.exception("unhandled error for %s %s", request.method, request.path)
            response = Response.json({"message": "An internal error occurred in dockyard."}, status=500)
        await response.send(send, head_only=request.method == "HEAD")

    async def handle(self, request: Request) -> Response:
        target = request.headers.get("x-amz-target")
        if target and request.method == "POST":
            return await self._json_call(request, target)
        caller = caller_of(request)
        if caller.signing_service and caller.signing_service in self._signed:
            return await self._signed[caller.signing_service](request)
        for prefix, handler in self._mounts:
            if request.path.startswith(prefix) or request.path == prefix.rstrip("/"):
                return await handler(request)
        return Response.json(
            {"__type": "UnknownOperationException", "message": "No service answers this request."}, status=404
        )

    async def _json_call(self, request: Request, target: str) -> Response:
        prefix, _, operation = target.rpartition(".")
        service = self.json_service(prefix)
        if service is None:
            return Response.json(
                {"__type": "UnknownOperationException", "message": f"No service answers the target {target}."},
                status=400,
            )
        ctx = self.context(request, service.name, operation)
        status, body, error = await service.call(ctx, await request.body())
        headers = {"Content-Type": service.serializer.content_type, "x-amzn-RequestId": ctx.request_id}
        if error:
            headers["X-Amzn-ErrorType"] = error
        return Response(status, body, headers)

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def reset(self) -> None:
        """Wipes every account and region, and lets each service release what it holds outside the store."""
        for hook in self._reset:
            await _run(hook)
        self.store.reset()

    def health(self) -> dict[str, Any]:
        services = {mount.service: "running" for mount in self._json.values()}
        report: dict[str, Any] = {"version": __version__, "botocore": botocore_version(), "services": services}
        for name, check in self.health_checks.items():
            report[name] = check()
        return report

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in self._startup:
                        await _run(hook)
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                timer = asyncio.get_running_loop().call_later(BACKGROUND_DELAY_S, self._start_background)
                self._shutdown.insert(0, timer.cancel)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in reversed(self._shutdown):
                    try:
                        await _run(hook)
                    except Exception:
                        log.exception("shutdown hook failed")
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _start_background(self) -> None:
        for hook in self._background:
            task = asyncio.ensure_future(_run(hook))
            task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background start-up work failed", exc_info=task.exception())


async def _run(hook: Hook) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result
