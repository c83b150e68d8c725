"""AWS Batch without Docker: jobs that run for a nominal time on the local cloud's clock, and
send their Batch Job State Change events.

moto's Docker-free Batch finishes every job at submission. A job whose definition has a
behaviour (`localcloud.testing.batch_job_behaviour`) instead starts RUNNING and ends when the
local cloud's virtual clock has moved on by its runtime, as SUCCEEDED or FAILED with a reason:
a timer ends it then (`core.timers`), and DescribeJobs ends it if it asks first.
DescribeJobs describes from a copy: moto appended AWS_BATCH_JOB_ID to the job's own
environment overrides on every call, so a long `.sync` job's description grew with every
poll until Step Functions refused it (States.DataLimitExceeded).

"Anytime that an existing (previously submitted) job changes states, an event is created."
"Events aren't created for the initial job submission." "The detail section resembles the
JobDetail object that's returned from a DescribeJobs API operation" (AWS Batch User Guide,
"Job state change events"). A job with no dependencies goes from SUBMITTED to RUNNABLE,
STARTING, RUNNING and SUCCEEDED or FAILED (User Guide, "Job states"): each of those sends a
"Batch Job State Change" event (source aws.batch) to the default bus of the job's region.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events import service_events

OUTCOMES = ("SUCCEEDED", "FAILED")
# The states a job without dependencies passes through after SUBMITTED, before it ends.
_ON_THE_WAY = ("RUNNABLE", "STARTING", "RUNNING")
DETAIL_TYPE = "Batch Job State Change"


@dataclass(frozen=True)
class BatchBehaviour:
    seconds: float
    outcome: str
    reason: str


class BatchJobs:
    """Behaviours by job definition name, and the jobs running on the clock."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.behaviours: dict[str, BatchBehaviour] = {}
        self.running: dict[str, tuple[float, BatchBehaviour]] = {}
        self._lock = threading.Lock()

    def set_behaviour(self, job_definition: str, seconds: float, outcome: str, reason: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError("outcome is SUCCEEDED or FAILED")
        name = job_definition.rsplit("/", 1)[-1].split(":", 1)[0]
        self.behaviours[name] = BatchBehaviour(float(seconds), outcome, reason)

    def _now(self) -> datetime:
        # moto stamps naive local datetimes; these are the local cloud's clock's.
        return datetime.fromtimestamp(self.core.clock.wall())

    def _advance(self, jobs: dict[str, Any]) -> None:
        now = self.core.clock.now()
        for job_id, (ends, _) in list(self.running.items()):
            job = jobs.get(job_id)
            if job is None or job.job_stopped:
                with self._lock:
                    self.running.pop(job_id, None)
            elif now >= ends:
                self._end(job)

    def _end(self, job: Any, reason: str | None = None) -> None:
        """End a running job as its behaviour says (or FAILED with `reason`), once."""
        with self._lock:
            entry = self.running.pop(job.job_id, None)
        if entry is None or job.job_stopped:
            return
        behaviour = entry[1]
        success = reason is None and behaviour.outcome == "SUCCEEDED"
        if not success:
            job.job_stopped_reason = reason or behaviour.reason
        job._mark_stopped(success=success)
        job.job_stopped_at = self._now()
        job._stop_attempt()
        self._send(job, job.status)

    def _send(self, job: Any, status: str) -> None:
        """The job's Batch Job State Change event for `status`: its JobDetail as DescribeJobs
        gives it, as it was in that state."""
        detail = copy.deepcopy(job.describe())
        detail["status"] = status
        if status not in OUTCOMES:
            for key in ("stoppedAt", "statusReason"):
                detail.pop(key, None)
            if isinstance(detail.get("container"), dict):
                detail["container"].pop("exitCode", None)
        if status in ("RUNNABLE", "STARTING"):
            detail.pop("startedAt", None)
            detail["attempts"] = []
        backend = job.backend
        service_events.send(
            self.core,
            source="aws.batch",
            detail_type=DETAIL_TYPE,
            detail=detail,
            region=backend.region_name,
            account=backend.account_id,
            resources=[job.arn],
        )

    def install(self) -> None:
        from moto.batch.models import BatchBackend, Job
        from moto.batch_simple.models import BatchSimpleBackend

        hooks, state = self.core.hooks, self
        original_finish = hooks.original(BatchSimpleBackend, "_mark_job_as_finished")
        hooks.original(BatchBackend, "describe_jobs")  # fails loudly if moto drops it
        original_terminate = hooks.original(BatchBackend, "terminate_job")
        original_property = hooks.original(Job, "_get_container_property")

        def _mark_job_as_finished(self: Any, include_start_attempt: bool, job: Any) -> None:
            behaviour = state.behaviours.get(job.job_definition.name)
            # Its times are the local cloud's clock's, as the times its events carry (moto
            # stamps the system clock, which a skipped wait leaves behind).
            now = job.job_created_at = state._now()
            if behaviour is None:
                # Done at submission: it went through every state at once.
                original_finish(self, include_start_attempt, job)
                job.job_started_at = job.job_stopped_at = now
                if job.latest_attempt:
                    job.latest_attempt["startedAt"] = int(now.timestamp() * 1000)
                job._stop_attempt()
                for status in (*_ON_THE_WAY, job.status):
                    state._send(job, status)
                return None
            self.backend._jobs[job.job_id] = job
            job.job_started_at = now
            job.log_stream_name = job._stream_name
            if include_start_attempt:
                job._start_attempt()
            job.status = "RUNNING"
            ends = state.core.clock.now() + behaviour.seconds
            with state._lock:
                state.running[job.job_id] = (ends, behaviour)
            for status in _ON_THE_WAY:
                state._send(job, status)
            # It ends when the clock gets there, whether or not anyone asks.
            state.core.timers.at(ends, lambda: state._end(job))
            return None

        def describe_jobs(self: Any, jobs: list[str] | None) -> list[dict[str, Any]]:
            state._advance(self._jobs)
            # moto's own iterates the backend's job dict while a job submitted at the same
            # moment (a Parallel branch, another execution) is added to it: "dictionary changed
            # size during iteration". The same answer, from a snapshot of the dict.
            wanted = set(jobs or [])
            return [
                job.describe()
                for key, job in list(self._jobs.items())
                if not wanted or key in wanted or job.arn in wanted
            ]

        def terminate_job(self: Any, job_id: str, reason: str) -> None:
            original_terminate(self, job_id, reason)
            job = self.get_job_by_id(job_id)
            if job is not None:
                state._end(job, reason=reason)

        def _get_container_property(self: Any, p: str, default: Any) -> Any:
            environment = self.container_overrides.get("environment")
            if p != "environment" or environment is None:
                return original_property(self, p, default)
            self.container_overrides["environment"] = list(environment)
            try:
                return original_property(self, p, default)
            finally:
                self.container_overrides["environment"] = environment

        hooks.replace(Job, "_get_container_property", _get_container_property)
        hooks.replace(BatchSimpleBackend, "_mark_job_as_finished", _mark_job_as_finished)
        hooks.replace(BatchBackend, "describe_jobs", describe_jobs)
        hooks.replace(BatchBackend, "terminate_job", terminate_job)


def install(core: Core) -> None:
    jobs = BatchJobs(core)
    jobs.install()
    core.services["batch"] = jobs
