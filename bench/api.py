"""ECS API throughput and latency: dockyard against moto's server and MiniStack, in one run, same boto3 call mix.

    scripts/bench api [--clients 8] [--requests 3000] [--mode boto3 --mode replay] [--only dockyard]

Each contender gets its own server on loopback and ``--clients`` concurrent clients, each in its own process (so
the clients' cost is spread over cores rather than queued behind one GIL). Every client repeats the mix below
until the run has made ``--requests`` calls; the clock covers only the timed calls, after a warm-up round.

Two client modes, both measured by default:
- ``boto3``: every call made by a boto3 client, as users do. boto3 spends about 1.3 ms of CPU a call, more than
  a fast server, so on a small machine this mode measures the clients as much as the server.
- ``replay``: the exact requests boto3 sent in the warm-up round (captured with botocore's ``before-send``
  event), replayed byte for byte over one keep-alive connection per client; the server is then the bottleneck.

Besides req/s and latency, the table reports the server's CPU time per call (user + system, from /proc), which
stays meaningful on a machine busy with other work.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from common import CONTENDERS, client, start, table

CONTAINERS = [{"name": "app", "image": "busybox", "memory": 128, "essential": True, "command": ["sleep", "1"]}]
MODES = ("boto3", "replay")


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


def replayers(endpoint: str, sent: list[Any]) -> list[Callable[[], Any]]:
    """Calls that resend the captured requests over one keep-alive connection; an HTTP error raises."""
    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def call(request: Any) -> None:
        conn.request(request.method, urlsplit(request.url).path or "/", request.body, dict(request.headers.items()))
        response = conn.getresponse()
        response.read()
        if response.status >= 400:
            raise RuntimeError(f"HTTP {response.status}")

    return [lambda request=request: call(request) for request in sent]


def worker(
    endpoint: str, mode: str, worker_id: int, cluster_arn: str, requests: int, start_at: float
) -> tuple[list[float], int]:
    """Runs ``requests`` calls of the mix; returns each call's latency in seconds and the number of errors."""
    ecs = client(endpoint)
    sent: list[Any] = []
    ecs.meta.events.register("before-send.ecs", lambda request, **_: sent.append(request))
    calls = mix(ecs, worker_id, cluster_arn)
    for call in calls:  # warm-up: connection, boto3's caches, the server's lazily loaded models
        call()
    if mode == "replay":
        calls = replayers(endpoint, sent)
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


def measure(name: str, mode: str, clients: int, requests: int) -> dict[str, float]:
    server = start(name)
    try:
        cluster_arn = client(server.endpoint).create_cluster(clusterName="bench")["cluster"]["clusterArn"]
        per_client = requests // clients
        start_at = time.time() + 3.0  # every process is up and warm before the clock starts
        with multiprocessing.Pool(clients) as pool:
            pending = pool.starmap_async(
                worker, [(server.endpoint, mode, i, cluster_arn, per_client, start_at) for i in range(clients)]
            )
            time.sleep(max(0.0, start_at - time.time()))
            cpu_before = server.cpu_s()
            results = pending.get()
            # Wall time from the common start to the last client finishing.
            elapsed = time.time() - start_at
            cpu = server.cpu_s() - cpu_before
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
            # Server CPU per call: what the server costs, whatever else the machine is running.
            "cpu_ms": cpu / len(latencies) * 1000,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3000, help="timed calls per contender, all clients together")
    parser.add_argument("--mode", action="append", choices=MODES, help="client mode (default: both)")
    parser.add_argument("--only", action="append", choices=sorted(CONTENDERS))
    args = parser.parse_args()

    names = args.only or list(CONTENDERS)
    print(f"{args.clients} clients, {args.requests} timed calls per server and mode; mix: {', '.join(MIX_NAMES)}")
    headers = ["mode", "server", "req/s", "p50 ms", "p99 ms", "server CPU ms/call", "errors", "RSS MiB after"]
    headers += ["dockyard req/s vs", "their p99 / dockyard's"]
    rows = []
    for mode in args.mode or MODES:
        results = {name: measure(name, mode, args.clients, args.requests) for name in names}
        base = results.get("dockyard")
        for name, r in results.items():
            versus = bool(base) and name != "dockyard"
            rows.append(
                [
                    mode,
                    name,
                    f"{r['rps']:.0f}",
                    f"{r['p50']:.2f}",
                    f"{r['p99']:.2f}",
                    f"{r['cpu_ms']:.2f}",
                    f"{r['errors']:.0f}/{r['requests']:.0f}",
                    f"{r['rss']:.0f}",
                    f"{base['rps'] / r['rps']:.2f}x" if versus else "",
                    f"{r['p99'] / base['p99']:.2f}x" if versus else "",
                ]
            )
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
