"""The README's aws CLI session against `steward local up`, command for command (README, "The
local cloud", "A session with the aws CLI"), plus what `local up` promises beside it: a
schedule that runs by itself on a scaled clock, StartSyncExecution over HTTP, AWS's error codes
for malformed requests, and a second server on the same port failing at once.

One server for all of it (a start deploys both stacks of samconfig.toml: 10-20 s here).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.local_up import LocalUp, local_up, wait_for
from tests.support.paths import ROOT

PRIMARY, DR = "us-east-1", "us-west-2"
SOURCE, DESTINATION = "photos-src", "photos-dst"
SYNC_INPUT = json.dumps({"source": SOURCE, "destination": DESTINATION})
FULL = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
# The README's start command, word for word (with the test's port and a bounded lifetime).
README_START = [
    "--config-env",
    "default",
    "--time-scale",
    "0.1",
    "--parameter-overrides",
    "CostControlGroups=beta-developers",
    f"BucketSyncSourceBuckets={SOURCE}",
    f"BucketSyncDestinationBuckets={DESTINATION}",
    "BucketSyncSchedule=rate(1 minute)",
    f"BucketSyncScheduleInput={SYNC_INPUT}",
]


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalUp]:
    with local_up(tmp_path_factory.mktemp("home"), extra=README_START, seconds=600) as server:
        yield server


def output(up: LocalUp, stack: str, key: str, region: str = PRIMARY) -> str:
    """A stack output, read as the README reads it."""
    (value,) = up.aws(
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        stack,
        "--query",
        f"Stacks[0].Outputs[?OutputKey=='{key}'].OutputValue",
        region=region,
    )
    return str(value)


def test_start_up_prints_the_environment_the_outputs_and_what_is_still_needed(up: LocalUp) -> None:
    printed = "".join(up.output)
    assert (
        f"export AWS_ENDPOINT_URL={up.endpoint} AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={PRIMARY} "
        "AWS_DISABLE_HOST_PREFIX_INJECTION=true"
    ) in printed
    assert "Stacks: steward (us-east-1), steward-dr (us-west-2)" in printed
    assert "a minute passes in 6 s" in printed
    topic = output(up, "steward", "BudgetAlertTopicArn")
    assert "BudgetAlertTopicArn" in printed and topic in printed
    # Sources, destinations and groups are configured; the defaults' needs are not printed.
    assert "Still needed: nothing" in printed
    # The readiness line comes last of what start-up prints.
    (ready,) = [line for line in up.output if line.startswith("Steward local cloud on")]
    assert (
        ready.strip()
        == f"Steward local cloud on {up.endpoint}: ready (Ctrl-C or `steward local down` stops it)"
    )


def test_the_stacks_outputs_are_in_cloudformation_in_both_regions(up: LocalUp) -> None:
    outputs = up.aws(
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        "steward",
        "--query",
        "Stacks[0].Outputs",
    )
    keys = {o["OutputKey"] for o in outputs}
    assert {"AlertTopicArn", "BudgetAlertTopicArn", "CostControlStateMachineArn"} <= keys
    dr = output(up, "steward-dr", "AlertTopicArn", region=DR)
    assert dr.startswith(f"arn:aws:sns:{DR}:") and dr.endswith(":steward-dr-AlertTopic")


def test_a_snapshot_is_tagged_and_copied_to_the_dr_region(up: LocalUp) -> None:
    volume = up.aws(
        "ec2",
        "create-volume",
        "--size",
        "8",
        "--availability-zone",
        "us-east-1a",
        "--query",
        "VolumeId",
    )
    snapshot = up.aws("ec2", "create-snapshot", "--volume-id", volume, "--query", "SnapshotId")

    def tags() -> dict[str, str]:
        listed = up.aws(
            "ec2", "describe-snapshots", "--snapshot-ids", snapshot, "--query", "Snapshots[0].Tags"
        )
        return {t["Key"]: t["Value"] for t in listed or []}

    tagged = wait_for("Steward's tags on the snapshot", lambda: tags().get("steward:managed-by"))
    assert tagged
    assert tags()["steward:source-volume"] == volume

    def copies() -> list[dict[str, Any]]:
        return list(
            up.aws(
                "ec2",
                "describe-snapshots",
                "--filters",
                f"Name=tag:steward:source-snapshot,Values={snapshot}",
                region=DR,
            )["Snapshots"]
        )

    # A copy takes 180 s on the clock: 18 s at time scale 0.1.
    (copy,) = wait_for("the copy in the DR region", copies, timeout=120)
    assert copy["SnapshotId"] != snapshot


def test_two_buckets_sync_by_hand_and_every_minute_by_the_schedule(
    up: LocalUp, tmp_path: Path
) -> None:
    up.aws("s3", "mb", f"s3://{SOURCE}", parse=False)
    up.aws("s3", "mb", f"s3://{DESTINATION}", parse=False)
    up.aws("s3", "cp", "README.md", f"s3://{SOURCE}/docs/README.md", parse=False)
    (machine,) = up.aws(
        "stepfunctions",
        "list-state-machines",
        "--query",
        "stateMachines[?ends_with(name,'-BucketSyncStateMachine')].stateMachineArn",
    )
    started = up.aws(
        "stepfunctions", "start-execution", "--state-machine-arn", machine, "--input", SYNC_INPUT
    )

    def synced() -> list[str]:
        keys = up.aws(
            "s3api", "list-objects-v2", "--bucket", DESTINATION, "--query", "Contents[].Key"
        )
        return list(keys or [])

    wait_for("the synced object", lambda: "docs/README.md" in synced())
    done = wait_for(
        "the sync's end",
        lambda: (
            (
                d := up.aws(
                    "stepfunctions",
                    "describe-execution",
                    "--execution-arn",
                    started["executionArn"],
                )
            )["status"]
            != "RUNNING"
            and d
        ),
    )
    assert done["status"] == "SUCCEEDED", done

    # The every-minute schedule (BucketSyncSchedule=rate(1 minute)) syncs by itself: a new
    # object reaches the destination with no execution started by hand, within a few
    # minutes of the clock (6 s each at time scale 0.1).
    late = tmp_path / "late.txt"
    late.write_text("uploaded after the sync\n", encoding="utf-8")
    up.aws("s3", "cp", str(late), f"s3://{SOURCE}/docs/late.txt", parse=False)
    wait_for("the scheduled sync", lambda: "docs/late.txt" in synced(), timeout=90)
    by_schedule = [
        e for e in up.executions(machine) if e["executionArn"] != started["executionArn"]
    ]
    assert by_schedule, "no execution started by the schedule"
    assert all(e["input"]["source"] == SOURCE for e in by_schedule)


def test_a_budget_alert_restricts_the_group_then_a_fired_schedule_restores_it(up: LocalUp) -> None:
    up.aws("iam", "create-group", "--group-name", "beta-developers")
    up.aws("iam", "attach-group-policy", "--group-name", "beta-developers", "--policy-arn", FULL)
    topic = output(up, "steward", "BudgetAlertTopicArn")
    up.aws(
        "sns",
        "publish",
        "--topic-arn",
        topic,
        "--subject",
        "AWS Budgets: steward-cost-control has exceeded your alert threshold",
        "--message",
        "file://events/cost_controls/budget_message_actual.txt",
    )

    def attached() -> list[str]:
        listed = up.aws("iam", "list-attached-group-policies", "--group-name", "beta-developers")
        return [p["PolicyArn"] for p in listed["AttachedPolicies"]]

    wait_for("the restricted policy", lambda: attached() == [READ_ONLY])

    # An execution's history and a function's logs, as the README reads them.
    machine = output(up, "steward", "CostControlStateMachineArn")
    execution = up.aws(
        "stepfunctions",
        "list-executions",
        "--state-machine-arn",
        machine,
        "--query",
        "executions[0].executionArn",
    )
    wait_for(
        "the restriction's end",
        lambda: (
            up.aws("stepfunctions", "describe-execution", "--execution-arn", execution)["status"]
            == "SUCCEEDED"
        ),
    )
    history = up.aws(
        "stepfunctions",
        "get-execution-history",
        "--execution-arn",
        execution,
        "--query",
        "events[].type",
    )
    assert history[0] == "ExecutionStarted" and history[-1] == "ExecutionSucceeded"
    logs = up.aws(
        "logs",
        "filter-log-events",
        "--log-group-name",
        "/aws/lambda/steward/BudgetRouterFunction",
        "--query",
        "events[].message",
    )
    assert any(line.startswith("START RequestId:") for line in logs)

    # Fire the restore schedule now (a new budget period): the full policy comes back.
    fired = json.loads(up.steward("local", "fire", "CostControlStateMachine").stdout)
    (restore,) = fired["started"]
    assert ":execution:steward-CostControlStateMachine:" in restore
    wait_for("the full policy back", lambda: attached() == [FULL])


def test_a_sample_event_is_put_on_the_bus_and_starts_what_its_rule_names(up: LocalUp) -> None:
    machine = up.state_machine("SnapshotPrimaryStateMachine")
    before = {e["executionArn"] for e in up.executions(machine)}
    sample = "events/ebs_snapshots/create_snapshot_succeeded.json"
    sent = json.loads(up.steward("local", "put-events", sample).stdout)
    assert len(sent["eventIds"]) == 1

    def started() -> list[dict[str, Any]]:
        return [e for e in up.executions(machine) if e["executionArn"] not in before]

    (execution,) = wait_for("the execution the sample started", started)
    expected = json.loads((ROOT / sample).read_text(encoding="utf-8"))
    assert execution["input"]["detail"] == expected["detail"]
    assert execution["input"]["source"] == "aws.ec2"


def test_status_lists_the_stacks_and_what_runs(up: LocalUp) -> None:
    status = json.loads(up.steward("local", "status").stdout)
    assert [(s["name"], s["region"]) for s in status["stacks"]] == [
        ("steward", PRIMARY),
        ("steward-dr", DR),
    ]
    assert status["timeScale"] == 0.1
    assert "BucketSyncStateMachinePeriodic" in status["stacks"][0]["schedules"]
    assert isinstance(status["runningExecutions"], list)


def test_an_express_machine_runs_synchronously_over_http(up: LocalUp) -> None:
    """StartSyncExecution, whose endpoint has the host prefix `sync-` (API reference,
    StartSyncExecution: "Starts a Synchronous Express state machine execution."
    https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html);
    with AWS_DISABLE_HOST_PREFIX_INJECTION=true, as `local up` says to export, the aws CLI
    sends it to the endpoint itself."""
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = up.aws(
        "iam",
        "create-role",
        "--role-name",
        "express-runner",
        "--assume-role-policy-document",
        trust,
        "--query",
        "Role.Arn",
    )
    definition = json.dumps(
        {
            "StartAt": "Greet",
            "States": {
                "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "$.name"}, "End": True}
            },
        }
    )
    machine = up.aws(
        "stepfunctions",
        "create-state-machine",
        "--name",
        "greeter",
        "--type",
        "EXPRESS",
        "--role-arn",
        role,
        "--definition",
        definition,
        "--query",
        "stateMachineArn",
    )
    result = up.aws(
        "stepfunctions",
        "start-sync-execution",
        "--state-machine-arn",
        machine,
        "--input",
        json.dumps({"name": "local"}),
    )
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "local"}


def test_malformed_requests_get_the_error_codes_aws_gives(up: LocalUp) -> None:
    """StartExecution, Errors: "InvalidExecutionInput: The provided JSON input data is not
    valid. HTTP Status Code: 400"
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
    Invoke, Errors: "InvalidRequestContentException: The request body could not be parsed as
    JSON, or a request header is invalid. [...] HTTP Status Code: 400"
    (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""
    machine = output(up, "steward", "CostControlStateMachineArn")
    said = up.aws_error(
        "stepfunctions", "start-execution", "--state-machine-arn", machine, "--input", "{not json"
    )
    assert "An error occurred (InvalidExecutionInput) when calling the StartExecution" in said
    said = up.aws_error(
        "lambda",
        "invoke",
        "--function-name",
        "steward-BudgetRouterFunction",
        "--payload",
        "{not json",
        str(up.home / "out.json"),
    )
    assert "An error occurred (InvalidRequestContentException) when calling the Invoke" in said
    assert "<html" not in said.lower()


def test_a_second_server_on_the_same_port_fails_at_once(up: LocalUp) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "steward_cli.main", "local", "up", "--port", str(up.port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert time.monotonic() - started < 10
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == f"steward: cannot listen on 127.0.0.1:{up.port}: Address already in use"
    )
    assert "Traceback" not in done.stderr + done.stdout


def readme_session() -> list[tuple[str, ...]]:
    """The commands of the README's session: ("aws", service, operation) and ("steward",
    "local", command), continuation lines joined."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("A session, end to end", 1)[1].split("```bash\n", 1)[1].split("```")[0]
    commands: list[tuple[str, ...]] = []
    for line in block.replace("\\\n", " ").splitlines():
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
        words = code.replace("$(", " ").replace("&&", " ").split()
        for at, word in enumerate(words):
            if word == "aws" and at + 2 < len(words):
                commands.append(("aws", words[at + 1], words[at + 2]))
            if word.endswith("bin/steward") and at + 2 < len(words):
                commands.append(("steward", words[at + 1], words[at + 2]))
    return commands


def test_down_stops_the_server(up: LocalUp) -> None:
    """Last: the module's server stops, as the README's session ends; by then every command
    the README's session shows has run."""
    assert "is stopping" in up.steward("local", "down").stdout
    shown = readme_session()
    assert ("aws", "ec2", "create-snapshot") in shown and ("steward", "local", "down") in shown
    assert ("steward", "local", "up") in shown  # the fixture's start, with README_START:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ").split())
    started = " ".join(
        f"'{a}'" if " " in a else a for a in ["steward", "local", "up", *README_START]
    )
    assert started in readme
    not_run = [c for c in shown if c not in up.ran and c != ("steward", "local", "up")]
    assert not not_run, f"the README shows commands this test never ran: {not_run}"
    assert up.process is not None
    assert up.process.wait(timeout=60) == 0
    gone = up.steward("local", "status", check=False)
    assert gone.returncode == 2
    assert gone.stderr.startswith(f"steward: no local cloud answers on {up.endpoint}")
