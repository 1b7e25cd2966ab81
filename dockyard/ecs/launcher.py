"""Runs ECS tasks as containers: turns each container definition into a runtime ContainerSpec and drives the
task PROVISIONING -> PENDING -> RUNNING -> STOPPING -> STOPPED (../shared/aws-ecs-behaviour.md §2, §3).

One background coroutine per task; exits and health changes come from the engine's event stream (one stream
for all tasks), so a task costs no polling. Everything a task creates carries its task label and is removed
when it stops, also when StopTask interrupts the launch half-way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any, NoReturn

from dockyard.ecs import tasks
from dockyard.ecs.hooks import Hooks, LaunchFailure, LogSink, PullTarget, TaskContext
from dockyard.ecs.tasks import Container, Task
from dockyard.runtime.backend import (
    LABEL_TASK,
    Backend,
    ContainerError,
    ContainerEvent,
    ContainerSpec,
    EngineUnavailable,
    HealthCheck,
    ImageInfo,
    ImageNotFound,
    Mount,
    PortSpec,
    Ulimit,
)
from dockyard.runtime.service import Runtime

log = logging.getLogger("dockyard.ecs.launcher")

JSON = dict[str, Any]
DEFAULT_STOP_TIMEOUT_S = 30
# After the containers stopped, their output is read to the end as long as it keeps coming; a stream that
# yields nothing for this long is given up (an engine that never ends a follow must not hold the task).
LOG_DRAIN_S = 5.0
_STOPPED_POLLS = 100  # 5 s of 50 ms re-inspections while Podman finishes an exit
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
ESSENTIAL_EXITED = "Essential container in task exited"
_HEALTH = {"healthy": "HEALTHY", "unhealthy": "UNHEALTHY", "starting": "UNKNOWN"}


class _Abort(Exception):
    """The launch cannot go on; the task was already told to stop (with its code and reason)."""


class Launcher:
    def __init__(self, runtime: Runtime, hooks: Hooks) -> None:
        self.runtime = runtime
        self.hooks = hooks
        self.runs: dict[str, TaskRun] = {}
        self.by_container: dict[str, tuple[TaskRun, Container]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._lookups: dict[str, asyncio.Future[ImageInfo | None]] = {}

    def launch(self, task: Task) -> None:
        task.listeners = self.hooks.task_listeners
        if task.listeners:  # the accepted task (version 1) is the first change listeners hear of
            tasks.notify(task.listeners, task.describe(include_tags=True))
        run = self.runs[task.arn] = TaskRun(self, task)
        self.spawn(run.run())

    def stop(self, task: Task) -> None:
        run = self.runs.get(task.arn)
        if run is not None:
            run.stop_requested.set()
            self.spawn(run.notify())  # wakes a launch waiting on a dependency

    def spawn(self, coroutine: Any) -> asyncio.Future[Any]:
        future = asyncio.ensure_future(coroutine)
        self._background.add(future)
        future.add_done_callback(self._background.discard)
        return future

    def image_lookup(self, backend: Backend, reference: str) -> asyncio.Future[ImageInfo | None]:
        """One engine lookup for all the tasks asking about the same image at once (a batch of 100 asks 100
        times within moments): a caller joins the lookup in flight, so no answer predates its question by more
        than one lookup."""
        future = self._lookups.get(reference)
        if future is None:
            future = self._lookups[reference] = asyncio.ensure_future(backend.image(reference))
            future.add_done_callback(lambda _: self._lookups.pop(reference, None))
        return future

    async def backend(self) -> Backend:
        backend = await self.runtime.backend()
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.ensure_future(self._watch(backend))
            await asyncio.sleep(0)  # the event stream takes its replay point before any container exists
        return backend

    async def _watch(self, backend: Backend) -> None:
        async for event in backend.events():
            found = self.by_container.get(event.container_id)
            if found is not None:
                found[0].on_event(found[1], event)

    async def close(self) -> None:
        """Reset/shutdown: abandon every task (the runtime removes this instance's containers)."""
        for run in self.runs.values():
            run.abandoned = True
        pending = list(self._background)
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self.runs.clear()
        self.by_container.clear()
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        # A launch may have created a container while the runtime's own reset was listing them.
        await self.runtime.reset()


class TaskRun:
    """One task's life on the engine."""

    def __init__(self, launcher: Launcher, task: Task) -> None:
        self.launcher = launcher
        self.task = task
        self.ids: dict[str, str] = {}  # container name -> engine id
        self.started: set[str] = set()
        self.exited: set[str] = set()
        self.oom_killed: set[str] = set()
        self.volume_names: list[str] = []
        self.pulled: dict[str, ImageInfo] = {}  # image as written -> what its pull found
        self.stop_requested = asyncio.Event()
        self.progress = asyncio.Condition()
        self.log_streams: list[asyncio.Future[None]] = []
        self.last_log_at = 0.0  # monotonic time of the last line read from any container
        self.backend: Backend | None = None
        self.context: TaskContext | None = None
        self.abandoned = False

    # -- the task's life -----------------------------------------------------------------------------------

    async def run(self) -> None:
        task = self.task
        try:
            try:
                self.backend = await self.launcher.backend()
            except EngineUnavailable as exc:
                self.stop_with(f"ResourceInitializationError: no container engine is available: {exc}")
                await self.finish()
                return
            self.context = self.make_context()
            # A stop during the launch wins at the launch's next step (an engine call in flight completes, so
            # whatever it created is known and removed); nothing starts after the stop.
            await self.launch()
            await self.stop_requested.wait()
            await self.teardown()
        except asyncio.CancelledError:
            if not self.abandoned:
                raise
        except Exception as exc:  # a bug or an engine fault must still leave the task STOPPED, nothing running
            log.exception("task %s failed", task.arn)
            self.stop_with(f"ResourceInitializationError: {exc}")
            await self.teardown()
        finally:
            if not self.abandoned:
                self.launcher.runs.pop(task.arn, None)
                for container_id in self.ids.values():
                    self.launcher.by_container.pop(container_id, None)

    async def launch(self) -> None:
        task, backend, ctx = self.task, self.backend, self.context
        assert backend is not None and ctx is not None
        try:
            if task.network_mode == "awsvpc":
                await self.create_namespace(backend)
            self.checkpoint()
            env = await self.prepare(ctx)
            targets = await self.resolve(ctx)
            await self.pull_all(backend, targets)
            self.checkpoint()
            await self.volumes(backend)
            for container in ordered(task.containers):
                self.checkpoint()
                target = targets[container.definition["image"]]
                await self.create(backend, container, target, env.get(container.name, {}))
            async with asyncio.TaskGroup() as group:  # one failure cancels the containers still waiting
                for container in task.containers:
                    group.create_task(self.start(backend, container))
            # Every container started: the task ran, even if an essential one has exited already.
            if task.stop_code != "TaskFailedToStart" and task.last_status != "STOPPED":
                # when the last container started (before any exit it may already have made)
                task.times["startedAt"] = max(c.started_at or time.time() for c in task.containers)
                if not self.stop_requested.is_set():
                    task.last_status = "RUNNING"
                task.changed()
        except* _Abort:
            pass

    def checkpoint(self) -> None:
        if self.stop_requested.is_set():
            raise _Abort(self.task.stopped_reason or "stopped")

    def stop_with(self, reason: str, stop_code: str = "TaskFailedToStart", container: Container | None = None) -> None:
        if container is not None:
            container.reason = reason
        tasks.request_stop(self.task, stop_code, reason)
        self.stop_requested.set()

    def fail(self, reason: str, stop_code: str = "TaskFailedToStart", container: Container | None = None) -> NoReturn:
        self.stop_with(reason, stop_code, container)
        raise _Abort(reason)

    async def create_namespace(self, backend: Backend) -> None:
        """awsvpc: one network namespace per task, held by a pause container; its address is the ENI's."""
        task = self.task
        try:
            spec = ContainerSpec(
                name=self.docker_name("internalecspause"),
                image=await self.launcher.runtime.pause_image(),
                labels=self.launcher.runtime.labels_for(task.arn, "~internal~ecs~pause"),
            )
            pause = self.ids["~pause"] = await backend.create(spec)
            await backend.start(pause)
            address = next(iter((await backend.inspect(pause)).ip_addresses.values()), "127.0.0.1")
        except (ContainerError, ImageNotFound) as exc:
            self.fail(f"ResourceInitializationError: failed to set up the task network: {exc}")
        tasks.attach_eni(task, address)
        task.last_status = "PENDING"
        task.mark("connectivityAt")
        task.changed()

    async def prepare(self, ctx: TaskContext) -> dict[str, dict[str, str]]:
        env: dict[str, dict[str, str]] = {}
        for preparer in self.launcher.hooks.launch_preparers:
            try:
                added = await preparer(ctx)
            except LaunchFailure as failure:
                self.fail(failure.reason, failure.stop_code)
            for name, values in added.items():
                env.setdefault(name, {}).update(values)
        return env

    async def resolve(self, ctx: TaskContext) -> dict[str, PullTarget | None]:
        """image as written -> what to pull first (an image resolver's answer), or None: use a local copy."""
        out: dict[str, PullTarget | None] = {}
        for container in self.task.containers:
            image = container.definition["image"]
            if image not in out:
                out[image] = None
                for resolver in self.launcher.hooks.image_resolvers:
                    out[image] = await resolver(image, ctx)
                    if out[image] is not None:
                        break
        return out

    async def pull(self, backend: Backend, image: str, target: PullTarget) -> ImageInfo:
        self.task.mark("pullStartedAt")
        try:
            info = await backend.pull(target.reference, target.auth)
        except ImageNotFound as exc:
            reason = f"CannotPullContainerError: {exc}"
            for container in self.task.containers:
                if container.definition["image"] == image:
                    container.reason = reason
            self.fail(reason)
        self.task.times["pullStoppedAt"] = time.time()
        self.pulled[image] = info
        return info

    async def pull_all(self, backend: Backend, targets: dict[str, PullTarget | None]) -> None:
        async with asyncio.TaskGroup() as group:
            for image, target in targets.items():
                if target is not None:
                    group.create_task(self.pull(backend, image, target))

    async def create(
        self, backend: Backend, container: Container, target: PullTarget | None, env: dict[str, str]
    ) -> None:
        """Creates from the resolved reference, or from a local image; an image not present is pulled first."""
        image = container.definition["image"]
        spec = self.spec(container, target.reference if target else image, env)
        try:
            try:
                container_id = await backend.create(spec)
            except ImageNotFound:
                await self.pull(backend, image, target or PullTarget(image))
                container_id = await backend.create(spec)
        except ImageNotFound as exc:
            self.fail(f"CannotPullContainerError: {exc}", container=container)
        except ContainerError as exc:
            self.fail(f"CannotCreateContainerError: {exc}", container=container)
        self.ids[container.name] = container.runtime_id = container_id
        self.launcher.by_container[container_id] = (self, container)
        pulled = self.pulled.get(image)
        if pulled is not None and pulled.digest:
            container.image_digest = pulled.digest
        else:
            self.launcher.spawn(self.digest(backend, container, spec.image))

    async def digest(self, backend: Backend, container: Container, reference: str) -> None:
        """imageDigest of a local image, looked up beside the launch rather than in its way."""
        try:
            info = await asyncio.shield(self.launcher.image_lookup(backend, reference))
        except Exception:
            return
        if info is not None and info.digest:
            container.image_digest = info.digest

    async def start(self, backend: Backend, container: Container) -> None:
        for dependency in container.definition.get("dependsOn") or []:
            await self.wait_for(container, dependency)
        self.checkpoint()
        container_id = self.ids[container.name]
        try:
            await backend.start(container_id)
        except ContainerError as exc:
            self.fail(f"CannotStartContainerError: {exc}", container=container)
        container.started_at = time.time()
        self.log_streams.append(asyncio.ensure_future(self.follow(backend, container, container_id)))
        if self.task.network_mode in ("bridge", "host") and container.definition.get("portMappings"):
            state = await backend.inspect(container_id)
            container.network_bindings = self.bindings(container, state.ports)
        async with self.progress:
            self.started.add(container.name)
            if container.last_status == "PENDING":
                container.last_status = "RUNNING"
                self.task.changed()
            self.progress.notify_all()

    async def wait_for(self, container: Container, dependency: JSON) -> None:
        """dependsOn: START, COMPLETE, SUCCESS or HEALTHY of another container; its startTimeout bounds the wait."""
        target = self.task.container(dependency["containerName"])
        condition = dependency["condition"]
        names = f"[{target.name}] for target [{container.name}]"

        def met() -> bool:
            stopped = target.name in self.exited
            if condition == "START":
                return target.name in self.started
            if condition == "COMPLETE":
                return stopped
            if condition == "SUCCESS":
                if stopped and target.exit_code != 0:
                    self.fail(
                        f"dependency graph: failed to resolve the container ordering dependency {names} as "
                        "dependency did not exit successfully.",
                        container=container,
                    )
                return stopped
            if target.health_status == "HEALTHY":
                return True
            if stopped:  # inferred wording
                self.fail(
                    f"dependency graph: container ordering dependency {names} did not become healthy.",
                    container=container,
                )
            return False

        timeout_s = target.definition.get("startTimeout")
        async with self.progress:
            while not met():
                self.checkpoint()
                remaining = None
                if timeout_s and target.started_at is not None and condition != "START":
                    remaining = target.started_at + timeout_s - time.time()
                    if remaining <= 0:
                        self.fail(
                            f"dependency graph: container ordering dependency {names} has timed out.",
                            container=container,
                        )
                try:
                    await asyncio.wait_for(self.progress.wait(), remaining)
                except TimeoutError:
                    continue

    # -- what the engine tells us --------------------------------------------------------------------------

    def on_event(self, container: Container, event: ContainerEvent) -> None:
        if event.action == "die":
            self.launcher.spawn(self.container_exited(container, event.exit_code))
        elif event.action == "oom":
            self.oom_killed.add(container.name)
        elif event.action.startswith("health_status") and container.definition.get("healthCheck"):
            status = _HEALTH.get(event.action.split(":", 1)[-1].strip(), "UNKNOWN")
            if status != container.health_status and container.last_status != "STOPPED":
                container.health_status = status
                self.task.changed()
                self.launcher.spawn(self.notify())

    async def notify(self) -> None:
        async with self.progress:
            self.progress.notify_all()

    async def container_exited(self, container: Container, exit_code: int | None = None) -> None:
        """A container stopped (on its own, killed from outside, or by teardown): record how, once.

        The die event's exit code is the answer; the engine is asked only when there was no event (teardown)
        or a SIGKILL without an oom event may still have been the kernel's OOM killer.
        """
        if container.name in self.exited or self.backend is None:
            return
        oom = container.name in self.oom_killed
        if exit_code is None or (exit_code == 137 and not oom):
            try:
                # Podman reports "stopped", with no exit code yet, for a moment after the process exited.
                for _ in range(_STOPPED_POLLS):
                    state = await self.backend.inspect(self.ids[container.name])
                    if state.status in ("exited", "dead"):
                        exit_code, oom = state.exit_code, state.oom_killed or oom
                        break
                    if state.status != "stopped":
                        if exit_code is None:
                            return  # not stopped after all: the die event will come
                        break
                    await asyncio.sleep(0.05)
            except ContainerError:
                pass
        if container.name in self.exited:
            return
        async with self.progress:
            self.exited.add(container.name)
            container.last_status = "STOPPED"
            container.exit_code = exit_code
            if oom:
                container.reason = OOM_REASON
            task = self.task
            if container.essential:
                task.mark("executionStoppedAt")
            if not (container.essential and tasks.request_stop(task, "EssentialContainerExited", ESSENTIAL_EXITED)):
                task.changed()
            if container.essential:
                self.stop_requested.set()
            self.progress.notify_all()

    # -- the end -------------------------------------------------------------------------------------------

    async def teardown(self) -> None:
        """Stops what runs (reverse dependency order), then STOPPED, always; then removes what the task made."""
        task = self.task
        if self.backend is not None:
            try:
                await self.shut_down(self.backend)
            except Exception:  # the engine went away mid-stop: the task still ends, what is left is logged
                log.exception("stopping the containers of %s failed", task.arn)
        for attachment in task.attachments:
            attachment["status"] = "DELETED"
        if self.context is not None:
            for cleanup in self.launcher.hooks.cleanups:
                try:
                    await cleanup(self.context)
                except Exception:
                    log.exception("cleanup of %s failed", task.arn)
        await self.finish()
        if self.backend is not None:
            # The exited containers go after STOPPED, off the task's path (AWS keeps them for hours); a forced
            # removal also ends whatever a failed stop left running. Reset and shutdown remove what is left.
            self.launcher.spawn(self.remove(self.backend))

    async def shut_down(self, backend: Backend) -> None:
        task = self.task
        if self.started - self.exited:
            task.last_status = "STOPPING"
            task.changed()
        for wave in stop_order(task.containers):
            await asyncio.gather(*(self.stop(backend, c) for c in wave))
        await self.drain_logs()
        if task.network_mode == "awsvpc":
            task.last_status = "DEPROVISIONING"
            task.changed()
            if "~pause" in self.ids:  # the task's network goes before STOPPED, as an ENI does
                await backend.kill(self.ids["~pause"])

    async def remove(self, backend: Backend) -> None:
        """Removes the task's containers (the pause container last: the others joined its namespace) and
        task-scoped volumes."""
        try:
            pause = self.ids.get("~pause")
            await asyncio.gather(*(backend.remove(i) for name, i in self.ids.items() if name != "~pause"))
            if pause is not None:
                await backend.remove(pause)
            await asyncio.gather(*(backend.remove_volume(name) for name in self.volume_names))
        except Exception:  # the engine went away: a reset, shutdown or restart removes what is left
            log.exception("removing the containers of %s failed", self.task.arn)

    async def finish(self) -> None:
        task = self.task
        for container in task.containers:
            container.last_status = "STOPPED"
        task.last_status = "STOPPED"
        task.mark("stoppedAt")
        task.changed()

    async def stop(self, backend: Backend, container: Container) -> None:
        container_id = self.ids.get(container.name)
        if container_id is None or container.name not in self.started or container.name in self.exited:
            return
        timeout = container.definition.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_S
        try:
            await backend.stop(container_id, timeout)
        except ContainerError:
            log.warning("stopping %s of %s failed", container.name, self.task.arn, exc_info=True)
        await self.container_exited(container)

    # -- output --------------------------------------------------------------------------------------------

    async def drain_logs(self) -> None:
        pending = set(self.log_streams)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=LOG_DRAIN_S)
            if pending and time.monotonic() - self.last_log_at >= LOG_DRAIN_S:
                for stream in pending:
                    stream.cancel()
                return

    async def follow(self, backend: Backend, container: Container, container_id: str) -> None:
        sink = self.sink(container)
        try:
            async for line in backend.logs(container_id, tty=bool(container.definition.get("pseudoTerminal"))):
                self.last_log_at = time.monotonic()
                container.logs.append(line)
                if sink is not None:
                    sink.write(line)
        except ContainerError:
            pass
        finally:
            if sink is not None:
                await sink.close()

    def sink(self, container: Container) -> LogSink | None:
        config = container.definition.get("logConfiguration")
        if not config or self.context is None:
            return None
        for factory in self.launcher.hooks.log_sinks:
            sink = factory(self.context, container.name, config)
            if sink is not None:
                return sink
        return None

    # -- mapping -------------------------------------------------------------------------------------------

    def make_context(self) -> TaskContext:
        task = self.task
        return TaskContext(
            account=task.account,
            region=task.region,
            cluster_arn=task.cluster.arn,
            task_arn=task.arn,
            task_id=task.id,
            task_definition=task.definition,
            containers={c.name: c.definition for c in task.containers},
            overrides=task.overrides,
            network_mode=task.network_mode,
            launch_type=task.launch_type,
            dockyard_url=self.launcher.runtime.endpoint_for_containers(task.network_mode),
        )

    def docker_name(self, container: str) -> str:
        d = self.task.definition
        return f"ecs-{d['family']}-{d['revision']}-{container}-{self.task.id[:20]}"

    def spec(self, container: Container, image: str, extra_env: dict[str, str]) -> ContainerSpec:
        task, d = self.task, container.definition
        linux = d.get("linuxParameters") or {}
        labels = {
            **{k: str(v) for k, v in (d.get("dockerLabels") or {}).items()},
            "com.amazonaws.ecs.cluster": task.cluster.name,
            "com.amazonaws.ecs.container-name": container.name,
            "com.amazonaws.ecs.task-arn": task.arn,
            "com.amazonaws.ecs.task-definition-family": task.definition["family"],
            "com.amazonaws.ecs.task-definition-version": str(task.definition["revision"]),
            **self.launcher.runtime.labels_for(task.arn, container.name),
        }
        env = {e["name"]: e.get("value", "") for e in d.get("environment") or []}
        env.update(extra_env)
        spec = ContainerSpec(
            name=self.docker_name(container.name),
            image=image,
            labels=labels,
            entrypoint=d.get("entryPoint"),
            command=d.get("command"),
            env=env,
            working_dir=d.get("workingDirectory"),
            user=d.get("user"),
            network=self.network(d),
            cpu_shares=max(int(d["cpu"]), 2) if d.get("cpu") else None,
            nano_cpus=int(int(task.cpu) / 1024 * 1e9) if task.cpu else None,
            memory_mib=d.get("memory") or (int(task.memory) if task.memory else None),
            memory_reservation_mib=d.get("memoryReservation"),
            ulimits=[Ulimit(u["name"], u["softLimit"], u["hardLimit"]) for u in d.get("ulimits") or []],
            init=bool(linux.get("initProcessEnabled")),
            cap_add=list((linux.get("capabilities") or {}).get("add") or []),
            cap_drop=list((linux.get("capabilities") or {}).get("drop") or []),
            devices=[
                {
                    "PathOnHost": dev["hostPath"],
                    "PathInContainer": dev.get("containerPath") or dev["hostPath"],
                    "CgroupPermissions": "".join(p[0] for p in dev.get("permissions") or ["read", "write", "mknod"]),
                }
                for dev in linux.get("devices") or []
            ],
            shm_size_mib=linux.get("sharedMemorySize"),
            readonly_rootfs=bool(d.get("readonlyRootFilesystem")),
            privileged=bool(d.get("privileged")),
            mounts=self.mounts(d),
            volumes_from=[
                f"{self.ids[v['sourceContainer']]}{':ro' if v.get('readOnly') else ''}"
                for v in d.get("volumesFrom") or []
            ],
            healthcheck=health_check(d.get("healthCheck")),
            stop_timeout_s=d.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_S,
            hostname=d.get("hostname"),
            extra_hosts=[f"{h['hostname']}:{h['ipAddress']}" for h in d.get("extraHosts") or []],
            dns=list(d.get("dnsServers") or []),
            dns_search=list(d.get("dnsSearchDomains") or []),
            sysctls={s["namespace"]: s["value"] for s in d.get("systemControls") or []},
            tty=bool(d.get("pseudoTerminal")),
            interactive=bool(d.get("interactive")),
        )
        if task.network_mode in ("bridge", "host"):
            spec.ports = [
                PortSpec(p["containerPort"], p.get("hostPort") or None, p.get("protocol", "tcp"))
                for p in d.get("portMappings") or []
                if "containerPort" in p
            ]
        return spec

    def network(self, d: JSON) -> str:
        if d.get("disableNetworking") or self.task.network_mode == "none":
            return "none"
        if self.task.network_mode == "awsvpc":
            return f"container:{self.ids['~pause']}"
        return self.task.network_mode

    def mounts(self, d: JSON) -> list[Mount]:
        volumes = {v["name"]: v for v in self.task.definition.get("volumes") or []}
        out = []
        for point in d.get("mountPoints") or []:
            volume = volumes[point["sourceVolume"]]
            host_path = (volume.get("host") or {}).get("sourcePath")
            docker = volume.get("dockerVolumeConfiguration") or {}
            if host_path:
                source, kind = host_path, "bind"
            elif docker.get("scope") == "shared":
                source, kind = volume["name"], "volume"
            else:  # task-scoped: removed with the task (it carries the task's label)
                source, kind = f"ecs-{self.task.id}-{volume['name']}", "volume"
            out.append(Mount(point["containerPath"], source, kind, bool(point.get("readOnly"))))
        for tmpfs in (d.get("linuxParameters") or {}).get("tmpfs") or []:
            options = ",".join([f"size={tmpfs['size']}m", *(tmpfs.get("mountOptions") or [])])
            out.append(Mount(tmpfs["containerPath"], "", "tmpfs", tmpfs_options=options))
        return out

    async def volumes(self, backend: Backend) -> None:
        """Creates the task's Docker volumes before its containers (task scope: labelled with the task)."""
        for volume in self.task.definition.get("volumes") or []:
            if (volume.get("host") or {}).get("sourcePath"):
                continue
            docker = volume.get("dockerVolumeConfiguration") or {}
            shared = docker.get("scope") == "shared"
            labels = {**(docker.get("labels") or {}), **self.launcher.runtime.labels}
            if not shared:
                labels[LABEL_TASK] = self.task.arn
            name = volume["name"] if shared else f"ecs-{self.task.id}-{volume['name']}"
            if not shared:
                self.volume_names.append(name)
            try:
                await backend.create_volume(name, labels, docker.get("driver"), docker.get("driverOpts"))
            except ContainerError as exc:
                self.fail(f"ResourceInitializationError: failed to create volume {volume['name']}: {exc}")

    def bindings(self, container: Container, ports: Iterable[Any]) -> list[JSON]:
        if self.task.network_mode == "host":
            return [
                {
                    "bindIP": "0.0.0.0",
                    "containerPort": p["containerPort"],
                    "hostPort": p["containerPort"],
                    "protocol": p.get("protocol", "tcp"),
                }
                for p in container.definition.get("portMappings") or []
                if "containerPort" in p
            ]
        return [
            {
                "bindIP": b.host_ip or "0.0.0.0",
                "containerPort": b.container_port,
                "hostPort": b.host_port,
                "protocol": b.protocol,
            }
            for b in ports
        ]


