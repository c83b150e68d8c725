"""CloudWatch on the local cloud: a function's EMF log lines become metrics, as CloudWatch Logs
extracts them, and alarms evaluate metrics on the clock and notify their actions. Each test
quotes the AWS documentation it models."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import TopicTap, service_events
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

EMF_SPEC = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/"
    "CloudWatch_Embedded_Metric_Format_Specification.html"
)


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(template=TEMPLATES / "cloudwatch.yaml") as started:
        yield started


def print_lines(cloud: LocalCloud, *lines: Any) -> None:
    assert cloud.invoke("Printer", {"lines": list(lines)}) == len(lines)


def statistics(
    cloud: LocalCloud,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    around: datetime,
    period: int = 60,
) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = cloud.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=around - timedelta(minutes=5),
        EndTime=around + timedelta(minutes=5),
        Period=period,
        Statistics=["Sum", "SampleCount", "Maximum"],
    )["Datapoints"]
    return points


# ------------------------------------------------------------------ EMF


def test_the_specifications_example_becomes_a_metric_at_its_timestamp(cloud: LocalCloud) -> None:
    """EMF specification: "The following is a valid example of embedded metric format." {"_aws":
    {"Timestamp": 1574109732004, "CloudWatchMetrics": [{"Namespace": "lambda-function-metrics",
    "Dimensions": [["functionVersion"]], "Metrics": [{"Name": "time", "Unit": "Milliseconds",
    "StorageResolution": 60}]}]}, "functionVersion": "$LATEST", "time": 100, "requestId":
    "989ffbf8-9ace-4817-a57c-e4dd734019ee"}. "Timestamp - A number representing the time stamp
    used for metrics extracted from the event. Values MUST be expressed as the number of
    milliseconds after Jan 1, 1970 00:00:00 UTC." (URL in EMF_SPEC)"""
    example = {
        "_aws": {
            "Timestamp": 1574109732004,
            "CloudWatchMetrics": [
                {
                    "Namespace": "lambda-function-metrics",
                    "Dimensions": [["functionVersion"]],
                    "Metrics": [{"Name": "time", "Unit": "Milliseconds", "StorageResolution": 60}],
                }
            ],
        },
        "functionVersion": "$LATEST",
        "time": 100,
        "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee",
    }
    print_lines(cloud, example)
    at = datetime.fromtimestamp(1574109732004 / 1000, UTC)
    [point] = statistics(
        cloud, "lambda-function-metrics", "time", {"functionVersion": "$LATEST"}, at
    )
    assert point["Sum"] == 100 and point["SampleCount"] == 1
    assert point["Unit"] == "Milliseconds"
    assert abs(point["Timestamp"] - at) < timedelta(minutes=1)
    # The other members are not dimensions: "Every DimensionSet used creates a new metric".
    listed = cloud.client("cloudwatch").list_metrics(Namespace="lambda-function-metrics")
    assert [m["Dimensions"] for m in listed["Metrics"]] == [
        [{"Name": "functionVersion", "Value": "$LATEST"}]
    ]


def test_each_dimension_set_makes_a_metric_and_an_array_is_many_values(cloud: LocalCloud) -> None:
    """EMF specification: "A DimensionSet is an array of strings containing the dimension keys
    that will be applied to all metrics in the document. The values within this array MUST
    also be members on the root-node" ... "Every DimensionSet used creates a new metric in
    CloudWatch." "A metric target MUST be a numeric value or an array of numeric values."
    "Unit - An OPTIONAL string value ... If a value is not provided, then a default value of
    NONE is assumed." (URL in EMF_SPEC)"""
    now_ms = int(cloud.clock.wall() * 1000)
    print_lines(
        cloud,
        {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Test/EMF",
                        "Dimensions": [["Service"], ["Service", "Operation"]],
                        "Metrics": [{"Name": "Latency"}],
                    }
                ],
            },
            "Service": "api",
            "Operation": "get",
            "Latency": [1, 2, 3],
        },
        "an ordinary log line",
    )
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    for dimensions in ({"Service": "api"}, {"Service": "api", "Operation": "get"}):
        [point] = statistics(cloud, "Test/EMF", "Latency", dimensions, at)
        assert (point["Sum"], point["SampleCount"], point["Maximum"]) == (6, 3, 3)
        assert point["Unit"] == "None"


