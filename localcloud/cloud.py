"""`LocalCloud`: the facade. Lifecycle, lookups by logical id, and delegation to the services.

Everything the local cloud emulates lives in `localcloud.services` (one module or package per
AWS service) on a shared `localcloud.core`; the template reader is `localcloud.template` and
the deployer `localcloud.deploy`. This class only starts and stops them and finds resources.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from localcloud import services
from localcloud.core import (
    AsyncFailure,
    Clients,
    Core,
    FunctionSpec,
    ScaledClock,
    check_moto_version,
)
from localcloud.core.clock import lend_to_steward
from localcloud.core.functions import default_log_group
from localcloud.deploy import Deployer, Stack, new_stack
from localcloud.errors import (
    FunctionError,
    IdleTimeoutError,
    LocalCloudError,
    MalformedEventError,
    UnknownResourceError,
)
from localcloud.services import cloudformation
from localcloud.services.iam import enforcement
from localcloud.services.iam.enforcement import Authorizer, Mode
from localcloud.services.lambda_ import isolation
from localcloud.services.lambda_.runtime import stop_sending
from localcloud.template import read_samconfig

LOG = logging.getLogger("localcloud")

_PROCESS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # as on AWS, the AWS managed policies exist
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # no AMI snapshots nobody asked for
}
_STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")

# moto's backends are process-wide, so one local cloud runs in a process at a time.
_ACTIVE_LOCK = threading.Lock()
_ACTIVE: list[LocalCloud] = []


def _account_id() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


class LocalCloud:
    """Stands a SAM template up on moto and routes events between its resources.

    Use it as a context manager. See the README's "The local cloud" section for the contract.
    """

    def __init__(
        self,
        template: str | os.PathLike[str] = "template.yaml",
        config_env: str | None = None,
        parameters: dict[str, Any] | None = None,
        time_scale: float = 0.0,
        echo_logs: bool = False,
        iam: Mode = "enforce",
        schedules: bool = False,
    ) -> None:
        """`iam`: "enforce" evaluates every call against its caller's IAM policies and denies
        as AWS does; "warn" logs what it would deny and lets it through; "off" allows all.
        `schedules`: rate and cron rules fire by themselves on the clock (else only through
        `fire_schedule`)."""
        if iam not in ("enforce", "warn", "off"):
            raise ValueError(f"iam is enforce, warn or off, not {iam!r}")
        self._iam_mode: Mode = iam
        self._schedules = schedules
        self._first = (Path(template).resolve(), config_env, dict(parameters or {}))
        self.stacks: list[Stack] = []
        self._core = Core(
            account_id=_account_id(),
            clock=ScaledClock(time_scale),
            clients=Clients(self._default_region),
            on_log=self._echo if echo_logs else None,
        )
        self._mock: Any = None
        self._isolation: Any = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def clock(self) -> ScaledClock:
        """The local cloud's clock: Wait states, retries, delays and schedules run on it."""
        return self._core.clock

    @property
    def account_id(self) -> str:
        """The account every stack is deployed in."""
        return self._core.account_id

    @property
    def iam(self) -> Authorizer:
        """IAM evaluation: `denials` so far, `mode`, and `unexercised(roles)`."""
        return self._core.service("iam")  # type: ignore[no-any-return]

    @property
    def core(self) -> Core:
        """The services' shared core (for `localcloud.testing` and `localcloud.metering`)."""
        return self._core

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        from moto import mock_aws

        check_moto_version()
        with _ACTIVE_LOCK:
            if _ACTIVE:
                raise LocalCloudError("a local cloud is already running in this process")
            _ACTIVE.append(self)
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
            services.install(self._core)
            enforcement.install(self._core, self._iam_mode)
            lend_to_steward(self._core.clock, self._core.hooks)
            path, config_env, parameters = self._first
            self.deploy(template=path, config_env=config_env, parameters=parameters)
            if self._schedules:
                self._core.service("events").start()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._mock is None:
            return
        try:
            self._stop_running_executions()
            self._record_statement_use()
        finally:
            self._core.dispatcher.shutdown()
            # Work still running (it cannot be cancelled) must not reach real AWS once
            # moto's mock stops below: its calls are refused from here on.
            self._core.clients.close()
            stop_sending()
            while self._core.on_stop:
                self._core.on_stop.pop()()
            self._mock.stop()  # resets moto's backends, still with the hooks (IAM's is cheaper)
            self._core.hooks.remove()
            self._mock = None
            self._isolation.__exit__(None, None, None)
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            with _ACTIVE_LOCK:
                if self in _ACTIVE:
                    _ACTIVE.remove(self)

    def _record_statement_use(self) -> None:
        """With LOCALCLOUD_IAM_RECORD set to a folder, write which of the template's role
        statements allowed a call (tests/conftest.py reports those no test exercised)."""
        folder = os.environ.get("LOCALCLOUD_IAM_RECORD")
        if not folder or self._iam_mode == "off":
            return
        for stack in self.stacks:
            roles = {lid: d.ref for lid, d in stack.resources.items() if d.type == "AWS::IAM::Role"}
            record = {
                "template": str(stack.template_path),
                "stack": stack.name,
                "statements": self.iam.statement_use(roles),
            }
            Path(folder).mkdir(parents=True, exist_ok=True)
            target = Path(folder) / f"{os.getpid()}-{uuid.uuid4().hex}.json"
            target.write_text(json.dumps(record), encoding="utf-8")

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
            Deployer(self._core, stack).deploy()
        except Exception:
            self.stacks.remove(stack)
            raise
        cloudformation.register(self._core, stack)  # the stack, as CloudFormation shows it
        return stack

    # ------------------------------------------------------------------ lookups

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client bound to the local cloud (the first stack's region by default)."""
        return self._core.clients(service, region)

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
        """Every line a function has logged (its START/END lines too), oldest first, from its
        log group (its LoggingConfig.LogGroup, or /aws/lambda/<name>); none if it never logged.

        A custom group may hold other functions' logs too: "When you use a custom log group for
        a Lambda function, the log streams Lambda creates include the function name and
        function version" (Lambda Developer Guide, "Configuring CloudWatch log groups"), so
        only the streams named for this function are read there."""
        deployed = self._typed(logical_id, region, "AWS::Serverless::Function")
        function_region = deployed.attrs["Arn"].split(":")[3]
        configuration = self.client("lambda", region=function_region).get_function_configuration(
            FunctionName=deployed.attrs["Arn"]
        )
        group = configuration["LoggingConfig"]["LogGroup"]
        logs = self.client("logs", region=function_region)
        listed = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if not any(g["logGroupName"] == group for g in listed):
            return []
        own = re.compile(r"\d{4}/\d{2}/\d{2}/" + re.escape(deployed.ref) + r"\[")
        shared = group != default_log_group(deployed.ref)
        return [
            event["message"]
            for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            for event in page["events"]
            if not shared or own.match(event["logStreamName"])
        ]

    @property
    def async_failures(self) -> list[AsyncFailure]:
        """Asynchronous invocations that failed after Lambda's retries, oldest first."""
        return list(self._core.dispatcher.failures)

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
        return list(self._core.service("events").fire(stack.region, rules))

    # ------------------------------------------------------------------ Step Functions

    def start_execution(
        self, logical_id: str, input: Any = None, name: str | None = None, region: str | None = None
    ) -> str:
        deployed = self._typed(logical_id, region, *_STATE_MACHINE_TYPES)
        arn, body = deployed.ref, {} if input is None else input
        kwargs: dict[str, Any] = {
            "stateMachineArn": arn,
            "input": body if isinstance(body, str) else json.dumps(body),
        }
        if name:  # without one, Step Functions makes up a UUID
            kwargs["name"] = name
        response = self.client("stepfunctions", region=arn.split(":")[3]).start_execution(**kwargs)
        return str(response["executionArn"])

    def executions(self, logical_id: str, region: str | None = None) -> list[dict[str, Any]]:
        """Every execution of the state machine, oldest first, with its history."""
        arn = self._typed(logical_id, region, *_STATE_MACHINE_TYPES).ref
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
        """Every state machine in the stacks' regions: the template's, and those made through
        the API (a test's, a user's over `local up`), so `wait_idle` waits for all."""
        arns: list[str] = []
        for region in sorted({s.region for s in self.stacks}):
            sfn = self.client("stepfunctions", region=region)
            for page in sfn.get_paginator("list_state_machines").paginate():
                arns += [m["stateMachineArn"] for m in page["stateMachines"]]
        return arns

    def running_executions(self) -> list[str]:
        """The ARNs of every execution running now, in the stacks' regions."""
        return self._running()

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
        running: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            busy = not self._core.dispatcher.wait(max(0.0, min(remaining, 1.0)))
            # Listing the executions is a round of API calls: only once the dispatcher is idle,
            # and not in a tight loop (it takes the interpreter from the work being waited on).
            running = [] if busy else self._running()
            if not busy and not running and self._core.dispatcher.pending == 0:
                quiet_checks += 1
                if quiet_checks >= 2:  # twice in a row: nothing was handing work on
                    return
                time.sleep(0.01)
            else:
                quiet_checks = 0
                time.sleep(0.05)
            if time.monotonic() >= deadline:
                raise IdleTimeoutError(
                    f"still busy after {timeout}s: {self._core.dispatcher.pending} asynchronous "
                    f"invocation(s), running executions {running or self._running()}"
                )


def _maybe_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
