"""CloudWatch: metric alarms (AWS::CloudWatch::Alarm), made with PutMetricAlarm.

Ref is the alarm's name and Fn::GetAtt Arn its ARN, as CloudFormation documents them
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html).
"""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed

# The template's properties that PutMetricAlarm takes under the same name.
_PASSED = (
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
)
_INTEGERS = ("Period", "EvaluationPeriods", "DatapointsToAlarm")


def alarm(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("AlarmName") or ctx.physical_name(logical_id, 255))
    kwargs: dict[str, Any] = {"AlarmName": name}
    for key in _PASSED:
        if key in props:
            kwargs[key] = props[key]
    for key in _INTEGERS:
        if key in kwargs:
            kwargs[key] = int(kwargs[key])
    if "Threshold" in kwargs:
        kwargs["Threshold"] = float(kwargs["Threshold"])
    if "ActionsEnabled" in kwargs:
        kwargs["ActionsEnabled"] = str(kwargs["ActionsEnabled"]).lower() == "true"
    ctx.client("cloudwatch").put_metric_alarm(**kwargs)
    return Deployed(logical_id, body["Type"], name, {"Arn": ctx.arn("cloudwatch", f"alarm:{name}")})


PROVISIONERS = {"AWS::CloudWatch::Alarm": alarm}
