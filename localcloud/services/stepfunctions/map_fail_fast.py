"""An inline Map state fails, and its other iterations stop, as soon as one iteration fails.

AWS: "If any iteration fails, entire Map state fails, and all iterations are terminated."
moto failed the Map state with the first failing iteration's error too, but left the other
iterations running in the background until the whole execution ended, still calling their
Lambda functions and services, and recorded them as succeeded after the Map state had failed
(or not at all). Here the iterations still running
are stopped the moment one fails (their history shows `MapIterationAborted`), the ones not yet
started never start, and only then does the Map state fail, with the failing iteration's error
for its Retry and Catch. A Distributed Map (its tolerated failure thresholds) is left to moto.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

from localcloud.core import Core

__all__ = ["ABORT_GRACE_SECONDS", "install"]

# How long, in real seconds, the Map state waits for a stopped iteration to record its abort.
# A state in flight ends first: a Lambda function being invoked runs to its end, as on AWS
# (where its result is then ignored).
ABORT_GRACE_SECONDS = 30.0


def install(core: Core) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component import (
        InlineIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import JobPool
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.max_concurrency import (
        DEFAULT_MAX_CONCURRENCY_VALUE,
    )
    from moto.stepfunctions.parser.utils import TMP_THREADS

    # What moto's `_eval_body` uses, checked to exist.
    core.hooks.original(InlineIterationComponent, "_get_iteration_program")
    core.hooks.original(InlineIterationComponent, "_create_worker")
    for name in ("await_jobs", "get_worker_exception", "get_closed_jobs"):
        core.hooks.original(JobPool, name)

    def _eval_body(self: Any, env: Any) -> None:
        eval_input = env.stack.pop()
        items = eval_input.input_items
        job_pool = JobPool(job_program=self._get_iteration_program(), job_inputs=items)
        workers = (
            len(items)
            if eval_input.max_concurrency == DEFAULT_MAX_CONCURRENCY_VALUE
            else eval_input.max_concurrency
        )
        # Each worker opens its frame on `env`: those not there before are the iterations'.
        frames_before = set(map(id, env._frames))
        threads: list[threading.Thread] = []
        for _ in range(workers):
            worker = self._create_worker(env=env, eval_input=eval_input, job_pool=job_pool)
            thread = threading.Thread(target=worker.eval, daemon=True)
            TMP_THREADS.append(thread)
            threads.append(thread)
            thread.start()

        job_pool.await_jobs()
        failure = job_pool.get_worker_exception()
        if failure is not None:
            # The pool hands out no more jobs; stop the iterations still running.
            now = datetime.datetime.now(tz=datetime.UTC)
            for frame in list(env._frames):
                if id(frame) not in frames_before:
                    frame.set_stop(stop_date=now, cause=None, error=None)
            deadline = time.monotonic() + ABORT_GRACE_SECONDS
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            raise failure

        env.stack.append([job.job_output for job in job_pool.get_closed_jobs()])

    core.hooks.replace(InlineIterationComponent, "_eval_body", _eval_body)
