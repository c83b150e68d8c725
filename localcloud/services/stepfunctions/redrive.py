"""RedriveExecution: an unsuccessful Standard execution continues from where it stopped.

AWS (RedriveExecution, "Restarting state machine executions with redrive"): a FAILED,
TIMED_OUT or ABORTED Standard execution, stopped less than 14 days ago, open for less than a
year and with fewer than 24,999 history events, is redriven: it "continues the failed
execution from the unsuccessful step and uses the same input", keeps its ARN, definition and
history (an `ExecutionRedriven` event, then the new events), and does not run again the
states that succeeded. An inline Map reruns only its iterations that failed or were aborted,
a Parallel only such branches (both in full after `States.DataLimitExceeded`).
`DescribeExecution` tells `redriveCount`, `redriveDate`, `redriveStatus` and
`redriveStatusReason`; the context object `$$.Execution.RedriveCount` (0 before any redrive)
and `$$.Execution.RedriveTime`. moto has no such operation.

How: the execution's own interpreter environment (its history, its event ids, everyone's
bookkeeping keyed on it) is set running again at the top-level state it was in, with that
state's raw input and the variables as they were when it was entered, and the execution's
own parsed program, so that the branches and iterations of that state are the same objects as
in the first attempt: a Parallel branch or inline Map iteration that succeeded then is not run
again, its output is reused. A branch or iteration that is run again starts at its first
state (how AWS treats the succeeded states *inside* a failed branch is not documented), and a
Distributed Map reruns in full (its Map Run redrive is not modelled).
"""

from __future__ import annotations

import copy
import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from localcloud.core import Core

__all__ = [
    "HISTORY_LIMIT",
    "MAX_OPEN_SECONDS",
    "REDRIVABLE_SECONDS",
    "SERVICE",
    "SIGNAL",
    "Redrives",
    "install",
]

SERVICE = "stepfunctions.redrive"
# Emitted with `execution=` once an execution runs again (what a status-change event reports).
SIGNAL = "stepfunctions.execution_redriven"

# "Your workflow execution has not exceeded the redrivable period of 14 days. [...] This
# period starts from the day a state machine completes its execution."
REDRIVABLE_SECONDS = 14 * 24 * 3600.0
# "The workflow execution has not exceeded the maximum open time of one year."
MAX_OPEN_SECONDS = 365 * 24 * 3600.0
# "The execution event history count is less than 24,999 [...] to accommodate the
# ExecutionRedriven history event and at least one other history event" (of the 25,000).
HISTORY_LIMIT = 24_999
# "The API will return idempotent responses for the last 10 client tokens used to successfully
# redrive the execution. These client tokens are valid for up to 15 minutes after they are
# first used."
TOKENS_KEPT = 10
TOKEN_SECONDS = 15 * 60.0
# Real seconds RedriveExecution waits for the execution to record its ExecutionRedriven event.
_STARTED_WITHIN_SECONDS = 10.0

_TERMINAL = ("FAILED", "TIMED_OUT", "ABORTED")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class _Token:
    token: str
    first_used: float  # on the local cloud's clock
    redrive_date: datetime.datetime


@dataclass
class _Attempts:
    """One execution's attempts: what a redrive needs to continue it."""

    program: Any  # the execution's parsed program, shared by all its attempts
    started: float  # when it started, on the local cloud's clock
    # The branch programs (by id) of its top-level Parallel states, and the iteration
    # `States` (by id) of its top-level inline Map states: whose results a redrive reuses.
    branches: frozenset[int]
    iterations: frozenset[int]
    stopped: float | None = None
    redrive_count: int = 0
    redrive_date: datetime.datetime | None = None
    # The top-level state entered last: its name, raw input and the variables then.
    state: tuple[str, Any, Any] | None = None
    root: Any = None  # the execution's root Environment
    resuming: str | None = None  # the state a redrive starts at, until it is entered
    replaying: bool = False  # while that state runs: reuse what succeeded in it before
    # What succeeded in the top-level state entered last: branch outputs by the branch
    # program's id, iteration outputs by (the iteration States' id, the item's index).
    branch_outputs: dict[int, Any] = field(default_factory=dict)
    iteration_outputs: dict[tuple[int, int], Any] = field(default_factory=dict)
    reuse: bool = True  # False after States.DataLimitExceeded: the state reruns in full
    tokens: list[_Token] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _top_level_parts(program: Any) -> tuple[frozenset[int], frozenset[int]]:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
        InlineIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel import (
        StateParallel,
    )

    branches: set[int] = set()
    iterations: set[int] = set()
    for state in program.states.states.values():
        if isinstance(state, StateParallel):
            branches.update(id(branch) for branch in state.branches.programs)
        elif isinstance(state, StateMap) and isinstance(
            state.iteration_component, InlineIterationComponent
        ):
            iterations.add(id(state.iteration_component._states))
    return frozenset(branches), frozenset(iterations)


