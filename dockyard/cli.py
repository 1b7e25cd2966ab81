"""``dockyard serve``: the command line."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from dockyard import __version__
from dockyard.config import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dockyard", description="A local Amazon ECS and ECR on real containers.")
    parser.add_argument("--version", action="version", version=f"dockyard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (DOCKYARD_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (DOCKYARD_PORT, default 4566)")
    serve.add_argument("--data-dir", type=Path, help="where state and registry blobs live (default: a temp folder)")
    args = parser.parse_args(argv)

    settings = Settings()
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    if args.data_dir:
        settings.data_dir = args.data_dir
    serve_forever(settings)


def serve_forever(settings: Settings) -> None:
    import asyncio
    import socket

    import uvicorn

    from dockyard.server.build import build_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        http="httptools",
        loop="uvloop",
        lifespan="on",
        timeout_keep_alive=75,
        server_header=False,
    )
    server = uvicorn.Server(config)

    async def listen(host: str) -> None:
        """Serves on one more address, as uvicorn's own start-up does for its sockets (uvicorn is pinned)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A Podman bridge exists only while a container uses it: bind its gateway before the address is up.
        sock.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        sock.bind((host, settings.port))
        sock.listen(config.backlog)
        extra = await asyncio.get_running_loop().create_server(
            lambda: config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=server.server_state, app_state=server.lifespan.state
            ),
            sock=sock,
            backlog=config.backlog,
        )
        server.servers.append(extra)  # closed with the others at shutdown
        logging.getLogger("dockyard.server").info("also listening on %s:%d for containers", host, settings.port)

    app.listener = listen
    server.run()


IP_FREEBIND = 15  # <linux/in.h>; the socket module does not name it


if __name__ == "__main__":
    main()
