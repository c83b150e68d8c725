"""A function's LoggingConfig on the local cloud: its logs go to the log group it names, sent
with its execution role, and GetFunctionConfiguration answers it as Lambda does. Each test
quotes the AWS documentation it models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

LOG_GROUPS = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html"
SENDING = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"
LOGGING_CONFIG = "https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html"
TEMPLATE = TEMPLATES / "lambda_logging.yaml"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(template=TEMPLATE) as started:
        yield started


def events(cloud: LocalCloud, group: str) -> list[dict[str, Any]]:
    logs = cloud.client("logs")
    return [
        event
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        for event in page["events"]
    ]


def group_exists(cloud: LocalCloud, group: str) -> bool:
    listed = cloud.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    return any(g["logGroupName"] == group for g in listed)


def configuration(cloud: LocalCloud, logical_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = cloud.client("lambda").get_function_configuration(
        FunctionName=cloud.physical_id(logical_id)
    )
    return answer


def test_a_function_logs_to_its_logging_config_group_and_not_to_the_default_one(
    cloud: LocalCloud,
) -> None:
    """LoggingConfig.LogGroup: "The name of the Amazon CloudWatch log group the function sends
    logs to. By default, Lambda functions send logs to a default log group named
    /aws/lambda/<function name>. To use a different log group, enter an existing log group or
    enter a new log group name." (URL in LOGGING_CONFIG) "When you use a custom log group for a
    Lambda function, the log streams Lambda creates include the function name and function
    version." "YYYY/MM/DD/<function_name>[<function_version>][<execution_environment_GUID>]"
    (URL in LOG_GROUPS)"""
    name = cloud.physical_id("CustomLogged")
    group = cloud.physical_id("CustomLoggedLogGroup")
    assert group.endswith("/CustomLogged") and group != f"/aws/lambda/{name}"
    answer = cloud.invoke("CustomLogged", {"lines": ["custom line"]})
    assert answer["group"] == group  # the context names it
    delivered = events(cloud, group)
    messages = [e["message"] for e in delivered]
    assert "custom line" in messages
    assert f"environment group={group}" in messages  # AWS_LAMBDA_LOG_GROUP_NAME too
    assert messages[0].startswith("START RequestId:") and messages[-1].startswith("END ")
    [stream] = {e["logStreamName"] for e in delivered}
    assert re.fullmatch(
        rf"\d{{4}}/\d{{2}}/\d{{2}}/{re.escape(name)}\[\$LATEST\][0-9a-f]{{32}}", stream
    )
    assert answer["stream"] == stream
    assert not group_exists(cloud, f"/aws/lambda/{name}")
    assert cloud.function_log("CustomLogged") == messages


def test_the_default_group_keeps_lambdas_own_stream_names(cloud: LocalCloud) -> None:
    """ "By default, Lambda automatically captures logs for all function invocations and sends
    them to CloudWatch Logs ... These logs are, by default, stored in a log group named
    /aws/lambda/<function-name>." (URL in SENDING)"""
    name = cloud.physical_id("DefaultLogged")
    answer = cloud.invoke("DefaultLogged", {"lines": ["default line"]})
    assert answer["group"] == f"/aws/lambda/{name}"
    [stream] = {e["logStreamName"] for e in events(cloud, f"/aws/lambda/{name}")}
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
    assert "default line" in cloud.function_log("DefaultLogged")


