"""Steward's one alert path: a failed execution or rotation as one readable AlertTopic message.

Two kinds of AWS event arrive (template.yaml's AlertFormatter rules):

- "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED) of the machines that
  have no alert path of their own. The EBS machines (SnapshotNotifyFunction) and the cost-control
  machine (its NotifyFailure state) publish their own, richer message before they fail, so the
  rule does not list them: each failure is reported once, by one path.
- Secrets Manager's RotationFailed ("AWS Service Event via CloudTrail") for Steward's secrets.

A nested execution (a machine started by another with `$$.Execution.Id` as its
AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID, as every Steward parent passes it) is not reported:
its parent waits on it (`startExecution.sync:2`), so the parent fails too (or handles the
failure) and the message is about the execution a user started. Continue-as-new executions are
started the same way, so a chain alerts once, for its first execution's parent.

No secret reaches the message: a rotation failure names the secret's ARN only (the event
carries no value and none is read), and an execution's input is shown with every key that
names a secret, token, password or credential replaced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from steward_common.alerts import publish_alert
from steward_common.errors import InvalidInputError
from steward_common.settings import env_list, env_str

STARTED_BY = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")
# The error an execution that ended without one stands for: the names Step Functions gives a
# timeout and a stop ("States.Timeout", the Developer Guide's "Error names").
_STATUS_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "States.Aborted"}
INPUT_LIMIT = 2000  # characters of the input shown: enough to recognise a run
HISTORY_PAGES = 25  # 25,000 events, the most a Standard execution's history holds
_SECRET_KEY = re.compile(r"secret|token|password|passwd|credential|api_?key", re.IGNORECASE)
REDACTED = "(redacted)"


class UnknownAlertEventError(InvalidInputError):
    """The event is neither a Step Functions status change nor a Secrets Manager rotation."""


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    # automation key -> the ARNs of its machines (or secrets) the rules send events of
    machines: Mapping[str, tuple[str, ...]]
    secrets: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return cls(
            topic_arn=env_str("ALERT_TOPIC_ARN", env=env),
            machines={
                "bucket_sync": env_list("BUCKET_SYNC_MACHINE_ARNS", env=env),
                "batch_jobs": env_list("BATCH_JOBS_MACHINE_ARNS", env=env),
            },
            secrets={"bearer_token": env_list("BEARER_TOKEN_SECRET_ARNS", env=env)},
        )

    def automation_of(self, arn: str, kind: str) -> str:
        owners = self.machines if kind == "machine" else self.secrets
        for key, arns in owners.items():
            if arn in arns:
                return key
        return "steward"  # not one the rules list: still reported, never dropped


@dataclass(frozen=True)
class Alert:
    subject: str
    body: dict[str, Any]


def console_link(arn: str) -> str:
    """The AWS console page of an execution or a secret, in the ARN's own region."""
    parts = arn.split(":")
    region = parts[3] if len(parts) > 3 else ""
    host = f"https://{region}.console.aws.amazon.com"
    if len(parts) > 2 and parts[2] == "secretsmanager":
        return f"{host}/secretsmanager/secret?name={quote(arn, safe='')}&region={region}"
    return f"{host}/states/home?region={region}#/v2/executions/details/{quote(arn, safe=':')}"


def redact(value: Any) -> Any:
    """The value with every key that names a secret replaced, at any depth."""
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
            if key != STARTED_BY
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def is_nested(detail: Mapping[str, Any]) -> bool:
    parsed = _parse(detail.get("input"))
    return isinstance(parsed, dict) and bool(parsed.get(STARTED_BY))


