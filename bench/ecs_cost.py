"""Benchmark: the cost of ECS high-resolution metrics, Steward's design against its peer.

The peer is the classic design (AWS Compute Blog, 2018; bench/classic_ecs/): a rule each minute
starts a Standard state machine whose Parallel state has twelve hand-written branches, each
invoking a Lambda function that calls DescribeClusters and PutMetricData. Steward runs one
Express execution a minute that samples at offsets computed as data and publishes the minute
(EMF logs, or one batched PutMetricData).

One minute of each design runs on the local cloud with N ECS clusters; its state transitions,
invocations, API calls and log bytes are counted, and priced with steward_cli/cost.py's table of
published prices. Prints the table and the classic/Steward ratios; exits 1 if Steward (emf,
5-second samples) costs more than $0.15 a day for one cluster, the per-metric charge aside.

    .venv/bin/python bench/ecs_cost.py [--clusters 1 10 100]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from steward_cli.cost import (
    TARGET_USD_PER_DAY,
    classic_ratio,
    format_ecs_report,
    measure_ecs,
    rows,
    target_failures,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, nargs="+", default=[1, 10, 100])
    args = parser.parse_args(argv)
    clusters = sorted(set(args.clusters) | {1})  # the target is checked at one cluster
    all_rows = rows(measure_ecs(clusters))
    print(format_ecs_report(all_rows))
    print()
    print("classic / Steward, cost per day (orchestration + Lambda + publishing):")
    for row in all_rows:
        ratio = classic_ratio(row, all_rows)
        if ratio is not None:
            print(
                f"  {row.measurement.clusters:>4} cluster(s)  {row.measurement.label:26}"
                f" ${row.per_day:.4f}/day  classic costs {ratio:.1f}x as much"
            )
    failed = target_failures(all_rows, clusters=1, design="steward-emf")
    if failed:
        print(
            f"\nFAIL: Steward (emf) costs ${failed[0].per_day:.4f}/day for one cluster,"
            f" above the ${TARGET_USD_PER_DAY:.2f}/day target"
        )
        return 1
    print(f"\nOK: Steward (emf) for one cluster is within ${TARGET_USD_PER_DAY:.2f}/day")
    return 0


if __name__ == "__main__":
    sys.exit(main())
