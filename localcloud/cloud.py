"""`LocalCloud`: the whole suite on moto, in process, with no Docker and no network."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from localcloud import eventpattern, patches
from localcloud.deploy import Deployer, Stack, new_stack
from localcloud.dispatch import AsyncFailure, Dispatcher, ScaledClock
from localcloud.errors import (
    FunctionError,
    IdleTimeoutError,
    LocalCloudError,
    MalformedEventError,
    UnknownResourceError,
)
from localcloud.runtime import FunctionSpec, Runtime, isolation
from localcloud.template import ACCOUNT_ID, read_samconfig

LOG = logging.getLogger("localcloud")

# Lambda retries a failed asynchronous invocation twice, after about one and then two minutes.
_ASYNC_RETRY_DELAYS = (60.0, 120.0)

_PROCESS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # as on AWS, the AWS managed policies exist
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # no AMI snapshots nobody asked for
}


class LocalCloud:
    """Stands a SAM template up on moto and routes events between its resources.

    Use it as a context manager. See the README's "Local cloud" section for the contract.
    """

    def __init__(
        self,
        template: str | os.PathLike[str] = "template.yaml",
        config_env: str | None = None,
        parameters: dict[str, Any] | None = None,
        time_scale: float = 0.0,
        echo_logs: bool = False,
    ) -> None:
        self._first = (Path(template).resolve(), config_env, dict(parameters or {}))
        self.clock = ScaledClock(time_scale)
        self.runtime = Runtime()
        self.runtime.on_log = self._echo if echo_logs else None
        self.dispatcher = Dispatcher()
        self.stacks: list[Stack] = []
        self.layer_dirs: dict[str, Path] = {}
        self._functions: dict[str, FunctionSpec] = {}
        self._async_retries: dict[str, int] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._mock: Any = None
        self._isolation: Any = None
        self._saved_env: dict[str, str | None] = {}
        self.batch_behaviours: dict[str, BatchBehaviour] = {}
        self.running_batch_jobs: dict[str, tuple[float, BatchBehaviour]] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        from moto import mock_aws

        # moto's ASL interpreter logs every caught error (Choice IsPresent misses included)
        # with the whole program tree; the execution history already says what failed.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)

        for key, value in _PROCESS_ENV.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        self._isolation = isolation()
        self._isolation.__enter__()
        self._mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "batch": {"use_docker": False},
            }
        )
        self._mock.start()
        try:
            patches.install(self)
        except Exception:
            self._mock.stop()
            raise
        try:
            path, config_env, parameters = self._first
            self.deploy(template=path, config_env=config_env, parameters=parameters)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._mock is None:
            return
        try:
            self._stop_running_executions()
        finally:
            self.dispatcher.shutdown()
            patches.uninstall()
            self._mock.stop()
            self._mock = None
            self._isolation.__exit__(None, None, None)
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def deploy(
        self,
        template: str | os.PathLike[str] = "template.yaml",
        config_env: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Stack:
        """Deploy another stack (for example the DR one) next to those already up."""
        path = Path(template).resolve()
        config = read_samconfig(path, config_env)
        overrides = {**config.parameter_overrides, **(parameters or {})}
        if any(s.name == config.stack_name and s.region == config.region for s in self.stacks):
            raise LocalCloudError(
                f"stack {config.stack_name} is already deployed in {config.region}"
            )
        stack = new_stack(path, config.stack_name, config.region, overrides)
        self.stacks.append(stack)
        try:
            Deployer(self, stack).deploy()
        except Exception:
            self.stacks.remove(stack)
            raise
        return stack

    # ------------------------------------------------------------------ lookups

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client bound to the local cloud (the stack's region by default)."""
        region = region or self._default_region()
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service,
                region_name=region,
                config=Config(retries={"mode": "standard", "max_attempts": 1}),
            )
        return self._clients[key]

    def _default_region(self) -> str:
        return self.stacks[0].region if self.stacks else "us-east-1"

    def stack(self, region: str | None = None, logical_id: str | None = None) -> Stack:
        """The stack in `region`; without a region the first stack (or the one with the id)."""
        candidates = [s for s in self.stacks if region is None or s.region == region]
        if not candidates:
            raise UnknownResourceError(f"no stack is deployed in region {region}")
        if logical_id is not None and region is None:
            for stack in candidates:
                if logical_id in stack.resources:
                    return stack
        return candidates[0]

    def physical_id(self, logical_id: str, region: str | None = None) -> Any:
        """What `Ref` returns for the resource: an ARN, name or URL depending on its type."""
        return self.stack(region, logical_id).get(logical_id).ref

    def attribute(self, logical_id: str, attribute: str, region: str | None = None) -> Any:
        deployed = self.stack(region, logical_id).get(logical_id)
        if attribute not in deployed.attrs:
            raise UnknownResourceError(f"{logical_id} has no attribute {attribute}")
        return deployed.attrs[attribute]

    def function_spec(self, name_or_arn: str) -> FunctionSpec | None:
        arn = name_or_arn.split(":$LATEST")[0]
        if arn.count(":") >= 7:
            arn = ":".join(arn.split(":")[:7])  # drop a version or alias qualifier
        return self._functions.get(arn)

    def register_function(self, spec: FunctionSpec, async_retries: int = 2) -> None:
        self._functions[spec.arn] = spec
        self._async_retries[spec.arn] = async_retries

    def _typed(self, logical_id: str, region: str | None, *types: str) -> Any:
        deployed = self.stack(region, logical_id).get(logical_id)
        if deployed.type not in types:
            raise UnknownResourceError(
                f"{logical_id} is a {deployed.type}, not one of {list(types)}"
            )
        return deployed

    # ------------------------------------------------------------------ Lambda

    def invoke(self, logical_id: str, event: Any = None, region: str | None = None) -> Any:
        """Invoke a function synchronously; return its result or raise FunctionError."""
        deployed = self._typed(logical_id, region, "AWS::Serverless::Function")
        arn = deployed.attrs["Arn"]
        try:
            body = json.dumps({} if event is None else event)
        except TypeError as exc:
            raise MalformedEventError(f"event for {logical_id} is not JSON: {exc}") from exc
        response = self.client("lambda", region=arn.split(":")[3]).invoke(
            FunctionName=arn, Payload=body.encode()
        )
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise FunctionError(
                logical_id, payload.get("errorType", "Unknown"), payload.get("errorMessage", "")
            )
        return payload

    def function_log(self, logical_id: str, region: str | None = None) -> list[str]:
        """Every line a function has logged (its START/END lines too), oldest first; none if
        it was never invoked."""
        deployed = self._typed(logical_id, region, "AWS::Serverless::Function")
        logs = self.client("logs", region=deployed.attrs["Arn"].split(":")[3])
        group = f"/aws/lambda/{deployed.ref}"
        if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
            return []
        return [
            event["message"]
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            for event in page["events"]
        ]

    def invoke_async(self, function_arn: str, event: Any, source: str) -> None:
        """An asynchronous invocation: retried twice on error, like Lambda's event queue."""
        spec = self.function_spec(function_arn)
        if spec is None:
            raise UnknownResourceError(f"{source}: no local function {function_arn}")
        retries = self._async_retries.get(spec.arn, 2)

        def run() -> None:
            for attempt in range(retries + 1):
                payload, failed = self._invoke_through_moto(spec, event)
                if not failed:
                    return
                if attempt < retries:
                    self.clock.sleep(_ASYNC_RETRY_DELAYS[min(attempt, 1)])
            error = json.loads(payload)
            LOG.warning(
                "%s: %s failed after %d attempts: %s", source, spec.name, retries + 1, error
            )
            self.dispatcher.failures.append(
                AsyncFailure(
                    f"{spec.name} ({source})",
                    error.get("errorType", ""),
                    error.get("errorMessage", ""),
                    event,
                )
            )

        self.dispatcher.submit(run)

    @staticmethod
    def _invoke_through_moto(spec: FunctionSpec, event: Any) -> tuple[str, bool]:
        """Invoke as AWS services do, through moto's Lambda (which keeps the logs)."""
        from moto.awslambda.utils import get_backend

        fn = get_backend(ACCOUNT_ID, spec.region).get_function(spec.arn)
        payload, failed, _ = fn._invoke_lambda(event=event)
        return payload, failed

    @property
    def async_failures(self) -> list[AsyncFailure]:
        """Asynchronous invocations that failed after Lambda's retries, oldest first."""
        return list(self.dispatcher.failures)

    def _echo(self, spec: FunctionSpec, logs: str) -> None:
        for line in logs.splitlines():
            LOG.info("[%s] %s", spec.name, line)

    # ------------------------------------------------------------------ EventBridge

    def put_events(self, entries: Iterable[dict[str, Any]], region: str | None = None) -> list[str]:
        """Put EventBridge entries (the PutEvents shape); return their event ids."""
        entries = [dict(e) if isinstance(e, dict) else e for e in entries]
        if not entries or len(entries) > 10:
            raise MalformedEventError(f"PutEvents takes 1 to 10 entries, got {len(entries)}")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise MalformedEventError(f"entry {index} is not an object: {entry!r}")
            for key in ("Source", "DetailType", "Detail"):
                if entry.get(key) in (None, ""):
                    raise MalformedEventError(f"entry {index} has no {key}")
            detail = entry["Detail"]
            if not isinstance(detail, str):
                entry["Detail"] = detail = json.dumps(detail)
            try:
                parsed = json.loads(detail)
            except json.JSONDecodeError as exc:
                raise MalformedEventError(f"entry {index}: Detail is not JSON: {exc}") from exc
            if not isinstance(parsed, dict):
                raise MalformedEventError(f"entry {index}: Detail must be a JSON object")
        response = self.client("events", region=region).put_events(Entries=entries)
        if response.get("FailedEntryCount"):
            raise MalformedEventError(f"EventBridge rejected entries: {response['Entries']}")
        return [e["EventId"] for e in response["Entries"]]

    def fire_schedule(self, logical_id: str, region: str | None = None) -> list[Any]:
        """Deliver what the schedule of that rule, function, state machine or rotation would
        deliver next: a rule's at the next minute on the local cloud's clock (waited for at
        its scale). Returns what was started (execution ARNs, function ARNs)."""
        stack = self.stack(region, logical_id)
        stack.get(logical_id)
        if logical_id in stack.rotations:
            rotation = stack.rotations[logical_id]
            self.client("secretsmanager", region=stack.region).rotate_secret(
                SecretId=rotation["SecretId"]
            )
            return [rotation["SecretId"]]
        rules = stack.schedules.get(logical_id)
        if not rules:
            raise UnknownResourceError(f"{logical_id} in stack {stack.name} has no schedule")
        from moto.events.models import events_backends

        bus = events_backends[ACCOUNT_ID][stack.region].describe_event_bus("default")
        # Schedules fire on the minute: wait on the clock for the next one, as the rule would.
        self.clock.sleep(60 - self.clock.wall() % 60)
        minute = datetime.fromtimestamp(round(self.clock.wall() / 60) * 60, UTC)
        started: list[Any] = []
        for name in rules:
            rule = bus.rules[name]
            if rule.state != "ENABLED":
                continue
            event = eventpattern.scheduled_event(
                rule_arn=rule.arn, account=ACCOUNT_ID, region=stack.region, time=minute
            )
            started += patches.deliver_to_targets(rule, event)
        return started

    # ------------------------------------------------------------------ Step Functions

    def start_execution(
        self, logical_id: str, input: Any = None, name: str | None = None, region: str | None = None
    ) -> str:
        deployed = self._typed(
            logical_id, region, "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"
        )
        return self.start_execution_arn(deployed.ref, {} if input is None else input, name)

    def start_execution_arn(self, arn: str, input: Any, name: str | None = None) -> str:
        # Without a name AWS makes up a UUID; moto's interpreter would name every one "None".
        kwargs: dict[str, Any] = {
            "stateMachineArn": arn,
            "name": name or str(uuid.uuid4()),
            "input": input if isinstance(input, str) else json.dumps(input),
        }
        response = self.client("stepfunctions", region=arn.split(":")[3]).start_execution(**kwargs)
        return str(response["executionArn"])

    def executions(self, logical_id: str, region: str | None = None) -> list[dict[str, Any]]:
        """Every execution of the state machine, oldest first, with its history."""
        arn = self._typed(
            logical_id, region, "AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"
        ).ref
        sfn = self.client("stepfunctions", region=arn.split(":")[3])
        listed: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn):
            listed += page["executions"]
        listed.sort(key=lambda e: e["startDate"])
        return [self.describe_execution(e["executionArn"]) for e in listed]

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        sfn = self.client("stepfunctions", region=execution_arn.split(":")[3])
        described = sfn.describe_execution(executionArn=execution_arn)
        history: list[dict[str, Any]] = []
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
            history += page["events"]
        return {
            "arn": execution_arn,
            "name": described.get("name"),
            "status": described["status"],
            "input": _maybe_json(described.get("input")),
            "output": _maybe_json(described.get("output")),
            "error": described.get("error"),
            "cause": described.get("cause"),
            "history": history,
        }

    def _state_machine_arns(self) -> list[str]:
        return [
            d.ref
            for s in self.stacks
            for d in s.resources.values()
            if d.type in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
        ]

    def _running(self) -> list[str]:
        running: list[str] = []
        for arn in self._state_machine_arns():
            sfn = self.client("stepfunctions", region=arn.split(":")[3])
            for page in sfn.get_paginator("list_executions").paginate(
                stateMachineArn=arn, statusFilter="RUNNING"
            ):
                running += [e["executionArn"] for e in page["executions"]]
        return running

    def _stop_running_executions(self) -> None:
        for arn in self._running():
            try:
                self.client("stepfunctions", region=arn.split(":")[3]).stop_execution(
                    executionArn=arn
                )
            except Exception:  # noqa: BLE001 - it may have finished in between
                LOG.debug("could not stop %s", arn)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait until no execution runs and no asynchronous invocation is in flight."""
        deadline = time.monotonic() + timeout
        quiet_checks = 0
        while True:
            remaining = deadline - time.monotonic()
            busy = not self.dispatcher.wait(max(0.0, min(remaining, 1.0)))
            running = self._running()
            if not busy and not running and self.dispatcher.pending == 0:
                quiet_checks += 1
                if quiet_checks >= 2:  # twice in a row: nothing was handing work on
                    return
            else:
                quiet_checks = 0
            if time.monotonic() >= deadline:
                raise IdleTimeoutError(
                    f"still busy after {timeout}s: {self.dispatcher.pending} asynchronous "
                    f"invocation(s), running executions {running}"
                )
            time.sleep(0.01)

    # ------------------------------------------------------------------ Batch

    def batch_job_behaviour(
        self,
        job_definition: str,
        *,
        seconds: float = 0.0,
        outcome: str = "SUCCEEDED",
        reason: str = "Essential container in task exited",
    ) -> None:
        """Jobs of this definition (name, any revision) run `seconds` on the scaled clock, then end
        as `outcome`. Without a behaviour, a job succeeds the moment it is submitted."""
        if outcome not in ("SUCCEEDED", "FAILED"):
            raise ValueError("outcome is SUCCEEDED or FAILED")
        name = job_definition.rsplit("/", 1)[-1].split(":", 1)[0]
        self.batch_behaviours[name] = BatchBehaviour(float(seconds), outcome, reason)

    # ------------------------------------------------------------------ Secrets Manager

    def rotate_secret(
        self, secret_id: str, lambda_arn: str, rules: dict[str, Any], region: str | None = None
    ) -> None:
        kwargs: dict[str, Any] = {"SecretId": secret_id, "RotationLambdaARN": lambda_arn}
        days = rules.get("AutomaticallyAfterDays")
        if days:
            kwargs["RotationRules"] = {"AutomaticallyAfterDays": int(days)}
        self.client("secretsmanager", region=region).rotate_secret(**kwargs)

    def run_rotation(
        self, lambda_arn: str, secret_arn: str, token: str, steps: Iterable[str]
    ) -> None:
        """Secrets Manager's side of a rotation: each step in turn, stopping at a failure."""
        spec = self.function_spec(lambda_arn)
        assert spec is not None
        steps = tuple(steps)

        def run() -> None:
            for step in steps:
                event = {
                    "Step": step,
                    "SecretId": secret_arn,
                    "ClientRequestToken": token,
                    "RotationToken": token,
                }
                payload, failed = self._invoke_through_moto(spec, event)
                if failed:
                    error = json.loads(payload)
                    LOG.warning(
                        "rotation of %s stopped at %s: %s", secret_arn, step, error.get("errorType")
                    )
                    self.dispatcher.failures.append(
                        AsyncFailure(
                            f"rotation {step} ({spec.name})",
                            error.get("errorType", ""),
                            error.get("errorMessage", ""),
                            event,
                        )
                    )
                    return
            if "finishSecret" in steps:
                # A rotation that completed leaves no AWSPENDING label behind.
                sm = self.client("secretsmanager", region=spec.region)
                stages = sm.describe_secret(SecretId=secret_arn).get("VersionIdsToStages", {})
                if "AWSPENDING" in stages.get(token, []):
                    sm.update_secret_version_stage(
                        SecretId=secret_arn, VersionStage="AWSPENDING", RemoveFromVersionId=token
                    )

        self.dispatcher.submit(run)


@dataclass(frozen=True)
class BatchBehaviour:
    seconds: float
    outcome: str
    reason: str


def _maybe_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
