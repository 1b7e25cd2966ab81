"""Settings, from the command line and ``DOCKYARD_*`` environment variables."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("DOCKYARD_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("DOCKYARD_PORT", "4566")))
    data_dir: Path | None = field(
        default_factory=lambda: Path(os.environ["DOCKYARD_DATA_DIR"]) if os.environ.get("DOCKYARD_DATA_DIR") else None
    )
    default_account: str = field(default_factory=lambda: os.environ.get("DOCKYARD_ACCOUNT_ID", "000000000000"))
    default_region: str = field(default_factory=lambda: os.environ.get("DOCKYARD_REGION", "us-east-1"))
    # Responses outside botocore's output shapes become errors instead of being trimmed (the tests turn it on).
    strict: bool = field(default_factory=lambda: _env_bool("DOCKYARD_STRICT", False))
    # Container engine: a Docker-API URL (unix:///run/podman/podman.sock, tcp://...); empty means auto-detect.
    engine: str = field(default_factory=lambda: os.environ.get("DOCKYARD_ENGINE", ""))
    # The registry demands a GetAuthorizationToken password; off lets anonymous clients push and pull.
    registry_auth: bool = field(default_factory=lambda: _env_bool("DOCKYARD_REGISTRY_AUTH", True))
    # Image holding awsvpc tasks' network namespaces; empty means dockyard's own (dockyard/runtime/pause.py).
    pause_image: str = field(default_factory=lambda: os.environ.get("DOCKYARD_PAUSE_IMAGE", ""))
    log_level: str = field(default_factory=lambda: os.environ.get("DOCKYARD_LOG_LEVEL", "info"))

    def resolved_data_dir(self) -> Path:
        """The data folder, created on first use; a fresh temporary folder unless one was named."""
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="dockyard-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
