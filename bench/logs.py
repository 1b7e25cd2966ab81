"""awslogs throughput and latency: a container's lines -> visible in GetLogEvents.

Two producers, each read two ways in the same run:
- burst: busybox ``seq 1 N``, printing as fast as it can (faster than any reader: the engine's own follow falls
  behind, so every line's delay includes the wait behind the lines before it and grows with N);
- paced: python3 printing ``--rate`` lines/s (in 1 ms slices) for ``--seconds``: the delay a tailing reader sees
  while the container keeps up the goal's rate.
Readers:
- reference: the engine's own log follow (``docker logs --follow --timestamps``), delay = read time - the
  engine's timestamp of the line;
- dockyard: RunTask with the awslogs driver, GetLogEvents (boto3) polled with forward tokens as fast as answers
  come, delay = time the event first became visible - its timestamp (the engine's, carried through).
Reported: lines/s from the first line's timestamp to the last line's visibility, p50/p99 delay, and dockyard's
throughput as a ratio of the reference. Goal: >= 50,000 lines/s end to end, p99 < 1 s.

    scripts/bench logs [--lines 200000] [--rate 50000 --seconds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_server, stop_server  # noqa: E402
from tests.images import BUSYBOX, PYTHON, ensure  # noqa: E402

POLL_IDLE_S = 0.02
# Prints argv[1] lines ("1", "2", ...) at argv[2] lines/s, catching up in 1 ms slices.
PACED = """
import sys, time
total, rate = int(sys.argv[1]), int(sys.argv[2])
start, done = time.monotonic(), 0
while done < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    if due > done:
        sys.stdout.write("".join(f"{i}\\n" for i in range(done + 1, due + 1)))
        sys.stdout.flush()
        done = due
    else:
        time.sleep(0.001)
"""


def burst(lines: int) -> tuple[str, list[str]]:
    return BUSYBOX, ["seq", "1", str(lines)]


def paced(lines: int, rate: int) -> tuple[str, list[str]]:
    return PYTHON, ["python3", "-c", PACED, str(lines), str(rate)]


def summary(name: str, lines: int, first_ts: float, last_seen: float, delays: list[float]) -> dict[str, float]:
    delays.sort()
    result = {
        "lines_per_s": lines / max(last_seen - first_ts, 1e-9),
        "p50_ms": statistics.median(delays) * 1000,
        "p99_ms": delays[min(len(delays) - 1, int(len(delays) * 0.99))] * 1000,
    }
    print(
        f"{name:>10}: {lines} lines, {result['lines_per_s']:>9.0f} lines/s, "
        f"delay p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms"
    )
    return result


def reference(lines: int, image: str, command: list[str]) -> dict[str, float]:
    container = subprocess.run(
        ["docker", "run", "-d", "--log-driver", "json-file", image, *command],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        follow = subprocess.Popen(["docker", "logs", "--follow", "--timestamps", container], stdout=subprocess.PIPE)
        assert follow.stdout is not None
        delays: list[float] = []
        first_ts = last_seen = 0.0
        count = 0
        for raw in follow.stdout:
            now = time.time()
            stamp, _, text = raw.decode().rstrip("\n").partition(" ")
            ts = datetime.fromisoformat(stamp[:26] + "+00:00").timestamp()
            count += 1
            first_ts = first_ts or ts
            last_seen = now
            delays.append(now - ts)
            assert text == str(count), (text, count)
        follow.wait()
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True)
    assert count == lines, count
    return summary("reference", lines, first_ts, last_seen, delays)


def dockyard(lines: int, image: str, command: list[str]) -> dict[str, float]:
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-logs-")), env={"DOCKYARD_STRICT": "0"})
    try:

        def client(service: str) -> object:
            return boto3.client(
                service,
                endpoint_url=server.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"max_attempts": 1}),
            )

        ecs, logs = client("ecs"), client("logs")
        ecs.create_cluster(clusterName="default")  # type: ignore[attr-defined]
        options = {"awslogs-group": "/bench", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "b"}
        options["awslogs-create-group"] = "true"
        ecs.register_task_definition(  # type: ignore[attr-defined]
            family="burst",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": image,
                    "memory": 256,
                    "command": command,
                    "logConfiguration": {"logDriver": "awslogs", "options": options},
                }
            ],
        )
        arn = ecs.run_task(taskDefinition="burst", launchType="EC2")["tasks"][0]["taskArn"]  # type: ignore[attr-defined]
        stream = f"b/app/{arn.rsplit('/', 1)[-1]}"
        kwargs: dict[str, object] = {"logGroupName": "/bench", "logStreamName": stream, "startFromHead": True}
        delays: list[float] = []
        first_ts = last_seen = 0.0
        count = 0
        deadline = time.monotonic() + 300
        while count < lines and time.monotonic() < deadline:
            try:
                page = logs.get_log_events(**kwargs)  # type: ignore[attr-defined]
            except logs.exceptions.ResourceNotFoundException:  # type: ignore[attr-defined]
                time.sleep(0.01)
                continue
            now = time.time()
            for event in page["events"]:
                count += 1
                ts = event["timestamp"] / 1000
                first_ts = first_ts or ts
                delays.append(max(now - ts, 0.0))
                assert event["message"] == str(count), (event["message"], count)
            if page["events"]:
                last_seen = now
            else:
                time.sleep(POLL_IDLE_S)  # a tailing client, not a busy loop competing for the server's CPU
            kwargs["nextToken"] = page["nextForwardToken"]
        assert count == lines, count
        return summary("dockyard", lines, first_ts, last_seen, delays)
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000, help="lines of the burst")
    parser.add_argument("--rate", type=int, default=50_000, help="lines/s of the paced producer")
    parser.add_argument("--seconds", type=int, default=5, help="how long the paced producer prints")
    args = parser.parse_args()
    ensure(["busybox", "python"], ["docker"])
    paced_lines = args.rate * args.seconds
    results = {}
    for name, lines, (image, command) in [
        ("burst", args.lines, burst(args.lines)),
        ("paced", paced_lines, paced(paced_lines, args.rate)),
    ]:
        print(f"{name}: {f'seq 1 {lines}' if name == 'burst' else f'{args.rate} lines/s for {args.seconds} s'}")
        ref = reference(lines, image, command)
        results[name] = ours = dockyard(lines, image, command)
        print(f"dockyard / reference throughput: {ours['lines_per_s'] / ref['lines_per_s']:.2f}")

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    burst_result, paced_result = results["burst"], results["paced"]
    print(
        f"goal: >= 50,000 lines/s in the burst {verdict(burst_result['lines_per_s'] >= 50_000)}; p99 < 1 s "
        f"at {args.rate} lines/s {verdict(paced_result['p99_ms'] < 1000)}, in the burst "
        f"{verdict(burst_result['p99_ms'] < 1000)}"
    )


if __name__ == "__main__":
    main()
