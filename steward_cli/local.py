"""`steward local up | fire | put-events | status | down`: the local cloud as a server.

`up` serves the local cloud on loopback for the aws CLI and any SDK; the other commands talk
to a running `up` through its control endpoint (`/_steward/...`, `localcloud.control`),
signed with the administrator's credentials as the aws CLI signs its requests.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from steward_cli.errors import CliError

DEFAULT_PORT = 4566
DEFAULT_ENDPOINT = f"http://127.0.0.1:{DEFAULT_PORT}"
READY = "Steward local cloud on"  # the last line `up` prints, once it answers requests
ADMIN = ("testing", "testing")  # the administrator's access key and secret (see server.py)


# ------------------------------------------------------------------ the control client


def control(endpoint: str, method: str, operation: str, payload: Any = None) -> Any:
    """Ask the server at `endpoint` for a control operation; its JSON answer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from localcloud.server import CONTROL_PREFIX

    url = endpoint.rstrip("/") + CONTROL_PREFIX + operation
    data = json.dumps(payload).encode() if payload is not None else b""
    signed = AWSRequest(
        method=method, url=url, data=data, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(*ADMIN), "steward", "us-east-1").add_auth(signed)
    request = urllib.request.Request(
        url, data=data or None, method=method, headers=dict(signed.headers.items())
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        try:
            error = json.loads(refused.read() or b"{}").get("error")
        except (ValueError, AttributeError):
            error = None
        raise CliError(error or f"{operation}: HTTP {refused.code}") from None
    except (urllib.error.URLError, OSError) as unreachable:
        reason = getattr(unreachable, "reason", unreachable)
        raise CliError(f"no local cloud answers on {endpoint} ({reason})") from None


def _fire(args: argparse.Namespace) -> int:
    answer = control(
        args.endpoint_url, "POST", "fire", {"logicalId": args.logical_id, "region": args.region}
    )
    print(json.dumps(answer, indent=2))
    return 0


def _put_events(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else _read(Path(args.file))
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{args.file} is not JSON: {exc}") from None
    print(json.dumps(control(args.endpoint_url, "POST", "put-events", {"events": document})))
    return 0


def _status(args: argparse.Namespace) -> int:
    print(json.dumps(control(args.endpoint_url, "GET", "status"), indent=2))
    return 0


def _down(args: argparse.Namespace) -> int:
    control(args.endpoint_url, "POST", "down")
    print(f"the local cloud on {args.endpoint_url} is stopping")
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None


# ------------------------------------------------------------------ up


def _overrides(items: list[str] | None, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"{option} takes Key=Value, not {item!r}")
        result[key] = value
    return result


def _dr_environment(template: Path, config_env: str | None, dr_env: str) -> str | None:
    """The DR environment to serve beside `config_env`: `dr_env`, when a config environment
    was chosen, it is not the DR one itself, and samconfig.toml has it."""
    import tomllib

    if config_env is None or not dr_env or config_env == dr_env:
        return None
    path = template.parent / "samconfig.toml"
    if not path.exists():
        return None
    try:
        environments = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CliError(f"{path} is not TOML: {exc}") from None
    return dr_env if isinstance(environments.get(dr_env), dict) else None


def _up(args: argparse.Namespace) -> int:
    from localcloud import LocalCloud
    from localcloud.control import Control
    from localcloud.core.clock import ClockDriver
    from localcloud.server import Server
    from steward_cli.needs import needs

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        raise CliError("the local cloud only listens on loopback (--host 127.0.0.1)")
    if args.time_scale < 0:
        raise CliError("--time-scale is 0 or more")
    template = Path(args.template)
    if not template.is_file():
        raise CliError(f"template not found: {template}")
    overrides = _overrides(args.parameter_overrides, "--parameter-overrides")
    dr_overrides = _overrides(args.dr_parameter_overrides, "--dr-parameter-overrides")
    dr_env = _dr_environment(template, args.config_env, args.dr_config_env)

    # The port first: a taken one fails here, in a second, before anything is deployed.
    server = Server(args.host, args.port, args.iam)
    try:
        server.bind()
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # `kill` stops it as Ctrl-C does
    try:
        with LocalCloud(
            template=template,
            config_env=args.config_env,
            parameters=overrides,
            echo_logs=True,
            time_scale=args.time_scale,
            iam=args.iam,
            schedules=True,  # as deployed: rate and cron rules fire by themselves
        ) as cloud:
            if dr_env is not None:
                cloud.deploy(template=template, config_env=dr_env, parameters=dr_overrides)
            server.control = Control(cloud, stop, endpoint=server.endpoint, pid=os.getpid())
            server.start()
            driver = ClockDriver(cloud.clock)
            driver.start()
            try:
                _print_started(cloud, server.endpoint, driver.drives, needs(cloud))
                try:
                    stop.wait(args.seconds if args.seconds else None)
                except KeyboardInterrupt:
                    pass
            finally:
                driver.stop()
                server.stop()
    finally:
        server.stop()
    # The cloud has stopped: work it had in flight (an execution, an SQS poll) now fails
    # against backends that are gone and must not keep the process alive.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _print_started(cloud: Any, endpoint: str, driven: bool, unmet: list[str]) -> None:
    region = cloud.stacks[0].region
    scale = cloud.clock.scale
    pace = (
        f"a minute passes in {60 * scale:g} s"
        if driven
        else ("time moves only as waits skip it" if scale == 0 else "real time")
    )
    print(f"Stacks: {', '.join(f'{s.name} ({s.region})' for s in cloud.stacks)}")
    print(f"Clock: time scale {scale:g}, {pace}; schedules fire by themselves")
    print("Environment for the aws CLI and SDKs:")
    print(
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={region} "
        "AWS_DISABLE_HOST_PREFIX_INJECTION=true"
    )
    for stack in cloud.stacks:
        print(f"Outputs of {stack.name} ({stack.region}):")
        for key, value in sorted(stack.outputs.items()):
            print(f"  {key:32} {value}")
        if not stack.outputs:
            print("  (none)")
        print(
            f"  every resource: aws cloudformation list-stack-resources --stack-name "
            f"{stack.name} --region {stack.region}"
        )
    print("Still needed:" if unmet else "Still needed: nothing")
    for line in unmet:
        print(f"  {line}")
    print(f"{READY} {endpoint}: ready (Ctrl-C or `steward local down` stops it)")
    sys.stdout.flush()


# ------------------------------------------------------------------ the parser


def add_parser(sub: Any, add_stack_options: Any) -> None:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    local = sub.add_parser(
        "local", help="the local cloud as a server", description=__doc__, formatter_class=formatter
    )
    local_sub = local.add_subparsers(dest="local_command", required=True)

    up = local_sub.add_parser(
        "up",
        help="serve the local cloud on loopback for the aws CLI and SDKs",
        description="Deploy the template on the local cloud and serve it over HTTP. With "
        "--config-env, the DR environment of samconfig.toml (--dr-config-env) is served too, "
        "in its region, on the same endpoint.",
        formatter_class=formatter,
    )
    up.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    up.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    up.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="real seconds per second on the local cloud's clock: below 1 time runs faster "
        "(Wait states, retries, schedules, snapshot and Batch timings); 0 skips waits and "
        "moves time only through them",
    )
    up.add_argument(
        "--seconds", type=float, default=0, help="stop after this many real seconds (0: never)"
    )
    add_stack_options(up)
    up.add_argument(
        "--dr-config-env",
        default="dr",
        help="samconfig.toml environment of the DR stack, served beside --config-env ('' for none)",
    )
    up.add_argument(
        "--dr-parameter-overrides",
        nargs="*",
        metavar="KEY=VALUE",
        default=[],
        help="parameter overrides of the DR stack (--parameter-overrides are the primary's)",
    )
    up.set_defaults(func=_up)

    def client_parser(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = local_sub.add_parser(
            name, help=help, description=help, formatter_class=formatter
        )
        parser.add_argument(
            "--endpoint-url",
            default=os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT,
            help="the running `steward local up` ($AWS_ENDPOINT_URL when set)",
        )
        return parser

    fire = client_parser(
        "fire", "deliver what a rule's, state machine's or function's schedule fires next"
    )
    fire.add_argument("logical_id", help="the rule, or what its schedule targets, or a rotation")
    fire.add_argument(
        "--region", default=None, help="the stack's region (None: the stack that defines the id)"
    )
    fire.set_defaults(func=_fire)

    put = client_parser(
        "put-events",
        "send the events of a file (a sample of events/, or PutEvents entries) to the buses",
    )
    put.add_argument("file", help="JSON file: an EventBridge event, a list, or entries; - stdin")
    put.set_defaults(func=_put_events)

    status = client_parser("status", "the stacks, running executions and clock of the server")
    status.set_defaults(func=_status)

    down = client_parser("down", "stop the server")
    down.set_defaults(func=_down)
