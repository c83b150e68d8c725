"""Step Functions' quotas on one execution, enforced as AWS enforces them.

- History: a Standard execution's history holds at most 25,000 events. Event 25,000 is the
  `ExecutionSucceeded` event or else an `ExecutionFailed` event, and the execution ends there
  ("Avoid reaching the history quota"). The documentation names no error; AWS reports
  `States.Runtime`, "The execution reached the maximum number of history events (25000).".
  moto's histories grew without bound, so a poller looping for days passed every test.
- Payload: 262,144 bytes of UTF-8 for a state's or a task's output, a task's input after
  `Parameters` and an execution's input. moto refused a payload of exactly 262,144 bytes,
  accepted any execution input, sent an oversized task input to the service, and let a
  `States.ALL` Catch or Retry handle `States.DataLimitExceeded`, which AWS calls terminal.
"""

from __future__ import annotations

import importlib
import json
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, cast

from localcloud.core import Core

__all__ = [
    "HISTORY_EVENTS",
    "PAYLOAD_BYTES",
    "Quotas",
    "history_failure_cause",
    "install",
    "within_payload_quota",
]

# "Maximum execution history size: 25,000 events." (Quotas for Standard Workflows)
HISTORY_EVENTS = 25_000
# "262,144 bytes of data as a UTF-8 encoded string." (Quotas for Standard Workflows)
PAYLOAD_BYTES = 262_144

HISTORY_ERROR = "States.Runtime"
DATA_LIMIT_ERROR = "States.DataLimitExceeded"
SERVICE = "stepfunctions.quotas"

_PARSER = "moto.stepfunctions.parser"
# Every module of moto's interpreter that imported `is_within_size_quota` by name.
_SIZE_QUOTA_USERS = (
    f"{_PARSER}.quotas",
    f"{_PARSER}.asl.component.state.state",
    f"{_PARSER}.asl.component.state.exec.state_task.state_task_lambda",
    f"{_PARSER}.asl.component.state.exec.state_task.service.state_task_service",
)


def history_failure_cause(events: int) -> str:
    return f"The execution reached the maximum number of history events ({events})."


def within_payload_quota(value: Any) -> bool:
    """At most 262,144 bytes once encoded in UTF-8. A JSON value counts as Step Functions
    writes it (its history shows payloads compact, without spaces): moto counted it with spaces
    and with every non-ASCII character escaped to six bytes. A string (an execution's input)
    counts as sent."""
    text = value if isinstance(value, str) else _compact_json(value)
    return len(text.encode("utf-8")) <= PAYLOAD_BYTES


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass
class Quotas:
    """What `localcloud.testing.history_quota` lowers so that a test need not run 25,000
    events; every other caller sees AWS's number."""

    history_events: int = HISTORY_EVENTS


@dataclass
class _History:
    """One Standard execution's history, counted as moto writes it."""

    env: Any  # the execution's root Environment
    lock: threading.Lock = field(default_factory=threading.Lock)
    events: int = 0
    closed: bool = False
    failure: dict[str, str] | None = None


