"""The pieces of `steward local up`: errors in AWS's protocols, the control endpoint, the clock
that runs by itself, the sample-to-PutEvents conversion, `--help` and one-line errors, and what
the automations still need. The real server and the aws CLI: tests/e2e/test_local_up_session.py.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from localcloud.control import put_events_entries
from localcloud.core.clock import ClockDriver, ScaledClock
from localcloud.errors import MalformedEventError
from localcloud.server import control_endpoint, protocol_errors
from localcloud.testing import only
from steward_cli.main import build_parser
from steward_cli.needs import needs
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES
from tests.support.paths import ROOT, TEMPLATE

SIGNED = "AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/steward/aws4_request, ..."


def call(app: Any, path: str = "/", **environ: Any) -> tuple[str, dict[str, str], bytes]:
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"], answered["headers"] = status, dict(headers)

    body = b"".join(
        app(
            {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b""), **environ},
            start_response,
        )
    )
    return answered["status"], answered["headers"], body


def crashing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise RuntimeError("a bug in a hook")


def test_a_crash_is_aws_internal_failure_in_the_services_protocol_not_an_html_page() -> None:
    """Common Error Types: "InternalFailure: The request can't be processed right now because
    of an internal server issue. [...] HTTP Status Code: 500"
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonErrors.html)."""
    app = protocol_errors(crashing)
    status, headers, body = call(app, CONTENT_TYPE="application/x-amz-json-1.0")
    assert status == "500 Internal Server Error"
    assert headers["x-amzn-ErrorType"] == "InternalFailure"
    assert json.loads(body)["__type"] == "InternalFailure"
    assert "a bug in a hook" in json.loads(body)["message"]
    # Lambda's REST-JSON paths answer in JSON too; a query-protocol service (EC2) in XML.
    _, _, body = call(app, "/2015-03-31/functions/f/invocations")
    assert json.loads(body)["__type"] == "InternalFailure"
    _, headers, body = call(app, CONTENT_TYPE="application/x-www-form-urlencoded")
    assert headers["Content-Type"] == "text/xml"
    assert b"<Code>InternalFailure</Code>" in body and b"<html" not in body.lower()


def test_the_control_endpoint_answers_only_the_administrator() -> None:
    asked: list[tuple[str, str, bytes]] = []

    def handler(method: str, operation: str, body: bytes) -> tuple[int, Any]:
        asked.append((method, operation, body))
        return 200, {"ok": True}

    app = control_endpoint(crashing, handler)
    status, _, body = call(app, "/_steward/status")
    assert status == "403 Forbidden" and b"AWS_ACCESS_KEY_ID=testing" in body
    status, _, body = call(app, "/_steward/status", HTTP_AUTHORIZATION=SIGNED)
    assert status == "200 OK" and json.loads(body) == {"ok": True}
    assert asked == [("GET", "status", b"")]
    with pytest.raises(RuntimeError):  # anything else goes on to moto's application
        call(app, "/", HTTP_AUTHORIZATION=SIGNED)


def test_the_clock_driver_runs_a_minute_in_60_times_the_scale() -> None:
    clock = ScaledClock(0.01)
    driver = ClockDriver(clock)
    started = clock.now()
    driver.start()
    time.sleep(0.8)  # 0.6 s is a minute at scale 0.01
    driver.stop()
    assert clock.now() - started >= 60
    # At scale 1 time is real; at 0 only waits move it: nothing to drive.
    assert not ClockDriver(ScaledClock(1.0)).drives
    assert not ClockDriver(ScaledClock(0.0)).drives


def test_a_timer_a_minute_away_fires_within_a_second_at_scale_0_01() -> None:
    """Timers never move the clock; the driver does, so a schedule's minute comes."""
    with LocalCloud(template=TEMPLATES / "basic.yaml", time_scale=0.01) as cloud:
        fired = threading.Event()
        cloud.core.timers.after(60, fired.set)
        driver = ClockDriver(cloud.clock)
        driver.start()
        try:
            assert fired.wait(timeout=5)
        finally:
            driver.stop()


def test_samples_become_events_and_entries_pass_through() -> None:
    envelope = json.loads(
        (ROOT / "events/ebs_snapshots/create_snapshot_succeeded.json").read_text(encoding="utf-8")
    )
    assert put_events_entries(envelope) == [envelope]
    assert put_events_entries([envelope, envelope]) == [envelope, envelope]
    entry = {"Source": "shop.web", "DetailType": "Order Placed", "Detail": "{}"}
    assert put_events_entries({"Entries": [entry]}) == [entry]
    for bad in ([], [1], {"detail": {}}):
        with pytest.raises(MalformedEventError):
            put_events_entries(bad)


