"""Where the local cloud hooks into moto so that its services reach each other as on AWS.

- Lambda: every invocation (direct, Step Functions task, SNS, rotation) runs the real
  handler in process instead of in a Docker container.
- SNS: deliveries to Lambda are asynchronous and carry a real SNS event.
- EventBridge: rules match with EventBridge's own pattern semantics and deliver to Lambda,
  Step Functions, SNS and SQS targets, honouring Input, InputPath and InputTransformer.
- Secrets Manager: RotateSecret drives the rotation function through its four steps and stops
  at the first failure, leaving AWSCURRENT where it was.
- Step Functions: Wait states and Retry intervals run on the local cloud's scaled clock.
- Clock: `steward_common.clock` reads the local cloud's clock (see `ScaledClock.wall`).
- SQS: event source mappings deliver to Lambda asynchronously, after each message's delay,
  with visibility-timeout retries and redrive (see `localcloud.sqs`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from localcloud import eventpattern, sqs

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

_ACTIVE: LocalCloud | None = None
_SAVED: list[tuple[Any, str, Any]] = []
_LOCK = threading.Lock()
_SUPPRESS_INVOKE = threading.local()


def active() -> LocalCloud:
    if _ACTIVE is None:
        raise RuntimeError("no local cloud is running")
    return _ACTIVE


_MISSING = object()


def _patch(owner: Any, name: str, value: Any) -> None:
    _SAVED.append((owner, name, vars(owner).get(name, _MISSING)))
    setattr(owner, name, value)


def install(cloud: LocalCloud) -> None:
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is not None:
            raise RuntimeError("a local cloud is already running in this process")
        _ACTIVE = cloud
        _install_lambda()
        _install_sns()
        _install_events()
        _install_secretsmanager()
        _install_stepfunctions_clock(cloud)
        _install_integration_casing()
        _install_batch(cloud)
        sqs.install(cloud, _patch)
        _install_wall_clock(cloud)


def uninstall() -> None:
    global _ACTIVE
    with _LOCK:
        while _SAVED:
            owner, name, value = _SAVED.pop()
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
        _ACTIVE = None


# ---------------------------------------------------------------------------- clock


def _install_wall_clock(cloud: LocalCloud) -> None:
    """Steward's functions read the time from `steward_common.clock`; give them ours."""
    try:
        from steward_common import clock
    except ImportError:  # a template whose functions do not use Steward's layer
        return
    _patch(clock, "_source", cloud.clock.wall)


# ---------------------------------------------------------------------------- Lambda


def _install_lambda() -> None:
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        if getattr(_SUPPRESS_INVOKE, "on", False):
            return "null", False, ""
        cloud = _ACTIVE
        spec = cloud.function_spec(self.function_arn) if cloud else None
        if spec is None:
            return original(self, event)  # type: ignore[no-any-return]
        if isinstance(event, (str, bytes)):
            event = json.loads(event) if event else {}
        result = cloud.runtime.invoke(spec, event)  # type: ignore[union-attr]
        self.logs_backend.ensure_log_group(self.logs_group_name)
        self.save_logs(result.logs)
        return result.as_lambda_payload(), result.failed, result.logs

    _patch(LambdaFunction, "_invoke_lambda", _invoke_lambda)


# ---------------------------------------------------------------------------- SNS


