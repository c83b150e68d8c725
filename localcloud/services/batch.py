"""AWS Batch without Docker: jobs that run for a nominal time on the local cloud's clock.

moto's Docker-free Batch finishes every job at submission. A job whose definition has a
behaviour (`localcloud.testing.batch_job_behaviour`) instead starts RUNNING and ends when the
local cloud's virtual clock has moved on by its runtime, as SUCCEEDED or FAILED with a reason.
DescribeJobs describes from a copy: moto appended AWS_BATCH_JOB_ID to the job's own
environment overrides on every call, so a long `.sync` job's description grew with every
poll until Step Functions refused it (States.DataLimitExceeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from localcloud.core import Core

OUTCOMES = ("SUCCEEDED", "FAILED")


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

    def set_behaviour(self, job_definition: str, seconds: float, outcome: str, reason: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError("outcome is SUCCEEDED or FAILED")
        name = job_definition.rsplit("/", 1)[-1].split(":", 1)[0]
        self.behaviours[name] = BatchBehaviour(float(seconds), outcome, reason)

    def _advance(self, jobs: dict[str, Any]) -> None:
        now = self.core.clock.now()
        for job_id, (ends, behaviour) in list(self.running.items()):
            job = jobs.get(job_id)
            if job is None or job.job_stopped:
                self.running.pop(job_id, None)
            elif now >= ends:
                if behaviour.outcome == "FAILED":
                    job.job_stopped_reason = behaviour.reason
                job._mark_stopped(success=behaviour.outcome == "SUCCEEDED")
                self.running.pop(job_id, None)

    def install(self) -> None:
        from moto.batch.models import BatchBackend, Job
        from moto.batch_simple.models import BatchSimpleBackend

        hooks, state = self.core.hooks, self
        original_finish = hooks.original(BatchSimpleBackend, "_mark_job_as_finished")
        original_describe = hooks.original(BatchBackend, "describe_jobs")
        original_terminate = hooks.original(BatchBackend, "terminate_job")
        original_property = hooks.original(Job, "_get_container_property")

        def _mark_job_as_finished(self: Any, include_start_attempt: bool, job: Any) -> None:
            behaviour = state.behaviours.get(job.job_definition.name)
            if behaviour is None:
                return original_finish(self, include_start_attempt, job)  # type: ignore[no-any-return]
            self.backend._jobs[job.job_id] = job
            job.job_started_at = datetime.now()
            job.log_stream_name = job._stream_name
            if include_start_attempt:
                job._start_attempt()
            job.status = "RUNNING"
            state.running[job.job_id] = (state.core.clock.now() + behaviour.seconds, behaviour)
            return None

        def describe_jobs(self: Any, jobs: list[str] | None) -> list[dict[str, Any]]:
            state._advance(self._jobs)
            return original_describe(self, jobs)  # type: ignore[no-any-return]

        def terminate_job(self: Any, job_id: str, reason: str) -> None:
            original_terminate(self, job_id, reason)
            job = self.get_job_by_id(job_id)
            if job_id in state.running and job is not None:
                state.running.pop(job_id)
                job.job_stopped_reason = reason
                job._mark_stopped(success=False)

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
