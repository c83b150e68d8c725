"""A Batch job from its description: the generic SubmitJob every workflow step uses.

Input (all keys but name, queue and definition optional):
    {"job": {"name", "queue", "definition", "command" | "commandTemplate", "environment",
             "resources": {"vcpus", "memory", "gpus"}, "parameters", "dependsOn",
             "retryStrategy", "timeout", "tags"},
     "context": {...values a commandTemplate refers to as {key} or {tool.key}...}}
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from batch_jobs.templates import fill
from steward_common.errors import InvalidInputError, TransientError


class InvalidJobSpecError(InvalidInputError):
    """The job description is malformed or its command template cannot be filled."""


class UnknownJobQueueError(InvalidInputError):
    """The job queue does not exist."""


class UnknownJobDefinitionError(InvalidInputError):
    """The job definition does not exist."""


class BatchThrottledError(TransientError):
    """Batch throttled SubmitJob beyond the SDK's own retries; the state machine retries."""


class Resources(BaseModel):
    vcpus: float | None = Field(default=None, gt=0)
    memory: int | None = Field(default=None, gt=0)  # MiB
    gpus: int | None = Field(default=None, ge=0)


class RetryStrategy(BaseModel):
    attempts: int = Field(ge=1, le=10)
    evaluateOnExit: list[dict[str, str]] = []


class JobSpec(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
    queue: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    command: list[str] | None = None
    commandTemplate: list[str] | None = None
    environment: dict[str, str] = {}
    resources: Resources = Resources()
    parameters: dict[str, str] = {}
    dependsOn: list[str | dict[str, str]] = []
    retryStrategy: RetryStrategy | None = None
    timeout: int | None = Field(default=None, ge=60)
    tags: dict[str, str] = {}


def render(template: list[str], context: dict[str, Any]) -> list[str]:
    """Fill `{key}` / `{tool.key}` placeholders; every missing key is named at once."""
    rendered, missing = [], []
    for part in template:
        text, absent = fill(part, context)
        rendered.append(text)
        missing += absent
    if missing:
        raise InvalidJobSpecError(
            f"command template refers to missing values {sorted(set(missing))}"
        )
    return rendered


def resource_value(value: float) -> str:
    """A ResourceRequirement value as AWS Batch reads it: a whole number as an integer ("8",
    never "8.0", which EC2 compute environments refuse), a fraction as itself ("0.25", a
    Fargate vCPU value). The API Reference's ResourceRequirement gives whole vCPUs, MiB and
    GPUs for EC2, and 0.25, 0.5, 1, 2, 4, 8 and 16 vCPUs for Fargate."""
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def submit_request(spec: JobSpec, context: dict[str, Any]) -> dict[str, Any]:
    """The SubmitJob request for a job description."""
    if spec.command is not None and spec.commandTemplate is not None:
        raise InvalidJobSpecError("give command or commandTemplate, not both")
    command = (
        spec.command
        if spec.command is not None
        else (render(spec.commandTemplate, context) if spec.commandTemplate is not None else None)
    )
    overrides: dict[str, Any] = {}
    if command is not None:
        overrides["command"] = command
    if spec.environment:
        overrides["environment"] = [
            {"name": k, "value": v} for k, v in sorted(spec.environment.items())
        ]
    requirements = [
        {"type": kind, "value": resource_value(value)}
        for kind, value in (
            ("VCPU", spec.resources.vcpus),
            ("MEMORY", spec.resources.memory),
            ("GPU", spec.resources.gpus),
        )
        if value is not None
    ]
    if requirements:
        overrides["resourceRequirements"] = requirements
    request: dict[str, Any] = {
        "jobName": spec.name,
        "jobQueue": spec.queue,
        "jobDefinition": spec.definition,
    }
    if overrides:
        request["containerOverrides"] = overrides
    if spec.parameters:
        request["parameters"] = spec.parameters
    if spec.dependsOn:
        request["dependsOn"] = [d if isinstance(d, dict) else {"jobId": d} for d in spec.dependsOn]
    if spec.retryStrategy is not None:
        request["retryStrategy"] = spec.retryStrategy.model_dump(exclude_defaults=True)
    if spec.timeout is not None:
        request["timeout"] = {"attemptDurationSeconds": spec.timeout}
    if spec.tags:
        request["tags"] = spec.tags
    return request


def submit(batch: Any, request: dict[str, Any]) -> dict[str, str]:
    try:
        response = batch.submit_job(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in ("TooManyRequestsException", "ThrottlingException"):
            raise BatchThrottledError(f"SubmitJob throttled: {message}") from None
        lowered = message.lower()
        if "job queue" in lowered and ("does not exist" in lowered or "not found" in lowered):
            raise UnknownJobQueueError(f"job queue {request['jobQueue']} does not exist") from None
        if "job definition" in lowered and ("does not exist" in lowered or "not found" in lowered):
            raise UnknownJobDefinitionError(
                f"job definition {request['jobDefinition']} does not exist"
            ) from None
        raise
    return {
        "jobId": response["jobId"],
        "jobName": response["jobName"],
        "jobArn": response.get("jobArn", ""),
    }
