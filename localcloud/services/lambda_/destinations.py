"""What Lambda does with an asynchronous invocation once it is over: its destinations.

"You can configure separate destinations for events that are processed successfully, and
events that fail all processing attempts. Alternatively, you can configure a standard Amazon
SQS queue or standard Amazon SNS topic as a dead-letter queue for discarded events."
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)

The function's asynchronous configuration is read through the Lambda API
(`GetFunctionEventInvokeConfig`, which `PutFunctionEventInvokeConfig` and the deployer set),
and its dead-letter queue from `GetFunctionConfiguration` (moto ignores `DeadLetterConfig`:
`install` keeps it from CreateFunction and UpdateFunctionConfiguration).
Records are sent as Lambda sends them: with the function's execution role, whose policies
must allow the destination's action ("ensure that your function's execution role also
contains the relevant permissions"); a delivery that fails is counted in CloudWatch as
`DestinationDeliveryFailures` or `DeadLetterErrors`, as Lambda counts it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core, FunctionSpec
from localcloud.services.lambda_.runtime import InvocationResult

LOG = logging.getLogger("localcloud")

# "By default, Lambda retries an asynchronous invocation twice ... It retains events in a
# queue for up to six hours." (MaximumEventAgeInSeconds: 60 to 21600)
DEFAULT_MAX_EVENT_AGE = 21600
SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
# The EventBridge destination's event, as the destinations table describes it.
EVENT_SOURCE = "aws.lambda"
DETAIL_TYPES = {
    True: "Lambda Function Invocation Result - Success",
    False: "Lambda Function Invocation Result - Failure",
}


@dataclass
class AsyncConfig:
    """A function's EventInvokeConfig (MaximumRetryAttempts, MaximumEventAgeInSeconds,
    DestinationConfig), with Lambda's defaults where it sets none."""

    retries: int
    max_event_age: int = DEFAULT_MAX_EVENT_AGE
    on_success: str | None = None
    on_failure: str | None = None
    dead_letter: str | None = None

    @classmethod
    def of(cls, core: Core, spec: FunctionSpec) -> AsyncConfig:
        lambda_ = core.clients.for_arn("lambda", spec.arn)
        try:
            config = lambda_.get_function_event_invoke_config(FunctionName=spec.arn)
        except lambda_.exceptions.ResourceNotFoundException:
            config = {}
        destinations = config.get("DestinationConfig") or {}
        # "you can only add or remove a dead-letter queue at the function level"
        function = lambda_.get_function_configuration(FunctionName=spec.arn)
        dead_letter = (function.get("DeadLetterConfig") or {}).get("TargetArn")
        return cls(
            retries=int(config.get("MaximumRetryAttempts", spec.async_retries)),
            max_event_age=int(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE)),
            on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
            on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
            dead_letter=dead_letter or None,
        )


