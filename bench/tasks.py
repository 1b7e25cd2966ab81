"""ECS tasks on real containers: dockyard against the Engine API used directly and against MiniStack, in one run.

    scripts/bench tasks [--repeat 15] [--batches 3] [--only direct --only dockyard]

For one trivial container (``echo hi`` on the local busybox test image, bridge network, 64 MiB):

- direct: create, start and wait the container through the Engine API (aiodocker over the unix socket, one
  long-lived client); RUNNING = start returned, STOPPED = wait returned. direct+rm also removes it before it
  counts as STOPPED: the removal's cost, which dockyard pays after STOPPED.
- dockyard / MiniStack: RunTask, then DescribeTasks every ``POLL_S`` until ``lastStatus`` is STOPPED (dockyard
  removes the exited container afterwards, off the task's path; MiniStack leaves it). RUNNING: the first answer at
  RUNNING or later (the timestamps cannot serve: MiniStack's are whole seconds). "RUNNING never shown" counts tasks
  that went from PENDING to STOPPED, "no startedAt" those STOPPED without ``startedAt``. Each task must report exit
  code 0.

The batch: 100 tasks (10 concurrent RunTask calls with count=10) until DescribeTasks (every ``BATCH_POLL_S``) shows
all 100 STOPPED, against 100 containers created, started and waited concurrently. Only the tasks not yet STOPPED
are described, and not more often, because the poller shares the 2 cores with the engine: boto3 parses a 100-task
answer in ~16 ms, so polling all of them every 20 ms cost the batch far more than the 0.1 s of resolution gained.
Before the next contender runs, this one's containers are gone (MiniStack leaves them: the bench removes them after
``SETTLE_S``), so that work does not land on someone else's clock. Repetitions interleave the contenders (in a
rotating order) so background load on this shared machine falls on all of them alike. Loopback only; every
container made here is removed at the end (MiniStack's by its cluster label, which names this run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiodocker
from common import MINISTACK, MINISTACK_VENV, Running, client, ensure_ministack, start, table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from images import BUSYBOX, ensure  # the test images' recipes: a fresh machine builds them

DOCKER_URL = "unix:///var/run/docker.sock"
COMMAND = ["echo", "hi"]
MEMORY_MIB = 64
BATCH, PER_CALL = 100, 10
POLL_S = 0.002  # between DescribeTasks polls of one task
BATCH_POLL_S = 0.1
SETTLE_S = 15.0  # how long an ECS contender gets to remove its exited containers before the bench does
TIMEOUT_S = 120.0
AFTER_START = {"RUNNING", "STOPPING", "DEPROVISIONING", "STOPPED"}
RUN_LABEL = "dev.dockyard.bench.run"
CONTENDERS = ["direct", "direct+rm", "dockyard", "ministack"]


@dataclass
class Samples:
    running: list[float] = field(default_factory=list)
    stopped: list[float] = field(default_factory=list)
    batch: list[float] = field(default_factory=list)
    unshown: int = 0  # never answered RUNNING
    no_start: int = 0  # STOPPED after exit 0 but without startedAt
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: an observed value, also for a handful of samples."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


# -- direct: the Engine API ---------------------------------------------------------------------------------


class Direct:
    """``remove``: the container is also removed before it counts as stopped, as dockyard does."""

    def __init__(self, run_id: str, remove: bool = False) -> None:
        self.run_id = run_id
        self.remove = remove
        self.loop = asyncio.Runner()
        self.docker = self.loop.run(self._client())

    async def _client(self) -> aiodocker.Docker:
        return aiodocker.Docker(url=DOCKER_URL)

    async def _one(self, t0: float) -> tuple[float, float]:
        config = {
            "Image": BUSYBOX,
            "Cmd": COMMAND,
            "Labels": {RUN_LABEL: self.run_id},
            "HostConfig": {"NetworkMode": "bridge", "Memory": MEMORY_MIB * 1024 * 1024},
        }
        container = await self.docker.containers.create(config)
        await container.start()
        running = time.perf_counter() - t0
        result = await container.wait()
        if result.get("StatusCode") != 0:
            raise RuntimeError(f"direct container exited with {result}")
        if self.remove:
            await container.delete(force=True)
        return running, time.perf_counter() - t0

    def single(self) -> tuple[float, float]:
        return self.loop.run(self._one(time.perf_counter()))

    def batch(self) -> float:
        async def many() -> float:
            t0 = time.perf_counter()
            await asyncio.gather(*(self._one(t0) for _ in range(BATCH)))
            return time.perf_counter() - t0

        elapsed = self.loop.run(many())
        self.cleanup()
        return elapsed

    def settle(self, labels: list[str]) -> None:
        """Waits (at most ``SETTLE_S``) until no container with one of ``labels`` is left, then removes the rest."""

        async def remaining() -> int:
            found = [await self.docker.containers.list(all=True, filters={"label": [label]}) for label in labels]
            return sum(map(len, found))

        deadline = time.monotonic() + SETTLE_S
        while self.loop.run(remaining()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for label in labels:
            self.cleanup(label)

    def cleanup(self, label: str | None = None) -> None:
        async def remove() -> None:
            wanted = label or f"{RUN_LABEL}={self.run_id}"
            found = await self.docker.containers.list(all=True, filters={"label": [wanted]})
            await asyncio.gather(*(c.delete(force=True) for c in found), return_exceptions=True)

        self.loop.run(remove())

    def close(self) -> None:
        self.cleanup()
        self.loop.run(self.docker.close())
        self.loop.close()


# -- through an ECS API (dockyard, MiniStack) ---------------------------------------------------------------


class Ecs:
    def __init__(self, server: Running, cluster: str, engine: Direct) -> None:
        self.server = server
        self.cluster = cluster
        self.engine = engine
        self.ecs = client(server.endpoint)
        self.cluster_arn = self.ecs.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
        container = {"name": "app", "image": BUSYBOX, "memory": MEMORY_MIB, "essential": True, "command": COMMAND}
        self.ecs.register_task_definition(family="bench-echo", networkMode="bridge", containerDefinitions=[container])
        self.callers = [client(server.endpoint) for _ in range(BATCH // PER_CALL)]  # made before any clock runs

    @property
    def labels(self) -> list[str]:
        """dockyard labels its containers with the cluster's name, MiniStack with its ARN."""
        return [f"com.amazonaws.ecs.cluster={value}" for value in (self.cluster, self.cluster_arn)]

    def run(self, ecs: Any, count: int) -> list[str]:
        reply = ecs.run_task(cluster=self.cluster, taskDefinition="bench-echo", count=count)
        if reply.get("failures"):
            raise RuntimeError(f"RunTask failures: {reply['failures']}")
        return [t["taskArn"] for t in reply["tasks"]]

    def single(self) -> tuple[float, float, bool, bool]:
        """(RUNNING s, STOPPED s, RUNNING was shown, startedAt was set)."""
        t0 = time.perf_counter()
        [arn] = self.run(self.ecs, 1)
        running, shown = None, False
        while True:
            task = self.ecs.describe_tasks(cluster=self.cluster, tasks=[arn])["tasks"][0]
            now = time.perf_counter() - t0
            shown = shown or task["lastStatus"] == "RUNNING"
            if running is None and task["lastStatus"] in AFTER_START:
                running = now
            if task["lastStatus"] == "STOPPED":
                check(task)
                return running, now, shown, "startedAt" in task
            if now > TIMEOUT_S:
                raise RuntimeError(f"{self.server.name}: task not STOPPED after {TIMEOUT_S} s: {task['lastStatus']}")
            time.sleep(POLL_S)

    def batch(self) -> float:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(len(self.callers)) as pool:
            pending = {arn for arns in pool.map(lambda ecs: self.run(ecs, PER_CALL), self.callers) for arn in arns}
        while pending:  # as a dispatcher would: only the tasks not yet known to be STOPPED are described
            for task in self.ecs.describe_tasks(cluster=self.cluster, tasks=sorted(pending))["tasks"]:
                if task["lastStatus"] == "STOPPED":
                    check(task)
                    pending.discard(task["taskArn"])
            if not pending:
                break
            if time.perf_counter() - t0 > TIMEOUT_S:
                raise RuntimeError(f"{self.server.name}: batch not STOPPED after {TIMEOUT_S} s")
            time.sleep(BATCH_POLL_S)
        elapsed = time.perf_counter() - t0
        self.engine.settle(self.labels)
        return elapsed


