"""A state machine's own `TimeoutSeconds`, measured on the local cloud's clock like Wait states.

AWS: "The maximum number of seconds an execution of the state machine can run. If it runs
longer than the specified time, the execution fails with a States.Timeout Error Name." The
execution ends `TIMED_OUT`; its `ExecutionTimedOut` event carries `States.Timeout`.

moto timed the execution in real seconds while its Wait states, retry intervals and `.sync`
polls ran on the scaled clock, so at time scale 0 a machine whose one-hour Wait outlasts its
60-second budget succeeded. Here an execution's time is what the local clock counts for it:
real seconds plus the seconds its own waits skipped, along each path (Parallel branches and
Map iterations running side by side spend the same time, not the sum of theirs; other
executions' waits do not count). A Wait, retry interval or `.sync` poll that would outlast the
budget stops at it, no state starts after it, and a watchdog ends the execution while a state
blocks on something real, such as a Lambda function still running.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from localcloud.core import Core

__all__ = ["TIMEOUT_ERROR", "WATCHDOG_POLL_SECONDS", "install"]

TIMEOUT_ERROR = "States.Timeout"
# Real seconds between the watchdog's looks while a state blocks.
WATCHDOG_POLL_SECONDS = 0.01
# Real seconds the execution's status waits, once timed out, for its history to say so.
_HISTORY_GRACE_SECONDS = 5.0


@dataclass
class _Budget:
    """One execution's `TimeoutSeconds`, and the seconds each of its paths skipped.

    A path is an Environment: the execution's root or a frame (a Parallel branch, a Map
    iteration, a Task's call). A frame starts with its parent's time and, when it closes, its
    parent has spent at least as long.
    """

    env: Any  # the execution's root Environment
    seconds: float
    started: float = field(default_factory=time.monotonic)
    skipped: weakref.WeakKeyDictionary[Any, float] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    lock: threading.Lock = field(default_factory=threading.Lock)
    expired: bool = False

    def remaining(self, env: Any) -> float:
        with self.lock:
            skipped = self.skipped.get(env, 0.0)
        return self.seconds - (time.monotonic() - self.started + skipped)

    def remaining_longest(self) -> float:
        with self.lock:
            skipped = max(self.skipped.values(), default=0.0)
        return self.seconds - (time.monotonic() - self.started + skipped)

    def skip(self, env: Any, seconds: float) -> None:
        if seconds > 0:
            with self.lock:
                self.skipped[env] = self.skipped.get(env, 0.0) + seconds

    def fork(self, parent: Any, child: Any) -> None:
        with self.lock:
            self.skipped[child] = self.skipped.get(parent, 0.0)

    def join(self, parent: Any, child: Any) -> None:
        with self.lock:
            self.skipped[parent] = max(self.skipped.get(parent, 0.0), self.skipped.get(child, 0.0))

    def expire(self) -> None:
        with self.lock:
            if self.env.is_running():
                self.expired = True
                self.env.set_timed_out()


class _BudgetedTime:
    """The `time` module inside moto's retrier and `.sync` poller: a sleep counts for the path
    that sleeps, and one that would outlast the budget ends at it and times the execution out."""

    def __init__(self, inner: Any, current: threading.local, budgets: Any) -> None:
        self._inner = inner
        self._current = current
        self._budgets = budgets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def sleep(self, seconds: float) -> None:
        env = getattr(self._current, "env", None)
        budget: _Budget | None = None if env is None else self._budgets.get(env.event_manager)
        if budget is None:
            self._inner.sleep(seconds)
            return
        remaining = budget.remaining(env)
        nominal = max(0.0, min(float(seconds), remaining))
        started = time.monotonic()
        self._inner.sleep(nominal)
        budget.skip(env, nominal - (time.monotonic() - started))
        if nominal < seconds:
            budget.expire()


def install(core: Core) -> None:
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.common.retry.retrier_decl import RetrierDecl
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.utils import TMP_THREADS

    # Frames of one execution (Map iterations, Parallel branches) share its EventManager.
    budgets: weakref.WeakKeyDictionary[Any, _Budget] = weakref.WeakKeyDictionary()
    current = threading.local()  # the Environment whose evaluation this thread runs

    def budget_of(env: Any) -> _Budget | None:
        return budgets.get(env.event_manager)

    def evaluating(env: Any, call: Any, *args: Any) -> Any:
        previous = getattr(current, "env", None)
        current.env = env
        try:
            return call(*args)
        finally:
            current.env = previous

    original_program_eval = core.hooks.original(Program, "eval")

    def program_eval(self: Any, env: Any) -> None:
        timeout = self.timeout_seconds.timeout_seconds if self.timeout_seconds else None
        if timeout is None or env.is_frame():
            original_program_eval(self, env)
            return
        budget = _Budget(env=env, seconds=float(timeout))
        budgets[env.event_manager] = budget
        env.next_state_name = self.start_at.start_at_name
        worker = threading.Thread(target=EvalComponent.eval, args=(self, env), daemon=True)
        TMP_THREADS.append(worker)
        worker.start()
        while worker.is_alive():
            if budget.remaining_longest() <= 0:
                budget.expire()
                worker.join(_HISTORY_GRACE_SECONDS)  # let ExecutionTimedOut be recorded
                return
            worker.join(WATCHDOG_POLL_SECONDS)

    original_state_body = core.hooks.original(CommonStateField, "_eval_body")

    def state_body(self: Any, env: Any) -> None:
        budget = budget_of(env)
        if budget is None:
            original_state_body(self, env)
        elif budget.remaining(env) <= 0:
            budget.expire()  # no state starts once the budget is spent
        else:
            evaluating(env, original_state_body, self, env)

    original_retrier_body = core.hooks.original(RetrierDecl, "_eval_body")

    def retrier_body(self: Any, env: Any) -> None:
        evaluating(env, original_retrier_body, self, env)

    original_eval_sync = core.hooks.original(StateTaskServiceCallback, "_eval_sync")

    def eval_sync(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        return evaluating(env, lambda: original_eval_sync(self, env, *args, **kwargs))

    # The Wait function as the clock part made it (on the scaled clock), capped at the budget.
    original_wait = core.hooks.original(WaitFunction, "_wait_interval")

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        budget = budget_of(env)
        if budget is None:
            original_wait(self, env, wait_seconds)
            return
        nominal = max(0.0, min(float(wait_seconds), budget.remaining(env)))
        started = time.monotonic()
        original_wait(self, env, nominal)
        if env.is_running():  # not interrupted: the clock skipped what it did not wait
            budget.skip(env, nominal - (time.monotonic() - started))
            if nominal < wait_seconds:
                budget.expire()

    def forking(name: str) -> Any:
        original = core.hooks.original(Environment, name)

        def open_frame(self: Any, *args: Any, **kwargs: Any) -> Any:
            frame = original(self, *args, **kwargs)
            budget = budget_of(self)
            if budget is not None:
                budget.fork(self, frame)
            return frame

        return open_frame

    original_close_frame = core.hooks.original(Environment, "close_frame")

    def close_frame(self: Any, frame: Any) -> None:
        budget = budget_of(self)
        if budget is not None:
            budget.join(self, frame)
        original_close_frame(self, frame)

    original_add_event = core.hooks.original(EventManager, "add_event")

    def add_event(
        self: Any,
        context: Any,
        event_type: Any,
        event_details: Any = None,
        timestamp: Any = None,
        update_source_event_id: bool = True,
    ) -> Any:
        budget = budgets.get(self)
        if budget is not None and budget.expired:
            if event_type != HistoryEventType.ExecutionTimedOut:
                # What the states still winding down do is not the execution's any more:
                # on AWS the timeout is its last event.
                return 0
            event_details = {"executionTimedOutEventDetails": {"error": TIMEOUT_ERROR}}
        return original_add_event(
            self, context, event_type, event_details, timestamp, update_source_event_id
        )

    core.hooks.replace(Program, "eval", program_eval)
    core.hooks.replace(CommonStateField, "_eval_body", state_body)
    core.hooks.replace(RetrierDecl, "_eval_body", retrier_body)
    core.hooks.replace(StateTaskServiceCallback, "_eval_sync", eval_sync)
    core.hooks.replace(WaitFunction, "_wait_interval", _wait_interval)
    core.hooks.replace(Environment, "open_frame", forking("open_frame"))
    core.hooks.replace(Environment, "open_inner_frame", forking("open_inner_frame"))
    core.hooks.replace(Environment, "close_frame", close_frame)
    core.hooks.replace(EventManager, "add_event", add_event)
    for module in (retrier_decl, state_task_service_callback):
        inner = core.hooks.original(module, "time")
        core.hooks.replace(module, "time", _BudgetedTime(inner, current, budgets))
