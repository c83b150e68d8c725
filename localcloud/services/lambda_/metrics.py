"""Lambda's invocation metrics in CloudWatch (AWS/Lambda), as Lambda sends them.

"When your Lambda function finishes processing an event, Lambda automatically sends metrics
about the invocation to Amazon CloudWatch."
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html)
Every invocation the runtime finishes (a direct Invoke, each attempt of an asynchronous one,
an SQS poller's batch, a Step Functions task) sends, through the CloudWatch API, with the
dimension FunctionName ("View aggregate metrics for all versions and aliases of a function."):

- `Invocations` 1: "The number of times that your function code is invoked, including
  successful invocations and invocations that result in a function error."
- `Errors` 1 or 0: "Invocation metrics are binary indicators of the outcome of a Lambda
  function invocation. [...] if the function returns an error, then Lambda sends the Errors
  metric with a value of 1." "Function errors include exceptions that your code throws and
  exceptions that the Lambda runtime throws. The runtime returns errors for issues such as
  timeouts and configuration errors."
- `Duration`, in milliseconds: "The amount of time that your function code spends processing
  an event." (what the runtime's timeout counts; a timed-out invocation's is its Timeout)

"Note that the timestamp on an error metric reflects when the function was invoked, not when
the error occurred": each datum is timestamped when the invocation began, on the local cloud's
clock. (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html)

Not sent: Throttles (the local cloud has no concurrency limits, so nothing is throttled), and
the Resource, ExecutedVersion and dimensionless aggregates (functions run as $LATEST here).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core, FunctionSpec
from localcloud.services.lambda_.runtime import InvocationResult, Runtime

LOG = logging.getLogger("localcloud")
NAMESPACE = "AWS/Lambda"


def metric_data(spec: FunctionSpec, result: InvocationResult, invoked: float) -> list[Any]:
    """The PutMetricData data of one finished invocation that began at `invoked` (epoch s)."""
    moment = datetime.fromtimestamp(invoked, UTC)
    dimensions = [{"Name": "FunctionName", "Value": spec.name}]
    values = (
        ("Invocations", 1.0, "Count"),
        ("Errors", 1.0 if result.failed else 0.0, "Count"),
        ("Duration", result.duration_ms, "Milliseconds"),
    )
    return [
        {
            "MetricName": name,
            "Dimensions": dimensions,
            "Value": value,
            "Unit": unit,
            "Timestamp": moment,
        }
        for name, value, unit in values
    ]


def install(core: Core, runtime: Runtime) -> None:
    def finished(spec: FunctionSpec, result: InvocationResult) -> None:
        invoked = core.clock.wall() - result.duration_ms / 1000
        try:
            core.clients("cloudwatch", spec.region).put_metric_data(
                Namespace=NAMESPACE, MetricData=metric_data(spec, result, invoked)
            )
        except Exception:  # the invocation's outcome stands whatever its metrics do
            LOG.debug("invocation metrics of %s not sent", spec.name, exc_info=True)

    runtime.on_result = finished
