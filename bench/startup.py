"""Server start time (spawn to first answered ListClusters, through boto3) and idle memory, per contender.

scripts/bench startup [--runs 5] [--only dockyard]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import CONTENDERS, start, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", action="append", choices=sorted(CONTENDERS))
    parser.add_argument("--idle", type=float, default=1.0, help="seconds to wait before reading memory")
    args = parser.parse_args()

    rows = []
    for name in args.only or list(CONTENDERS):
        starts, cpus, rss = [], [], []
        for _ in range(args.runs):
            server = start(name)
            try:
                cpus.append(server.cpu_s())
                time.sleep(args.idle)
                starts.append(server.startup_s)
                rss.append(server.rss_mib())
            finally:
                server.stop()
        rows.append(
            [
                name,
                f"{statistics.median(starts):.3f}",
                f"{min(starts):.3f}",
                f"{statistics.median(cpus):.3f}",
                f"{statistics.median(rss):.1f}",
            ]
        )
    # CPU used up to the first answer is what start-up costs, however busy the machine is.
    print(table(["server", "start s (median)", "start s (best)", "CPU s to first answer", "idle RSS MiB"], rows))


if __name__ == "__main__":
    main()
