"""EventBridge rules, schedules, SNS fan-out and rotation reach their targets as on AWS."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud import LocalCloud, MalformedEventError
from tests.support.taps import drain

ORDER = {"id": "o-1", "status": "paid", "total": 150}


def _order(detail: dict[str, Any], source: str = "shop.web") -> dict[str, Any]:
    return {"Source": source, "DetailType": "Order Placed", "Detail": detail}


def test_matching_event_reaches_the_function_through_its_input_transformer(
    cloud: LocalCloud,
) -> None:
    cloud.put_events([_order(ORDER)])
    cloud.wait_idle(timeout=30)
    [record] = drain(cloud)
    assert record["tag"] == "A"
    assert record["event"] == {"order": "o-1", "total": 150, "kind": "big-order"}


@pytest.mark.parametrize(
    ("source", "change", "why"),
    [
        ("web.shop", {}, "source lacks the prefix shop."),
        ("shop.web", {"status": "test"}, "anything-but excludes test"),
        ("shop.web", {"total": 100}, "numeric > 100 fails at 100"),
        ("shop.web", {"total": "150"}, "numeric never matches a string"),
        ("shop.web", {"coupon": "X1"}, "exists:false fails when the field is present"),
    ],
)
def test_events_the_pattern_rejects_are_not_delivered(
    cloud: LocalCloud, source: str, change: dict[str, Any], why: str
) -> None:
    cloud.put_events([_order({**ORDER, **change}, source=source)])
    cloud.wait_idle(timeout=30)
    assert drain(cloud) == [], why


def test_input_path_hands_part_of_the_event_to_a_state_machine(cloud: LocalCloud) -> None:
    detail = {"items": [], "note": "from audit"}
    cloud.put_events([{"Source": "audit.tool", "DetailType": "Audit", "Detail": detail}])
    cloud.wait_idle(timeout=30)
    [execution] = cloud.executions("FanStateMachine")
    assert execution["input"] == detail
    assert execution["status"] == "SUCCEEDED"


def test_fire_schedule_delivers_the_rules_input_to_the_function(cloud: LocalCloud) -> None:
    started = cloud.fire_schedule("RecorderA")
    assert started == [cloud.attribute("RecorderA", "Arn")]
    cloud.fire_schedule("RecorderAHourly")  # the rule SAM generates, by its logical id
    cloud.wait_idle(timeout=30)
    records = drain(cloud)
    assert [r["event"] for r in records] == [{"from": "schedule"}] * 2


def test_fire_schedule_of_something_without_a_schedule_is_a_clear_error(cloud: LocalCloud) -> None:
    with pytest.raises(LookupError, match=r"RecorderB .* has no schedule"):
        cloud.fire_schedule("RecorderB")


def test_sns_fans_out_to_both_subscribed_functions_with_a_real_sns_event(cloud: LocalCloud) -> None:
    topic = cloud.physical_id("FanoutTopic")
    cloud.client("sns").publish(TopicArn=topic, Message="hello both", Subject="greeting")
    cloud.wait_idle(timeout=30)
    records = drain(cloud)
    assert sorted(r["tag"] for r in records) == ["A", "B"]
    for record in records:
        [sns_record] = record["event"]["Records"]
        assert sns_record["EventSource"] == "aws:sns"
        assert sns_record["Sns"]["TopicArn"] == topic
        assert sns_record["Sns"]["Message"] == "hello both"
        assert sns_record["Sns"]["Subject"] == "greeting"
        assert sns_record["EventSubscriptionArn"].startswith(topic + ":")


def test_a_failing_async_invocation_is_retried_twice_then_recorded(cloud: LocalCloud) -> None:
    cloud.put_events([{"Source": "flaky.test", "DetailType": "x", "Detail": {}}])
    cloud.wait_idle(timeout=30)
    [failure] = cloud.async_failures
    assert failure.error_type == "TransientError"
    group = f"/aws/lambda/{cloud.physical_id('FlakyFunction')}"
    events = cloud.client("logs").filter_log_events(logGroupName=group)["events"]
    assert sum(e["message"].startswith("START RequestId") for e in events) == 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"Source": "a", "Detail": "{}"}, "has no DetailType"),
        ({"Source": "a", "DetailType": "b", "Detail": "{not json"}, "Detail is not JSON"),
        ({"Source": "a", "DetailType": "b", "Detail": "[1]"}, "must be a JSON object"),
        ("not an entry", "is not an object"),
    ],
)
def test_a_malformed_event_is_a_clear_error(cloud: LocalCloud, entry: Any, message: str) -> None:
    with pytest.raises(MalformedEventError, match=message):
        cloud.put_events([entry])


def test_rotate_secret_drives_the_four_steps_in_order(cloud: LocalCloud) -> None:
    # The RotationSchedule (RotateImmediatelyOnUpdate false) tested the configuration at deploy.
    assert [s["Step"] for s in drain(cloud, "RotationRecordQueue")] == ["testSecret"]
    sm = cloud.client("secretsmanager")
    secret = cloud.physical_id("RotatedSecret")
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=cloud.attribute("RotatorFunction", "Arn"))
    cloud.wait_idle(timeout=30)
    steps = drain(cloud, "RotationRecordQueue")
    assert [s["Step"] for s in steps] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert len({s["ClientRequestToken"] for s in steps}) == 1
    assert sm.get_secret_value(SecretId=secret)["SecretString"].startswith("rotated-")
    # and on its schedule, again with a new version
    cloud.fire_schedule("RotatedSecretSchedule")
    cloud.wait_idle(timeout=30)
    again = drain(cloud, "RotationRecordQueue")
    assert [s["Step"] for s in again][-1] == "finishSecret"
    assert again[0]["ClientRequestToken"] != steps[0]["ClientRequestToken"]


def test_a_failed_rotation_step_stops_rotation_and_keeps_awscurrent(cloud_factory) -> None:  # type: ignore[no-untyped-def]
    cloud = cloud_factory(parameters={"FailRotationTest": "true"})
    assert [s["Step"] for s in drain(cloud, "RotationRecordQueue")] == [
        "testSecret"
    ]  # deploy: the current value works
    sm = cloud.client("secretsmanager")
    secret = cloud.physical_id("RotatedSecret")
    sm.rotate_secret(SecretId=secret, RotationLambdaARN=cloud.attribute("RotatorFunction", "Arn"))
    cloud.wait_idle(timeout=30)
    assert [s["Step"] for s in drain(cloud, "RotationRecordQueue")] == [
        "createSecret",
        "setSecret",
        "testSecret",
    ]
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == "original"
    [failure] = cloud.async_failures
    assert failure.error_type == "RuntimeError"
