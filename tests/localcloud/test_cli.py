"""The steward command: invoke, demo and `local up` as a real loopback server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from steward_cli.main import main
from tests.support.local_up import local_up
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES


def test_invoke_prints_the_functions_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"hello": "world"}))
    code = main(
        [
            "invoke",
            "RecorderA",
            "-e",
            str(event),
            "-t",
            str(TEMPLATES / "basic.yaml"),
            "--parameter-overrides",
            "Greeting=hi",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["event"] == {"hello": "world"}
    assert printed["greeting"] == "hi"


def test_invoke_of_a_failing_function_prints_the_error_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["invoke", "FlakyFunction", "-t", str(TEMPLATES / "basic.yaml")])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["errorType"] == "TransientError"


def test_demo_lists_scenarios_and_refuses_unknown_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--list"]) == 0
    assert "cost_controls" in capsys.readouterr().out
    assert main(["demo", "no-such-automation"]) == 2


def test_local_up_serves_the_cloud_with_eventbridge_routing_on_loopback(tmp_path: Path) -> None:
    with local_up(tmp_path, template=TEMPLATES / "basic.yaml", seconds=120) as up:
        kwargs = {
            "endpoint_url": up.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        events = boto3.client("events", **kwargs)
        sqs = boto3.client("sqs", **kwargs)
        events.put_events(
            Entries=[
                {
                    "Source": "shop.web",
                    "DetailType": "Order Placed",
                    "Detail": json.dumps({"id": "o-9", "status": "paid", "total": 500}),
                }
            ]
        )
        url = sqs.get_queue_url(QueueName="steward-RecordQueue")["QueueUrl"]
        deadline = time.monotonic() + 30
        messages: list[dict[str, str]] = []
        while not messages and time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        assert messages, "the rule's target never ran"
        assert json.loads(messages[0]["Body"])["event"] == {
            "order": "o-9",
            "total": 500,
            "kind": "big-order",
        }

        # A request signed as an IAM user is refused, not answered with every permission:
        # the server evaluates only its administrator's requests (see localcloud.server).
        iam = boto3.client("iam", **kwargs)
        iam.create_user(UserName="dev")
        key = iam.create_access_key(UserName="dev")["AccessKey"]
        as_user = {
            **kwargs,
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
        }
        for client, call in (
            (boto3.client("sqs", **as_user), lambda c: c.list_queues()),
            (boto3.client("sns", **as_user), lambda c: c.list_topics()),
        ):
            with pytest.raises(ClientError) as refused:
                call(client)
            assert refused.value.response["Error"]["Code"] == "IamNotEvaluatedOverHttp"
            assert "AWS_ACCESS_KEY_ID=testing" in refused.value.response["Error"]["Message"]
