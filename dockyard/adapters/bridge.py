"""The one place dockyard talks to moto's request handling.

moto's response classes already speak every wire protocol of the services around a task (query, rest-xml, JSON),
so dockyard hands them the raw request and returns their answer. What dockyard decides is *who* is calling: the
account and region come from dockyard's request context, passed to moto as the ``x-moto-account-id`` header and
an ``amazonaws.com`` URL naming the region. moto is imported on the first call of each service, never at start-up.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from dockyard.protocol.errors import AwsError
from dockyard.protocol.provider import Provider, RequestContext
from dockyard.protocol.specs import ServiceSpec, Shape
from dockyard.server.http import Request, Response

MotoHandler = Callable[[Any, str, Any], Any]


@dataclass
class MotoReply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False)
class MotoService:
    """One moto-backed service: where its handlers live and how its URLs look to moto."""

    name: str  # moto's backend name, e.g. "logs", "s3"
    host: str  # the AWS endpoint label, e.g. "logs" in logs.us-east-1.amazonaws.com
    regional: bool = True  # IAM (and S3's bucket namespace) are global
    fix: Callable[[], None] | None = None  # corrects a moto behaviour that differs from AWS, once, on load
    _loaded: bool = field(default=False, init=False)

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern[str], MotoHandler]]:
        urls = importlib.import_module(f"moto.{self.name}.urls")
        self._load()
        return [(re.compile(pattern.format("")), handler) for pattern, handler in urls.url_paths.items()]

    def backends(self) -> Any:
        """moto's BackendDict for this service (account -> region -> backend)."""
        from moto.backends import get_backend

        self._load()
        return get_backend(self.name)  # type: ignore[call-overload]

    @property
    def loaded(self) -> bool:
        """Whether the service was used since start-up (before that, it holds no state)."""
        return self._loaded

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            if self.fix is not None:
                self.fix()

    def backend(self, account: str, region: str) -> Any:
        return self.backends()[account][region if self.regional else "global"]

    def reset(self) -> None:
        """Forgets every account's state, if this service was ever used."""
        if self._loaded:
            self.backends().clear()

    def url(self, region: str, path: str, query: str, host: str) -> str:
        if self.name == "s3":
            # S3 tells bucket from key by the Host header (path-style for IPs/localhost), so keep the real one.
            base = f"http://{host}"
        elif self.regional:
            base = f"https://{self.host}.{region}.amazonaws.com"
        else:
            base = f"https://{self.host}.amazonaws.com"
        return f"{base}{path}?{query}" if query else f"{base}{path}"

    def call(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        account: str,
        region: str,
        host: str,
    ) -> MotoReply:
        from botocore.awsrequest import AWSPreparedRequest
        from botocore.compat import HTTPHeaders

        handler = next((h for pattern, h in self._routes if pattern.fullmatch(path)), None)
        if handler is None:
            return MotoReply(404, {}, b"")
        url = self.url(region, path, query, host)
        pairs = [(k, v) for k, v in headers if k.lower() != "x-moto-account-id"]
        request_headers = HTTPHeaders()
        for key, value in [*pairs, ("x-moto-account-id", account)]:
            request_headers[key] = value
        request = AWSPreparedRequest(method, url, request_headers, body, stream_output=False)
        status, reply_headers, reply_body = handler(request, url, request_headers)
        if isinstance(reply_body, str):
            reply_body = reply_body.encode()
        clean = {str(k): str(v) for k, v in (reply_headers or {}).items() if str(k).lower() != "status"}
        return MotoReply(int(status), clean, reply_body or b"")


def issued_key_account(access_key: str) -> str | None:
    """The account of a key moto issued (STS AssumeRole, IAM CreateAccessKey), as AWS knows it."""
    if "moto.iam.models" not in sys.modules:  # nothing can have been issued before IAM/STS was first used
        return None
    iam = sys.modules["moto.iam.models"]
    for account_id, backend in list(iam.iam_backends.items()):
        for partition in list(backend.keys()):
            if access_key in backend[partition].access_keys:
                return account_id
    return None