def health_check(check: JSON | None) -> HealthCheck:
    """The definition's check, or none at all: an image's own HEALTHCHECK is not what ECS reports."""
    if not check:
        return HealthCheck(["NONE"])
    command = list(check["command"])
    if command[:1] not in (["CMD"], ["CMD-SHELL"]):
        command = ["CMD", *command]
    return HealthCheck(
        command,
        interval_s=check.get("interval", 30),
        timeout_s=check.get("timeout", 5),
        retries=check.get("retries", 3),
        start_period_s=check.get("startPeriod", 0),
    )


def _needs(container: Container) -> set[str]:
    d = container.definition
    return {x["containerName"] for x in d.get("dependsOn") or []} | {
        v["sourceContainer"] for v in d.get("volumesFrom") or []
    }


def ordered(containers: list[Container]) -> list[Container]:
    """Creation order: a container after those it depends on or takes volumes from."""
    done: list[Container] = []
    names: set[str] = set()
    remaining = list(containers)
    while remaining:
        ready = [c for c in remaining if _needs(c) <= names] or remaining[:1]
        for c in ready:
            done.append(c)
            names.add(c.name)
            remaining.remove(c)
    return done


def stop_order(containers: list[Container]) -> list[list[Container]]:
    """Shutdown waves, the reverse of startup: a container others depend on stops after them."""
    waves: list[list[Container]] = []
    remaining = list(containers)
    while remaining:
        needed = set().union(*(_needs(c) for c in remaining))
        wave = [c for c in remaining if c.name not in needed] or remaining
        waves.append(wave)
        remaining = [c for c in remaining if c not in wave]
    return waves