def _timestamp(epoch: float) -> str:
    """The record's `timestamp`, as the documentation's example writes it
    ("2019-11-14T18:16:05.568Z")."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def invocation_record(
    spec: FunctionSpec,
    event: Any,
    result: InvocationResult,
    condition: str,
    attempts: int,
    now: float,
) -> dict[str, Any]:
    """The invocation record of the documentation's example: version, timestamp,
    requestContext, requestPayload, responseContext, responsePayload."""
    response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if result.failed:
        # "Unhandled": the Python runtime's report of an exception, and Lambda's of a timeout
        response_context["functionError"] = "Unhandled"
    raw = result.as_lambda_payload()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:  # a function's bytes that are not JSON
        payload = raw.decode("utf-8", "replace")
    return {
        "version": "1.0",
        "timestamp": _timestamp(now),
        "requestContext": {
            "requestId": result.request_id,
            "functionArn": f"{spec.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": response_context,
        "responsePayload": payload,
    }


class Destinations:
    """Sends records and dead letters with the function's execution role."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def _client(self, spec: FunctionSpec, service: str, arn: str) -> Any:
        region = arn.split(":")[3] or spec.region
        if not spec.role_arn:
            return self.core.clients(service, region)
        return self.core.clients.as_role(spec.role_arn, spec.name, service, region)

    def _queue_url(self, arn: str) -> str:
        # Lambda knows its queue by ARN; finding its URL is the local cloud's own lookup.
        parts = arn.split(":")
        sqs = self.core.clients.for_arn("sqs", arn)
        url: str = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
            "QueueUrl"
        ]
        return url

    def send_record(self, spec: FunctionSpec, destination: str, record: dict[str, Any]) -> bool:
        """Send an invocation record to an SQS, SNS, Lambda or EventBridge destination, as the
        destinations table says each receives it; False if it could not be sent."""
        service = destination.split(":")[2]
        body = json.dumps(record)
        try:
            client = self._client(spec, service, destination)
            if service == "sqs":  # "Lambda passes the invocation record as the Message"
                client.send_message(QueueUrl=self._queue_url(destination), MessageBody=body)
            elif service == "sns":
                client.publish(TopicArn=destination, Message=body)
            elif service == "lambda":  # "as the payload to the function"
                # The documentation does not say how the destination function is invoked;
                # as another asynchronous event, which is what it is.
                client.invoke(FunctionName=destination, InvocationType="Event", Payload=body)
            elif service == "events":
                success = record["requestContext"]["condition"] == SUCCESS
                response = client.put_events(
                    Entries=[
                        {
                            "Source": EVENT_SOURCE,
                            "DetailType": DETAIL_TYPES[success],
                            "Detail": body,
                            # "The resource event field contains the function and destination
                            # Amazon Resource Names (ARNs)."
                            "Resources": [spec.arn, destination],
                            "EventBusName": destination,
                        }
                    ]
                )
                if response.get("FailedEntryCount"):
                    raise RuntimeError(f"PutEvents failed: {response['Entries']}")
            else:
                raise ValueError(f"{destination} is not a destination Lambda supports here")
        except Exception as exc:  # noqa: BLE001 - a failed delivery is counted, not raised
            LOG.warning("%s: record not sent to %s: %s", spec.name, destination, exc)
            self._count(spec, "DestinationDeliveryFailures")
            return False
        return True

    def send_dead_letter(
        self, spec: FunctionSpec, target: str, event: Any, result: InvocationResult
    ) -> bool:
        """ "Lambda sends the event to the dead-letter queue as-is, with additional information
        in attributes": RequestID (String), ErrorCode (Number, the HTTP status code) and
        ErrorMessage (String, the first 1 KB of the error message)."""
        attributes = {
            "RequestID": {"DataType": "String", "StringValue": result.request_id},
            # The invocation itself succeeded (200) and its function failed; the documentation
            # names the HTTP status code, which for a function error is Invoke's 200.
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
            "ErrorMessage": {
                "DataType": "String",
                "StringValue": (result.error_message or result.error_type or "")[:1024] or "-",
            },
        }
        body = json.dumps(event)
        service = target.split(":")[2]
        try:
            client = self._client(spec, service, target)
            if service == "sqs":
                client.send_message(
                    QueueUrl=self._queue_url(target), MessageBody=body, MessageAttributes=attributes
                )
            elif service == "sns":
                client.publish(TopicArn=target, Message=body, MessageAttributes=attributes)
            else:
                raise ValueError(f"{target} is neither an SQS queue nor an SNS topic")
        except Exception as exc:  # noqa: BLE001 - "it deletes the event and emits" a metric
            LOG.warning(
                "%s: event not sent to its dead-letter queue %s: %s", spec.name, target, exc
            )
            self._count(spec, "DeadLetterErrors")
            return False
        return True

    def _count(self, spec: FunctionSpec, metric: str) -> None:
        try:
            self.core.clients("cloudwatch", spec.region).put_metric_data(
                Namespace="AWS/Lambda",
                MetricData=[
                    {
                        "MetricName": metric,
                        "Dimensions": [{"Name": "FunctionName", "Value": spec.name}],
                        "Value": 1.0,
                        "Unit": "Count",
                        "Timestamp": datetime.fromtimestamp(self.core.clock.wall(), UTC),
                    }
                ],
            )
        except Exception:  # noqa: BLE001 - the count is a courtesy; the warning is logged
            LOG.debug("could not count %s for %s", metric, spec.name)


def install(core: Core) -> None:
    """moto drops a function's DeadLetterConfig; keep it and answer it as Lambda does."""
    from moto.awslambda.models import LambdaFunction

    original_init = core.hooks.original(LambdaFunction, "__init__")
    original_get = core.hooks.original(LambdaFunction, "get_configuration")
    original_update = core.hooks.original(LambdaFunction, "update_configuration")

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        original_init(self, account_id, spec, *args, **kw)
        self.localcloud_dead_letter = dict(spec.get("DeadLetterConfig") or {})

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config: dict[str, Any] = original_get(self, *args, **kwargs)
        target = (getattr(self, "localcloud_dead_letter", None) or {}).get("TargetArn")
        if target:
            config["DeadLetterConfig"] = {"TargetArn": target}
        return config

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            # An empty TargetArn removes it, as the API reference's pattern `()` allows.
            self.localcloud_dead_letter = dict(updates.get("DeadLetterConfig") or {})
        return original_update(self, updates)  # type: ignore[no-any-return]

    core.hooks.replace(LambdaFunction, "__init__", __init__)
    core.hooks.replace(LambdaFunction, "get_configuration", get_configuration)
    core.hooks.replace(LambdaFunction, "update_configuration", update_configuration)