def signed_handler(service: MotoService, default_account: Callable[[Request], tuple[str, str]]) -> Any:
    """An ``app.add_signed_service`` handler that answers with ``service``'s moto response classes."""

    async def handle(request: Request) -> Response:
        account, region = default_account(request)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope.get("headers", ())]
        reply = service.call(
            request.method,
            request.path,
            request.query_string,
            headers,
            await request.body(),
            account,
            region,
            request.headers.get("host") or "127.0.0.1",
        )
        return Response(reply.status, reply.body, reply.headers)

    return handle


class MotoJsonProvider(Provider):
    """A JSON-protocol service answered by moto, behind dockyard's own parser and shape-checked serializer.

    dockyard validates the request against botocore's model first (so errors read as AWS's), then moto runs the
    operation for the context's account and region.
    """

    def __init__(self, service: MotoService, spec: ServiceSpec, native: dict[str, Any] | None = None) -> None:
        self.moto = service
        self.spec = spec
        self.service = spec.name
        self.native = native or {}  # operation -> handler that reads moto's backend directly

    def handler(self, operation: str) -> Any:
        if operation not in self.spec.operations:
            return None
        return self.native.get(operation) or (lambda ctx, params: self.call(ctx, operation, params))

    def call(self, ctx: RequestContext, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        signing_name = self.spec.metadata.get("signingName", self.moto.host)
        headers = [
            ("X-Amz-Target", f"{self.spec.target_prefix}.{operation}"),
            ("Content-Type", f"application/x-amz-json-{self.spec.metadata.get('jsonVersion', '1.1')}"),
            # Some moto services read the region only from the credential scope (SQS's URL regex is its own).
            (
                "Authorization",
                f"AWS4-HMAC-SHA256 Credential=dockyard/20260101/{ctx.region}/{signing_name}/aws4_request",
            ),
        ]
        body = json.dumps(params, default=_to_json).encode()
        reply = self.moto.call("POST", "/", "", headers, body, ctx.account, ctx.region, ctx.host)
        data = json.loads(reply.body) if reply.body.strip() else {}
        if reply.status >= 400:
            raise self._error(reply.status, data)
        output = self.spec.operations[operation].output
        return self._from_moto(self.spec.shape(output), data) if output else {}

    def _from_moto(self, shape: Shape, value: Any) -> Any:
        """moto's JSON as the output shape's values: members the model lacks dropped (moto adds a few), blobs
        and timestamps decoded, so dockyard's serializer sees what a provider would return."""
        kind = shape["type"]
        if kind == "structure" and isinstance(value, dict):
            members = shape.get("members", {})
            return {
                name: self._from_moto(self.spec.shape(members[name]["shape"]), raw)
                for name, raw in value.items()
                if name in members and raw is not None
            }
        if kind == "list" and isinstance(value, list):
            member = self.spec.shape(shape["member"]["shape"])
            return [self._from_moto(member, v) for v in value]
        if kind == "map" and isinstance(value, dict):
            member = self.spec.shape(shape["value"]["shape"])
            return {k: self._from_moto(member, v) for k, v in value.items()}
        if kind in ("integer", "long") and isinstance(value, float):
            return int(value)  # moto's Logs keeps some timestamps as floats
        if kind == "blob" and isinstance(value, str):
            return base64.b64decode(value)
        if kind == "timestamp" and isinstance(value, str):
            try:
                return datetime.fromtimestamp(float(value), UTC)
            except ValueError:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value

    def _error(self, status: int, data: dict[str, Any]) -> AwsError:
        code = str(data.get("__type") or data.get("code") or "InternalFailure").rsplit("#", 1)[-1]
        message = str(data.get("message") or data.get("Message") or "")
        modeled = self.spec.shapes.get(code, {}).get("error", {})
        # Query-compatible services (SQS) are known to clients by their query error code.
        return AwsError(modeled.get("code", code), message, modeled.get("httpStatusCode", status))


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _scope(region: str, signing_name: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=dockyard/20260101/{region}/{signing_name}/aws4_request"