def _install_history(core: Core, quotas: Quotas) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    # Frames of one execution (Map iterations, Parallel branches) share its EventManager.
    histories: weakref.WeakKeyDictionary[Any, _History] = weakref.WeakKeyDictionary()

    original_environment = core.hooks.original(ExecutionWorker, "_get_evaluation_environment")

    def _get_evaluation_environment(self: Any) -> Any:
        env = original_environment(self)
        if env.is_standard_workflow():  # "Maximum execution history size: Unlimited." (Express)
            histories[env.event_manager] = _History(env)
        return env

    original_add_event = core.hooks.original(EventManager, "add_event")

    def add_event(
        self: Any,
        context: Any,
        event_type: Any,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> int:
        history = histories.get(self)
        if history is None:
            return int(
                original_add_event(
                    self, context, event_type, event_details, timestamp, update_source_event_id
                )
            )
        with history.lock:
            if history.closed:  # the execution already ended at the quota: nothing follows
                return history.events
            limit = quotas.history_events
            if history.events + 1 >= limit and event_type != HistoryEventType.ExecutionSucceeded:
                history.failure = {
                    "error": HISTORY_ERROR,
                    "cause": history_failure_cause(limit),
                }
                event_type = HistoryEventType.ExecutionFailed
                # EventDetails is a TypedDict of every event's details: a dict of one.
                event_details = {"executionFailedEventDetails": dict(history.failure)}
                update_source_event_id = True
            event_id = int(
                original_add_event(
                    self, context, event_type, event_details, timestamp, update_source_event_id
                )
            )
            history.events += 1
            history.closed = history.events >= limit
            failure = history.failure
        if failure is not None:
            # Stop every state of the execution: their own ends are no longer recorded.
            history.env.set_error(dict(failure))
        return event_id

    original_reflect = core.hooks.original(
        BaseExecutionWorkerCommunication, "_reflect_execution_status"
    )

    def _reflect_execution_status(self: Any) -> None:
        original_reflect(self)
        history = histories.get(self.execution.exec_worker.env.event_manager)
        if history is not None and history.failure is not None:
            # A state that was still failing when the quota stopped it must not rename the
            # failure: the history's last event says why the execution failed.
            from moto.stepfunctions.parser.api import ExecutionStatus

            self.execution.exec_status = ExecutionStatus.FAILED
            self.execution.output = None
            self.execution.error = history.failure["error"]
            self.execution.cause = history.failure["cause"]

    core.hooks.replace(ExecutionWorker, "_get_evaluation_environment", _get_evaluation_environment)
    core.hooks.replace(EventManager, "add_event", add_event)
    core.hooks.replace(
        BaseExecutionWorkerCommunication, "_reflect_execution_status", _reflect_execution_status
    )


def _data_limit_failure(env: Any, state_name: str) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    # The documentation names the error but not its cause text for an input; this one is
    # worded like the cause AWS gives for an oversized result.
    cause = (
        f"The state/task '{state_name}' has an input with a size exceeding the maximum number "
        "of bytes service limit."
    )
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded),
            event_type=HistoryEventType.TaskFailed,
            event_details=cast(
                Any,
                {
                    "taskFailedEventDetails": TaskFailedEventDetails(
                        error=DATA_LIMIT_ERROR, cause=cause
                    )
                },
            ),
        )
    )


def _install_payload(core: Core) -> None:
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
        ErrorEqualsDecl,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_activitiy import (
        StateTaskActivity,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import (
        StateTaskLambda,
    )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    for name in _SIZE_QUOTA_USERS:
        core.hooks.replace(
            importlib.import_module(name), "is_within_size_quota", within_payload_quota
        )

    # "The States.ALL error type must appear alone in a Catcher and cannot catch the
    # States.DataLimitExceeded terminal error": Retriers match error names the same way.
    original_equals = core.hooks.original(ErrorEqualsDecl, "_eval_body")

    def _eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        original_equals(self, env)
        if getattr(error_name, "error_name", None) == DATA_LIMIT_ERROR and not any(
            name.error_name == DATA_LIMIT_ERROR for name in self.error_names
        ):
            env.stack[-1] = False

    core.hooks.replace(ErrorEqualsDecl, "_eval_body", _eval_body)

    # "After Parameters processing, the input of a state is larger than the payload size
    # quota": the task fails before its service is called.
    for cls in (StateTask, StateTaskLambda, StateTaskActivity):
        original_parameters = core.hooks.original(cls, "_eval_parameters")

        def _eval_parameters(self: Any, env: Any, original: Any = original_parameters) -> Any:
            parameters = original(self, env)
            if not within_payload_quota(parameters):
                raise _data_limit_failure(env, self.name)
            return parameters

        core.hooks.replace(cls, "_eval_parameters", _eval_parameters)

    # StartExecution's `input`: "Length constraints apply to the payload size, and are
    # expressed as bytes in UTF-8 encoding." (API reference, maximum length 262144).
    original_start = core.hooks.original(StepFunctionsParserBackend, "start_execution")

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        if isinstance(execution_input, str) and not within_payload_quota(execution_input):
            # The value of a sensitive member is not repeated in the message.
            raise ValidationException(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: "
                f"Member must have length less than or equal to {PAYLOAD_BYTES}"
            )
        return original_start(self, state_machine_arn, name, execution_input, trace_header)

    core.hooks.replace(StepFunctionsParserBackend, "start_execution", start_execution)


def install(core: Core) -> None:
    quotas = Quotas()
    core.services[SERVICE] = quotas
    _install_history(core, quotas)
    _install_payload(core)
