"""Task launch overhead: dockyard's RunTask versus the same container driven directly over the Engine API.

In one run, for a trivial container (busybox ``echo hi``, bridge network):
- single: RunTask -> RUNNING and RunTask -> STOPPED (DescribeTasks polled every 5 ms), versus create + start
  (-> running) and + wait + remove (-> gone) through aiodocker; median of ``--rounds``;
- batch: ``--batch`` tasks launched at once (RunTask count=10 calls) until all are STOPPED, versus as many
  containers created, started, waited and removed concurrently.
dockyard's STOPPED includes removing the container, so the direct path removes it too.

    /work/main/.venv/bin/python bench/tasks.py [--rounds 10] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiodocker
import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import start_server, stop_server  # noqa: E402
from images import BUSYBOX, ensure  # noqa: E402

COMMAND = ["echo", "hi"]
POLL_S = 0.005


# -- direct over the Engine API --------------------------------------------------------------------------


async def direct_one(docker: aiodocker.Docker, label: str) -> tuple[float, float]:
    """(seconds to running, seconds to exited and removed) for one container."""
    start = time.perf_counter()
    config = {"Image": BUSYBOX, "Cmd": COMMAND, "Labels": {"dockyard.bench": label}, "HostConfig": {"Memory": 64 << 20}}
    container = await docker.containers.create(config, name=f"bench-{uuid.uuid4().hex[:12]}")
    await container.start()
    running = time.perf_counter() - start
    await container.wait()
    await container.delete(force=True)
    return running, time.perf_counter() - start


async def direct(rounds: int, batch: int) -> tuple[list[tuple[float, float]], float]:
    docker = aiodocker.Docker()
    label = uuid.uuid4().hex
    try:
        singles = [await direct_one(docker, label) for _ in range(rounds)]
        start = time.perf_counter()
        await asyncio.gather(*(direct_one(docker, label) for _ in range(batch)))
        return singles, time.perf_counter() - start
    finally:
        await docker.close()


# -- through dockyard --------------------------------------------------------------------------------------


def until(check: Callable[[], bool], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("tasks did not finish")
        time.sleep(POLL_S)


def dockyard_one(ecs: Any) -> tuple[float, float]:
    start = time.perf_counter()
    arn = ecs.run_task(taskDefinition="bench")["tasks"][0]["taskArn"]
    running = None
    while True:
        status = ecs.describe_tasks(tasks=[arn])["tasks"][0]["lastStatus"]
        now = time.perf_counter() - start
        if running is None and status in ("RUNNING", "STOPPING", "DEPROVISIONING", "STOPPED"):
            running = now
        if status == "STOPPED":
            return running, now
        time.sleep(POLL_S)


def dockyard_batch(ecs: Any, batch: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda n: ecs.run_task(taskDefinition="bench", count=n), _chunks(batch)))
    arns = [t["taskArn"] for r in replies for t in r["tasks"]]

    def all_stopped() -> bool:
        for i in range(0, len(arns), 100):
            if any(t["lastStatus"] != "STOPPED" for t in ecs.describe_tasks(tasks=arns[i : i + 100])["tasks"]):
                return False
        return True

    until(all_stopped)
    return time.perf_counter() - start


def _chunks(total: int) -> list[int]:
    return [min(10, total - i) for i in range(0, total, 10)]


def through_dockyard(rounds: int, batch: int) -> tuple[list[tuple[float, float]], float]:
    server = start_server(Path(f"/tmp/dockyard-bench-{uuid.uuid4().hex[:8]}"), env={"DOCKYARD_STRICT": "0"})
    try:
        ecs = boto3.client(
            "ecs",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, max_pool_connections=20),
        )
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(
            family="bench",
            networkMode="bridge",
            containerDefinitions=[{"name": "app", "image": BUSYBOX, "command": COMMAND, "memory": 64}],
        )
        dockyard_one(ecs)  # warm-up: engine connection, event stream
        singles = [dockyard_one(ecs) for _ in range(rounds)]
        return singles, dockyard_batch(ecs, batch)
    finally:
        stop_server(server)


def report(name: str, ours: float, reference: float) -> None:
    overhead = ours - reference
    print(
        f"{name:<28} dockyard {ours * 1000:8.1f} ms   direct {reference * 1000:8.1f} ms   "
        f"ratio {ours / reference:5.2f}   overhead {overhead * 1000:+7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    ensure(["busybox"])
    # Interleaved so both see the same machine load: direct, dockyard, direct again; the direct figure is
    # the mean of its two runs.
    d1, db1 = asyncio.run(direct(args.rounds, args.batch))
    ours, ours_batch = through_dockyard(args.rounds, args.batch)
    d2, db2 = asyncio.run(direct(args.rounds, args.batch))
    reference = d1 + d2
    report(
        "RunTask -> RUNNING (median)", statistics.median(r for r, _ in ours), statistics.median(r for r, _ in reference)
    )
    report(
        "RunTask -> STOPPED (median)", statistics.median(s for _, s in ours), statistics.median(s for _, s in reference)
    )
    report(f"{args.batch} tasks -> all STOPPED", ours_batch, (db1 + db2) / 2)


if __name__ == "__main__":
    main()
