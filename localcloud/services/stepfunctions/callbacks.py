"""A `.waitForTaskToken` task's `TimeoutSeconds`, measured on the local cloud's clock.

AWS: a Task's TimeoutSeconds is the "Maximum time that a state can run before it fails with a
States.Timeout error"; "If the token isn't returned within the task's TimeoutSeconds, the task
fails with a States.Timeout error" (Step Functions Developer Guide, "Wait for a Callback with
Task Token"). moto waited for the token in real seconds, so a one-hour approval could only time
out after a real hour. Here the wait ends once the local clock (which `pass_time` and every
skipped wait move) has run the timeout's seconds since the task began: the task then fails
with States.Timeout as on AWS. A token sent back in time still ends the wait at once, and
so does the task ending another way: a `.sync` task runs this same wait beside its own
resolver, which interrupts it when the job is done.
"""

from __future__ import annotations

from typing import Any

from localcloud.core import Core, MotoChangedError

# Real seconds between looks at the clock while a task waits for its token.
POLL_SECONDS = 0.05


def install(core: Core) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

    clock = core.clock
    core.hooks.original(StateTaskServiceCallback, "_wait_for_task_token_timeout")
    if not hasattr(CallbackEndpoint("probe"), "_notify_event"):
        raise MotoChangedError(
            "moto changed: CallbackEndpoint has no _notify_event, which tells an interrupted "
            "wait (the task ended another way: a .sync task's job done) from a quiet one"
        )

    def _wait_for_task_token_timeout(
        self: Any, timeout_seconds: int, callback_endpoint: Any
    ) -> Any:
        deadline = clock.now() + float(timeout_seconds)
        while True:
            outcome = callback_endpoint.wait(timeout=POLL_SECONDS)
            if outcome is not None:
                return outcome
            if callback_endpoint._notify_event.is_set():
                return None  # interrupted: the task ended another way (a .sync's resolver)
            if clock.now() >= deadline:
                return None  # moto's "timed out": CallbackOutcomeTimedOut, States.Timeout

    core.hooks.replace(
        StateTaskServiceCallback, "_wait_for_task_token_timeout", _wait_for_task_token_timeout
    )