def check(task: dict[str, Any]) -> None:
    """A run only counts when the task really ran ``echo hi`` to exit 0."""
    codes = [c.get("exitCode") for c in task.get("containers", [])]
    if codes != [0]:
        raise RuntimeError(f"task {task['taskArn']} stopped with {codes}: {task.get('stoppedReason')}")


def ensure_ministack_full() -> None:
    """MiniStack runs ECS tasks only with the Docker SDK of its ``full`` extra."""
    python = MINISTACK_VENV / "bin" / "python"
    if subprocess.run([str(python), "-c", "import docker"], capture_output=True).returncode != 0:
        print(f"installing {MINISTACK.replace('==', '[full]==')} into {MINISTACK_VENV}", file=sys.stderr)
        subprocess.run([str(MINISTACK_VENV / "bin" / "pip"), "install", "-q", MINISTACK.replace("==", "[full]==")],
                       check=True)  # fmt: skip


# -- the run ------------------------------------------------------------------------------------------------


def measure(contenders: dict[str, Any], repeat: int, batches: int) -> dict[str, Samples]:
    samples = {name: Samples() for name in contenders}
    names = list(contenders)

    def attempt(name: str, what: Callable[[], None]) -> None:
        try:
            what()
        except Exception as exc:  # one failed repetition is reported, not fatal to the others
            samples[name].errors.append(f"{type(exc).__name__}: {exc}")

    for i in range(repeat):
        for name in names[i % len(names) :] + names[: i % len(names)]:

            def one(name: str = name) -> None:
                running, stopped, *seen = contenders[name].single()
                samples[name].running.append(running)
                samples[name].stopped.append(stopped)
                if seen:
                    samples[name].unshown += not seen[0]
                    samples[name].no_start += not seen[1]

            attempt(name, one)
    for i in range(batches):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            attempt(name, lambda name=name: samples[name].batch.append(contenders[name].batch()))
    return samples


