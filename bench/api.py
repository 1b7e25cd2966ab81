"""ECS API throughput and latency: dockyard against moto's server and MiniStack, in one run, same boto3 call mix.

    scripts/bench api [--clients 8] [--requests 3000] [--only dockyard]

Each contender gets its own server on loopback and ``--clients`` concurrent clients, each in its own process (so
boto3's own cost - about 1.3 ms a call - is spread over cores rather than capping the server behind one GIL),
each with its own boto3 client and connection. Every client repeats the mix below until the run has made
``--requests`` calls; the clock covers only the timed calls, after a warm-up round.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import CONTENDERS, client, start, table

CONTAINERS = [{"name": "app", "image": "busybox", "memory": 128, "essential": True, "command": ["sleep", "1"]}]


def mix(ecs: Any, worker: int, cluster_arn: str) -> list[Callable[[], Any]]:
    """The calls, in order: register/describe a task definition, list/describe clusters, tag/untag."""
    family = f"bench-{worker}"
    tags = [{"key": "bench", "value": str(worker)}]
    return [
        lambda: ecs.register_task_definition(family=family, containerDefinitions=CONTAINERS),
        lambda: ecs.describe_task_definition(taskDefinition=family),
        lambda: ecs.list_clusters(),
        lambda: ecs.describe_clusters(clusters=[cluster_arn]),
        lambda: ecs.tag_resource(resourceArn=cluster_arn, tags=tags),
        lambda: ecs.untag_resource(resourceArn=cluster_arn, tagKeys=["bench"]),
    ]


def worker(endpoint: str, worker_id: int, cluster_arn: str, requests: int, start_at: float) -> tuple[list[float], int]:
    """Runs ``requests`` calls of the mix; returns each call's latency in seconds and the number of errors."""
    ecs = client(endpoint)
    calls = mix(ecs, worker_id, cluster_arn)
    for call in calls:  # warm-up: connection, boto3's caches, the server's lazily loaded models
        call()
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, errors = [], 0
    for i in range(requests):
        began = time.perf_counter()
        try:
            calls[i % len(calls)]()
        except Exception:
            errors += 1
        latencies.append(time.perf_counter() - began)
    return latencies, errors


def measure(name: str, clients: int, requests: int) -> dict[str, float]:
    server = start(name)
    try:
        cluster_arn = client(server.endpoint).create_cluster(clusterName="bench")["cluster"]["clusterArn"]
        per_client = requests // clients
        start_at = time.time() + 2.0  # every process is up and warm before the clock starts
        with multiprocessing.Pool(clients) as pool:
            began = time.time()
            results = pool.starmap(
                worker, [(server.endpoint, i, cluster_arn, per_client, start_at) for i in range(clients)]
            )
            # Wall time from the common start to the last client finishing.
            elapsed = time.time() - max(start_at, began)
        latencies = sorted(lat for lats, _ in results for lat in lats)
        errors = sum(err for _, err in results)
        quantiles = statistics.quantiles(latencies, n=100)
        return {
            "requests": len(latencies),
            "errors": errors,
            "rps": len(latencies) / elapsed,
            "p50": quantiles[49] * 1000,
            "p99": quantiles[98] * 1000,
            "rss": server.rss_mib(),
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3000, help="timed calls per contender, all clients together")
    parser.add_argument("--only", action="append", choices=sorted(CONTENDERS))
    args = parser.parse_args()

    results = {name: measure(name, args.clients, args.requests) for name in args.only or list(CONTENDERS)}
    base = results.get("dockyard")
    rows = []
    for name, r in results.items():
        ratio = f"{base['rps'] / r['rps']:.2f}x" if base and name != "dockyard" else ""
        p99_ratio = f"{r['p99'] / base['p99']:.2f}x" if base and name != "dockyard" else ""
        rows.append(
            [
                name,
                f"{r['rps']:.0f}",
                f"{r['p50']:.2f}",
                f"{r['p99']:.2f}",
                f"{r['errors']:.0f}/{r['requests']:.0f}",
                f"{r['rss']:.0f}",
                ratio,
                p99_ratio,
            ]
        )
    headers = ["server", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB after", "dockyard req/s is", "their p99 is"]
    print(f"{args.clients} clients, {args.requests} calls each server, mix: {', '.join(MIX_NAMES)}")
    print(table(headers, rows))


MIX_NAMES = [
    "RegisterTaskDefinition",
    "DescribeTaskDefinition",
    "ListClusters",
    "DescribeClusters",
    "TagResource",
    "UntagResource",
]

if __name__ == "__main__":
    main()
