"""Amazon ECR: the ECR API and, on the same port, the registry docker pushes to and pulls from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockyard.server.app import App

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921"


def install(app: App) -> None:
    from dockyard import registry
    from dockyard.ecr.provider import EcrProvider
    from dockyard.ecr.resolver import resolve
    from dockyard.ecr.service import Ecr
    from dockyard.ecr.state import EcrState
    from dockyard.ecs import hooks
    from dockyard.registry.blobs import BlobStore
    from dockyard.registry.tokens import TokenAuthority
    from dockyard.server.http import Request, Response

    ecr = Ecr(app.settings, app.store, BlobStore(app.settings.resolved_data_dir() / "registry"), TokenAuthority())
    app.store.register("ecr", EcrState)
    app.add_json_service("ecr", TARGET_PREFIX, lambda: EcrProvider(ecr))
    registry.install(app, ecr)
    app.on_reset(ecr.blobs.wipe)

    async def resolve_for_task(image: str, task: hooks.TaskContext) -> hooks.PullTarget | None:
        found = resolve(ecr, image, task.account, task.region)
        return None if found is None else hooks.PullTarget(found.pull, found.auth)

    hooks.of(app).image_resolvers.append(resolve_for_task)

    async def resolve_route(request: Request) -> Response:
        """``/_dockyard/ecr/resolve?image=...[&account=&region=]``: what a task's pull of ``image`` becomes."""
        q = request.query
        account = q.get("account") or app.settings.default_account
        found = resolve(ecr, q.get("image", ""), account, q.get("region") or app.settings.default_region)
        if found is None:
            return Response.json({"message": "not an ECR image dockyard serves"}, status=404)
        if found.missing:
            return Response.json({"reason": f"CannotPullContainerError: {found.missing}"}, status=404)
        auth = {"username": found.auth.username, "password": found.auth.password, "serveraddress": found.auth.server}
        return Response.json({"pull": found.pull, "digest": found.digest, "auth": auth})

    app.internal_routes["ecr"] = resolve_route