def report(samples: dict[str, Samples], repeat: int) -> str:
    def ms(values: list[float], q: float | None = None) -> str:
        if not values:
            return "-"
        return f"{(statistics.median(values) if q is None else percentile(values, q)) * 1000:.0f}"

    rows = []
    for name, s in samples.items():
        rows.append(
            [
                name,
                ms(s.running),
                ms(s.running, 0.9),
                ms(s.stopped),
                ms(s.stopped, 0.9),
                ms(s.batch),
                *(["-", "-"] if name.startswith("direct") else [str(s.unshown), str(s.no_start)]),
                str(len(s.errors)),
            ]
        )
    headers = [
        "",
        "->RUNNING p50 ms",
        "p90",
        "->STOPPED p50 ms",
        "p90",
        f"{BATCH} tasks STOPPED ms",
        "RUNNING never shown",
        "no startedAt",
        "errors",
    ]
    lines = [f"{repeat} single tasks each (echo hi, {BUSYBOX}), {BATCH}-task batches; medians unless noted", ""]
    lines.append(table(headers, rows))
    for name in [n for n in samples if n not in ("direct", "direct+rm")]:
        s = samples[name]
        for ref in [r for r in ("direct", "direct+rm") if r in samples]:
            base = samples[ref]
            for label, mine, theirs in [
                ("RUNNING", s.running, base.running),
                ("STOPPED", s.stopped, base.stopped),
                ("batch", s.batch, base.batch),
            ]:
                if mine and theirs and not (label == "RUNNING" and ref == "direct+rm"):
                    m, r = statistics.median(mine), statistics.median(theirs)
                    lines.append(f"{name} {label}: {m / r:.2f}x {ref} ({(m - r) * 1000:+.0f} ms)")
    if "dockyard" in samples and "ministack" in samples:
        d, m = samples["dockyard"], samples["ministack"]
        for label, a, b in [
            ("RUNNING", d.running, m.running),
            ("STOPPED", d.stopped, m.stopped),
            ("batch", d.batch, m.batch),
        ]:
            if a and b:
                lines.append(f"dockyard {label}: {statistics.median(a) / statistics.median(b):.2f}x MiniStack")
    for name, s in samples.items():
        for error in dict.fromkeys(s.errors):
            lines.append(f"{name} error ({s.errors.count(error)}x): {error}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="single tasks per contender")
    parser.add_argument("--batches", type=int, default=3, help=f"{BATCH}-task batches per contender")
    parser.add_argument("--only", action="append", choices=CONTENDERS)
    args = parser.parse_args()
    wanted = args.only or CONTENDERS

    ensure(["busybox"], ["docker"])
    run_id = uuid.uuid4().hex[:12]
    direct = Direct(run_id)
    servers: list[Running] = []
    contenders: dict[str, Any] = {}
    try:
        if "direct" in wanted:
            contenders["direct"] = direct
        if "direct+rm" in wanted:
            contenders["direct+rm"] = Direct(run_id, remove=True)
        for name in [n for n in ("dockyard", "ministack") if n in wanted]:
            if name == "ministack":
                ensure_ministack()
                ensure_ministack_full()
                # docker-py's 10 s default per call fails tasks of a 100-container batch on this loaded machine.
                os.environ.setdefault("MINISTACK_DOCKER_TIMEOUT", "120")
            server = start(name)
            servers.append(server)
            contenders[name] = Ecs(server, f"bench-{run_id}", direct)
        for contender in contenders.values():  # warm-up: connections, lazy imports, the engine's caches
            contender.single()
        print(report(measure(contenders, args.repeat, args.batches), args.repeat))
    finally:
        for server in servers:
            server.stop()
        for contender in contenders.values():
            if isinstance(contender, Ecs):
                for label in contender.labels:
                    direct.cleanup(label)
            elif contender is not direct:
                contender.close()
        direct.close()


if __name__ == "__main__":
    main()
