"""`steward`: try Steward's automations on the Docker-free local cloud.

steward demo [automation ...]          play every automation's scenario
steward invoke LogicalId -e event.json the Docker-free twin of `sam local invoke`
steward local up [--port 4566]         serve the local cloud for the aws CLI and boto3
steward local fire|put-events|status|down   ask the running server
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from contextlib import ExitStack
from pathlib import Path
from typing import Any

os.environ.setdefault("SAM_CLI_TELEMETRY", "0")


_FORMATTER = argparse.ArgumentDefaultsHelpFormatter  # every option's help shows its default


def _overrides(items: list[str] | None) -> dict[str, str]:
    from steward_cli.local import _overrides as parse

    return parse(items, "--parameter-overrides")


def _add_iam_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--iam",
        choices=["enforce", "warn", "off"],
        default="enforce",
        help="evaluate every call against its caller's IAM policies (warn: log denials only)",
    )


def _add_stack_options(parser: argparse.ArgumentParser) -> None:
    _add_iam_option(parser)
    parser.add_argument("--template", "-t", default="template.yaml", help="SAM template")
    parser.add_argument(
        "--config-env",
        default=None,
        help="samconfig.toml environment (stack name, region, overrides) next to the template; "
        "none: stack steward in us-east-1 with the template's defaults",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        metavar="KEY=VALUE",
        default=[],
        help="template parameters, over the config environment's",
    )


def _demo(args: argparse.Namespace) -> int:
    from localcloud import LocalCloud
    from localcloud.testing import only
    from steward_cli.report import Reporter
    from steward_cli.scenarios import all_scenarios

    reporter = Reporter(colour=False if args.no_color else None)
    scenarios = all_scenarios()
    known = {s.name: s for s in scenarios}
    if args.list:
        for scenario in scenarios:
            reporter.line(f"{scenario.name:16} {scenario.title}")
        return 0
    # an automation's key (`cost_controls`), or the same with hyphens (`cost-controls`)
    args.automations = [name.replace("-", "_") for name in args.automations]
    unknown = [name for name in args.automations if name not in known]
    if unknown:
        reporter.line(f"unknown automation(s) {unknown}; choose from {sorted(known)}", "fail")
        return 2
    chosen = [known[n] for n in args.automations] if args.automations else scenarios
    if not chosen:
        reporter.line("no automation scenarios are installed", "fail")
        return 1
    failures = []
    for scenario in chosen:
        reporter.title(f"{scenario.title} [{scenario.name}]")
        try:
            with ExitStack() as running:
                parameters = only(args.template, *scenario.enables, **scenario.parameters)
                services = None
                if scenario.services is not None:
                    extra, services = running.enter_context(scenario.services())
                    parameters.update(extra)
                cloud = running.enter_context(
                    LocalCloud(
                        template=args.template, parameters=parameters, time_scale=0.0, iam=args.iam
                    )
                )
                scenario.run(cloud, reporter, services)
                cloud.wait_idle(timeout=120)
            reporter.result(scenario.name, True)
        except Exception as exc:  # noqa: BLE001 - a failed scenario is reported, the rest still run
            failures.append(scenario.name)
            reporter.result(scenario.name, False, f"{type(exc).__name__}: {exc}")
            if args.verbose:
                traceback.print_exc()
    reporter.line()
    passed = len(chosen) - len(failures)
    reporter.line(f"{passed} passed, {len(failures)} failed", "ok" if not failures else "fail")
    return 1 if failures else 0


def _invoke(args: argparse.Namespace) -> int:
    from localcloud import FunctionError, LocalCloud

    event: Any = {}
    if args.event == "-":
        event = json.load(sys.stdin)
    elif args.event:
        event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    with LocalCloud(
        template=args.template,
        config_env=args.config_env,
        parameters=_overrides(args.parameter_overrides),
        echo_logs=True,
        iam=args.iam,
    ) as cloud:
        try:
            result = cloud.invoke(args.logical_id, event)
        except FunctionError as exc:
            print(json.dumps({"errorType": exc.error_type, "errorMessage": exc.error_message}))
            return 1
        cloud.wait_idle(timeout=args.wait)
        print(json.dumps(result, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steward", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="play each automation's scenario on the local cloud",
        formatter_class=_FORMATTER,
    )
    demo.add_argument("automations", nargs="*", help="only these (see --list)")
    demo.add_argument("--list", action="store_true", help="list the scenarios")
    demo.add_argument("--template", "-t", default="template.yaml", help="SAM template")
    demo.add_argument("--no-color", action="store_true", help="no colours, even on a terminal")
    demo.add_argument(
        "--verbose", "-v", action="store_true", help="a failed scenario's traceback too"
    )
    _add_iam_option(demo)
    demo.set_defaults(func=_demo)

    invoke = sub.add_parser(
        "invoke", help="invoke one function with an event file", formatter_class=_FORMATTER
    )
    invoke.add_argument("logical_id", help="the function's logical id in the template")
    invoke.add_argument("--event", "-e", help="JSON event file, or - for stdin")
    invoke.add_argument(
        "--wait", type=float, default=60, help="seconds to wait for what it started"
    )
    _add_stack_options(invoke)
    invoke.set_defaults(func=_invoke)

    from steward_cli import local

    local.add_parser(sub, _add_stack_options)

    from steward_cli import cost

    cost.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from localcloud.errors import LocalCloudError
    from steward_cli.errors import CliError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(message)s",
    )
    if args.command == "invoke" or args.command == "local":
        logging.getLogger("localcloud").setLevel(logging.INFO)
    try:
        return int(args.func(args))
    except (CliError, LocalCloudError) as exc:  # said in one line, as argparse says its errors
        print(f"steward: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
