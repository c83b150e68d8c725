"""AWS Step Functions on moto's ASL interpreter, corrected where it differs from AWS.

- Wait states, Retry intervals and `.sync` polls run on the local cloud's scaled clock.
- Executions of one account run side by side; an execution started without a name gets a
  UUID, as on AWS.
- A Parallel branch failing with a States.* error fails the Parallel state with that error.
- Service integrations take and return Step Functions' PascalCase (`integrations`), and
  call with the machine's role (`credentials`).
- Lambda tasks return what AWS returns (`lambda_tasks`); StartSyncExecution (`sync_execution`)
  and history paging (`history`).
- An inline Map fails fast (`map_fail_fast`); the history and payload quotas (`quotas`); the
  machine's TimeoutSeconds on the local clock (`timeouts`); definitions AWS rejects
  (`definitions`).
- JSONata, with Step Functions' own functions (`jsonata`), and variables (`variables`).
- RedriveExecution (`redrive`), versions and aliases (`versions`), TestState (`test_state`).
- Execution status change events (`status_events`) and execution logs (`execution_logs`).
- The interpreter's errors keep their codes over HTTP (`error_codes`).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from localcloud.core import Core, ScaledTime
from localcloud.services.stepfunctions import (
    callbacks,
    credentials,
    definitions,
    error_codes,
    execution_logs,
    history,
    integrations,
    jsonata,
    lambda_errors,
    lambda_tasks,
    map_fail_fast,
    quotas,
    redrive,
    status_events,
    sync_execution,
    test_state,
    timeouts,
    variables,
    versions,
)

__all__ = ["install"]

# .sync integrations poll the service in a loop: on the scaled clock, every 5 s nominal.
SYNC_POLL_SECONDS = 5.0


def _install_clock(core: Core) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    clock = core.clock

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        # A stop signals program_state_event once; one that came before the wait began (a
        # StopExecution right after StartExecution) would be missed by a single long wait,
        # so the wait looks at the program's state between slices of at most half a second.
        remaining = float(wait_seconds)
        while remaining > 0 and env.is_running():
            nominal = remaining if clock.scale == 0 else min(remaining, 0.5 / clock.scale)
            clock.wait(env.program_state_event, nominal)
            remaining -= nominal

    scaled = ScaledTime(clock)
    core.hooks.replace(WaitFunction, "_wait_interval", _wait_interval)
    core.hooks.replace(retrier_decl, "time", scaled)
    core.hooks.replace(state_task_service_callback, "time", scaled)
    core.hooks.replace(
        state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", SYNC_POLL_SECONDS
    )


def _install_branch_error_names(core: Core) -> None:
    """A Parallel branch that fails with a States.* error (States.TaskFailed from a .sync task)
    fails the Parallel state with that error, as on AWS; moto's interpreter crashed instead,
    refusing to rebuild the States.* name as a custom one."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName

    def __init__(self: Any, error_name: str | None) -> None:
        ErrorName.__init__(self, error_name=error_name)

    core.hooks.replace(CustomErrorName, "__init__", __init__)


def _install_stop_before_start(core: Core) -> None:
    """StopExecution right after StartExecution aborts the execution, as on AWS.

    moto's worker crashed (`self.env` is None) when the stop came before its thread had built
    the execution's environment, and a stop after that but before the program began was lost
    (a program not yet running ignores `set_stop`), so the execution ran on. Such a stop is
    kept, and applied as the program begins, before its first state; nothing waits for the
    worker's thread, so one slow to start under load cannot outlast it."""
    import threading

    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    lock = threading.Lock()
    environment = core.hooks.original(ExecutionWorker, "_get_evaluation_environment")
    body = core.hooks.original(Program, "_eval_body")
    core.hooks.original(ExecutionWorker, "stop")

    def _get_evaluation_environment(self: Any) -> Any:
        env = environment(self)
        with lock:
            self.localcloud_env = env  # the worker sets self.env only once this returns
            env.localcloud_pending_stop = getattr(self, "localcloud_pending_stop", None)
        return env

    def _eval_body(self: Any, env: Any) -> None:
        if not env.is_frame():
            with lock:
                stop = getattr(env, "localcloud_pending_stop", None)
                env.localcloud_pending_stop = None
            if stop is not None:
                stop_date, error, cause = stop
                env.set_stop(stop_date=stop_date, cause=cause, error=error)
        body(self, env)

    def stop(self: Any, stop_date: Any, error: str | None, cause: str | None) -> None:
        with lock:
            env = getattr(self, "env", None) or getattr(self, "localcloud_env", None)
            if env is None:
                self.localcloud_pending_stop = (stop_date, error, cause)
                return
            if env._program_state is None:  # made, but its program has not begun
                env.localcloud_pending_stop = (stop_date, error, cause)
                return
        env.set_stop(stop_date=stop_date, cause=cause, error=error)

    core.hooks.replace(ExecutionWorker, "_get_evaluation_environment", _get_evaluation_environment)
    core.hooks.replace(Program, "_eval_body", _eval_body)
    core.hooks.replace(ExecutionWorker, "stop", stop)


def _install_execution_names(core: Core) -> None:
    """StartExecution without a name gets a UUID, as on AWS (moto's interpreter used "None",
    so a second unnamed execution, such as a nested one, collided with the first)."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = core.hooks.original(StepFunctionsParserBackend, "start_execution")

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        return original(
            self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header
        )

    core.hooks.replace(StepFunctionsParserBackend, "start_execution", start_execution)


def _install_state_machine_snapshot(core: Core) -> None:
    """Let executions of one account run side by side.

    moto's parser snapshots the state machine with deepcopy at StartExecution; the copy
    reaches the backend and through it every running execution's locks, so a second
    execution could not start while one was running. The snapshot needs the definition
    and settings only: the backend and the execution list are shared, not copied.
    """
    from moto.stepfunctions.models import StateMachine

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = StateMachine.__new__(type(self))
        memo[id(self)] = clone
        for key, value in vars(self).items():
            shared = key in ("backend", "executions")
            setattr(clone, key, value if shared else copy.deepcopy(value, memo))
        return clone

    core.hooks.add(StateMachine, "__deepcopy__", __deepcopy__)


def install(core: Core) -> None:
    _install_clock(core)
    _install_state_machine_snapshot(core)
    _install_execution_names(core)
    _install_stop_before_start(core)
    _install_branch_error_names(core)
    integrations.install(core)
    credentials.install(core)
    lambda_errors.install(core)
    jsonata.install(core)
    variables.install(core)
    lambda_tasks.install(core)
    sync_execution.install(core)
    error_codes.install(core)
    history.install(core)
    map_fail_fast.install(core)
    quotas.install(core)
    timeouts.install(core)
    callbacks.install(core)
    definitions.install(core)
    status_events.install(core)
    execution_logs.install(core)
    redrive.install(core)
    versions.install(core)
    test_state.install(core)