def test_get_function_configuration_reports_logging_config_with_lambdas_defaults(
    cloud: LocalCloud,
) -> None:
    """LoggingConfig: LogFormat "The format in which Lambda sends your function's application
    and system logs to CloudWatch. Select between plain text and structured JSON." LogGroup
    "By default, Lambda functions send logs to a default log group named /aws/lambda/<function
    name>." (URL in LOGGING_CONFIG) "The default log format for all Lambda managed runtimes is
    currently plain text." (monitoring-cloudwatchlogs-log-level.html, which gives INFO as the
    default of both levels.)"""
    assert configuration(cloud, "CustomLogged")["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": cloud.physical_id("CustomLoggedLogGroup"),
    }
    default = cloud.physical_id("DefaultLogged")
    assert configuration(cloud, "DefaultLogged")["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{default}",
    }
    assert configuration(cloud, "JsonLogged")["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "WARN",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{cloud.physical_id('JsonLogged')}",
    }
    got = cloud.client("lambda").get_function(FunctionName=default)["Configuration"]
    assert got["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{default}"


def test_update_function_configuration_moves_the_logs_and_refuses_levels_without_json(
    cloud: LocalCloud,
) -> None:
    """ "You can also configure custom log groups using the CreateFunction and
    UpdateFunctionConfiguration Lambda API commands" (URL in LOG_GROUPS). "To use log-level
    filtering, your function must be configured to use the JSON log format."
    (monitoring-cloudwatchlogs-log-level.html); Lambda answers levels with the Text format
    "LogLevel is not supported when LogFormat is set to "Text"." """
    lambda_ = cloud.client("lambda")
    name = cloud.physical_id("DefaultLogged")
    updated = lambda_.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogGroup": "localcloud-test/moved"}
    )
    assert updated["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "localcloud-test/moved"}
    cloud.invoke("DefaultLogged", {"lines": ["after the move"]})
    assert "after the move" in [e["message"] for e in events(cloud, "localcloud-test/moved")]
    assert not group_exists(cloud, f"/aws/lambda/{name}")
    assert "after the move" in cloud.function_log("DefaultLogged")
    with pytest.raises(ClientError) as refused:
        lambda_.update_function_configuration(
            FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"}
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "LogLevel is not supported" in refused.value.response["Error"]["Message"]


def test_retention_set_by_the_template_shows_in_describe_log_groups(cloud: LocalCloud) -> None:
    """AWS::Logs::LogGroup RetentionInDays: "The number of days to retain the log events in
    the specified log group." (CloudWatch Logs API reference, PutRetentionPolicy); a group
    without it keeps its events forever, and DescribeLogGroups names no retention."""
    group = cloud.physical_id("CustomLoggedLogGroup")
    [described] = [
        g
        for g in cloud.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if g["logGroupName"] == group
    ]
    assert described["retentionInDays"] == 14
    unlogged = cloud.physical_id("UnloggedLogGroup")
    [other] = cloud.client("logs").describe_log_groups(logGroupNamePrefix=unlogged)["logGroups"]
    assert "retentionInDays" not in other


def test_a_role_without_logs_permissions_gets_no_logs_delivered(cloud: LocalCloud) -> None:
    """ "By default, Lambda automatically captures logs for all function invocations and sends
    them to CloudWatch Logs, provided your function's execution role has the necessary
    permissions." "Your execution role needs the following permissions to upload logs to
    CloudWatch Logs: logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents" (URL in
    SENDING). "If the role is missing these permissions, the function still runs but it is
    unable to log any output to the CloudWatch service." (AWS Lambda Operator Guide)"""
    answer = cloud.invoke("Unlogged", {"lines": ["never seen"]})
    group = cloud.physical_id("UnloggedLogGroup")
    assert answer["group"] == group  # it ran
    assert events(cloud, group) == []
    assert cloud.function_log("Unlogged") == []
    [denial] = [d for d in cloud.iam.denials if d.action.startswith("logs:")]
    assert denial.action == "logs:CreateLogStream"
    assert denial.resource.endswith(f":log-group:{group}:log-stream:{answer['stream']}")


def test_a_role_allowed_on_its_group_alone_logs_there_without_creating_groups(
    cloud: LocalCloud,
) -> None:
    """A log group ARN: "Use the second version, with the trailing :*, to refer to the ARN when
    specifying permissions in IAM policies for all other API actions." (CloudWatch Logs User
    Guide, "Overview of managing access permissions to your CloudWatch Logs resources"): a
    role allowed logs:CreateLogStream and logs:PutLogEvents on `!GetAtt Group.Arn` (which ends
    in :*) logs to that existing group; it needs no logs:CreateLogGroup."""
    cloud.invoke("Scoped", {"lines": ["scoped line"]})
    assert "scoped line" in cloud.function_log("Scoped")
    assert [d for d in cloud.iam.denials if d.action.startswith("logs:")] == []


def test_a_missing_group_is_created_when_the_role_may_create_it(cloud: LocalCloud) -> None:
    """LogGroup: "To use a different log group, enter an existing log group or enter a new log
    group name." (URL in LOGGING_CONFIG), and the execution role "needs the following
    permissions to upload logs to CloudWatch Logs: logs:CreateLogGroup, ..." (URL in SENDING;
    SAM's role has AWSLambdaBasicExecutionRole)."""
    assert not group_exists(cloud, "localcloud-test/created-by-lambda")
    cloud.invoke("NewGroupLogged", {"lines": ["first"]})
    assert group_exists(cloud, "localcloud-test/created-by-lambda")
    assert "first" in cloud.function_log("NewGroupLogged")


def test_a_group_beginning_with_aws_is_never_created(cloud: LocalCloud) -> None:
    """ "custom log group names mustn't begin with the string aws/. If you create a custom log
    group beginning with aws/, Lambda" cannot create the log group, and the function's logs
    are not sent to CloudWatch (URL in LOG_GROUPS)."""
    assert cloud.invoke("ReservedLogged", {})["group"] == "aws/reserved-for-aws"
    assert not group_exists(cloud, "aws/reserved-for-aws")
    assert cloud.function_log("ReservedLogged") == []


def test_emf_in_a_custom_log_group_becomes_metrics(cloud: LocalCloud) -> None:
    """ "The CloudWatch embedded metric format is a JSON specification used to instruct
    CloudWatch Logs to automatically extract metric values embedded in structured log
    events." (CloudWatch_Embedded_Metric_Format_Specification.html) A function's structured
    log events are in whichever group its LoggingConfig names (URL in LOGGING_CONFIG)."""
    now_ms = int(cloud.clock.wall() * 1000)
    document = {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {"Namespace": "Test/Custom", "Dimensions": [[]], "Metrics": [{"Name": "Seen"}]}
            ],
        },
        "Seen": 3,
    }
    cloud.invoke("CustomLogged", {"lines": [json.dumps(document)]})
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    points = cloud.client("cloudwatch").get_metric_statistics(
        Namespace="Test/Custom",
        MetricName="Seen",
        StartTime=at - timedelta(minutes=5),
        EndTime=at + timedelta(minutes=5),
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [3.0]


def test_in_warn_mode_a_role_without_logs_permissions_still_logs() -> None:
    """The local cloud's "warn" IAM mode reports what "enforce" would deny and lets it through:
    the logs of a role without CloudWatch Logs permissions are delivered, the would-be denial
    recorded."""
    with LocalCloud(template=TEMPLATE, iam="warn") as cloud:
        cloud.invoke("Unlogged", {"lines": ["seen in warn mode"]})
        assert "seen in warn mode" in cloud.function_log("Unlogged")
        assert any(d.action == "logs:CreateLogStream" for d in cloud.iam.denials)
