"""The registry HTTP API v2 (OCI distribution) under ``/v2/`` (../shared/aws-ecs-behaviour.md §8).

Which account and region a request addresses: an AWS-style host (``<acct>.dkr.ecr.<region>.amazonaws.com``,
when the user maps it to 127.0.0.1) names them; otherwise the login token does (docker sends it with every
request); anonymous requests (auth off) use the default account and region.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from dockyard.ecr import images, manifests
from dockyard.ecr.errors import repository_not_found
from dockyard.ecr.service import Ecr
from dockyard.ecr.state import EcrState, Repository
from dockyard.protocol.errors import AwsError
from dockyard.registry.blobs import DIGEST, DigestMismatch, Upload
from dockyard.registry.errors import (
    API_VERSION,
    RegistryError,
    blob_unknown,
    digest_invalid,
    from_aws,
    manifest_unknown,
    upload_unknown,
)
from dockyard.registry.tokens import Grant, TokenExpired, TokenInvalid
from dockyard.server.http import ClientDisconnected, Request, Response

MAX_MANIFEST = 4 * 1024 * 1024
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
AWS_HOST = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?::\d+)?$")
_NAME = r"(?P<name>[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*)"
_RANGE = re.compile(r"^(?:bytes=)?(\d+)-(\d*)$")


@dataclass
class Call:
    request: Request
    state: EcrState
    name: str = ""

    @property
    def repo(self) -> Repository:
        repo = self.state.repositories.get(self.name)
        if repo is None:
            raise from_aws(repository_not_found(self.name, self.state.account))
        return repo

    @property
    def owner(self) -> tuple[str, str, str]:
        return (self.state.account, self.state.region, self.name)


Route = Callable[["Registry", Call, dict[str, str]], Awaitable[Response]]


class Registry:
    def __init__(self, ecr: Ecr, auth: bool) -> None:
        self.ecr = ecr
        self.auth = auth
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        for method, pattern, route in _ROUTES:
            self.routes.append((method, re.compile(f"^/v2/{pattern}$"), route))

    async def __call__(self, request: Request) -> Response:
        try:
            grant = self._authenticate(request)
            state = self._state(request, grant)
            method = "GET" if request.method == "HEAD" else request.method
            for route_method, pattern, route in self.routes:
                match = pattern.match(request.path)
                if match and route_method == method:
                    params = match.groupdict()
                    response = await route(self, Call(request, state, params.pop("name", "")), params)
                    response.headers.update(API_VERSION)
                    return response
            if any(pattern.match(request.path) for _, pattern, _ in self.routes):
                raise RegistryError("UNSUPPORTED", "The operation is unsupported.", 405)
            raise RegistryError("NAME_INVALID", "invalid repository name", 404)
        except RegistryError as error:
            return error.response()
        except AwsError as error:
            return from_aws(error).response()

    # -- who and where -------------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Grant | None:
        password = request.query.get("X-Dockyard-Token")
        header = request.headers.get("authorization") or ""
        if header[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                user = ""
            if user != "AWS":
                password = None
        if password is None:
            if not self.auth:
                return None
            raise self._challenge(request, "Not Authorized")
        try:
            return self.ecr.tokens.verify(password)
        except TokenExpired:
            raise self._challenge(
                request, "Your authorization token has expired. Reauthenticate and try again."
            ) from None
        except TokenInvalid:
            if not self.auth:
                return None
            raise self._challenge(request, "Not Authorized") from None

    def _challenge(self, request: Request, message: str) -> RegistryError:
        host = self.ecr.registry_host(request.headers.get("host"))
        realm = f'Basic realm="http://{host}/",service="ecr.amazonaws.com"'
        return RegistryError("UNAUTHORIZED", message, 401, headers={"WWW-Authenticate": realm})

    def _state(self, request: Request, grant: Grant | None) -> EcrState:
        match = AWS_HOST.match(request.headers.get("host") or "")
        if match:
            return self.ecr.state(match.group(1), match.group(2))
        if grant is not None:
            return self.ecr.state(grant.account, grant.region)
        return self.ecr.state(self.ecr.settings.default_account, self.ecr.settings.default_region)

    # -- base and listings ---------------------------------------------------------------------------------

    async def base(self, call: Call, _: dict[str, str]) -> Response:
        return Response.json({})

    async def catalog(self, call: Call, _: dict[str, str]) -> Response:
        names = sorted(call.state.repositories)
        page, link = _page(call.request, names, "/v2/_catalog")
        return Response.json({"repositories": page}, headers=link)

    async def tags_list(self, call: Call, _: dict[str, str]) -> Response:
        repo = call.repo
        page, link = _page(call.request, sorted(repo.image_tags), f"/v2/{repo.name}/tags/list")
        return Response.json({"name": repo.name, "tags": page}, headers=link)

    # -- blobs ---------------------------------------------------------------------------------------------

    async def get_blob(self, call: Call, p: dict[str, str]) -> Response:
        repo, digest = call.repo, p["digest"]
        size = self.ecr.blobs.size(digest) if digest in repo.blobs else None
        if size is None:
            raise blob_unknown(digest)
        headers = {
            "Content-Type": "application/octet-stream",
            "Docker-Content-Digest": digest,
            "Accept-Ranges": "bytes",
            "ETag": f'"{digest}"',
            "Cache-Control": "max-age=31536000",
        }
        start, end, status = 0, size - 1, 200
        wanted = call.request.headers.get("range")
        if wanted:
            match = _RANGE.match(wanted.strip())
            start = int(match.group(1)) if match else size
            end = min(int(match.group(2)), size - 1) if match and match.group(2) else size - 1
            if start > end:
                raise RegistryError(
                    "RANGE_INVALID", "invalid content range", 416, headers={"Content-Range": f"bytes */{size}"}
                )
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
        if call.request.method == "HEAD":
            return Response(status, b"", headers)
        return Response(status, self.ecr.blobs.read(digest, start, end), headers)

    async def delete_blob(self, call: Call, p: dict[str, str]) -> Response:
        call.repo  # noqa: B018 - a missing repository answers NAME_UNKNOWN first
        raise RegistryError("UNSUPPORTED", "The operation is unsupported.", 405)

    async def start_upload(self, call: Call, _: dict[str, str]) -> Response:
        repo, query = call.repo, call.request.query
        mount, source = query.get("mount"), query.get("from")
        if mount and source:
            other = call.state.repositories.get(source)
            if other is not None and mount in other.blobs and self.ecr.blobs.exists(mount):
                repo.blobs.add(mount)
                return _blob_created(repo, mount)
        upload = self.ecr.blobs.start(call.owner)
        digest = query.get("digest")
        if digest:
            return await self._finish(call, upload, digest)
        return _upload_status(repo, upload, 202)

    async def upload_status(self, call: Call, p: dict[str, str]) -> Response:
        return _upload_status(call.repo, self._upload(call, p), 204)

    async def patch_upload(self, call: Call, p: dict[str, str]) -> Response:
        repo, upload = call.repo, self._upload(call, p)
        content_range = call.request.headers.get("content-range")
        if content_range:
            match = _RANGE.match(content_range.strip())
            if not match or int(match.group(1)) != upload.size:
                raise RegistryError("RANGE_INVALID", "invalid content range", 416, headers={"Range": _range(upload)})
        await self._receive(call, upload)
        return _upload_status(repo, upload, 202)

    async def put_upload(self, call: Call, p: dict[str, str]) -> Response:
        upload = self._upload(call, p)
        digest = call.request.query.get("digest", "")
        return await self._finish(call, upload, digest)

    async def cancel_upload(self, call: Call, p: dict[str, str]) -> Response:
        self.ecr.blobs.cancel(self._upload(call, p))
        return Response(204, b"")

    def _upload(self, call: Call, p: dict[str, str]) -> Upload:
        call.repo  # noqa: B018 - a missing repository answers NAME_UNKNOWN first
        upload = self.ecr.blobs.uploads.get(p["upload"])
        if upload is None or upload.owner != call.owner:
            raise upload_unknown()
        return upload

    async def _receive(self, call: Call, upload: Upload) -> None:
        """Appends the request body; a client that goes away mid-body takes the whole upload with it."""
        try:
            await upload.write_stream(call.request.stream())
        except ClientDisconnected:
            self.ecr.blobs.cancel(upload)
            raise

    async def _finish(self, call: Call, upload: Upload, digest: str) -> Response:
        await self._receive(call, upload)
        if not DIGEST.match(digest):
            self.ecr.blobs.cancel(upload)
            raise digest_invalid(digest)
        try:
            self.ecr.blobs.commit(upload, digest)
        except DigestMismatch:
            raise digest_invalid(digest) from None
        call.repo.blobs.add(digest)
        return _blob_created(call.repo, digest)

    # -- manifests -----------------------------------------------------------------------------------------

    async def get_manifest(self, call: Call, p: dict[str, str]) -> Response:
        repo, ref = call.repo, p["reference"]
        by_digest = ref.startswith("sha256:")
        image = images.find(repo, {"imageDigest": ref} if by_digest else {"imageTag": ref})
        if image is None:
            raise manifest_unknown()
        if not by_digest and not manifests.accepts(call.request.headers.get_all("accept"), image.media_type):
            kind = "OCI index" if image.media_type == manifests.OCI_INDEX else "manifest of type " + image.media_type
            raise manifest_unknown(f"{kind} found, but accept header does not support it")
        if call.request.method == "GET":
            image.last_pull = time.time()
        headers = {
            "Content-Type": image.media_type,
            "Docker-Content-Digest": image.digest,
            "ETag": f'"{image.digest}"',
            "Content-Length": str(len(image.manifest)),
        }
        return Response(200, b"" if call.request.method == "HEAD" else image.manifest, headers)

    async def put_manifest(self, call: Call, p: dict[str, str]) -> Response:
        repo, ref = call.repo, p["reference"]
        data = await _read_limited(call.request, MAX_MANIFEST)
        by_digest = ref.startswith("sha256:")
        tags = call.request.query_all("tag") if by_digest else [ref]
        for tag in tags:
            if not TAG.match(tag):
                raise RegistryError("TAG_INVALID", f"The image tag '{tag}' is invalid", 400)
        media_type = call.request.headers.get("content-type")
        digest = images.digest_of(data)
        for tag in tags or [None]:
            try:
                images.put(repo, self.ecr.blobs, data, media_type, tag, ref if by_digest else None)
            except AwsError as error:
                if error.code != "ImageAlreadyExistsException":  # a re-push of the same image is a no-op
                    raise
        headers = {"Location": f"/v2/{repo.name}/manifests/{digest}", "Docker-Content-Digest": digest}
        if by_digest and tags:
            headers["OCI-Tag"] = ", ".join(tags)
        return Response(201, b"", headers)

    async def delete_manifest(self, call: Call, p: dict[str, str]) -> Response:
        repo, ref = call.repo, p["reference"]
        _, failure = images.delete(repo, {"imageDigest": ref} if ref.startswith("sha256:") else {"imageTag": ref})
        if failure is not None:
            if failure[0] == "ImageReferencedByManifestList":
                raise RegistryError("DENIED", failure[1], 403)
            raise manifest_unknown()
        return Response(202, b"")

    async def referrers(self, call: Call, p: dict[str, str]) -> Response:
        repo = call.repo
        found = [
            {
                "mediaType": i.media_type,
                "digest": i.digest,
                "size": len(i.manifest),
                "artifactType": i.artifact_media_type,
            }
            for i in repo.images.values()
            if i.subject == p["digest"]
        ]
        index = {"schemaVersion": 2, "mediaType": manifests.OCI_INDEX, "manifests": found}
        return Response(200, json.dumps(index).encode(), {"Content-Type": manifests.OCI_INDEX})


def _range(upload: Upload) -> str:
    # docker parses "%d-%d": no "bytes=" prefix; an empty upload reports 0-0 as distribution does.
    return f"0-{max(upload.size - 1, 0)}"


def _upload_status(repo: Repository, upload: Upload, status: int) -> Response:
    return Response(
        status,
        b"",
        {
            "Location": f"/v2/{repo.name}/blobs/uploads/{upload.id}",
            "Docker-Upload-UUID": upload.id,
            "Range": _range(upload),
            "Content-Length": "0",
        },
    )


def _blob_created(repo: Repository, digest: str) -> Response:
    headers = {"Location": f"/v2/{repo.name}/blobs/{digest}", "Docker-Content-Digest": digest, "Content-Length": "0"}
    return Response(201, b"", headers)


def _page(request: Request, items: list[str], path: str) -> tuple[list[str], dict[str, str]]:
    query = request.query
    last = query.get("last")
    if last:
        items = [i for i in items if i > last]
    if "n" not in query:
        return items, {}
    try:
        n = int(query["n"])
        if n < 0:
            raise ValueError
    except ValueError:
        raise RegistryError("PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400) from None
    page = items[:n]
    if len(items) <= n or not page:
        return page, {}
    return page, {"Link": f'<{path}?n={n}&last={quote(page[-1])}>; rel="next"'}


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RegistryError("SIZE_INVALID", f"manifest is larger than {limit} bytes", 400)
        chunks.append(chunk)
    return b"".join(chunks)


_ROUTES: list[tuple[str, str, Route]] = [
    ("GET", "?", Registry.base),
    ("GET", "_catalog", Registry.catalog),
    ("GET", f"{_NAME}/tags/list", Registry.tags_list),
    ("GET", f"{_NAME}/manifests/(?P<reference>[^/]+)", Registry.get_manifest),
    ("PUT", f"{_NAME}/manifests/(?P<reference>[^/]+)", Registry.put_manifest),
    ("DELETE", f"{_NAME}/manifests/(?P<reference>[^/]+)", Registry.delete_manifest),
    ("POST", f"{_NAME}/blobs/uploads/?", Registry.start_upload),
    ("GET", f"{_NAME}/blobs/uploads/(?P<upload>[^/]+)", Registry.upload_status),
    ("PATCH", f"{_NAME}/blobs/uploads/(?P<upload>[^/]+)", Registry.patch_upload),
    ("PUT", f"{_NAME}/blobs/uploads/(?P<upload>[^/]+)", Registry.put_upload),
    ("DELETE", f"{_NAME}/blobs/uploads/(?P<upload>[^/]+)", Registry.cancel_upload),
    ("GET", f"{_NAME}/blobs/(?P<digest>[^/]+)", Registry.get_blob),
    ("DELETE", f"{_NAME}/blobs/(?P<digest>[^/]+)", Registry.delete_blob),
    ("GET", f"{_NAME}/referrers/(?P<digest>[^/]+)", Registry.referrers),
]