def test_a_document_the_specification_refuses_is_not_extracted(cloud: LocalCloud) -> None:
    """EMF specification: "The target member MUST have a string value." (a dimension) and
    "Metric targets MUST be either a numeric value or an array of numeric values." A document
    that breaks them yields no metric; the next line of the log is extracted as usual."""
    now_ms = int(cloud.clock.wall() * 1000)

    def document(value: Any, service: Any) -> dict[str, Any]:
        return {
            "_aws": {
                "Timestamp": now_ms,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Test/Bad",
                        "Dimensions": [["Service"]],
                        "Metrics": [{"Name": "N"}],
                    }
                ],
            },
            "Service": service,
            "N": value,
        }

    print_lines(cloud, document("many", "api"), document(1, 7), document(5, "api"))
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    [point] = statistics(cloud, "Test/Bad", "N", {"Service": "api"}, at)
    assert point["Sum"] == 5 and point["SampleCount"] == 1


def test_high_resolution_metrics_keep_their_seconds(cloud: LocalCloud) -> None:
    """EMF specification: "StorageResolution - ... Setting this to 1 specifies this metric as a
    high-resolution metric, so that CloudWatch stores the metric with sub-minute resolution
    down to one second." (URL in EMF_SPEC)"""
    base = (int(cloud.clock.wall()) // 60) * 60 * 1000
    lines = [
        {
            "_aws": {
                "Timestamp": base + second * 1000,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "Test/Fast",
                        "Dimensions": [[]],  # "A DimensionSet MAY be empty."
                        "Metrics": [{"Name": "Tick", "Unit": "Count", "StorageResolution": 1}],
                    }
                ],
            },
            "Tick": second,
        }
        for second in (5, 10)
    ]
    print_lines(cloud, *lines)
    at = datetime.fromtimestamp(base / 1000, UTC)
    points = statistics(cloud, "Test/Fast", "Tick", {}, at, period=1)
    assert sorted((p["Timestamp"] - at).total_seconds() for p in points) == [5, 10]


def test_powertools_metrics_become_cloudwatch_metrics(cloud: LocalCloud) -> None:
    """Powertools for AWS Lambda's Metrics (which Steward's functions use) writes EMF: "Metrics
    ... creates custom metrics asynchronously by logging metrics to standard output following
    Amazon CloudWatch Embedded Metric Format (EMF)."
    (https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/). Its document, with the
    `service` dimension, becomes the metric."""
    cloud.invoke("PowertoolsPrinter", {"count": 4})
    emitted = [line for line in cloud.function_log("PowertoolsPrinter") if '"_aws"' in line]
    [document] = [json.loads(line) for line in emitted]
    at = datetime.fromtimestamp(document["_aws"]["Timestamp"] / 1000, UTC)
    [point] = statistics(cloud, "Test/Powertools", "Processed", {"service": "printer"}, at)
    assert point["Sum"] == 4 and point["Unit"] == "Count"


# ------------------------------------------------------------------ alarms

ALARMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
ALARM_EVENTS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html"
)


def put_errors(cloud: LocalCloud, value: float) -> None:
    cloud.client("cloudwatch").put_metric_data(
        Namespace="Test/App",
        MetricData=[
            {
                "MetricName": "Errors",
                "Dimensions": [{"Name": "Service", "Value": "api"}],
                "Value": value,
                "Timestamp": datetime.fromtimestamp(cloud.clock.wall(), UTC),
            }
        ],
    )


def pass_time(cloud: LocalCloud, seconds: float) -> None:
    """Let `seconds` pass on the clock and the alarm evaluations then due run."""
    cloud.clock.sleep(seconds)
    time.sleep(0.1)  # the timer thread hands due evaluations to the dispatcher
    cloud.wait_idle()


def state(cloud: LocalCloud) -> dict[str, Any]:
    [alarm] = cloud.client("cloudwatch").describe_alarms(
        AlarmNames=[cloud.physical_id("ErrorsAlarm")]
    )["MetricAlarms"]
    return alarm


def test_a_new_alarm_has_insufficient_data(cloud: LocalCloud) -> None:
    """ "INSUFFICIENT_DATA - The alarm has just started, the metric is not available, or not
    enough data is available for the metric to determine the alarm state." (ALARMS); the
    documentation's state change event shows the first state as {"reason": "Unchecked: Initial
    alarm creation", "value": "INSUFFICIENT_DATA"} (ALARM_EVENTS)."""
    alarm = state(cloud)
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert alarm["AlarmArn"] == cloud.stacks[0].outputs["AlarmArn"]