def test_malformed_input_gets_the_error_code_aws_gives() -> None:
    """StartExecution, Errors: "InvalidExecutionInput: The provided JSON input data is not
    valid. HTTP Status Code: 400"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    Invoke, Errors: "InvalidRequestContentException: The request body could not be parsed as
    JSON, or a request header is invalid. [...] HTTP Status Code: 400"
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""
    with LocalCloud(template=TEMPLATES / "basic.yaml") as cloud:
        sfn = cloud.client("stepfunctions")
        with pytest.raises(ClientError) as refused:
            sfn.start_execution(
                stateMachineArn=cloud.physical_id("RetryCatchStateMachine"), input="{not json"
            )
        assert refused.value.response["Error"]["Code"] == "InvalidExecutionInput"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as refused:
            cloud.client("lambda").invoke(
                FunctionName=cloud.physical_id("RecorderA"), Payload=b"{not json"
            )
        assert refused.value.response["Error"]["Code"] == "InvalidRequestContentException"
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _subparsers(child)
    return found


def test_help_documents_every_option_with_its_default() -> None:
    for parser in _subparsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            where = f"{parser.prog} {'/'.join(action.option_strings) or action.dest}"
            assert action.help, f"{where} has no help"
            if action.option_strings and action.default not in (None, False):
                # ArgumentDefaultsHelpFormatter appends "(default: ...)" to such help
                assert parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter, where
    up_help = next(p for p in _subparsers(build_parser()) if p.prog.endswith("local up"))
    text = " ".join(up_help.format_help().split())
    for shown in ("(default: 4566)", "(default: 1.0)", "(default: dr)", "(default: enforce)"):
        assert shown in text


def steward(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "steward_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["local", "up", "-t", str(TEMPLATES / "basic.yaml"), "--parameter-overrides", "No=1"],
            "steward: parameters ['No'] are not declared in the template",
        ),
        (["local", "up", "-t", "no-such.yaml"], "steward: template not found: no-such.yaml"),
        (
            ["local", "up", "--parameter-overrides", "Greeting"],
            "steward: --parameter-overrides takes Key=Value, not 'Greeting'",
        ),
        (
            ["local", "up", "-t", str(TEMPLATES / "basic.yaml"), "--config-env", "nope"],
            "steward: samconfig.toml has no environment 'nope'; it has ['default', 'dr']",
        ),
        (
            ["local", "status", "--endpoint-url", "http://127.0.0.1:9"],
            "steward: no local cloud answers on http://127.0.0.1:9",
        ),
    ],
)
def test_a_bad_parameter_exits_2_with_one_line_and_no_traceback(args: list[str], said: str) -> None:
    done = steward(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(said), done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_bad_option_exits_2_at_once() -> None:
    done = steward("local", "up", "--port", "many")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "steward local up: error: argument --port: invalid int value: 'many'"
    )


def test_what_the_defaults_still_need_is_said_from_what_was_deployed() -> None:
    parameters = only(
        TEMPLATE,
        "EnableBucketSync",
        "EnableCostControls",
        "EnableBearerTokenRotation",
        "EnableSnapshotManagement",
        SnapshotDrRegion="us-west-2",
    )
    with LocalCloud(template=TEMPLATE, parameters=parameters) as cloud:
        said = needs(cloud)
        secret = cloud.physical_id("BearerApiKeySecret")
    assert said == [
        "[steward] bucket sync: no source buckets configured (BucketSyncSourceBuckets); "
        "every sync will be refused",
        "[steward] bucket sync: no destination buckets configured "
        "(BucketSyncDestinationBuckets); every sync will be refused",
        "[steward] cost controls: no groups, roles or users to swap (CostControlGroups, "
        "CostControlRoles, CostControlUsers); every policy swap will fail",
        "[steward] snapshot management: copies go to us-west-2, where no stack runs (serve "
        "the DR stack with --config-env default)",
        f"[steward] bearer-token rotation: the API-key secret {secret} has no consumer_key or "
        "consumer_secret; every rotation will fail until your X app's keys are in it",
    ]
    configured = {
        **parameters,
        "BucketSyncSourceBuckets": "a",
        "BucketSyncDestinationBuckets": "*",
        "CostControlUsers": "dev",
        "EnableBearerTokenRotation": "false",
    }
    with LocalCloud(template=TEMPLATE, parameters=configured) as cloud:
        cloud.deploy(template=TEMPLATE, config_env="dr")  # the copies' stack
        assert needs(cloud) == []
