"""The alert formatter's messages, from the sample events, with no network."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from alerts import format as alert_format
from tests.support.events import load_event

FAILED = load_event("alerts/bucket_sync_failed.json")
ROTATION = load_event("alerts/rotation_failed.json")
MACHINE = FAILED["detail"]["stateMachineArn"]
SECRET = ROTATION["detail"]["additionalEventData"]["SecretId"]
SETTINGS = alert_format.Settings.from_env(
    {
        "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
        "BUCKET_SYNC_MACHINE_ARNS": f"{MACHINE},{MACHINE}-pages",
        "BATCH_JOBS_MACHINE_ARNS": "",
        "BEARER_TOKEN_SECRET_ARNS": SECRET,
    }
)


class History:
    """A Step Functions client whose GetExecutionHistory answers `events`, in pages of two."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        start = int(kwargs.get("nextToken", 0))
        page: dict[str, Any] = {"events": self.events[start : start + 2]}
        if start + 2 < len(self.events):
            page["nextToken"] = str(start + 2)
        return page


def entered(id_: int, name: str, previous: int) -> dict[str, Any]:
    return {
        "id": id_,
        "previousEventId": previous,
        "type": "TaskStateEntered",
        "stateEnteredEventDetails": {"name": name},
    }


FAILING_HISTORY = [
    {"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
    entered(2, "Validate", 1),
    {
        "id": 3,
        "previousEventId": 2,
        "type": "TaskStateExited",
        "stateExitedEventDetails": {"name": "Validate"},
    },
    entered(4, "DeleteOrphans", 3),
    {"id": 5, "previousEventId": 4, "type": "TaskScheduled"},
    {"id": 6, "previousEventId": 5, "type": "TaskStarted"},
    {"id": 7, "previousEventId": 6, "type": "TaskFailed"},
    {"id": 8, "previousEventId": 7, "type": "ExecutionFailed"},
]


def test_a_failed_execution_names_the_automation_state_error_cause_input_and_link() -> None:
    alert = alert_format.alert_for(FAILED, SETTINGS, History(FAILING_HISTORY))
    assert alert is not None
    body = alert.body
    assert body["automation"] == "bucket_sync"
    assert (body["status"], body["error"], body["failed_state"]) == (
        "FAILED",
        "DeletionRefused",
        "DeleteOrphans",
    )
    assert body["execution"] == "nightly-site"
    assert body["input"] == {"source": "staging-site", "destination": "production-site"}
    assert "source is empty" in body["cause"]
    assert body["link"] == (
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1"
        "#/v2/executions/details/" + FAILED["detail"]["executionArn"]
    )
    assert alert.subject == (
        "Steward bucket_sync: steward-BucketSyncStateMachine FAILED at DeleteOrphans: nightly-site"
    )


def test_the_link_is_in_the_executions_own_region() -> None:
    arn = "arn:aws:states:eu-west-3:123456789012:execution:m:run"
    assert alert_format.console_link(arn).startswith(
        "https://eu-west-3.console.aws.amazon.com/states/home?region=eu-west-3#"
    )


def test_an_aborted_execution_names_the_state_it_was_in() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"] |= {"status": "ABORTED", "error": None, "cause": None}
    history = [*FAILING_HISTORY[:6], {"id": 7, "previousEventId": 6, "type": "ExecutionAborted"}]
    alert = alert_format.alert_for(event, SETTINGS, History(history))
    assert alert is not None
    assert (alert.body["error"], alert.body["failed_state"]) == ("States.Aborted", "DeleteOrphans")


def test_a_timed_out_execution_is_one_alert_naming_the_state_that_ran_out_of_time() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"] |= {"status": "TIMED_OUT", "error": None, "cause": None}
    history = [*FAILING_HISTORY[:6], {"id": 7, "previousEventId": 6, "type": "ExecutionTimedOut"}]
    alert = alert_format.alert_for(event, SETTINGS, History(history))
    assert alert is not None
    assert (alert.body["status"], alert.body["error"]) == ("TIMED_OUT", "States.Timeout")
    assert alert.body["failed_state"] == "DeleteOrphans"
    assert "TIMED_OUT at DeleteOrphans" in alert.subject


def test_without_the_history_the_message_still_goes_out() -> None:
    class Refused:
        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            raise RuntimeError("AccessDenied")

    alert = alert_format.alert_for(FAILED, SETTINGS, Refused())
    assert alert is not None and alert.body["failed_state"] == "unknown"


def test_a_nested_execution_is_left_to_the_execution_that_started_it() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"]["input"] = json.dumps(
        {"phase": "copy", alert_format.STARTED_BY: FAILED["detail"]["executionArn"]}
    )
    assert alert_format.alert_for(event, SETTINGS, History([])) is None


@pytest.mark.parametrize("status", ["RUNNING", "SUCCEEDED"])
def test_an_execution_that_did_not_fail_is_not_reported(status: str) -> None:
    event = copy.deepcopy(FAILED)
    event["detail"]["status"] = status
    assert alert_format.alert_for(event, SETTINGS, History([])) is None


def test_keys_that_name_a_secret_are_redacted_at_any_depth() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"]["input"] = json.dumps(
        {"source": "a", "auth": {"api_key": "k-123", "Password": "p-456"}, "token": "t-789"}
    )
    alert = alert_format.alert_for(event, SETTINGS, History([]))
    assert alert is not None
    text = json.dumps(alert.body)
    assert all(value not in text for value in ("k-123", "p-456", "t-789"))
    assert alert.body["input"]["source"] == "a"


def test_an_input_not_included_in_the_event_is_said_so() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"] |= {"input": None, "inputDetails": {"included": False}}
    alert = alert_format.alert_for(event, SETTINGS, History([]))
    assert alert is not None and alert.body["input"] == "(not included in the event)"


def test_a_long_input_is_cut() -> None:
    event = copy.deepcopy(FAILED)
    event["detail"]["input"] = json.dumps({"prefix": "x" * 5000})
    alert = alert_format.alert_for(event, SETTINGS, History([]))
    assert alert is not None and len(alert.body["input"]) == alert_format.INPUT_LIMIT


def test_a_failed_rotation_names_the_secret_only() -> None:
    alert = alert_format.alert_for(ROTATION, SETTINGS, History([]))
    assert alert is not None
    assert (alert.body["automation"], alert.body["secret"]) == ("bearer_token", SECRET)
    assert alert.body["link"].startswith("https://us-east-1.console.aws.amazon.com/secretsmanager/")
    assert alert.subject.startswith("Steward bearer_token: rotation of steward-BearerTokenSecret-")


def test_a_machine_no_automation_lists_is_still_reported() -> None:
    settings = alert_format.Settings.from_env({"ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:1:a"})
    alert = alert_format.alert_for(FAILED, settings, History([]))
    assert alert is not None and alert.body["automation"] == "steward"


def test_another_event_is_refused_by_name() -> None:
    with pytest.raises(alert_format.UnknownAlertEventError):
        alert_format.alert_for({"detail-type": "EC2 Instance State-change"}, SETTINGS, None)
