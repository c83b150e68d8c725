"""Execution history delivered to the machine's CloudWatch Logs group, per its LoggingConfiguration.

A machine whose `loggingConfiguration` has a level other than OFF logs the history events that
level covers (ALL: every one; ERROR: the failures; FATAL: the execution's own failure), each
as one log event: `id`, `type`, `details` (without `input`/`output` unless
`includeExecutionData`), `previous_event_id`, `event_timestamp`, `execution_arn`,
`redrive_count`, all strings but `details`. Standard and Express executions log alike; for an
Express execution the log is the only history AWS keeps.

moto's interpreter carries a logging session to its event manager but is never given one:
here each execution gets one, and the local cloud delivers its log events asynchronously
("Publishing logs doesn't block or slow down executions"), in order, with CloudWatch Logs'
PutLogEvents through its own clients, creating the log stream on first use. A log group that
does not exist receives nothing and the execution runs on, as on AWS.

CreateStateMachine and UpdateStateMachine refuse what Step Functions refuses: a log group ARN
without its `:*` qualifier, a level other than OFF without exactly one destination, and a
role that may not set up the log delivery.
"""

from __future__ import annotations

import collections
import copy
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.stepfunctions.status_events import (
    PAYLOAD_LIMIT,
    escaped_size,
    is_standard,
)

LOG = logging.getLogger("localcloud.stepfunctions")

# The policy Step Functions documents for logging to CloudWatch Logs ("IAM Policies for
# logging to CloudWatch Logs"), on "*" as it must be. Which of these AWS checks when it
# creates the machine is not documented: the local cloud asks for all of them.
DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
NOT_AUTHORIZED = "The state machine IAM Role is not authorized to access the Log Destination"
NO_QUALIFIER = "Invalid Logging Configuration: Log Group ARN must be provided with '*' qualifier."
ONE_DESTINATION = "Invalid Logging Configuration: Must specify exactly one Log Destination."
# What one PutLogEvents call may carry: 10,000 events, 1,048,576 bytes counting 26 per event.
_BATCH_EVENTS = 10_000
_BATCH_BYTES = 1_048_576
_EVENT_OVERHEAD = 26


