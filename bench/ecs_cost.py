"""Benchmark: the cost of ECS high-resolution metrics, Steward's design against its peer.

The peer is the classic design (AWS Compute Blog, 2018; bench/classic_ecs/): a rule each minute
starts a Standard state machine whose Parallel state has twelve hand-written branches, each
invoking a Lambda function that calls DescribeClusters and PutMetricData. Steward runs one
short Express execution a minute that plans the offsets as data and starts a chain of delayed
SQS messages, one sample per hop (EMF logs, or PutMetricData in full requests of 1,000).

One minute of each design runs on the local cloud with N ECS clusters; its state transitions,
invocations, API calls and log bytes are counted, and priced with the table of published prices
in steward_cli/cost/prices.py. Prints the table and the classic/Steward ratios; exits 1 if
Steward in its default mode (put-metric-data, 5-second samples) costs more than $0.15 a day at
any cluster count measured, the per-metric charge aside.

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
    clusters = sorted(set(args.clusters))
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
    # The target binds the default publish mode at every size measured (1, 10, 100 by default).
    failed = [
        r
        for n in clusters
        for r in target_failures(all_rows, clusters=n, design="steward-put-metric-data")
    ]
    for row in failed:
        print(
            f"\nFAIL: Steward (put-metric-data) costs ${row.per_day:.4f}/day for"
            f" {row.measurement.clusters} cluster(s), above the ${TARGET_USD_PER_DAY:.2f}/day target"
        )
    if failed:
        return 1
    print(
        f"\nOK: Steward (put-metric-data, the default) is within ${TARGET_USD_PER_DAY:.2f}/day"
        f" at {', '.join(map(str, clusters))} cluster(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
