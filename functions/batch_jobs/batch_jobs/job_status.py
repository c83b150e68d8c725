"""A Batch job's state, in the words a state machine Choice needs."""

from __future__ import annotations

from typing import Any

from steward_common.errors import InvalidInputError

TERMINAL = ("SUCCEEDED", "FAILED")


class JobNotFoundError(InvalidInputError):
    """No Batch job has that id."""


def job_status(batch: Any, job_id: str) -> dict[str, Any]:
    jobs = batch.describe_jobs(jobs=[job_id]).get("jobs", [])
    if not jobs:
        raise JobNotFoundError(f"Batch job {job_id} does not exist")
    job = jobs[0]
    attempts = job.get("attempts", [])
    last = attempts[-1] if attempts else {}
    container = job.get("container", {})
    return {
        "status": job["status"],
        "statusReason": job.get("statusReason") or last.get("statusReason") or "",
        "exitCode": last.get("container", {}).get("exitCode", container.get("exitCode")),
        "attempts": len(attempts),
        "logStream": last.get("container", {}).get("logStreamName")
        or container.get("logStreamName"),
        "done": job["status"] in TERMINAL,
    }
