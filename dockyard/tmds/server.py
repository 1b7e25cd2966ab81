"""The listener at http://169.254.170.2 (the address every AWS SDK calls for task credentials and metadata).

Reachability: 169.254.170.2/32 is added to the host's loopback interface, so a container's packets to it go to
its default gateway (the host) and are delivered locally, with the container's own source address. An iptables
guard accepts port 80 on that address only from loopback and container bridges, so nothing beyond this machine
reaches it. One dockyard per machine can own the port: the others register their ids in a shared folder and the
owner forwards their requests to them (each also serves the endpoints under ``/_dockyard/tmds``); when the owner
exits, the next instance to retry takes the port over.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("dockyard.tmds")

ADDRESS = "169.254.170.2"
PORT = 80
PEERS = Path(os.environ.get("DOCKYARD_TMDS_PEERS", "/run/dockyard/tmds"))
RETRY_S = 2.0
FORWARDED = "x-dockyard-tmds-caller"
BRIDGES = ("lo", "docker+", "br-+", "cni-podman+", "podman+")

# (path, query, caller address) -> (status, JSON body)
Answer = Callable[[str, dict[str, list[str]], str | None], Awaitable[tuple[int, object]]]


def ensure_address() -> str | None:
    """Puts 169.254.170.2 on ``lo`` with the iptables guard; returns why not when that is impossible."""
    try:
        have = subprocess.run(["ip", "-4", "addr", "show", "dev", "lo"], capture_output=True, text=True, timeout=10)
        if f"{ADDRESS}/32" not in have.stdout:
            run = subprocess.run(
                ["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"], capture_output=True, text=True, timeout=10
            )
            if run.returncode != 0 and "File exists" not in run.stderr:
                return f"cannot add {ADDRESS} to lo: {run.stderr.strip()}"
        _guard()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot configure {ADDRESS}: {exc}"
    return None


def _guard() -> None:
    chain = "DOCKYARD-TMDS"
    iptables = ["iptables", "-w", "5"]
    if subprocess.run([*iptables, "-n", "-L", chain], capture_output=True, timeout=10).returncode == 0:
        return
    subprocess.run([*iptables, "-N", chain], capture_output=True, timeout=10, check=True)
    for interface in BRIDGES:
        subprocess.run([*iptables, "-A", chain, "-i", interface, "-j", "RETURN"], capture_output=True, timeout=10)
    subprocess.run([*iptables, "-A", chain, "-j", "DROP"], capture_output=True, timeout=10)
    rule = ["-d", f"{ADDRESS}/32", "-p", "tcp", "--dport", str(PORT), "-j", chain]
    subprocess.run([*iptables, "-I", "INPUT", *rule], capture_output=True, timeout=10)


class TmdsListener:
    """Owns 169.254.170.2:80 when it can; otherwise registers with the owner and keeps trying."""

    def __init__(self, answer: Answer, own_port: int) -> None:
        self.answer = answer
        self.own_port = own_port
        self.server: asyncio.Server | None = None
        self.problem: str | None = None
        self._retry: asyncio.Task[None] | None = None
        self._ids: set[str] = set()
        self._filed: set[str] = set()  # ids with a peer file

    async def start(self) -> None:
        self.problem = await asyncio.to_thread(ensure_address)
        if self.problem:
            log.warning("task metadata and credentials endpoint unavailable: %s", self.problem)
            return
        await self._bind()
        if self.server is None:
            self._retry = asyncio.ensure_future(self._keep_trying())

    async def _bind(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ADDRESS, PORT))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                self.problem = f"cannot listen on {ADDRESS}:{PORT}: {exc}"
            return
        sock.listen(128)
        self.server = await asyncio.start_server(self._serve, sock=sock)
        log.info("task metadata and credentials endpoint on http://%s", ADDRESS)

    async def _keep_trying(self) -> None:
        while self.server is None:
            await asyncio.sleep(RETRY_S)
            await self._bind()

    # -- ids served by this instance (so an owner elsewhere can forward to us) -------------------------------

    def register(self, ids: list[str]) -> None:
        self._ids.update(ids)
        if self.server is not None:  # the owner answers its own ids; peer files are for an owner elsewhere
            return
        with contextlib.suppress(OSError):
            PEERS.mkdir(parents=True, exist_ok=True)
            for ident in ids:
                (PEERS / ident).write_text(str(self.own_port))
                self._filed.add(ident)

    def unregister(self, ids: list[str]) -> None:
        for ident in ids:
            self._ids.discard(ident)
            if ident in self._filed:
                self._filed.discard(ident)
                with contextlib.suppress(OSError):
                    (PEERS / ident).unlink()

    async def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
        self.unregister(list(self._ids))
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)
            self.server = None

    def health(self) -> dict[str, object]:
        if self.problem:
            return {"status": "unavailable", "reason": self.problem}
        return {"status": "running", "address": ADDRESS, "owner": self.server is not None}

    # -- HTTP ----------------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        caller = peer[0] if peer else None
        try:
            while True:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                status, body = await self._route(method, target, caller)
                data = json.dumps(body).encode()
                close = headers.get("connection", "").lower() == "close"
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _route(self, method: str, target: str, caller: str | None) -> tuple[int, object]:
        if method not in ("GET", "HEAD"):
            return 405, {"code": "InvalidRequest", "message": "Only GET is supported."}
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        ident = endpoint_id(parts.path, query)
        if ident and ident not in self._ids:
            port = _peer_port(ident)
            if port is not None and port != self.own_port:
                return await _forward(port, target, caller)
        return await self.answer(parts.path, query, caller)


def endpoint_id(path: str, query: dict[str, list[str]]) -> str | None:
    """The id a request names: ``/v2/credentials/<id>``, ``/v1/credentials?id=<id>``, ``/v3|v4/<id>/...``."""
    segments = [s for s in path.split("/") if s]
    if segments[:2] == ["v2", "credentials"] and len(segments) == 3:
        return segments[2]
    if segments[:2] == ["v1", "credentials"]:
        return (query.get("id") or [None])[0]
    if len(segments) >= 2 and segments[0] in ("v3", "v4"):
        return segments[1]
    return None


def _peer_port(ident: str) -> int | None:
    if "/" in ident or ident.startswith("."):
        return None
    try:
        return int((PEERS / ident).read_text())
    except (OSError, ValueError):
        return None


async def _forward(port: int, target: str, caller: str | None) -> tuple[int, object]:
    """Asks the instance that owns ``target``'s id, naming the original caller (loopback only)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
        writer.write(
            f"GET /_dockyard/tmds{target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{FORWARDED}: {caller or ''}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), json.loads(body or b"null")
    except (OSError, TimeoutError, ValueError, IndexError):
        return 503, {"code": "CredentialsUninitialized", "message": "The dockyard serving this task did not answer."}
