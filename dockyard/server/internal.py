"""dockyard's own endpoints: health, reset (also under moto's path, for suites written for moto's server)."""

from __future__ import annotations

from dockyard.server.app import App
from dockyard.server.http import Request, Response


def install(app: App) -> None:
    async def internal(request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/_dockyard/health" and request.method in ("GET", "HEAD"):
            return Response.json(app.health())
        if path in ("/_dockyard/reset", "/moto-api/reset") and request.method == "POST":
            await app.reset()
            return Response.json({"status": "reset"})
        handler = app.internal_routes.get(path.split("/")[2] if path.count("/") >= 2 else "")
        if handler is not None:
            return await handler(request)
        return Response.json({"message": f"No such endpoint: {request.method} {request.path}"}, status=404)

    app.mount("/_dockyard/", internal)
    app.mount("/moto-api/", internal)
