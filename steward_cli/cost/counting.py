"""How a minute on the local cloud is counted into what AWS bills: the counting rules.

None of this knows which automation ran: the rules read SDK calls (`localcloud.metering`),
log lines and execution histories, so a measurement of another automation counts the same
way, and each rule is unit-tested without running the local cloud.

Counting rules (one minute's executions on the local cloud):

- billed state transitions (Standard workflows): history events whose type ends in
  "StateEntered". Step Functions bills "a state transition each time a step of your workflow is
  executed", retries included; every step executed (a retry too) enters a state once. Express
  workflows are billed per request and duration, not per transition.
- Lambda invocations: the START lines the local cloud writes to a function's log group, one per
  invocation, whether a state machine, an SQS event source mapping or anything else invoked it.
- DynamoDB request units (the hops' idempotency records): counted at the SDK, a write unit per
  started KB a PutItem, UpdateItem or DeleteItem carries, a read unit per GetItem.
- SQS requests: sends counted at the SDK and in the state machine's sqs:sendMessage tasks, each
  started 64 KB chunk of a payload a request; an event source mapping's receive and
  DeleteMessageBatch per batch it delivered; its idle polling an assumption.
- AWS API calls, and so PutMetricData requests and the data points they carry: counted at the
  SDK boundary (botocore), per calling function.
- log bytes: the messages of the log events each function wrote to /aws/lambda/<name>, less the
  START/END lines the local cloud writes; Lambda's own START/END/REPORT lines are added as an
  assumption per invocation (`Assumptions.platform_log_bytes`).
- custom metrics: distinct (namespace, name, dimensions) in the EMF documents logged and in the
  PutMetricData requests made.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.metering import ApiCall

SQS_CHUNK_BYTES = 64 * 1024

# A custom metric as CloudWatch bills it: (namespace, name, sorted (dimension, value) pairs).
MetricKey = tuple[str, str, tuple[tuple[str, str], ...]]


def dynamodb_write_units(params: dict[str, Any]) -> int:
    """Write request units of one PutItem/UpdateItem/DeleteItem: 1 per started KB of what the
    request carries (the item, or the updated values), at least one."""
    size = len(json.dumps(params.get("Item") or params.get("ExpressionAttributeValues") or {}))
    return max(1, math.ceil(size / 1024))


def sqs_chunks(payload: str | bytes) -> int:
    """Billed requests for one payload: every started 64 KB chunk is a request."""
    size = len(payload.encode("utf-8") if isinstance(payload, str) else payload)
    return max(1, math.ceil(size / SQS_CHUNK_BYTES))


@dataclass(frozen=True)
class FunctionMeasure:
    logical_id: str
    name: str
    memory_mb: int
    architecture: str
    invocations: int
    api_calls: dict[str, int]  # "service:Operation" -> calls
    datapoints: int  # metric data points written (EMF values and PutMetricData datums)
    log_bytes: int  # its own log lines, without the platform's START/END


@dataclass
class SdkCalls:
    """AWS API calls made inside Lambda invocations, by function (`localcloud.metering`)."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    datapoints: Counter[str] = field(default_factory=Counter)
    sqs_chunks: Counter[str] = field(default_factory=Counter)
    dynamodb_write_units: Counter[str] = field(default_factory=Counter)
    dynamodb_read_units: Counter[str] = field(default_factory=Counter)
    metrics: set[MetricKey] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, function: str | None, call: ApiCall) -> None:
        if not function:  # only calls made inside Lambda invocations are the design's
            return
        operation, params = call.operation, call.params
        with self.lock:
            self.calls[(function, f"{call.service}:{operation}")] += 1
            if operation == "SendMessage":
                self.sqs_chunks[function] += sqs_chunks(params["MessageBody"])
            elif operation == "SendMessageBatch":
                payload = "".join(e["MessageBody"] for e in params["Entries"])
                self.sqs_chunks[function] += sqs_chunks(payload)
            elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
                self.dynamodb_write_units[function] += dynamodb_write_units(params)
            elif operation == "GetItem":
                self.dynamodb_read_units[function] += 1
            if operation == "PutMetricData":
                data = params.get("MetricData", [])
                self.datapoints[function] += len(data)
                for datum in data:
                    dims = tuple(
                        sorted((d["Name"], d["Value"]) for d in datum.get("Dimensions", []))
                    )
                    self.metrics.add((params["Namespace"], datum["MetricName"], dims))

    def counting(self) -> AbstractContextManager[None]:
        from localcloud.metering import metered

        return metered(self)


def emf_metrics(message: str) -> tuple[int, set[MetricKey]]:
    """(data points, distinct metrics) of one log line, if it is an EMF document."""
    if not message.startswith("{"):
        return 0, set()
    try:
        document = json.loads(message)
    except ValueError:
        return 0, set()
    directives = (document.get("_aws") or {}).get("CloudWatchMetrics") or []
    points = 0
    metrics: set[MetricKey] = set()
    for directive in directives:
        for metric in directive.get("Metrics", []):
            name = metric["Name"]
            value = document.get(name)
            points += len(value) if isinstance(value, list) else 1
            for dimension_set in directive.get("Dimensions", []):
                dims = tuple(sorted((d, str(document.get(d))) for d in dimension_set))
                metrics.add((directive.get("Namespace", ""), name, dims))
    return points, metrics


def is_local_platform_line(message: str) -> bool:
    return message.startswith(("START RequestId:", "END RequestId:"))


def is_invocation_start(message: str) -> bool:
    """The local cloud writes one START line per invocation, whatever invoked the function."""
    return message.startswith("START RequestId:")


def state_machine_sqs_chunks(history: list[dict[str, Any]]) -> int:
    """Billed SQS send requests of one execution's sqs:sendMessage tasks."""
    chunks = 0
    for event in history:
        details = event.get("taskScheduledEventDetails") or {}
        if event["type"] == "TaskScheduled" and details.get("resourceType") == "sqs":
            chunks += sqs_chunks(json.loads(details["parameters"])["MessageBody"])
    return chunks


def states_entered(history: list[dict[str, Any]]) -> int:
    """States entered in one execution: what a Standard workflow is billed for."""
    return sum(1 for event in history if event["type"].endswith("StateEntered"))
