"""The Backend over the Docker Engine API (and Podman's Docker-compatible API), through aiodocker.

aiodocker supplies the transport (unix/tcp sockets, API version negotiation, error mapping); the request
bodies are written here against the Engine API directly, because its typed helpers hide what dockyard needs
(which stream a log line came from, event replay after a reconnect, the pull's error stream).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import functools
import ipaddress
import json
import logging
import os
import re
import struct
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiodocker
import aiohttp

from dockyard.runtime.backend import (
    LABEL_INSTANCE,
    ContainerError,
    ContainerEvent,
    ContainerNotFound,
    ContainerSpec,
    ContainerState,
    EngineInfo,
    EngineUnavailable,
    ImageInfo,
    ImageNotFound,
    LogLine,
    PortBinding,
    RegistryAuth,
)

log = logging.getLogger("dockyard.runtime")

_MIB = 1024 * 1024
_REPLAY_MEMORY = 4096  # events remembered to skip their repeats after a reconnect
_NS = 1_000_000_000
# Events the launcher acts on; everything else (exec_*, attach, cleanup, ...) is noise.
EVENT_ACTIONS = ("start", "die", "oom", "kill", "destroy", "health_status")
# Connection-level calls (not long streams) fail rather than hang when the engine stops answering.
_CALL_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=5, sock_connect=5)
_STREAM = aiohttp.ClientTimeout(total=None, connect=5, sock_connect=5, sock_read=None)


class DockerBackend:
    """One aiodocker client; ``instance`` is the label value whose containers ``events()`` reports."""

    def __init__(self, url: str, instance: str) -> None:
        self.url = url
        self.instance = instance
        self._docker = aiodocker.Docker(url=url, timeout=_CALL_TIMEOUT)
        self._info: EngineInfo | None = None
        self._health_tasks: set[asyncio.Future[None]] = set()
        # Containers whose "die" event was seen: their log follower needs no inspect to know they stopped,
        # an inspect that would wait for the engine to finish the exit (tens of ms on the path to STOPPED).
        self._died: dict[str, None] = {}
        self._podman_turns = asyncio.Lock()
        self._http10: aiohttp.ClientSession | None = None

    # -- plumbing ------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _raw_stream(self, path: str, params: dict[str, str]) -> AsyncIterator[aiohttp.ClientResponse]:
        """A long GET over HTTP/1.0, so that the engine sends the body as it comes instead of one HTTP chunk per
        log message (which costs two parser callbacks per line at 100,000s of lines a second)."""
        await self._docker._check_version()
        if self._http10 is None:  # aiodocker's connection pool (socket or TLS), another protocol version
            connector = self._docker.session.connector
            self._http10 = aiohttp.ClientSession(
                connector=connector, connector_owner=False, version=aiohttp.HttpVersion10
            )
        try:
            response = await self._http10.get(self._docker._canonicalize_url(path), params=params, timeout=_STREAM)
        except aiohttp.ClientConnectionError as exc:
            raise EngineUnavailable(f"Cannot connect to the engine: {exc}") from exc
        async with response:
            if response.status >= 400:  # as every other container call reports it: ContainerNotFound on a 404
                text = await response.text()
                with contextlib.suppress(ValueError):
                    text = json.loads(text).get("message", text)
                raise _container_error(aiodocker.DockerError(response.status, text))
            yield response

    async def _call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            return await self._docker._query_json(
                path, method, params=params, data=body, headers=headers, timeout=_CALL_TIMEOUT
            )
        except aiodocker.DockerError as exc:
            if exc.status == 900:  # aiodocker's "cannot connect"
                raise EngineUnavailable(exc.message) from exc
            raise

    async def close(self) -> None:
        for task in self._health_tasks:
            task.cancel()
        if self._http10 is not None:
            await self._http10.close()
        await self._docker.close()

    # -- engine --------------------------------------------------------------------------------------------

    async def info(self) -> EngineInfo:
        if self._info is None:
            version = await self._call("GET", "version")
            components = {c.get("Name", "") for c in version.get("Components") or []}
            podman = (
                any("podman" in name.lower() for name in components)
                or "podman" in json.dumps(version.get("Platform", {})).lower()
            )
            kind = "podman" if podman else "docker"
            self._info = EngineInfo(
                kind=kind,
                version=str(version.get("Version", "")),
                api_url=self.url,
                host_gateway=await self._bridge_gateway(kind),
            )
        return self._info

    async def _bridge_gateway(self, kind: str) -> str | None:
        """The default bridge's gateway: an address of the host every bridge-networked container can reach."""
        try:
            network = await self._call("GET", f"networks/{'podman' if kind == 'podman' else 'bridge'}")
        except aiodocker.DockerError:
            return None
        for config in (network.get("IPAM") or {}).get("Config") or []:
            gateway = config.get("Gateway")
            if gateway and ":" not in gateway:
                return gateway.split("/")[0]
            subnet = config.get("Subnet")
            if subnet and ":" not in subnet:
                # Docker leaves Gateway out when it picked the default: the subnet's first address.
                return str(ipaddress.ip_network(subnet, strict=False)[1])
        return None

    # -- images --------------------------------------------------------------------------------------------

    async def pull(self, image: str, auth: RegistryAuth | None = None) -> ImageInfo:
        repository, tag = split_reference(image)
        headers = {}
        if auth is not None:
            credentials = {"username": auth.username, "password": auth.password, "serveraddress": auth.server}
            headers["X-Registry-Auth"] = base64.urlsafe_b64encode(json.dumps(credentials).encode()).decode()
        digest = None
        path, params = "images/create", {"fromImage": repository, "tag": tag}
        if (await self.info()).kind == "podman" and _loopback(repository):
            # Docker pulls from registries on 127.0.0.0/8 over plain HTTP; Podman's compat pull insists on TLS,
            # its own endpoint can be told not to (dockyard's registry is plain HTTP on loopback).
            path, params = "libpod/images/pull", {"reference": image, "tlsVerify": "false"}
        try:
            async with self._docker._query(path, "POST", params=params, headers=headers, timeout=_STREAM) as response:
                # The engine answers 200 and reports failures inside the progress stream.
                async for raw in response.content:
                    if not raw.strip():
                        continue
                    message = json.loads(raw)
                    if "error" in message:
                        raise ImageNotFound(str(message["error"]).strip())
                    status = str(message.get("status", ""))
                    if status.startswith("Digest: "):
                        digest = status.removeprefix("Digest: ").strip()
        except aiodocker.DockerError as exc:
            raise ImageNotFound(exc.message.strip()) from exc
        info = await self.image(image)
        if info is None:
            raise ImageNotFound(f"{image}: the engine reported a pull but has no such image")
        return ImageInfo(info.id, digest or info.digest, info.entrypoint, info.command)

    async def import_image(self, reference: str, tarball: bytes, command: list[str]) -> ImageInfo:
        repository, tag = split_reference(reference)
        change = f"CMD {json.dumps(command)}"
        path, params = "images/create", {"fromSrc": "-", "repo": repository, "tag": tag, "changes": change}
        if (await self.info()).kind == "podman":  # Podman's compat import ignores ``tag``; its own does not
            path, params = "libpod/images/import", {"reference": reference, "changes": change}
        try:
            async with self._docker._query(
                path,
                "POST",
                params=params,
                data=tarball,
                headers={"Content-Type": "application/x-tar"},
                timeout=_STREAM,
            ) as response:
                async for raw in response.content:
                    if raw.strip() and "error" in (message := json.loads(raw)):
                        raise ContainerError(str(message["error"]).strip())
        except aiodocker.DockerError as exc:
            raise ContainerError(exc.message.strip()) from exc
        info = await self.image(reference)
        if info is None:
            raise ContainerError(f"{reference}: the engine reported an import but has no such image")
        return info

    async def image(self, image: str) -> ImageInfo | None:
        try:
            data = await self._call("GET", f"images/{image}/json")
        except aiodocker.DockerError as exc:
            if exc.status == 404:
                return None
            raise
        repository, _ = split_reference(image)
        digests = data.get("RepoDigests") or []
        # The digest of this repository's manifest; an image pushed under several names has several.
        digest = next((d.split("@", 1)[1] for d in digests if d.split("@", 1)[0] == repository), None)
        if digest is None and digests:
            digest = digests[0].split("@", 1)[1]
        config = data.get("Config") or {}
        return ImageInfo(data["Id"], digest, config.get("Entrypoint"), config.get("Cmd"))

    # -- containers ----------------------------------------------------------------------------------------

    async def create(self, spec: ContainerSpec) -> str:
        body = create_config(spec)
        try:
            async with self._gate():
                created = await self._call("POST", "containers/create", params={"name": spec.name}, body=body)
        except aiodocker.DockerError as exc:
            if exc.status == 404:
                raise ImageNotFound(exc.message) from exc
            raise ContainerError(exc.message) from exc
        return created["Id"]

    async def start(self, container_id: str) -> None:
        try:
            async with self._gate():
                await self._call("POST", f"containers/{container_id}/start")
        except aiodocker.DockerError as exc:
            raise _container_error(exc) from exc
        if (await self.info()).kind == "podman":
            await self._schedule_health(container_id)

    @contextlib.asynccontextmanager
    async def _gate(self) -> AsyncIterator[None]:
        """Podman 4.3 slows down steeply when containers are created/started concurrently (its lock retries:
        10 at once take 5x longer than one after another), so it gets them in turn; Docker all at once."""
        if (await self.info()).kind == "podman":
            async with self._podman_turns:
                yield
        else:
            yield

    async def _schedule_health(self, container_id: str) -> None:
        """Podman runs healthchecks from systemd timers; without systemd nothing runs them, so dockyard does."""
        try:
            config = (await self._call("GET", f"containers/{container_id}/json")).get("Config") or {}
        except aiodocker.DockerError:
            # Podman 4.3 fails an inspect racing the exit of a container that just ran ("read /proc/<pid>/cgroup:
            # no such process"): a container that has already exited has no healthcheck to drive.
            return
        check = config.get("Healthcheck") or {}
        if not check.get("Test") or check["Test"][:1] == ["NONE"]:
            return
        task = asyncio.ensure_future(self._drive_health(container_id, (check.get("Interval") or 30 * _NS) / _NS))
        self._health_tasks.add(task)
        task.add_done_callback(self._health_tasks.discard)

    async def _drive_health(self, container_id: str, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                # Runs the check once; Podman records it and emits health_status like its own timer would.
                await self._call("GET", f"libpod/containers/{container_id}/healthcheck")
            except aiodocker.DockerError:
                try:
                    if (await self.inspect(container_id)).status != "running":
                        return
                except ContainerError:
                    return
            except EngineUnavailable:
                return

    async def stop(self, container_id: str, timeout_s: int) -> None:
        try:
            await self._call("POST", f"containers/{container_id}/stop", params={"t": int(timeout_s)})
        except aiodocker.DockerError as exc:
            if exc.status not in (304, 404):  # already stopped / already gone
                raise _container_error(exc) from exc

    async def kill(self, container_id: str, signal: str = "SIGKILL") -> None:
        try:
            await self._call("POST", f"containers/{container_id}/kill", params={"signal": signal})
        except aiodocker.DockerError as exc:
            # Gone / not running (Podman: 500 "can only kill running containers").
            if exc.status not in (404, 409) and "can only kill running" not in exc.message:
                raise _container_error(exc) from exc

    async def inspect(self, container_id: str) -> ContainerState:
        try:
            data = await self._call("GET", f"containers/{container_id}/json")
        except aiodocker.DockerError as exc:
            raise _container_error(exc) from exc
        state = container_state(data)
        limited = bool((data.get("HostConfig") or {}).get("Memory"))
        # Podman on cgroup v1 never sets OOMKilled; the kernel's OOM report names the container's cgroup.
        if (
            state.exit_code == 137
            and limited
            and not state.oom_killed
            and (await self.info()).kind == "podman"
            and await asyncio.to_thread(kernel_reports_oom, state.id)
        ):
            state = dataclasses.replace(state, oom_killed=True)
        return state

    async def remove(self, container_id: str) -> None:
        try:
            await self._call("DELETE", f"containers/{container_id}", params={"force": "true", "v": "true"})
        except aiodocker.DockerError as exc:
            if exc.status not in (404, 409):  # gone / removal already in progress
                raise _container_error(exc) from exc

    async def logs(self, container_id: str, tty: bool = False) -> AsyncIterator[LogLine]:
        reader = LogReader()
        read = reader.raw if tty else reader.frames
        follow = True
        while True:
            params = {"stdout": "1", "stderr": "1", "timestamps": "1", "follow": "1" if follow else "0"}
            params["since"] = reader.since()
            async with self._raw_stream(f"containers/{container_id}/logs", params) as resp:
                while chunk := await resp.content.readany():
                    for line in read(chunk):
                        yield line
            if tty:  # a TTY's one raw stream (stdout) cannot be re-read exactly: one pass
                break
            for line in reader.stream_ended():
                yield line
            if not follow:
                break
            # Docker ends a follow when the container stops, at times before it stored the last fragment:
            # one more read (see LogReader.since) gets it. A dropped stream of a live one follows again.
            if container_id in self._died:
                follow = False
                continue
            try:
                follow = (await self.inspect(container_id)).status in ("running", "paused", "restarting")
            except ContainerNotFound:
                break
        for line in reader.flush():
            yield line

    async def events(self) -> AsyncIterator[ContainerEvent]:
        # No "event" filter: Podman matches it against its own names ("died") and drops "die"; filtered below.
        filters = json.dumps({"type": ["container"], "label": [f"{LABEL_INSTANCE}={self.instance}"]})
        last = time.time_ns()
        # Events already delivered, by (time, id, action): a replay repeats some. Docker stamps events before
        # publishing them, so concurrent containers' events can arrive slightly out of time order.
        recent: dict[tuple[int, str, str], None] = {}
        backoff = 0.1
        while True:
            replay_from = max(0, last - _NS)  # a second early: catches the out-of-order ones; repeats are skipped
            since = f"{replay_from // _NS}.{replay_from % _NS:09d}"
            try:
                async with self._docker._query(
                    "events", params={"filters": filters, "since": since}, timeout=_STREAM
                ) as response:
                    backoff = 0.1
                    async for raw in response.content:
                        if not raw.strip():
                            continue
                        message = json.loads(raw)
                        when = int(message.get("timeNano") or 0)
                        key = (when, str(message.get("id")), str(message.get("Action") or message.get("status")))
                        if key in recent:
                            continue
                        recent[key] = None
                        if len(recent) > _REPLAY_MEMORY:
                            del recent[next(iter(recent))]
                        last = max(last, when)
                        event = await self._event(message)
                        if event is not None:
                            yield event
            except (TimeoutError, aiohttp.ClientError, aiodocker.DockerError, ValueError) as exc:
                log.warning("engine event stream dropped (%s); reconnecting", exc)
            # The stream ended (engine restart, proxy timeout): reconnect and replay from the last event seen.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _event(self, message: dict[str, Any]) -> ContainerEvent | None:
        actor = message.get("Actor") or {}
        attributes = dict(actor.get("Attributes") or {})
        action = str(message.get("Action") or message.get("status") or "")
        action = "destroy" if action == "remove" else action  # Podman's name for it
        container_id = str(actor.get("ID") or message.get("id") or "")
        if not container_id or action.split(":")[0] not in EVENT_ACTIONS:
            return None
        labels = {k: v for k, v in attributes.items() if k.startswith("dev.dockyard.")}
        exit_code = None
        if action == "die":
            self._died[container_id] = None
            if len(self._died) > _REPLAY_MEMORY:
                del self._died[next(iter(self._died))]
            # Docker says exitCode; Podman's compat stream says containerExitCode.
            code = attributes.get("exitCode", attributes.get("containerExitCode"))
            exit_code = int(code) if code not in (None, "") else None
        if action == "health_status":
            # Podman's event names no status (Docker's says "health_status: healthy"): read it from the container.
            try:
                health = (await self.inspect(container_id)).health
            except ContainerError:
                return None
            action = f"health_status: {health or 'starting'}"
        return ContainerEvent(container_id, action, labels, exit_code)

    async def stats(self, container_id: str) -> dict[str, Any]:
        path = f"containers/{container_id}/stats"
        try:
            # Read as bytes: Podman sends no Content-Type, and aiodocker then drops the body.
            async with self._docker._query(path, params={"stream": "false"}, timeout=_CALL_TIMEOUT) as response:
                return json.loads(await response.read())
        except aiodocker.DockerError as exc:
            raise _container_error(exc) from exc

    # -- networks and volumes ------------------------------------------------------------------------------

    async def create_network(
        self, name: str, labels: dict[str, str], subnet: str | None = None, gateway: str | None = None
    ) -> str:
        body: dict[str, Any] = {"Name": name, "Driver": "bridge", "Labels": labels, "CheckDuplicate": True}
        if subnet:
            pool = {"Subnet": subnet, **({"Gateway": gateway} if gateway else {})}
            body["IPAM"] = {"Driver": "default", "Config": [pool]}
        return (await self._object_call("POST", "networks/create", body=body))["Id"]

    async def remove_network(self, name: str) -> None:
        await self._object_call("DELETE", f"networks/{name}", missing_ok=True)

    async def create_volume(
        self, name: str, labels: dict[str, str], driver: str | None = None, options: dict[str, str] | None = None
    ) -> str:
        body = {"Name": name, "Driver": driver or "local", "DriverOpts": options or {}, "Labels": labels}
        return (await self._object_call("POST", "volumes/create", body=body))["Name"]

    async def remove_volume(self, name: str) -> None:
        await self._object_call("DELETE", f"volumes/{name}", params={"force": "true"}, missing_ok=True)

    async def _object_call(self, method: str, path: str, missing_ok: bool = False, **kwargs: Any) -> Any:
        """A network or volume call; the engine's refusal is a ContainerError, a missing object fine if allowed."""
        try:
            return await self._call(method, path, **kwargs)
        except aiodocker.DockerError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise ContainerError(exc.message) from exc

    async def remove_labelled(self, labels: dict[str, str]) -> int:
        filters = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        containers = await self._call("GET", "containers/json", params={"all": "true", "filters": filters})
        failed = await asyncio.gather(*(self.remove(c["Id"]) for c in containers), return_exceptions=True)
        # Podman refuses to remove a network namespace's owner before the containers sharing it: once more.
        await asyncio.gather(*(self.remove(c["Id"]) for c, f in zip(containers, failed, strict=True) if f))
        # Networks only once their containers are gone, volumes once no container holds them.
        networks = await self._call("GET", "networks", params={"filters": filters})
        await asyncio.gather(*(self.remove_network(n["Id"]) for n in networks))
        volumes = (await self._call("GET", "volumes", params={"filters": filters})).get("Volumes") or []
        await asyncio.gather(*(self.remove_volume(v["Name"]) for v in volumes))
        return len(containers) + len(networks) + len(volumes)


# -- Engine API mapping ----------------------------------------------------------------------------------------


def split_reference(image: str) -> tuple[str, str]:
    """``host:5000/repo:tag`` -> (``host:5000/repo``, ``tag``); a digest reference keeps ``sha256:...``."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def _loopback(repository: str) -> bool:
    host = repository.split("/", 1)[0] if "/" in repository else ""
    return host.rsplit(":", 1)[0] in ("localhost", "127.0.0.1", "[::1]") or host.startswith("127.")


def create_config(spec: ContainerSpec) -> dict[str, Any]:
    """The ``POST /containers/create`` body for ``spec``; fields the spec leaves empty keep the image's value."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for port in spec.ports:
        key = f"{port.container_port}/{port.protocol}"
        exposed[key] = {}
        bindings.setdefault(key, []).append(
            {"HostIp": port.host_ip, "HostPort": str(port.host_port) if port.host_port else ""}
        )
    binds = [
        f"{m.source}:{m.target}{':ro' if m.read_only else ''}" for m in spec.mounts if m.kind in ("bind", "volume")
    ]
    tmpfs = {m.target: m.tmpfs_options or "" for m in spec.mounts if m.kind == "tmpfs"}
    host: dict[str, Any] = {
        "NetworkMode": spec.network,
        "PortBindings": bindings,
        "Binds": binds,
        "Tmpfs": tmpfs,
        "VolumesFrom": spec.volumes_from,
        "Ulimits": [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in spec.ulimits],
        "CapAdd": spec.cap_add,
        "CapDrop": spec.cap_drop,
        "Devices": [
            {
                "PathOnHost": d["PathOnHost"],
                "PathInContainer": d.get("PathInContainer") or d["PathOnHost"],
                "CgroupPermissions": d.get("CgroupPermissions") or "rwm",
            }
            for d in spec.devices
        ],
        "ReadonlyRootfs": spec.readonly_rootfs,
        "Privileged": spec.privileged,
        "ExtraHosts": spec.extra_hosts,
        "Dns": spec.dns,
        "DnsSearch": spec.dns_search,
        "Sysctls": spec.sysctls,
    }
    if spec.init:
        host["Init"] = True
    if spec.cpu_shares:
        host["CpuShares"] = spec.cpu_shares
    if spec.nano_cpus:
        host["NanoCpus"] = spec.nano_cpus
    if spec.memory_mib:
        # No swap beyond the limit (as ECS): past it the container is OOM-killed rather than slowed down.
        host["Memory"] = host["MemorySwap"] = spec.memory_mib * _MIB
    if spec.memory_reservation_mib:
        host["MemoryReservation"] = spec.memory_reservation_mib * _MIB
    if spec.shm_size_mib:
        host["ShmSize"] = spec.shm_size_mib * _MIB
    config: dict[str, Any] = {
        "Image": spec.image,
        "Env": [f"{k}={v}" for k, v in spec.env.items()],
        "Labels": spec.labels,
        "ExposedPorts": exposed,
        "Tty": spec.tty,
        "OpenStdin": spec.interactive,
        "AttachStdout": False,
        "AttachStderr": False,
        "HostConfig": host,
    }
    if spec.entrypoint is not None:
        config["Entrypoint"] = spec.entrypoint
        # Docker drops the image's CMD when the entrypoint is replaced; an explicit command still applies.
        config["Cmd"] = spec.command or []
    elif spec.command is not None:
        config["Cmd"] = spec.command
    if spec.working_dir:
        config["WorkingDir"] = spec.working_dir
    if spec.user:
        config["User"] = spec.user
    if spec.hostname:
        config["Hostname"] = spec.hostname
    if spec.stop_signal:
        config["StopSignal"] = spec.stop_signal
    if spec.stop_timeout_s is not None:
        config["StopTimeout"] = spec.stop_timeout_s
    if spec.healthcheck is not None:
        check = spec.healthcheck
        config["Healthcheck"] = (
            {"Test": ["NONE"]}
            if check.test[:1] == ["NONE"]
            else {
                "Test": check.test,
                "Interval": int(check.interval_s * _NS),
                "Timeout": int(check.timeout_s * _NS),
                "Retries": check.retries,
                "StartPeriod": int(check.start_period_s * _NS),
            }
        )
    if spec.network not in ("bridge", "host", "none", "default") and not spec.network.startswith("container:"):
        endpoint: dict[str, Any] = {"Aliases": spec.network_aliases}
        if spec.ip_address:
            endpoint["IPAMConfig"] = {"IPv4Address": spec.ip_address}
        config["NetworkingConfig"] = {"EndpointsConfig": {spec.network: endpoint}}
    return config


def container_state(data: dict[str, Any]) -> ContainerState:
    state = data.get("State") or {}
    network = data.get("NetworkSettings") or {}
    ports = [
        PortBinding(int(key.split("/")[0]), int(b["HostPort"]), key.split("/")[1], b.get("HostIp") or "")
        for key, host_bindings in (network.get("Ports") or {}).items()
        for b in host_bindings or []
        if b.get("HostPort")
    ]
    addresses = {
        name: endpoint["IPAddress"]
        for name, endpoint in (network.get("Networks") or {}).items()
        if endpoint and endpoint.get("IPAddress")
    }
    running_or_done = state.get("Status") in ("running", "paused", "exited", "dead", "restarting", "removing")
    health = (state.get("Health") or {}).get("Status") or None
    return ContainerState(
        id=data["Id"],
        status=state.get("Status", "created"),
        exit_code=state.get("ExitCode") if state.get("Status") in ("exited", "dead") else None,
        oom_killed=bool(state.get("OOMKilled")),
        error=state.get("Error") or None,
        health=health if health in ("starting", "healthy", "unhealthy") else None,
        started_at=_time(state.get("StartedAt")) if running_or_done else None,
        finished_at=_time(state.get("FinishedAt")) if state.get("Status") in ("exited", "dead") else None,
        ports=ports,
        ip_addresses=addresses,
        image_id=data.get("Image", ""),
    )


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def _time(value: str | None) -> datetime | None:
    """Engine timestamps are RFC 3339 with nanoseconds; Python keeps microseconds. The zero time means unset."""
    match = _RFC3339.match(value or "")
    if match is None or value.startswith("0001-"):  # type: ignore[union-attr]
        return None
    whole, fraction, zone = match.groups()
    micros = (fraction or "0")[:6].ljust(6, "0")
    return datetime.fromisoformat(f"{whole}.{micros}{'+00:00' if zone == 'Z' else zone}")


def _stamp(value: bytes) -> int | None:
    """A log message's timestamp in nanoseconds since the epoch, exactly (ordering messages needs every digit)."""
    if len(value) > 20 and value[19] == 0x2E and value[-1] == 0x5A and value[20:-1].isdigit():  # ...SS.fffZ
        return _whole_second(value[:19]) * _NS + int(value[20:29].ljust(9, b"0"))
    match = _RFC3339.match(value.decode("ascii", "replace"))
    if match is None:
        return None
    iso, fraction, zone = match.groups()
    seconds = int(datetime.fromisoformat(f"{iso}{'+00:00' if zone == 'Z' else zone}").timestamp())
    return seconds * _NS + int((fraction or "0")[:9].ljust(9, "0"))


@functools.lru_cache(maxsize=64)
def _whole_second(value: bytes) -> int:
    """The UTC "YYYY-MM-DDTHH:MM:SS" that a second's worth of log messages share, in seconds since the epoch."""
    return int(datetime.fromisoformat(value.decode("ascii") + "+00:00").timestamp())


def kernel_reports_oom(container_id: str) -> bool:
    """Whether the kernel log holds a memory-cgroup OOM kill in this container's cgroup (root, local engine)."""
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        while True:
            try:
                record = os.read(fd, 8192)
            except BlockingIOError:
                return False
            except OSError:  # EPIPE: a record was overwritten while reading; keep going
                continue
            if not record:
                return False
            if b"oom-kill:" in record and container_id.encode() in record:
                return True
    finally:
        os.close(fd)


def _container_error(exc: aiodocker.DockerError) -> ContainerError:
    return ContainerNotFound(exc.message) if exc.status == 404 else ContainerError(exc.message)


# -- log streams ---------------------------------------------------------------------------------------------


_HEADER = struct.Struct(">BxxxL")
_REREAD_NS = _NS  # how far before the newest message a re-read starts


class LogReader:
    """Lines from one container's timestamped Engine API log stream, across the re-reads of it.

    Without a TTY the stream is multiplexed: frames of an 8-byte header (stream, 0, 0, 0, big-endian size) and one
    message, which is its RFC 3339 time, a space, and a line or a fragment the log driver cut (no newline). A TTY's
    output is one raw stream of such messages, cut anywhere. A line's timestamp is that of its first fragment. A
    re-read (``since``) skips the messages it repeats.
    """

    def __init__(self) -> None:
        self._rest = b""  # the start of a frame (or TTY line) whose end is in the next chunk
        self._pending: dict[str, tuple[int, bytes]] = {}  # a stream's unfinished line: first time, text so far
        self._recent: deque[int] = deque()  # times of the messages seen lately, in the order they came
        self._newest = 0  # the newest message's time (ns)
        self._skip = 0  # how many messages the current read repeats

    def since(self) -> str:
        """The ``since`` of a re-read; the messages it repeats will be skipped.

        The engine stores messages in the order it got them, and their times are not in that order (stdout and
        stderr are read apart; a cut line's fragments carry its first one's time). A re-read from the newest time
        could miss a message stored after one that is newer, so it starts ``_REREAD_NS`` earlier. What it returns
        starts with the messages seen of that time or later, in the same order, then the new ones: that many are
        skipped."""
        start = max(0, self._newest - _REREAD_NS)
        self._skip = sum(1 for when in self._recent if when >= start)
        return f"{start // _NS}.{start % _NS:09d}"

    def frames(self, chunk: bytes) -> list[LogLine]:
        """The lines a chunk of the multiplexed stream completed. Inlined: this runs for every line."""
        data = self._rest + chunk if self._rest else chunk
        lines: list[LogLine] = []
        pending = self._pending
        offset, end = 0, len(data)
        while end - offset >= 8:
            kind, size = _HEADER.unpack_from(data, offset)
            if offset + 8 + size > end:
                break
            message = data[offset + 8 : offset + 8 + size]
            offset += 8 + size
            space = message.find(b" ")
            when = _stamp(message[:space]) if space > 0 else None
            stream = "stderr" if kind == 2 else "stdout"
            if when is None or message[-1] != 0x0A or stream in pending or message.count(b"\n") != 1:
                self._frame(stream, message, when, lines)
            elif self._new(when):  # one whole line, the usual case
                lines.append(LogLine(stream, when, message[space + 1 : -1].rstrip(b"\r").decode("utf-8", "replace")))
        self._rest = data[offset:]
        return lines

    def raw(self, chunk: bytes) -> list[LogLine]:
        """The lines a chunk of a TTY's stream completed."""
        *complete, self._rest = (self._rest + chunk).split(b"\n")
        lines: list[LogLine] = []
        for message in complete:
            self._message("stdout", message, True, lines)
        return lines

    def stream_ended(self) -> list[LogLine]:
        """A multiplexed read ended: a frame it cut short counts as a fragment of what it held."""
        rest, self._rest = self._rest, b""
        lines: list[LogLine] = []
        if len(rest) > 8:
            message = rest[8:]
            self._frame("stderr" if rest[0] == 2 else "stdout", message, _stamp(message.partition(b" ")[0]), lines)
        return lines

    def flush(self) -> list[LogLine]:
        """Whatever was written without a final newline, at exit."""
        if self._rest:  # a TTY's last line
            self._message("stdout", self._rest, False, [])
            self._rest = b""
        lines = [
            LogLine(stream, when, text.rstrip(b"\r").decode("utf-8", "replace"))  # type: ignore[arg-type]
            for stream, (when, text) in self._pending.items()
            if text
        ]
        self._pending.clear()
        return lines

    def _new(self, when: int) -> bool:
        """Whether a message is new to this reader (a re-read starts with repeats)."""
        if self._skip:
            self._skip -= 1
            return False
        recent = self._recent
        recent.append(when)
        if when > self._newest:
            self._newest = when
            horizon = when - 2 * _REREAD_NS  # twice the window: times come somewhat out of order
            while recent[0] < horizon:
                recent.popleft()
        return True

    def _frame(self, stream: str, message: bytes, when: int | None, lines: list[LogLine]) -> None:
        """The general case: a fragment, the end of a fragmented line, several messages, or no timestamp."""
        if when is not None and not self._new(when):
            return
        *complete, rest = message.split(b"\n")
        for part in complete:
            self._message(stream, part, True, lines)
        if rest:
            self._message(stream, rest, False, lines)

    def _message(self, stream: str, message: bytes, complete: bool, lines: list[LogLine]) -> None:
        prefix, space, text = message.partition(b" ")
        when = _stamp(prefix) if space else None
        if when is None:  # not timestamped after all: all of it is text
            text, when = message, time.time_ns()
        first, so_far = self._pending.pop(stream, (when, b""))
        text = so_far + text
        if complete:
            lines.append(LogLine(stream, first, text.rstrip(b"\r").decode("utf-8", "replace")))  # type: ignore[arg-type]
        else:
            self._pending[stream] = (first, text)
