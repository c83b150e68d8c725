"""StartSyncExecution: a Synchronous Express execution, run to its end within the call.

moto has neither the operation nor a route for the host botocore sends it to: StartSyncExecution
is modelled with the host prefix `sync-`, so the SDK calls `sync-states.<region>.amazonaws.com`.
Here the operation runs the Express machine on moto's interpreter (its SyncExecution, in the
caller's thread) and answers as the API reference describes: status SUCCEEDED, FAILED or
TIMED_OUT, output only on success, and billing details. "Express Workflows don't record
execution history in AWS Step Functions" ("Logging using CloudWatch Logs"), so the execution is
not kept among the machine's executions afterwards.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import uuid
from typing import Any

from localcloud.core import Core

__all__ = ["billing_details", "install"]

SYNC_URL_BASE = r"https?://sync-states\.(.+)\.amazonaws.com"
MB = 1024 * 1024


def billing_details(
    duration_seconds: float, definition: str, data: list[str | None]
) -> dict[str, int]:
    """AWS Step Functions pricing: "Duration is calculated from the time your workflow begins
    executing until it completes or otherwise terminates, rounded up to the nearest 100ms,
    and the amount of memory used in the execution of your workflow, billed in 64-MB chunks",
    with "Workflow memory utilized = 50 MB + state machine definition size + execution data
    size" (Map and Parallel multiply the data; not counted here)."""
    milliseconds = max(0.0, duration_seconds) * 1000
    used = 50 * MB + len(definition.encode()) + sum(len(d.encode()) for d in data if d)
    return {
        "billedMemoryUsedInMB": math.ceil(used / (64 * MB)) * 64,
        "billedDurationInMilliseconds": max(100, math.ceil(milliseconds / 100) * 100),
    }


def _utc(epoch: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)


def install(core: Core) -> None:
    import moto.backend_index as backend_index
    import moto.stepfunctions.urls as urls
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidExecutionInput
    from moto.stepfunctions.parser.api import StateMachineType, SyncExecutionStatus
    from moto.stepfunctions.parser.backend.execution import SyncExecution
    from moto.stepfunctions.responses import StepFunctionResponse

    # Route the `sync-` host to Step Functions, in moto's index and in the service's URLs.
    patterns = list(core.hooks.original(backend_index, "backend_url_patterns"))
    at = next(i for i, (service, _) in enumerate(patterns) if service == "stepfunctions")
    patterns.insert(at + 1, ("stepfunctions", re.compile(SYNC_URL_BASE)))
    core.hooks.replace(backend_index, "backend_url_patterns", patterns)
    core.hooks.replace(urls, "url_bases", [*core.hooks.original(urls, "url_bases"), SYNC_URL_BASE])

    def run(
        backend: Any,
        state_machine_arn: str,
        name: str | None,
        execution_input: str | None,
        trace_header: str | None,
    ) -> dict[str, Any]:
        machine = backend.describe_state_machine(state_machine_arn)  # StateMachineDoesNotExist
        if machine.type != StateMachineType.EXPRESS:
            # "StartSyncExecution is not available for STANDARD workflows."
            # (moto's interpreter has the error but raises it without its code)
            raise AWSError("State machine type is not supported.", "StateMachineTypeNotSupported")
        given = "{}" if execution_input is None else execution_input
        try:
            input_data = json.loads(given)
        except ValueError as exc:  # "The provided JSON input data is not valid."
            raise InvalidExecutionInput(str(exc)) from None  # worded as StartExecution's
        name = name or str(uuid.uuid4())
        # The IAM resource type `express`: arn:${Partition}:states:${Region}:${Account}:express:
        # ${StateMachineName}:${ExecutionId}:${ExpressId}.
        prefix = state_machine_arn.split(":stateMachine:")[0]
        arn = f"{prefix}:express:{machine.name}:{name}:{uuid.uuid4()}"
        started_wall, started = core.clock.wall(), core.clock.now()
        execution = SyncExecution(
            name=name,
            sm_type=StateMachineType.EXPRESS,
            role_arn=machine.roleArn,
            exec_arn=arn,
            account_id=backend.account_id,
            region_name=backend.region_name,
            state_machine=machine,
            start_date=_utc(started_wall),
            cloud_watch_logging_session=None,
            input_data=json.dumps(input_data),
            trace_header=trace_header,
            activity_store={},
        )
        execution.start()  # a SyncExecutionWorker: runs the machine in this thread to its end
        # The local cloud's clock: a Wait state's nominal seconds count, as they would on AWS.
        elapsed = core.clock.now() - started
        status = execution.sync_execution_status or SyncExecutionStatus.FAILED
        output = None
        if status == SyncExecutionStatus.SUCCEEDED:
            output = json.dumps(execution.output, separators=(",", ":"))
        result: dict[str, Any] = {
            "executionArn": arn,
            "stateMachineArn": machine.arn,
            "name": name,
            "startDate": _utc(started_wall),
            "stopDate": _utc(started_wall + elapsed),
            "status": str(status.value),
            "input": given,
            "inputDetails": {"included": True},
            "billingDetails": billing_details(elapsed, machine.definition, [given, output]),
        }
        if execution.error is not None:
            result["error"] = execution.error
        if execution.cause is not None:
            result["cause"] = execution.cause
        if output is not None:  # "This field is set only if the execution succeeds."
            result["output"] = output
            result["outputDetails"] = {"included": True}
        if trace_header is not None:
            result["traceHeader"] = trace_header
        return result

    def start_sync_execution(self: Any) -> Any:
        return ActionResult(
            run(
                self.stepfunction_backend,
                self._get_param("stateMachineArn"),
                self._get_param("name"),
                self._get_param("input"),
                self._get_param("traceHeader"),
            )
        )

    core.hooks.add(StepFunctionResponse, "start_sync_execution", start_sync_execution)
