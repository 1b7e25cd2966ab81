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
    import uvicorn

    from dockyard.server.build import build_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        build_app(settings),
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


if __name__ == "__main__":
    main()
