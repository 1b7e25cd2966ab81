"""Small typed request/response objects over raw ASGI, so large bodies can stream in and out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class Headers:
    """Case-insensitive, multi-valued request headers."""

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._items = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for key, value in self._items:
            if key == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._items if k == name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


class Request:
    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self._receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: str = scope.get("query_string", b"").decode("latin-1")
        self.headers = Headers(scope.get("headers", ()))
        self._body: bytes | None = None
        self._consumed = False

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def query_all(self, name: str) -> list[str]:
        return [v for k, v in parse_qsl(self.query_string, keep_blank_values=True) if k == name]

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    @property
    def server_port(self) -> int | None:
        server = self.scope.get("server")
        return server[1] if server else None

    async def stream(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, without holding it in memory."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        if self._consumed:
            return
        self._consumed = True
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join([chunk async for chunk in self.stream()])
        return self._body


class ClientDisconnected(Exception):
    """The client went away while we were reading its body."""


@dataclass
class Response:
    status: int = 200
    body: bytes | AsyncIterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, separators=(",", ":"), default=str).encode()
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    async def send(self, send: Send, head_only: bool = False) -> None:
        headers = [(k.encode("latin-1"), str(v).encode("latin-1")) for k, v in self.headers.items()]
        if isinstance(self.body, bytes) and "content-length" not in {k.lower() for k in self.headers}:
            headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        if head_only:
            if not isinstance(self.body, bytes):
                await _close(self.body)
            await send({"type": "http.response.body", "body": b""})
            return
        if isinstance(self.body, bytes):
            await send({"type": "http.response.body", "body": self.body})
            return
        try:
            async for chunk in self.body:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await _close(self.body)
        await send({"type": "http.response.body", "body": b""})


async def _close(body: AsyncIterator[bytes]) -> None:
    aclose = getattr(body, "aclose", None)
    if aclose is not None:
        await aclose()


Handler = Callable[[Request], Awaitable[Response]]