def test_breaching_datapoints_put_the_alarm_in_alarm_and_notify_its_actions(
    cloud: LocalCloud,
) -> None:
    """ "ALARM - The metric or expression is outside of the defined threshold." "Evaluation
    Periods is the number of the most recent periods, or data points, to evaluate when
    determining alarm state. Datapoints to Alarm is the number of data points within the
    Evaluation Periods that must be breaching to cause the alarm to go to the ALARM state."
    (ALARMS). The notification is the JSON CloudWatch publishes to the topic, as AWS's own
    sample has it (AlarmName, AlarmDescription, AWSAccountId, NewStateValue, NewStateReason,
    StateChangeTime, Region, AlarmArn, OldStateValue, Trigger {MetricName, Namespace,
    StatisticType, Statistic, Unit, Dimensions [{value, name}], Period, EvaluationPeriods,
    ComparisonOperator, Threshold, TreatMissingData, EvaluateLowSampleCountPercentile};
    https://github.com/aws/aws-lambda-go/blob/main/events/testdata/cloudwatch-alarm-sns-payload-single-metric.json;
    the CloudWatch guide itself prints no example of it)."""
    tap = TopicTap(cloud, "AlarmTopic")
    put_errors(cloud, 6)
    pass_time(cloud, 60)
    put_errors(cloud, 7)
    pass_time(cloud, 60)
    alarm = state(cloud)
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 2 datapoints [")
    assert "was greater than or equal to the threshold (5.0)" in alarm["StateReason"]
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [6.0, 7.0]
    notifications = [json.loads(m["Message"]) for m in tap.messages()]
    alarmed = [n for n in notifications if n["NewStateValue"] == "ALARM"]
    assert len(alarmed) == 1
    [message] = alarmed
    assert message["AlarmName"] == cloud.physical_id("ErrorsAlarm")
    assert message["AlarmDescription"] == "Too many errors"
    assert message["AWSAccountId"] == cloud.account_id
    assert message["AlarmArn"] == alarm["AlarmArn"]
    assert message["OldStateValue"] in ("OK", "INSUFFICIENT_DATA")
    assert message["Region"] == "US East (N. Virginia)"
    datetime.strptime(message["StateChangeTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert message["Trigger"] == {
        "MetricName": "Errors",
        "Namespace": "Test/App",
        "StatisticType": "Statistic",
        "Statistic": "SUM",
        "Unit": None,
        "Dimensions": [{"value": "api", "name": "Service"}],
        "Period": 60,
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 2,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 5.0,
        "TreatMissingData": "missing",
        "EvaluateLowSampleCountPercentile": "",
    }


def test_state_changes_reach_eventbridge_as_documented(cloud: LocalCloud) -> None:
    """ "CloudWatch sends events to Amazon EventBridge whenever a CloudWatch alarm is created,
    updated, deleted, or changes alarm state." The single-metric example: "detail-type":
    "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "resources": [alarm ARN],
    "detail": {"alarmName", "configuration": {"description", "metrics": [{"id", "metricStat":
    {"metric": {"dimensions": {...}, "name", "namespace"}, "period", "stat"}, "returnData":
    true}]}, "previousState": {"reason", "reasonData", "timestamp", "value"}, "state": {...}}
    (ALARM_EVENTS). Only state changes are sent here, not configuration changes."""
    cloud.client("cloudwatch").set_alarm_state(
        AlarmName=cloud.physical_id("ErrorsAlarm"), StateValue="ALARM", StateReason="testing"
    )
    cloud.wait_idle()
    [event] = service_events(cloud, "CloudWatch Alarm State Change")
    assert event["source"] == "aws.cloudwatch"
    assert event["resources"] == [cloud.stacks[0].outputs["AlarmArn"]]
    detail = event["detail"]
    assert detail["alarmName"] == cloud.physical_id("ErrorsAlarm")
    assert detail["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert detail["previousState"]["reason"] == "Unchecked: Initial alarm creation"
    assert detail["state"]["value"] == "ALARM" and detail["state"]["reason"] == "testing"
    [metric] = detail["configuration"]["metrics"]
    assert metric["metricStat"] == {
        "metric": {"dimensions": {"Service": "api"}, "name": "Errors", "namespace": "Test/App"},
        "period": 60,
        "stat": "Sum",
    }
    assert metric["returnData"] is True
    assert detail["configuration"]["description"] == "Too many errors"


def test_missing_data_leaves_the_alarm_for_insufficient_data_and_ok_actions_run(
    cloud: LocalCloud,
) -> None:
    """ "missing - If all data points in the alarm evaluation range are missing, the alarm
    transitions to INSUFFICIENT_DATA." and "OK - The metric or expression is within the defined
    threshold."
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html,
    ALARMS)"""
    tap = TopicTap(cloud, "AlarmTopic")
    put_errors(cloud, 1)
    pass_time(cloud, 60)
    assert state(cloud)["StateValue"] == "OK"
    [ok] = [json.loads(m["Message"]) for m in tap.messages()]
    assert (ok["OldStateValue"], ok["NewStateValue"]) == ("INSUFFICIENT_DATA", "OK")
    pass_time(cloud, 180)  # nothing more is put: both periods of the range are missing
    alarm = state(cloud)
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert tap.messages() == []  # the alarm has no InsufficientDataActions