def _cause(cause: Any) -> str:
    """A Lambda failure's cause is the runtime's JSON error document: its message reads best."""
    parsed = _parse(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        kind = parsed.get("errorType")
        return f"{kind}: {parsed['errorMessage']}" if kind else str(parsed["errorMessage"])
    return "" if cause is None else str(cause)


def _history(sfn: Any, execution_arn: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    for _ in range(HISTORY_PAGES):
        page = sfn.get_execution_history(**kwargs)
        yield from page.get("events", [])
        if not page.get("nextToken"):
            return
        kwargs["nextToken"] = page["nextToken"]


def failed_state(events: list[dict[str, Any]]) -> str | None:
    """The state that failed: the one the last failure event (TaskFailed, LambdaFunctionFailed,
    …TimedOut) happened in, found by following `previousEventId` back to its StateEntered
    event; with no failure event (an aborted or timed-out execution), the last state entered
    and not exited."""
    by_id = {event.get("id"): event for event in events}
    failures = [
        event
        for event in events
        if str(event.get("type", "")).endswith(("Failed", "TimedOut"))
        and not str(event.get("type", "")).startswith("Execution")
    ]
    if failures:
        event: dict[str, Any] | None = failures[-1]
        for _ in range(len(events)):
            if event is None:
                break
            entered = event.get("stateEnteredEventDetails")
            if entered:
                return str(entered.get("name"))
            event = by_id.get(event.get("previousEventId"))
    open_states: list[str] = []
    for event in events:
        if "stateEnteredEventDetails" in event:
            open_states.append(str(event["stateEnteredEventDetails"].get("name")))
        elif "stateExitedEventDetails" in event:
            name = str(event["stateExitedEventDetails"].get("name"))
            if name in open_states:
                open_states.remove(name)
    return open_states[-1] if open_states else None


def execution_alert(detail: Mapping[str, Any], settings: Settings, sfn: Any) -> Alert:
    execution_arn = str(detail.get("executionArn", ""))
    machine_arn = str(detail.get("stateMachineArn", ""))
    status = str(detail.get("status", ""))
    automation = settings.automation_of(machine_arn, "machine")
    try:
        state = failed_state(list(_history(sfn, execution_arn)))
    except Exception:  # noqa: BLE001 - the message goes out without the state rather than not at all
        state = None
    parsed = _parse(detail.get("input"))
    if parsed is None:
        shown: Any = "(not included in the event)" if detail.get("input") is None else REDACTED
    else:
        shown = redact(parsed)
        text = json.dumps(shown, sort_keys=True)
        if len(text) > INPUT_LIMIT:
            shown = text[: INPUT_LIMIT - 3] + "..."
    machine = machine_arn.rsplit(":", 1)[-1]
    name = str(detail.get("name", ""))
    body = {
        "automation": automation,
        "kind": "failure",
        "status": status,
        "state_machine": machine_arn,
        "execution": name,
        "execution_arn": execution_arn,
        "link": console_link(execution_arn),
        "error": detail.get("error") or _STATUS_ERRORS.get(status, "unknown"),
        "cause": _cause(detail.get("cause")),
        "failed_state": state or "unknown",
        "input": shown,
    }
    where = f" at {state}" if state else ""
    subject = f"Steward {automation}: {machine} {status}{where}: {name}"
    return Alert(subject, body)


def rotation_alert(detail: Mapping[str, Any], settings: Settings) -> Alert:
    extra = detail.get("additionalEventData") or {}
    secret_arn = str(extra.get("SecretId", ""))
    automation = settings.automation_of(secret_arn, "secret")
    name = secret_arn.rsplit(":", 1)[-1]
    body = {
        "automation": automation,
        "kind": "failure",
        "status": "RotationFailed",
        "secret": secret_arn,
        "link": console_link(secret_arn),
        "time": detail.get("eventTime"),
        "error": "RotationFailed",
        "cause": (
            "Secrets Manager stopped the rotation at a step that failed: the rotation "
            "function's log has the step and its error; AWSCURRENT is unchanged unless "
            "finishSecret moved it."
        ),
    }
    return Alert(f"Steward {automation}: rotation of {name} FAILED", body)


def alert_for(event: Mapping[str, Any], settings: Settings, sfn: Any) -> Alert | None:
    """The message for an event, or None when another execution's message covers it."""
    detail = event.get("detail") or {}
    kind = event.get("detail-type")
    if kind == "Step Functions Execution Status Change":
        if detail.get("status") not in FAILED_STATUSES or is_nested(detail):
            return None
        return execution_alert(detail, settings, sfn)
    if kind == "AWS Service Event via CloudTrail" and detail.get("eventName") == "RotationFailed":
        return rotation_alert(detail, settings)
    raise UnknownAlertEventError(f"not an event the alert formatter reports: {kind!r}")


def report(event: Mapping[str, Any], settings: Settings, sfn: Any, sns: Any) -> str | None:
    """Publish the event's message; its id, or None when it is not reported."""
    alert = alert_for(event, settings, sfn)
    if alert is None:
        return None
    return publish_alert(sns, settings.topic_arn, alert.subject, alert.body)