def _iso_ms(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sns_lambda_event(
    *,
    topic_arn: str,
    subscription_arn: str,
    message: str,
    message_id: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event Lambda receives from SNS, field for field."""
    region = topic_arn.split(":")[3]
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": _iso_ms(),
                    "SignatureVersion": "1",
                    "Signature": "bG9jYWxjbG91ZA==",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-local.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}",
                    "MessageAttributes": {
                        k: {
                            "Type": v.get("Type", v.get("DataType", "String")),
                            "Value": v.get("Value", v.get("StringValue")),
                        }
                        for k, v in (attributes or {}).items()
                    },
                },
            }
        ]
    }


def _install_sns() -> None:
    from moto.sns.models import Subscription

    original = Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        cloud = _ACTIVE
        if self.protocol != "lambda" or cloud is None or cloud.function_spec(self.endpoint) is None:
            return original(
                self,
                message,
                message_id,
                subject=subject,  # type: ignore[no-any-return]
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(
            message_attributes, message
        ):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        event = sns_lambda_event(
            topic_arn=self.topic.arn,
            subscription_arn=self.arn,
            message=message,
            message_id=message_id,
            subject=subject,
            attributes=message_attributes,
        )
        cloud.invoke_async(self.endpoint, event, source=f"SNS {self.topic.arn}")
        return None

    _patch(Subscription, "publish", publish)


# ---------------------------------------------------------------------------- EventBridge


def _event_time(value: Any) -> str:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def deliver_to_targets(rule: Any, event: dict[str, Any]) -> list[Any]:
    """Send `event` to every target of a moto rule, as EventBridge does once a rule matched."""
    cloud = active()
    results: list[Any] = []
    for target in rule.targets:
        arn: str = target["Arn"]
        payload = eventpattern.target_input(target, event, rule_arn=rule.arn, rule_name=rule.name)
        service = arn.split(":")[2]
        region = arn.split(":")[3]
        if service == "lambda":
            cloud.invoke_async(arn, payload, source=f"rule {rule.name}")
            results.append(arn)
        elif service == "states":
            results.append(cloud.start_execution_arn(arn, payload))
        elif service == "sns":
            cloud.client("sns", region=region).publish(
                TopicArn=arn, Message=payload if isinstance(payload, str) else json.dumps(payload)
            )
            results.append(arn)
        elif service == "sqs":
            queue_url = cloud.client("sqs", region=region).get_queue_url(
                QueueName=arn.split(":")[5]
            )["QueueUrl"]
            cloud.client("sqs", region=region).send_message(
                QueueUrl=queue_url,
                MessageBody=payload if isinstance(payload, str) else json.dumps(payload),
            )
            results.append(arn)
        else:
            _ORIGINAL_SEND[0](_single_target(rule, target), event)
            results.append(arn)
    return results


_ORIGINAL_SEND: list[Callable[..., None]] = []


def _single_target(rule: Any, target: dict[str, Any]) -> Any:
    import copy

    clone = copy.copy(rule)
    clone.targets = [target]
    return clone


def _install_events() -> None:
    from moto.events.models import Rule

    _ORIGINAL_SEND[:] = [Rule.send_to_targets]

    def send_to_targets(
        self: Any, original_event: dict[str, Any], transform_input: bool = True
    ) -> None:
        if _ACTIVE is None:
            return _ORIGINAL_SEND[0](self, original_event, transform_input)  # type: ignore[no-any-return]
        pattern = self.event_pattern.get_pattern()
        # A rule with only a schedule never matches events; a disabled rule delivers nothing.
        if self.state != "ENABLED" or not pattern:
            return None
        event = dict(original_event)
        event.pop("ingestion-time", None)
        event["time"] = _event_time(event.get("time"))
        if eventpattern.matches(pattern, event):
            deliver_to_targets(self, event)
        return None

    _patch(Rule, "send_to_targets", send_to_targets)


# ---------------------------------------------------------------------------- Secrets Manager

ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def _install_secretsmanager() -> None:
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.rotate_secret

    def rotate_secret(
        self: Any,
        secret_id: str,
        client_request_token: str | None = None,
        rotation_lambda_arn: str | None = None,
        rotation_rules: dict[str, Any] | None = None,
        rotate_immediately: bool = True,
    ) -> str:
        cloud = _ACTIVE
        existing = self.secrets[secret_id].rotation_lambda_arn if secret_id in self.secrets else ""
        lambda_arn = rotation_lambda_arn or existing
        if cloud is None or not lambda_arn or cloud.function_spec(lambda_arn) is None:
            return original(
                self,
                secret_id,
                client_request_token,
                rotation_lambda_arn,  # type: ignore[no-any-return]
                rotation_rules,
                rotate_immediately,
            )
        # moto validates and creates the AWSPENDING version; its own step calls are muted and
        # its unconditional promotion skipped (rotate_immediately=False), because on AWS only
        # the rotation function's finishSecret moves AWSCURRENT.
        token = client_request_token or str(uuid.uuid4())
        _SUPPRESS_INVOKE.on = True
        try:
            result = original(self, secret_id, token, lambda_arn, rotation_rules, False)
        finally:
            _SUPPRESS_INVOKE.on = False
        secret = self.secrets[secret_id]
        version = secret.versions.get(token, {})
        if rotate_immediately:
            version.pop("secret_string", None)  # AWS makes the pending version without a value
            version.pop("secret_binary", None)
        secret.rotation_enabled = True
        steps = ROTATION_STEPS if rotate_immediately else ("testSecret",)
        cloud.run_rotation(lambda_arn, secret.arn, token, steps)
        return result  # type: ignore[no-any-return]

    _patch(SecretsManagerBackend, "rotate_secret", rotate_secret)

    original_stage = SecretsManagerBackend.update_secret_version_stage

    def update_secret_version_stage(
        self: Any,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str | None,
        move_to_version_id: str | None,
    ) -> Any:
        result = original_stage(
            self, secret_id, version_stage, remove_from_version_id, move_to_version_id
        )
        # moto moves the label but not the version GetSecretValue returns by default;
        # on AWS, the version with AWSCURRENT is the secret's value.
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].set_default_version_id(move_to_version_id)
        return result

    _patch(SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage)


# ---------------------------------------------------------------------------- Step Functions clock


def _install_stepfunctions_clock(cloud: LocalCloud) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    clock = cloud.clock

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        clock.wait(env.program_state_event, wait_seconds)

    class _ScaledTime:
        """Stands in for the `time` module inside the retrier: only `sleep` is scaled."""

        def __getattr__(self, name: str) -> Any:
            import time

            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            clock.sleep(seconds)

    _patch(WaitFunction, "_wait_interval", _wait_interval)
    _patch(retrier_decl, "time", _ScaledTime())
    # .sync integrations poll the service in a loop: on the scaled clock, every 5 s nominal.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )

    _patch(state_task_service_callback, "time", _ScaledTime())
    _patch(state_task_service_callback, "_DELAY_SECONDS_SYNC_CONDITION_CHECK", 5.0)
    _install_state_machine_snapshot()
    _install_execution_names()
    _install_branch_error_names()


def _install_branch_error_names() -> None:
    """A Parallel branch that fails with a States.* error (States.TaskFailed from a .sync task)
    fails the Parallel state with that error, as on AWS; moto's interpreter crashed instead,
    refusing to rebuild the States.* name as a custom one."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName

    def __init__(self: Any, error_name: str | None) -> None:
        ErrorName.__init__(self, error_name=error_name)

    _patch(CustomErrorName, "__init__", __init__)


def _install_execution_names() -> None:
    """StartExecution without a name gets a UUID, as on AWS (moto's interpreter used "None",
    so a second unnamed execution, such as a nested one, collided with the first)."""
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

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

    _patch(StepFunctionsParserBackend, "start_execution", start_execution)


def _install_state_machine_snapshot() -> None:
    """Let executions of one account run side by side.

    moto's parser snapshots the state machine with deepcopy at StartExecution; the copy
    reaches the backend and through it every running execution's locks, so a second
    execution could not start while one was running. The snapshot needs the definition
    and settings only: the backend and the execution list are shared, not copied.
    """
    import copy

    from moto.stepfunctions.models import StateMachine

    def __deepcopy__(self: Any, memo: dict[int, Any]) -> Any:
        clone = StateMachine.__new__(type(self))
        memo[id(self)] = clone
        for key, value in vars(self).items():
            shared = key in ("backend", "executions")
            setattr(clone, key, value if shared else copy.deepcopy(value, memo))
        return clone

    _patch(StateMachine, "__deepcopy__", __deepcopy__)


# ---------------------------------------------------------------------------- Batch


def _install_batch(cloud: LocalCloud) -> None:
    """Batch jobs without Docker that run for a nominal time on the scaled clock.

    moto's Docker-free Batch finishes every job at submission (or fails it with
    MOTO_SIMPLE_BATCH_FAIL_AFTER). A job whose definition has a behaviour set with
    `LocalCloud.batch_job_behaviour` instead starts RUNNING and ends when the local cloud's
    virtual clock has moved on by its runtime, as SUCCEEDED or FAILED with a reason.
    """
    from moto.batch.models import BatchBackend
    from moto.batch_simple.models import BatchSimpleBackend

    original_finish = BatchSimpleBackend._mark_job_as_finished
    original_describe = BatchBackend.describe_jobs
    original_terminate = BatchBackend.terminate_job

    def _mark_job_as_finished(self: Any, include_start_attempt: bool, job: Any) -> None:
        behaviour = cloud.batch_behaviours.get(job.job_definition.name)
        if behaviour is None:
            return original_finish(self, include_start_attempt, job)  # type: ignore[no-any-return]
        self.backend._jobs[job.job_id] = job
        job.job_started_at = datetime.now()
        job.log_stream_name = job._stream_name
        if include_start_attempt:
            job._start_attempt()
        job.status = "RUNNING"
        cloud.running_batch_jobs[job.job_id] = (cloud.clock.now() + behaviour.seconds, behaviour)
        return None

    def _advance(jobs: dict[str, Any]) -> None:
        now = cloud.clock.now()
        for job_id, (ends, behaviour) in list(cloud.running_batch_jobs.items()):
            job = jobs.get(job_id)
            if job is None or job.job_stopped:
                cloud.running_batch_jobs.pop(job_id, None)
            elif now >= ends:
                if behaviour.outcome == "FAILED":
                    job.job_stopped_reason = behaviour.reason
                job._mark_stopped(success=behaviour.outcome == "SUCCEEDED")
                cloud.running_batch_jobs.pop(job_id, None)

    def describe_jobs(self: Any, jobs: list[str] | None) -> list[dict[str, Any]]:
        _advance(self._jobs)
        return original_describe(self, jobs)  # type: ignore[no-any-return]

    def terminate_job(self: Any, job_id: str, reason: str) -> None:
        original_terminate(self, job_id, reason)
        job = self.get_job_by_id(job_id)
        if job_id in cloud.running_batch_jobs and job is not None:
            cloud.running_batch_jobs.pop(job_id)
            job.job_stopped_reason = reason
            job._mark_stopped(success=False)

    _install_batch_describe_copy()
    _patch(BatchSimpleBackend, "_mark_job_as_finished", _mark_job_as_finished)
    _patch(BatchBackend, "describe_jobs", describe_jobs)
    _patch(BatchBackend, "terminate_job", terminate_job)


def _install_integration_casing() -> None:
    """Service integrations take and return Step Functions' PascalCase (JobName, ExecutionArn).

    moto's interpreter hands `batch:`, `states:` and `aws-sdk:` parameters to boto3 as
    written, and their results back as boto3 returns them, so a definition written for AWS
    fails. Translate both ways by the service's API model, as Step Functions does.
    """
    import botocore.session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch import (
        StateTaskServiceBatch,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    session = botocore.session.get_session()

    def operation(self: Any, action: str | None) -> Any:
        model = session.get_service_model(self._get_boto_service_name())
        name = action or self.resource.api_action
        return model.operation_model("".join(p[:1].upper() + p[1:] for p in name.split("_")))

    for cls in (StateTaskServiceBatch, StateTaskServiceSfn, StateTaskServiceAwsSdk):
        original_parameters = cls._normalise_parameters

        def _normalise_parameters(
            self: Any,
            parameters: dict[str, Any],
            boto_service_name: str | None = None,
            service_action_name: str | None = None,
            original: Any = original_parameters,
        ) -> None:
            original(self, parameters, boto_service_name, service_action_name)
            self._to_boto_request(parameters, operation(self, service_action_name).input_shape)

        _patch(cls, "_normalise_parameters", _normalise_parameters)
        if cls is not StateTaskServiceAwsSdk:  # aws-sdk results keep the SDK's own casing

            def _normalise_response(
                self: Any,
                response: Any,
                boto_service_name: str | None = None,
                service_action_name: str | None = None,
            ) -> None:
                self._from_boto_response(
                    response, operation(self, service_action_name).output_shape
                )

            _patch(cls, "_normalise_response", _normalise_response)


def _install_batch_describe_copy() -> None:
    """DescribeJobs must not change the job: moto appends AWS_BATCH_JOB_ID to the job's own
    environment overrides on every call, so a long `.sync` job's description grew with every
    poll until Step Functions refused it (States.DataLimitExceeded). Describe from a copy."""
    from moto.batch.models import Job

    original = Job._get_container_property

    def _get_container_property(self: Any, p: str, default: Any) -> Any:
        environment = self.container_overrides.get("environment")
        if p != "environment" or environment is None:
            return original(self, p, default)
        self.container_overrides["environment"] = list(environment)
        try:
            return original(self, p, default)
        finally:
            self.container_overrides["environment"] = environment

    _patch(Job, "_get_container_property", _get_container_property)
