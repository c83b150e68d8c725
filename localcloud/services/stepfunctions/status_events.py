"""Step Functions' status change events on the default bus, as Step Functions sends them.

Step Functions sends an event to the account's default EventBridge bus whenever a Standard
execution's status changes: RUNNING when it starts, then SUCCEEDED, FAILED, TIMED_OUT or
ABORTED. Express executions send none. The event is an AWS service's (`source` "aws.states"),
which no PutEvents call can send, so it is handed to the default bus's rules the way moto's
own PutEvents hands an event to them (`Rule.send_to_targets`, which the EventBridge service
routes with its patterns and targets), asynchronously and in the order the changes happened.

The `detail` "provides the same information as the DescribeExecution API": it is the
execution's DescribeExecution answer at the change, in the keys of the documented examples.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events.envelope import build_envelope
from localcloud.services.events.service_events import to_default_bus
from localcloud.services.stepfunctions import redrive

LOG = logging.getLogger("localcloud.stepfunctions")

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"
# "If the combined escaped input and escaped output sent to EventBridge exceeds 248 KiB, then
# the input will be excluded. Similarly, if the escaped output exceeds 248 KiB, then the
# output will be excluded." (Step Functions Developer Guide, EventBridge integration)
PAYLOAD_LIMIT = 248 * 1024

# redriveStatusReason as the documented examples give it (RUNNING, FAILED) and as the
# DescribeExecution reference lists it (SUCCEEDED). The documentation has no example for
# TIMED_OUT or ABORTED, which RedriveExecution accepts like FAILED: they read as FAILED's.
_NOT_REDRIVABLE = ("RUNNING", "SUCCEEDED")


def _millis(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def escaped_size(text: str | None) -> int:
    """The size of the string as JSON carries it, escaped, in UTF-8 bytes."""
    return 0 if text is None else len(json.dumps(text, ensure_ascii=False).encode())


def _redrive(status: str) -> tuple[str, str]:
    if status in _NOT_REDRIVABLE:
        return "NOT_REDRIVABLE", f"Execution is {status} and cannot be redriven"
    return "REDRIVABLE", f"Execution is {status} and is redrivable"


def is_standard(execution: Any) -> bool:
    # The machine's own type: moto's interpreter calls every execution STANDARD.
    return str(getattr(execution.state_machine, "type", "STANDARD")) == "STANDARD"


def status_detail(core: Core, execution: Any) -> dict[str, Any]:
    """The event's `detail`: the execution's DescribeExecution answer (through the API, as the
    local cloud gives it), in the documented keys."""
    sfn = core.clients("stepfunctions", execution.region_name)
    described = sfn.describe_execution(executionArn=execution.exec_arn)
    status = str(described["status"])
    machine = execution.state_machine
    # Started through a version, the execution names the machine and the version apart.
    version_arn = machine.arn if getattr(machine, "source_arn", None) else None
    machine_arn = getattr(machine, "source_arn", None) or described["stateMachineArn"]
    # The documented examples give every ended execution its stopDate.
    stopped = described.get("stopDate") or (execution.stop_date if status != "RUNNING" else None)
    text_in: str | None = described.get("input")
    text_out: str | None = described.get("output")
    input_included = escaped_size(text_in) + escaped_size(text_out) <= PAYLOAD_LIMIT
    output_included = escaped_size(text_out) <= PAYLOAD_LIMIT
    # What DescribeExecution says of redrives; without it, what the examples give.
    default_status, default_reason = _redrive(status)
    return {
        "executionArn": described["executionArn"],
        "stateMachineArn": machine_arn,
        "name": described["name"],
        "status": status,
        "startDate": _millis(described["startDate"]),
        "stopDate": _millis(stopped),
        "input": text_in if input_included else None,
        "inputDetails": {"included": input_included},
        "output": text_out if output_included else None,
        "outputDetails": None if text_out is None else {"included": output_included},
        "stateMachineVersionArn": version_arn,
        "stateMachineAliasArn": None,  # the local cloud has no aliases to start through
        "redriveCount": int(described.get("redriveCount", 0)),
        "redriveDate": _millis(described.get("redriveDate")),
        "redriveStatus": described.get("redriveStatus", default_status),
        "redriveStatusReason": described.get("redriveStatusReason", default_reason),
        "error": described.get("error"),
        "cause": described.get("cause"),
    }


def status_event(core: Core, execution: Any) -> dict[str, Any]:
    detail = status_detail(core, execution)
    moment = execution.start_date if detail["status"] == "RUNNING" else execution.stop_date
    return build_envelope(
        source=SOURCE,
        detail_type=DETAIL_TYPE,
        detail=detail,
        account=execution.account_id,
        region=execution.region_name,
        resources=[detail["executionArn"]],
        time=moment,
    )


@dataclass
class _Slot:
    """An event's place in the order of status changes, taken before the event is written."""

    ready: threading.Event = field(default_factory=threading.Event)
    event: dict[str, Any] | None = None


class StatusEvents:
    """Hands each status change to the default bus of its region, in the order they happen."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._queue: collections.deque[_Slot] = collections.deque()
        self._delivering = threading.Lock()

    def reserve(self, execution: Any) -> _Slot | None:
        """A place for the execution's next status change; its delivery is under way (for
        wait_idle) from now, so no one sees a status whose event is not yet on its way."""
        if not is_standard(execution):  # "Express Workflows do not emit events to EventBridge"
            return None
        slot = _Slot()
        self._queue.append(slot)
        try:
            self.core.dispatcher.submit(lambda: self._deliver(slot))
        except RuntimeError:  # the local cloud is stopping: nothing is listening any more
            LOG.debug("status change of %s not delivered: stopping", execution.exec_arn)
        return slot

    def fill(self, slot: _Slot | None, execution: Any, *, ended: bool) -> None:
        """Write the event in its place, from the execution's status now."""
        if slot is None:
            return
        try:
            if ended != (str(execution.status) == "RUNNING"):
                slot.event = status_event(self.core, execution)
        finally:
            slot.ready.set()

    def running(self, execution: Any) -> None:
        self.fill(self.reserve(execution), execution, ended=False)

    def _deliver(self, slot: _Slot) -> None:
        slot.ready.wait()
        # Whoever holds the lock delivers every event ready at the head of the queue; one
        # not ready yet stops it, and its own task delivers it and those behind it.
        with self._delivering:
            while self._queue and self._queue[0].ready.is_set():
                event = self._queue.popleft().event
                if event is not None:
                    to_default_bus(event)


def install(core: Core) -> None:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    events = StatusEvents(core)
    run = core.hooks.original(ExecutionWorker, "_execution_logic")
    terminated = core.hooks.original(BaseExecutionWorkerCommunication, "terminated")

    def _execution_logic(self: Any) -> None:
        # The worker runs the whole execution, which is RUNNING as it starts.
        execution = getattr(self._execution_communication, "execution", None)
        if execution is not None:
            events.running(execution)
        run(self)

    def _terminated(self: Any) -> None:
        # Where moto records the final status: SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
        slot = events.reserve(self.execution)
        try:
            terminated(self)
        finally:
            events.fill(slot, self.execution, ended=True)

    core.hooks.replace(ExecutionWorker, "_execution_logic", _execution_logic)
    core.hooks.replace(BaseExecutionWorkerCommunication, "terminated", _terminated)
    # A redriven execution is RUNNING again ("Execution Redriven" on the same page).
    core.connect(redrive.SIGNAL, lambda execution, **_: events.running(execution))
