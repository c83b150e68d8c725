"""The `steward cost` command: measure an automation on the local cloud and print its report.

The command is the only part of `steward_cli.cost` that parses arguments or prints, so the
measurement and the report stay callable from `bench/` and the tests. Its first argument names
the automation; ECS high-resolution metrics is the only one measured today, and another would
be a choice here, a measurement module and a report of its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from steward_cli.cost.ecs_metrics import (
    CLASSIC_TEMPLATE,
    STEWARD_TEMPLATE,
    MeasurementError,
    measure_ecs,
)
from steward_cli.cost.ecs_report import format_ecs_report, rows


def _cluster_count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("cluster counts go from 1 to 1000")
    return value


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost",
        help="monthly cost of an automation, measured on the local cloud",
        description=(
            "The cost per day and per month of ECS high-resolution metrics (Steward's design in"
            " both publish modes, beside the classic twelve-branch Standard design), from one"
            " minute of each run on the local cloud and the published prices in"
            " steward_cli/cost/prices.py."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "automation", nargs="?", default="ecs-metrics", choices=["ecs-metrics"], help="automation"
    )
    parser.add_argument(
        "--clusters",
        type=_cluster_count,
        nargs="+",
        default=[1, 10, 100],
        metavar="N",
        help="cluster counts to measure",
    )
    parser.add_argument("--template", "-t", default=str(STEWARD_TEMPLATE), help="Steward template")
    parser.add_argument(
        "--classic-template", default=str(CLASSIC_TEMPLATE), help="the classic design's template"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from localcloud.errors import LocalCloudError

    clusters = sorted(set(args.clusters))
    try:
        measurements = measure_ecs(
            clusters, Path(args.template).resolve(), Path(args.classic_template).resolve()
        )
    except (MeasurementError, LocalCloudError) as exc:
        print(f"steward cost: {type(exc).__name__}: {exc}")
        return 1
    print(format_ecs_report(rows(measurements)))
    return 0
