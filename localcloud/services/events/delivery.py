"""What EventBridge does when a target delivery fails: retry per the target's RetryPolicy, on the
local cloud's clock, then send the event to the target's DeadLetterConfig queue.

"When an event isn't successfully delivered to a target because of retriable errors,
EventBridge retries sending the event. [...] By default, EventBridge retries sending the event
for 24 hours and up to 185 times with an exponential back off and jitter, or randomized delay.
If an event isn't delivered after all retry attempts are exhausted, the event is dropped"
(User Guide, "How EventBridge retries delivering events"). "For example, for errors that result
from missing permissions to a target, a target resource that no longer exists, or a target that
cannot be found [...], no retry attempts will happen [...]. EventBridge sends these events
directly to the target DLQ, if you have specified one." (User Guide, "Using dead-letter queues
to process undelivered events"). The dead-lettered message is the event, with the attributes
RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.

A dropped event (no dead-letter queue, or one EventBridge may not send to) is recorded as a
failure (`LocalCloud.async_failures`), as the local cloud records every asynchronous loss.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from botocore.exceptions import ClientError

from localcloud.core import Core

LOG = logging.getLogger("localcloud.events")

# PutTargets' RetryPolicy defaults: "24 hours and up to 185 times".
DEFAULT_RETRY_ATTEMPTS: Final = 185
DEFAULT_EVENT_AGE: Final = 86_400
# The back-off is documented only as "exponential back off and jitter": the local cloud doubles
# from 1 second up to 8 minutes (185 attempts then span about the documented 24 hours) and waits
# a random time between half the step and the whole step.
_FIRST_DELAY: Final = 1.0
_MAX_DELAY: Final = 480.0
_JITTER = random.Random()

_NO_PERMISSIONS: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "KMSAccessDeniedException",
        "UnauthorizedOperation",
        "InvalidClientTokenId",
    }
)
_NO_RESOURCE: Final = frozenset(
    {
        "ResourceNotFoundException",
        "StateMachineDoesNotExist",
        "StateMachineDeleting",
        "NotFound",
        "NotFoundException",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
    }
)
_THROTTLING: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "KMSThrottlingException",
        "ProvisionedThroughputExceededException",
    }
)


class DeliveryFailed(Exception):
    """A failed attempt: EventBridge's ERROR_CODE, the target's error, and whether to retry."""

    def __init__(self, code: str, error_type: str, message: str, *, retriable: bool) -> None:
        super().__init__(f"{code}: {error_type}: {message}")
        self.code = code
        self.error_type = error_type
        self.message = message
        self.retriable = retriable

    @classmethod
    def refused(cls, error_type: str, message: str) -> DeliveryFailed:
        """The target's resource policy does not let EventBridge deliver."""
        return cls("NO_PERMISSIONS", error_type, message, retriable=False)

    @classmethod
    def of(cls, error: ClientError) -> DeliveryFailed:
        """EventBridge's classification of the target API's error.

        Missing permissions and missing resources are not retried (documented); throttling
        and server errors are. The User Guide does not say which other errors are retriable:
        another client error (an invalid parameter) cannot succeed by retrying, so it is not.
        """
        details = error.response.get("Error", {})
        code = str(details.get("Code", "Unknown"))
        message = str(details.get("Message", error))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _NO_PERMISSIONS or status == 403:
            return cls("NO_PERMISSIONS", code, message, retriable=False)
        if code in _NO_RESOURCE or status == 404:
            return cls("NO_RESOURCE", code, message, retriable=False)
        if code in _THROTTLING or status == 429:
            return cls("THROTTLING", code, message, retriable=True)
        if status >= 500 or status == 0:
            return cls("INTERNAL_ERROR", code, message, retriable=True)
        return cls("INVALID_PARAMETER", code, message, retriable=False)


@dataclass
class Delivery:
    """One event on its way to one target of a rule."""

    rule_arn: str
    rule_name: str
    target: dict[str, Any]
    event: dict[str, Any]
    payload: Any
    attempts: int = 0
    first_attempt: float | None = field(default=None)  # on the clock

    @property
    def max_retries(self) -> int:
        policy = self.target.get("RetryPolicy") or {}
        return int(policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS))

    @property
    def max_age(self) -> float:
        policy = self.target.get("RetryPolicy") or {}
        return float(policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE))


def backoff(retry: int) -> float:
    """Seconds before retry number `retry` (1 for the first)."""
    step: float = min(_MAX_DELAY, _FIRST_DELAY * 2.0 ** (retry - 1))
    return step / 2 + _JITTER.uniform(0, step / 2)


class Retries:
    def __init__(self, core: Core, attempt: Callable[[Delivery], Any]) -> None:
        self.core = core
        self._attempt = attempt

    def first(self, delivery: Delivery) -> Any:
        """The first attempt, now; what it started, or None if it failed (and is retried or
        dead-lettered)."""
        delivery.first_attempt = self.core.clock.now()
        return self._try(delivery)

    def _try(self, delivery: Delivery) -> Any:
        delivery.attempts += 1
        try:
            return self._attempt(delivery)
        except DeliveryFailed as failure:
            self._failed(delivery, failure)
            return None

    def _failed(self, delivery: Delivery, failure: DeliveryFailed) -> None:
        retries = delivery.attempts - 1
        if not failure.retriable:
            self._dead_letter(delivery, failure, None)
            return
        if retries >= delivery.max_retries:
            self._dead_letter(delivery, failure, "MaximumRetryAttempts")
            return
        delay = backoff(retries + 1)
        assert delivery.first_attempt is not None
        if self.core.clock.now() + delay - delivery.first_attempt > delivery.max_age:
            self._dead_letter(delivery, failure, "MaximumEventAgeInSeconds")
            return
        self.core.timers.after(delay, lambda: self._try(delivery))

    def _dead_letter(
        self, delivery: Delivery, failure: DeliveryFailed, exhausted: str | None
    ) -> None:
        what = f"rule {delivery.rule_name}"
        queue_arn = (delivery.target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue_arn:
            self.core.record_failure(what, failure.error_type, failure.message, delivery.payload)
            return
        attributes = {
            "RULE_ARN": delivery.rule_arn,
            "TARGET_ARN": delivery.target["Arn"],
            "ERROR_CODE": failure.code,
            "ERROR_MESSAGE": failure.message,
            "RETRY_ATTEMPTS": str(delivery.attempts - 1),
        }
        # The guide lists the conditions (MaximumRetryAttempts, MaximumEventAgeInSeconds) but not
        # what an error that is not retried carries: no condition was exhausted, so none is set.
        if exhausted is not None:
            attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
        try:
            self._send(queue_arn, delivery, attributes)
        except (ClientError, DeliveryFailed) as error:
            # InvocationsFailedToBeSentToDLQ on AWS: the event is lost.
            LOG.warning("event of %s not sent to its dead-letter queue: %s", what, error)
            self.core.record_failure(
                what,
                failure.error_type,
                f"{failure.message} (and not sent to the dead-letter queue {queue_arn}: {error})",
                delivery.payload,
            )

    def _send(self, queue_arn: str, delivery: Delivery, attributes: dict[str, str]) -> None:
        iam = self.core.service("iam")
        if not iam.service_may_send(
            queue_arn, "events.amazonaws.com", source_arn=delivery.rule_arn
        ):
            raise DeliveryFailed.refused(
                "AccessDenied", "events.amazonaws.com may not send to the queue (its policy)"
            )
        _, _, _, _, account, name = queue_arn.split(":")
        sqs = self.core.clients.for_arn("sqs", queue_arn)
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(delivery.event),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value or "-"}
                for name, value in attributes.items()
            },
        )