def _truncated(text: str) -> str:
    """The longest start of `text` whose escaped form fits the limit."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if escaped_size(text[:middle]) <= PAYLOAD_LIMIT:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def _limited(details: dict[str, Any]) -> dict[str, Any]:
    # "If escaped input or escaped output sent to CloudWatch Logs exceeds 248 KB, it will be
    # truncated", which inputDetails/outputDetails tell.
    for key, about in (("input", "inputDetails"), ("output", "outputDetails")):
        value = details.get(key)
        if isinstance(value, str) and escaped_size(value) > PAYLOAD_LIMIT:
            details[key] = _truncated(value)
            details[about] = {"truncated": True}
    return details


def _log_group(configuration: dict[str, Any]) -> tuple[str, str] | None:
    """(region, log group name) of the configuration's destination, if it names one."""
    destinations = configuration.get("destinations") or []
    if len(destinations) != 1:
        return None
    arn = str((destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[3], parts[6]


@dataclass(frozen=True)
class _Options:
    """What moto's event manager reads of a logging session's configuration."""

    include_execution_data: bool


class LogSession:
    """One execution's logging, in the shape moto's event manager calls
    (`log_level_filter`, `execution_arn`, `configuration`, `publish_history_log`)."""

    def __init__(
        self,
        delivery: LogDelivery,
        execution: Any,
        level: str,
        include_execution_data: bool,
        group: tuple[str, str],
    ) -> None:
        self.delivery = delivery
        self.execution_arn: str = execution.exec_arn
        self.machine = str(execution.state_machine.name)
        self.standard = is_standard(execution)
        self.level = level
        self.configuration = _Options(include_execution_data)
        self.region, self.group = group

    def log_level_filter(self, history_event_type: Any) -> bool:
        from moto.stepfunctions.parser.api import LogLevel
        from moto.stepfunctions.parser.asl.eval.event.logging import is_logging_enabled_for

        # moto's sets are the documented table ("Log levels"): ERROR, the failure events;
        # FATAL, ExecutionAborted, ExecutionFailed and ExecutionTimedOut.
        return bool(is_logging_enabled_for(LogLevel(self.level), history_event_type))

    def publish_history_log(self, history_log: dict[str, Any]) -> None:
        """Called by moto's event manager inside its lock: only queues the log event."""
        stamp = datetime.strptime(history_log["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
        millis = int(stamp.replace(tzinfo=UTC).timestamp() * 1000)
        kind = history_log["type"]
        record = {
            "id": str(history_log["id"]),
            "type": str(getattr(kind, "value", kind)),
            # Every logged event has its details, empty when there is nothing to tell (an
            # ExecutionSucceeded without its execution data).
            "details": _limited(copy.deepcopy(dict(history_log.get("details") or {}))),
            "previous_event_id": str(history_log["previous_event_id"]),
            "event_timestamp": str(millis),
            "execution_arn": str(history_log["execution_arn"]),
            "redrive_count": "0",  # the local cloud has no RedriveExecution
        }
        self.delivery.enqueue(self, millis, json.dumps(record))


class LogDelivery:
    """Delivers the queued log events of every execution, oldest first."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._queue: collections.deque[tuple[LogSession, int, str]] = collections.deque()
        self._delivering = threading.Lock()
        self._stream_ids: dict[tuple[str, str, str], str] = {}
        self._naming = threading.Lock()

    def session_for(self, execution: Any) -> LogSession | None:
        configuration = getattr(execution.state_machine, "loggingConfiguration", None) or {}
        level = str(configuration.get("level") or "OFF")
        group = _log_group(configuration)
        if level == "OFF" or group is None:
            return None
        include = bool(configuration.get("includeExecutionData", False))
        return LogSession(self, execution, level, include, group)

    def stream(self, session: LogSession, millis: int) -> str:
        """The log stream an event goes to. The documentation does not name it; as observed
        on AWS, a machine's executions share a stream per period: a Standard machine's
        `states/<machine>/<YYYY-MM-DD-HH>/<8 hex digits>`, an Express machine's
        `states/<machine>/<YYYY-MM-DD-HH-MM>/00000000` (ten-minute periods)."""
        moment = datetime.fromtimestamp(millis / 1000, UTC)
        if not session.standard:
            period = moment.replace(minute=moment.minute - moment.minute % 10)
            return f"states/{session.machine}/{period:%Y-%m-%d-%H-%M}/00000000"
        period_name = f"{moment:%Y-%m-%d-%H}"
        key = (session.group, session.machine, period_name)
        with self._naming:
            suffix = self._stream_ids.setdefault(key, secrets.token_hex(4))
        return f"states/{session.machine}/{period_name}/{suffix}"

    def enqueue(self, session: LogSession, millis: int, message: str) -> None:
        self._queue.append((session, millis, message))
        try:
            self.core.dispatcher.submit(self._flush)
        except RuntimeError:  # the local cloud is stopping
            LOG.debug("log event of %s not delivered: stopping", session.execution_arn)

    def _flush(self) -> None:
        # Whichever task holds the lock takes everything queued so far: the log events reach
        # their streams in the order moto recorded them.
        with self._delivering:
            batches: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
            while self._queue:
                session, millis, message = self._queue.popleft()
                key = (session.region, session.group, self.stream(session, millis))
                batches.setdefault(key, []).append({"timestamp": millis, "message": message})
            for (region, group, stream), events in batches.items():
                self._put(region, group, stream, events)

    def _put(self, region: str, group: str, stream: str, events: list[dict[str, Any]]) -> None:
        from botocore.exceptions import ClientError

        logs = self.core.clients("logs", region)
        # A batch's events go in time order (PutLogEvents refuses others).
        events = sorted(events, key=lambda e: int(e["timestamp"]))
        for batch in _batches(events):
            try:
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
                continue
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
            try:
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code == "ResourceNotFoundException":
                    LOG.debug("log group %s does not exist: execution logs dropped", group)
                    return
                if code != "ResourceAlreadyExistsException":
                    raise
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        cost = len(str(event["message"]).encode()) + _EVENT_OVERHEAD
        if batches[-1] and (len(batches[-1]) >= _BATCH_EVENTS or size + cost > _BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += cost
    return [batch for batch in batches if batch]


# ---------------------------------------------------------------- what CreateStateMachine checks


def _refusal(core: Core, role_arn: str | None, configuration: dict[str, Any] | None) -> Any:
    """The error CreateStateMachine or UpdateStateMachine answers this logging configuration
    with, if any."""
    from moto.core.exceptions import AWSError

    if not configuration or str(configuration.get("level") or "OFF") == "OFF":
        return None
    destinations = configuration.get("destinations") or []
    if len(destinations) != 1:
        return AWSError(ONE_DESTINATION, "InvalidLoggingConfiguration", 400)
    arn = str((destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or "")
    if not arn.endswith(":*"):
        return AWSError(NO_QUALIFIER, "InvalidLoggingConfiguration", 400)
    if role_arn and not _role_may_deliver(core, role_arn):
        return AWSError(NOT_AUTHORIZED, "AccessDeniedException", 400)
    return None


def _role_may_deliver(core: Core, role_arn: str) -> bool:
    from localcloud.services.iam.enforcement import KNOWN_KEYS, Denial, Principal
    from localcloud.services.iam.evaluation import Request, evaluate

    authorizer = core.services.get("iam")
    mode = getattr(authorizer, "mode", "off")
    if authorizer is None or mode == "off":
        return True
    name = role_arn.rsplit("/", 1)[-1]
    identity = authorizer.identity_statements(
        Principal(role_arn, "role", name, core.account_id, role_arn)
    )
    for action in DELIVERY_ACTIONS:
        decision = evaluate(Request(role_arn, action, "*", {}, KNOWN_KEYS), identity)
        if decision.statement is not None:
            authorizer.exercised.add((decision.statement.policy, decision.statement.index))
        if decision.allowed:
            continue
        statement = str(decision.statement) if decision.statement else None
        authorizer.denials.append(Denial(role_arn, action, "*", decision.reason, statement))
        LOG.warning(
            "IAM %s: %s may not %s on * (%s)",
            "denied" if mode == "enforce" else "would deny",
            role_arn,
            action,
            decision.reason,
        )
        return mode != "enforce"
    return True


def _install_checks(core: Core) -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    create = core.hooks.original(StepFunctionsParserBackend, "create_state_machine")
    update = core.hooks.original(StepFunctionsParserBackend, "update_state_machine")

    def create_state_machine(self: Any, *args: Any, **kwargs: Any) -> Any:
        refused = _refusal(core, kwargs.get("roleArn"), kwargs.get("loggingConfiguration"))
        if refused is not None:
            raise refused
        return create(self, *args, **kwargs)

    def update_state_machine(self: Any, *args: Any, **kwargs: Any) -> Any:
        role, configuration = kwargs.get("role_arn"), kwargs.get("logging_configuration")
        if role is not None or configuration is not None:
            current = self.describe_state_machine(kwargs.get("arn", args[0] if args else None))
            refused = _refusal(
                core, role or current.roleArn, configuration or current.loggingConfiguration
            )
            if refused is not None:
                raise refused
        return update(self, *args, **kwargs)

    core.hooks.replace(StepFunctionsParserBackend, "create_state_machine", create_state_machine)
    core.hooks.replace(StepFunctionsParserBackend, "update_state_machine", update_state_machine)


def install(core: Core) -> None:
    from moto.stepfunctions.parser.backend.execution import Execution

    delivery = LogDelivery(core)
    original = core.hooks.original(Execution, "__init__")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self._cloud_watch_logging_session is None:
            self._cloud_watch_logging_session = delivery.session_for(self)

    core.hooks.replace(Execution, "__init__", __init__)
    _install_checks(core)