def _execution_arn(env: Any) -> str | None:
    # Every frame of an execution (Map iterations, Parallel branches) shares its context's
    # `Execution` node, whose Id is the execution's ARN.
    execution = env.states.context_object.context_object_data.get("Execution") or {}
    arn = execution.get("Id")
    return arn if isinstance(arn, str) else None


class Redrives:
    """The attempts of every execution, by ARN, and what DescribeExecution says of them."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._by_arn: dict[str, _Attempts] = {}
        self._lock = threading.Lock()

    def attempts(self, arn: str | None) -> _Attempts | None:
        if arn is None:
            return None
        with self._lock:
            return self._by_arn.get(arn)

    def begin(self, arn: str, program: Any) -> _Attempts:
        branches, iterations = _top_level_parts(program)
        attempts = _Attempts(program, self.core.clock.wall(), branches, iterations)
        with self._lock:
            self._by_arn[arn] = attempts
        return attempts

    def count(self, arn: str) -> int:
        attempts = self.attempts(arn)
        return 0 if attempts is None else attempts.redrive_count

    def date(self, arn: str) -> datetime.datetime | None:
        attempts = self.attempts(arn)
        return None if attempts is None else attempts.redrive_date

    def history_limit(self) -> int:
        # A test that lowers the history quota (localcloud.testing.history_quota) lowers this
        # limit with it: it is the quota less the ExecutionRedriven event.
        from localcloud.services.stepfunctions import quotas

        state = self.core.services.get(quotas.SERVICE)
        events = getattr(state, "history_events", quotas.HISTORY_EVENTS)
        return min(HISTORY_LIMIT, int(events) - 1)

    def why_not(self, execution: Any) -> str | None:
        """Why RedriveExecution would answer ExecutionNotRedrivable (the DescribeExecution
        reference's `redriveStatusReason` texts), or None if it would redrive."""
        status = str(execution.status)
        if status not in _TERMINAL:  # RUNNING, SUCCEEDED
            return f"Execution is {status} and cannot be redriven"
        if str(getattr(execution.state_machine, "type", "STANDARD")) != "STANDARD":
            # "This API action is not supported by EXPRESS state machines." The reference
            # lists no reason for them; this one says what the documentation says.
            return "Execution of an EXPRESS state machine cannot be redriven"
        attempts = self.attempts(execution.exec_arn)
        env = getattr(execution.exec_worker, "env", None)
        if attempts is None or env is None:  # it never ran (a redrive needs its program)
            return "Execution was started before the launch of RedriveExecution"
        if len(env.event_manager._history_event_list) >= self.history_limit():
            return "Execution history event limit exceeded"
        now = self.core.clock.wall()
        if now - attempts.started > MAX_OPEN_SECONDS:
            return "Execution has exceeded the max execution time"
        if attempts.stopped is not None and now - attempts.stopped > REDRIVABLE_SECONDS:
            return "Execution redrivable period exceeded"
        return None

    def status(self, execution: Any) -> tuple[str, str]:
        """(redriveStatus, redriveStatusReason) as DescribeExecution answers them."""
        reason = self.why_not(execution)
        if reason is not None:
            return "NOT_REDRIVABLE", reason
        # The reference gives a reason for NOT_REDRIVABLE only; Step Functions' status-change
        # event examples, which carry "the same information as the DescribeExecution API",
        # give a redrivable execution this one.
        return "REDRIVABLE", f"Execution is {execution.status} and is redrivable"


def _not_redrivable(message: str) -> Exception:
    from moto.core.exceptions import AWSError

    # "ExecutionNotRedrivable: The execution Amazon Resource Name (ARN) that you specified
    # for executionArn cannot be redriven." (RedriveExecution, Errors; HTTP 400). The
    # reference gives no message; this is the reason DescribeExecution gives.
    return AWSError(message, "ExecutionNotRedrivable", 400)


def install(core: Core) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.api import ExecutionStatus, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.flow.start_at import StartAt
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker import (
        IterationWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import (
        BranchWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramRunning
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.utils import TMP_THREADS
    from moto.stepfunctions.responses import StepFunctionResponse

    redrives = Redrives(core)
    core.services[SERVICE] = redrives

    # ------------------------------------------------------------ each attempt, as it runs

    entrypoint = core.hooks.original(ExecutionWorker, "_get_evaluation_entrypoint")

    def _get_evaluation_entrypoint(self: Any) -> Any:
        program = entrypoint(self)
        redrives.begin(self._evaluation_details.execution_details.arn, program)
        return program

    environment = core.hooks.original(ExecutionWorker, "_get_evaluation_environment")

    def _get_evaluation_environment(self: Any) -> Any:
        env = environment(self)
        # "The value of the RedriveCount context object is 0, if you've not yet redriven an
        # execution." (RedriveTime "is only available if you've redriven an execution".)
        env.states.context_object.context_object_data["Execution"]["RedriveCount"] = 0
        return env

    state_body = core.hooks.original(CommonStateField, "_eval_body")

    def _eval_body(self: Any, env: Any) -> None:
        attempts = None if env.is_frame() else redrives.attempts(_execution_arn(env))
        if attempts is None:  # a state in a branch or an iteration, or a TestState run
            state_body(self, env)
            return
        with attempts.lock:
            resuming = attempts.resuming == self.name
            attempts.resuming = None
            if not resuming:  # a new top-level state: what succeeded before is not its
                attempts.branch_outputs.clear()
                attempts.iteration_outputs.clear()
            attempts.root = env
            attempts.state = (
                self.name,
                env.states.get_input(),
                copy.deepcopy(env.variable_store),
            )
            attempts.replaying = resuming and attempts.reuse
        try:
            state_body(self, env)
        finally:
            attempts.replaying = False

    def _attempts_of(env: Any) -> _Attempts | None:
        return redrives.attempts(_execution_arn(env))

    def _succeeded_in_time(attempts: _Attempts) -> bool:
        # Only while the execution still runs: a branch or iteration ending after it stopped
        # was aborted, as far as the execution is concerned.
        return attempts.root is not None and attempts.root.is_running()

    thread_routine = core.hooks.original(BranchWorker, "_thread_routine")

    def _thread_routine(self: Any) -> None:
        attempts = _attempts_of(self.env)
        key = id(self._program)
        if attempts is None or key not in attempts.branches:
            thread_routine(self)
            return
        with attempts.lock:
            replay = attempts.replaying and key in attempts.branch_outputs
            output = attempts.branch_outputs.get(key)
        if replay:
            # "Reschedules and redrives only those branches that failed or aborted": this
            # one succeeded, so it ends at once with the output it had.
            self.env.states.reset(input_value=copy.deepcopy(output))
            self.env.set_ended()
            self._branch_worker_comm.on_terminated(env=self.env)
            return
        thread_routine(self)
        if isinstance(self.env.program_state(), ProgramEnded) and _succeeded_in_time(attempts):
            with attempts.lock:
                attempts.branch_outputs[key] = self.env.states.get_input()

    eval_job = core.hooks.original(IterationWorker, "_eval_job")

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        attempts = _attempts_of(env)
        key = (id(job.job_program.states), job.job_index)
        if attempts is None or key[0] not in attempts.iterations:
            eval_job(self, env, job)
            return
        with attempts.lock:
            replay = attempts.replaying and key in attempts.iteration_outputs
            output = attempts.iteration_outputs.get(key)
        if replay:
            # "Reschedules and redrives only those iterations that failed or aborted."
            job.job_output = copy.deepcopy(output)
            return
        eval_job(self, env, job)
        if not isinstance(job.job_output, Exception) and _succeeded_in_time(attempts):
            with attempts.lock:
                attempts.iteration_outputs[key] = copy.deepcopy(job.job_output)

    terminated = core.hooks.original(BaseExecutionWorkerCommunication, "terminated")

    def _terminated(self: Any) -> None:
        terminated(self)
        attempts = redrives.attempts(self.execution.exec_arn)
        if attempts is not None:
            # The redrivable period "starts from the day a state machine completes its
            # execution", on the local cloud's clock.
            attempts.stopped = core.clock.wall()

    core.hooks.replace(ExecutionWorker, "_get_evaluation_entrypoint", _get_evaluation_entrypoint)
    core.hooks.replace(ExecutionWorker, "_get_evaluation_environment", _get_evaluation_environment)
    core.hooks.replace(CommonStateField, "_eval_body", _eval_body)
    core.hooks.replace(BranchWorker, "_thread_routine", _thread_routine)
    core.hooks.replace(IterationWorker, "_eval_job", _eval_job)
    core.hooks.replace(BaseExecutionWorkerCommunication, "terminated", _terminated)

    # ------------------------------------------------------------ the redrive

    def resumed_program(
        attempts: _Attempts, state_name: str, on_started: Callable[[Any], None]
    ) -> Any:
        """The execution's program, starting at `state_name`: through Program.eval (and what
        hooks it: the execution's own TimeoutSeconds, which a redrive resets), with the
        ExecutionRedriven event recorded as its body begins."""
        program = attempts.program
        resumed = copy.copy(program)
        resumed.start_at = StartAt(state_name)

        def _eval_body(env: Any) -> None:
            on_started(env)
            Program._eval_body(resumed, env)

        resumed._eval_body = _eval_body
        return resumed

    def redrive(execution: Any) -> datetime.datetime:
        attempts = redrives.attempts(execution.exec_arn)
        assert attempts is not None  # why_not said it could be redriven
        worker = execution.exec_worker
        env = worker.env
        entered = attempts.state
        if entered is None:  # it ended before its first state: it starts again at StartAt
            entered = (attempts.program.start_at.start_at_name, env.states.get_input(), None)
        state_name, state_input, variables = entered
        now = datetime.datetime.fromtimestamp(core.clock.wall(), tz=datetime.UTC)
        with attempts.lock:
            attempts.redrive_count += 1
            attempts.redrive_date = now
            attempts.stopped = None
            attempts.resuming = state_name
            # "If the state failed because of a States.DataLimitExceeded error, the Parallel
            # state is rerun, including the branches that were successful" (and Inline Map).
            attempts.reuse = execution.error != "States.DataLimitExceeded"
            count = attempts.redrive_count
        context = env.states.context_object.context_object_data["Execution"]
        context["RedriveCount"] = count
        context["RedriveTime"] = _iso(now)

        # The same environment runs again: its history goes on with the next event id.
        env._program_state = cast(Any, ProgramRunning)()
        env.next_state_name = state_name
        env.stack.clear()
        env.heap.clear()
        env.states.reset(input_value=state_input)
        if variables is not None:
            env.variable_store = copy.deepcopy(variables)
        execution.exec_status = ExecutionStatus.RUNNING
        execution.stop_date = None
        execution.output = None
        execution.error = None
        execution.cause = None

        started = threading.Event()

        def on_started(run_env: Any) -> None:
            run_env.event_manager.add_event(
                context=run_env.event_history_context,
                event_type=HistoryEventType.ExecutionRedriven,
                event_details=EventDetails(
                    executionRedrivenEventDetails={"redriveCount": count}  # type: ignore[typeddict-item]
                ),
            )
            started.set()

        program = resumed_program(attempts, state_name, on_started)

        def run() -> None:
            try:
                program.eval(env)
            finally:
                started.set()
                worker._execution_communication.terminated()

        thread = threading.Thread(target=run, name=f"redrive {execution.exec_arn}", daemon=True)
        TMP_THREADS.append(thread)
        thread.start()
        started.wait(_STARTED_WITHIN_SECONDS)
        core.emit(SIGNAL, execution=execution)
        return now

    redrive_lock = threading.Lock()

    def redrive_execution(self: Any) -> Any:
        arn = self._get_param("executionArn")
        token = self._get_param("clientToken")
        execution = self.stepfunction_backend.describe_execution(arn)  # ExecutionDoesNotExist
        with redrive_lock:  # one redrive at a time decides on an execution's state
            attempts = redrives.attempts(execution.exec_arn)
            now = core.clock.wall()
            if attempts is not None and token:
                for earlier in attempts.tokens:
                    if earlier.token == token and now - earlier.first_used <= TOKEN_SECONDS:
                        return ActionResult({"redriveDate": earlier.redrive_date})
            reason = redrives.why_not(execution)
            if reason is not None:
                raise _not_redrivable(reason)
            date = redrive(execution)
            if attempts is not None and token:
                attempts.tokens = [*attempts.tokens, _Token(token, now, date)][-TOKENS_KEPT:]
        return ActionResult({"redriveDate": date})

    core.hooks.add(StepFunctionResponse, "redrive_execution", redrive_execution)

    # ------------------------------------------------------------ what DescribeExecution says

    describe = core.hooks.original(StepFunctionResponse, "describe_execution")

    def describe_execution(self: Any) -> Any:
        result = describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        body = result.result
        body["redriveCount"] = redrives.count(execution.exec_arn)
        date = redrives.date(execution.exec_arn)
        if date is not None:
            body["redriveDate"] = date
        body["redriveStatus"], body["redriveStatusReason"] = redrives.status(execution)
        return result

    core.hooks.replace(StepFunctionResponse, "describe_execution", describe_execution)
