"""The backend interface every container engine implementation provides.

The ECS task launcher speaks only these types. Specs are engine-neutral; the Docker implementation maps them
to the Engine API (``/containers/create`` etc.).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

# Labels on every object dockyard creates; reset/shutdown remove exactly what carries this server's instance id.
LABEL_INSTANCE = "dev.dockyard.instance"
LABEL_OWNER = "dev.dockyard.owner"  # "<hostname>:<port>": a restart on the same port cleans its dead predecessor
LABEL_TASK = "dev.dockyard.task"  # task ARN
LABEL_CONTAINER = "dev.dockyard.container"  # container name in the task definition


class EngineUnavailable(Exception):
    """No container engine answered; the message says what was tried."""


class ImageNotFound(Exception):
    """A pull failed (unknown image, unreachable registry, denied); the message is the engine's."""


class ContainerError(Exception):
    """Creating or starting a container failed; the message is the engine's."""


class ContainerNotFound(ContainerError):
    """The container does not exist (any more): removed, or never created by this engine."""


@dataclass(frozen=True)
class EngineInfo:
    kind: Literal["docker", "podman"]
    version: str
    api_url: str
    # Address containers use to reach services on the host (bridge gateway or Podman's host alias).
    host_gateway: str | None = None


@dataclass(frozen=True)
class RegistryAuth:
    username: str
    password: str
    server: str


@dataclass(frozen=True)
class ImageInfo:
    id: str  # sha256:... image id
    digest: str | None  # sha256:... repo digest of the manifest pulled, when the engine knows it
    entrypoint: list[str] | None = None
    command: list[str] | None = None


@dataclass(frozen=True)
class PortSpec:
    container_port: int
    host_port: int | None = None  # None or 0: the engine picks a free port
    protocol: Literal["tcp", "udp"] = "tcp"
    host_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class Mount:
    target: str
    source: str  # host path (bind) or volume name (volume)
    kind: Literal["bind", "volume", "tmpfs"] = "bind"
    read_only: bool = False
    tmpfs_options: str | None = None


@dataclass(frozen=True)
class HealthCheck:
    test: list[str]  # ["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"] to disable the image's own check
    interval_s: float = 30
    timeout_s: float = 5
    retries: int = 3
    start_period_s: float = 0


@dataclass(frozen=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass
class ContainerSpec:
    name: str
    image: str
    labels: dict[str, str]
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    # "bridge" | "host" | "none" | "container:<id>" | a network name created with create_network
    network: str = "bridge"
    network_aliases: list[str] = field(default_factory=list)
    ip_address: str | None = None  # fixed address on a user network
    ports: list[PortSpec] = field(default_factory=list)
    cpu_shares: int | None = None
    nano_cpus: int | None = None
    memory_mib: int | None = None
    memory_reservation_mib: int | None = None
    ulimits: list[Ulimit] = field(default_factory=list)
    init: bool = False
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    devices: list[dict[str, str]] = field(
        default_factory=list
    )  # {"PathOnHost", "PathInContainer", "CgroupPermissions"}
    shm_size_mib: int | None = None
    readonly_rootfs: bool = False
    privileged: bool = False
    mounts: list[Mount] = field(default_factory=list)
    volumes_from: list[str] = field(default_factory=list)  # "<container id>[:ro]"
    healthcheck: HealthCheck | None = None
    stop_signal: str | None = None
    stop_timeout_s: int | None = None
    hostname: str | None = None
    extra_hosts: list[str] = field(default_factory=list)  # "name:ip"
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    tty: bool = False
    interactive: bool = False


@dataclass(frozen=True)
class PortBinding:
    container_port: int
    host_port: int
    protocol: str
    host_ip: str


@dataclass(frozen=True)
class ContainerState:
    id: str
    status: Literal["created", "running", "paused", "restarting", "removing", "exited", "dead"]
    exit_code: int | None
    oom_killed: bool
    error: str | None
    health: Literal["starting", "healthy", "unhealthy"] | None
    started_at: datetime | None
    finished_at: datetime | None
    ports: list[PortBinding]
    ip_addresses: dict[str, str]  # network name -> IPv4
    image_id: str


@dataclass(slots=True)  # not frozen: a frozen one takes three times as long to make, at 100,000s a second
class LogLine:
    stream: Literal["stdout", "stderr"]
    nanos: int  # the engine's timestamp of the line, in ns since the epoch (no datetime per line at 100,000s/s)
    text: str  # without the trailing newline

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.nanos // 10**9, UTC).replace(microsecond=self.nanos // 1000 % 10**6)


@dataclass(frozen=True)
class ContainerEvent:
    container_id: str
    action: str  # "start" | "die" | "oom" | "health_status: healthy" | "destroy" | ...
    labels: dict[str, str]
    exit_code: int | None = None


class Backend(Protocol):
    async def info(self) -> EngineInfo: ...

    async def pull(self, image: str, auth: RegistryAuth | None = None) -> ImageInfo: ...

    async def image(self, image: str) -> ImageInfo | None: ...

    async def import_image(self, reference: str, tarball: bytes, command: list[str]) -> ImageInfo:
        """Creates ``reference`` from a root-filesystem tarball (``docker import``), with ``command`` as CMD."""
        ...

    async def create(self, spec: ContainerSpec) -> str: ...

    async def start(self, container_id: str) -> None: ...

    async def stop(self, container_id: str, timeout_s: int) -> None:
        """SIGTERM (or the container's stop signal), SIGKILL after ``timeout_s``; returns once it stopped.
        Stopping a stopped or removed container is not an error (nor is kill/remove of one)."""
        ...

    async def kill(self, container_id: str, signal: str = "SIGKILL") -> None: ...

    async def inspect(self, container_id: str) -> ContainerState:
        """ContainerNotFound once it is removed. After a "die" event: exit code, oom_killed, finished_at."""
        ...

    async def remove(self, container_id: str) -> None: ...

    def logs(self, container_id: str, tty: bool = False) -> AsyncIterator[LogLine]:
        """Follows the container's output from its start, line by line, until it exits (call it after start();
        a line arrives as soon as the engine has it, a final unterminated line at exit). ``tty``: the container
        was created with a TTY (its output is one raw stream); the caller knows, which saves an inspect."""
        ...

    def events(self) -> AsyncIterator[ContainerEvent]:
        """Container events of objects labelled with this instance, for as long as the iterator is consumed.

        The replay point is taken when iteration begins (start the consumer before creating containers); a
        dropped stream reconnects and replays what it missed. "health_status: X" may repeat the same status.
        """
        ...

    async def stats(self, container_id: str) -> dict[str, object]: ...

    async def create_network(
        self, name: str, labels: dict[str, str], subnet: str | None = None, gateway: str | None = None
    ) -> str: ...

    async def remove_network(self, name: str) -> None: ...

    async def create_volume(
        self, name: str, labels: dict[str, str], driver: str | None = None, options: dict[str, str] | None = None
    ) -> str: ...

    async def remove_volume(self, name: str) -> None: ...

    async def remove_labelled(self, labels: dict[str, str]) -> int:
        """Removes every container, network and volume carrying all ``labels``; returns how many."""
        ...

    async def close(self) -> None: ...
