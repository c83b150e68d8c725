"""The metrics SQS and Lambda send to CloudWatch by themselves (AWS/SQS, AWS/Lambda), and
alarms on them that notify a topic, as Steward's template watches its dead-letter queues and
functions. Each test quotes the AWS documentation it models."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.errors import FunctionError
from localcloud.testing import TopicTap, metric_series, pass_time
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

SQS_MONITORING = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-monitoring-using-cloudwatch.html"
)
SQS_METRICS = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
    "sqs-available-cloudwatch-metrics.html"
)
LAMBDA_METRICS = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(template=TEMPLATES / "service_metrics.yaml") as started:
        yield started


def minutes_pass(cloud: LocalCloud, minutes: int) -> None:
    """One minute at a time, as the clock would pass them, each minute's timers run."""
    for _ in range(minutes):
        pass_time(cloud, 60)
        cloud.wait_idle()


def alarm_state(cloud: LocalCloud, logical_id: str) -> str:
    [alarm] = cloud.client("cloudwatch").describe_alarms(
        AlarmNames=[cloud.physical_id(logical_id)]
    )["MetricAlarms"]
    return str(alarm["StateValue"])


def alarmed(tap: TopicTap, cloud: LocalCloud, logical_id: str) -> list[dict[str, Any]]:
    """The ALARM notifications of one alarm the topic's subscribed queue received."""
    notifications = [json.loads(m["Message"]) for m in tap.messages()]
    return [
        n
        for n in notifications
        if n["AlarmName"] == cloud.physical_id(logical_id) and n["NewStateValue"] == "ALARM"
    ]


def queue_series(
    cloud: LocalCloud, logical_id: str, metric: str, stat: str = "Maximum"
) -> dict[datetime, float]:
    name = cloud.attribute(logical_id, "QueueName")
    return metric_series(cloud, "AWS/SQS", metric, {"QueueName": name}, stat=stat, period=60)


def function_series(
    cloud: LocalCloud, logical_id: str, metric: str, stat: str = "Sum"
) -> dict[datetime, float]:
    name = cloud.physical_id(logical_id)
    return metric_series(cloud, "AWS/Lambda", metric, {"FunctionName": name}, stat=stat, period=60)


# ------------------------------------------------------------------ SQS


def test_a_message_left_on_a_dead_letter_queue_puts_its_depth_alarm_in_alarm(
    cloud: LocalCloud,
) -> None:
    """ "CloudWatch metrics for your Amazon SQS queues are automatically collected and pushed to
    CloudWatch at one-minute intervals." (SQS_MONITORING) "ApproximateNumberOfMessagesVisible
    | The number of messages currently available for retrieval and processing. | Count |
    Reported if the queue is active." "Amazon SQS metrics in CloudWatch use a single
    dimension: QueueName." (SQS_METRICS) An alarm on it (Maximum over 300 s, > 0, as Steward's
    template has it) goes to ALARM and its action's topic is notified."""
    tap = TopicTap(cloud, "AlarmTopic")
    cloud.client("sqs").send_message(QueueUrl=cloud.physical_id("DeadLetters"), MessageBody="{}")
    minutes_pass(cloud, 7)  # past a whole five-minute period after the message came
    assert alarm_state(cloud, "DeadLettersAlarm") == "ALARM"
    [notification] = alarmed(tap, cloud, "DeadLettersAlarm")
    assert notification["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert notification["Trigger"]["Namespace"] == "AWS/SQS"
    visible = queue_series(cloud, "DeadLetters", "ApproximateNumberOfMessagesVisible")
    assert len(visible) >= 5 and set(visible.values()) == {1.0}
    # "ApproximateAgeOfOldestMessage | The age of the oldest unprocessed message in the
    # queue. | Seconds": a minute older at each minute.
    ages = [
        age
        for _, age in sorted(
            queue_series(cloud, "DeadLetters", "ApproximateAgeOfOldestMessage").items()
        )
    ]
    assert len(ages) >= 5 and all(
        later - earlier == 60 for earlier, later in itertools.pairwise(ages)
    )


def test_an_empty_queue_keeps_its_depth_alarm_ok(cloud: LocalCloud) -> None:
    """An active queue without messages reports ApproximateNumberOfMessagesVisible 0 each
    minute ("Reported if the queue is active.", SQS_METRICS); it reports no
    ApproximateNumberOfMessagesNotVisible ("Reported if in-flight messages exist.") and no
    ApproximateAgeOfOldestMessage ("Reported if the queue contains at least one active
    message."). Its alarm (> 0, notBreaching) stays OK."""
    tap = TopicTap(cloud, "AlarmTopic")
    minutes_pass(cloud, 3)
    assert alarm_state(cloud, "QuietAlarm") == "OK"
    assert alarmed(tap, cloud, "QuietAlarm") == []
    visible = queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesVisible")
    assert visible and set(visible.values()) == {0.0}
    assert queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesNotVisible") == {}
    assert queue_series(cloud, "Quiet", "ApproximateAgeOfOldestMessage") == {}


def test_a_queue_left_alone_for_six_hours_stops_reporting_until_a_call_names_it(
    cloud: LocalCloud,
) -> None:
    """ "These metrics are gathered on all queues that meet the CloudWatch guidelines for being
    active. CloudWatch considers a queue to be active for up to six hours if it contains any
    messages or if any action accesses it." (SQS_MONITORING) An empty queue no call has named
    for seven hours reports nothing (its notBreaching alarm stays OK); a GetQueueAttributes
    makes it active again."""
    pass_time(cloud, 7 * 3600)
    cloud.wait_idle()
    minutes_pass(cloud, 2)
    assert queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesVisible") == {}
    assert alarm_state(cloud, "QuietAlarm") == "OK"
    cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.physical_id("Quiet"), AttributeNames=["All"]
    )
    minutes_pass(cloud, 2)
    visible = queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesVisible")
    assert visible and set(visible.values()) == {0.0}


def test_sends_receives_and_deletes_are_counted_each_minute(cloud: LocalCloud) -> None:
    """ "NumberOfMessagesSent | The number of messages successfully added to a queue. |
    Count | Reported for each successful manual send." "NumberOfMessagesReceived | The number
    of messages returned by the ReceiveMessage API." "NumberOfMessagesDeleted | The number of
    messages successfully deleted from the queue. | Count | Reported for each delete request
    with a valid receipt handle." (SQS_METRICS) A batch of two sends counts two."""
    sqs = cloud.client("sqs")
    url = cloud.physical_id("Quiet")
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}],
    )
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    minutes_pass(cloud, 2)
    totals = {
        metric: sum(queue_series(cloud, "Quiet", metric, stat="Sum").values())
        for metric in (
            "NumberOfMessagesSent",
            "NumberOfMessagesReceived",
            "NumberOfMessagesDeleted",
        )
    }
    assert totals == {
        "NumberOfMessagesSent": 2.0,
        "NumberOfMessagesReceived": 1.0,
        "NumberOfMessagesDeleted": 1.0,
    }
    assert set(queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesVisible").values()) == {1.0}


def test_a_message_redriven_to_the_dead_letter_queue_is_no_send_and_its_age_restarts(
    cloud: LocalCloud,
) -> None:
    """ "Automatic Redrive – Messages automatically moved to a DLQ due to processing failures
    are not captured by this metric [NumberOfMessagesSent]." "When a message is moved to a DLQ
    after exceeding the maxReceiveCount, the age resets. In that case, the DLQ's metric reflects
    the time the message was moved—not when it was originally sent." (SQS_METRICS)"""
    sqs = cloud.client("sqs")
    source = cloud.physical_id("Source")
    sqs.send_message(QueueUrl=source, MessageBody="{}")
    sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)  # its one receive
    minutes_pass(cloud, 10)
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # redriven instead
    minutes_pass(cloud, 3)
    assert max(queue_series(cloud, "Source", "ApproximateAgeOfOldestMessage").values()) >= 540
    moved_ages = queue_series(cloud, "DeadLetters", "ApproximateAgeOfOldestMessage").values()
    assert moved_ages and max(moved_ages) <= 180
    assert sum(queue_series(cloud, "DeadLetters", "NumberOfMessagesSent", "Sum").values()) == 0


def test_a_deleted_queue_stops_reporting_and_the_others_go_on(cloud: LocalCloud) -> None:
    """A queue that is deleted is no longer there to report; the publisher goes on with the
    other queues."""
    minutes_pass(cloud, 1)
    cloud.client("sqs").delete_queue(QueueUrl=cloud.physical_id("DeadLetters"))
    before = datetime.fromtimestamp(cloud.clock.wall(), UTC)
    minutes_pass(cloud, 2)
    gone = queue_series(cloud, "DeadLetters", "ApproximateNumberOfMessagesVisible")
    assert all(moment <= before for moment in gone)
    assert any(
        moment > before
        for moment in queue_series(cloud, "Quiet", "ApproximateNumberOfMessagesVisible")
    )


# ------------------------------------------------------------------ Lambda


def test_each_invocation_counts_and_a_raised_exception_counts_as_an_error(
    cloud: LocalCloud,
) -> None:
    """ "Invocations – The number of times that your function code is invoked, including
    successful invocations and invocations that result in a function error." "Errors – The
    number of invocations that result in a function error. Function errors include exceptions
    that your code throws and exceptions that the Lambda runtime throws." "Duration – The
    amount of time that your function code spends processing an event." (LAMBDA_METRICS)"""
    cloud.invoke("Worker", {})
    cloud.invoke("Worker", {})
    with pytest.raises(FunctionError):
        cloud.invoke("Worker", {"fail": "boom"})
    assert sum(function_series(cloud, "Worker", "Invocations").values()) == 3.0
    assert sum(function_series(cloud, "Worker", "Errors").values()) == 1.0
    durations = function_series(cloud, "Worker", "Duration", stat="Maximum")
    assert durations and all(0 <= d < 10_000 for d in durations.values())


def test_a_timeout_is_an_error_that_lasted_the_timeout(cloud: LocalCloud) -> None:
    """ "The runtime returns errors for issues such as timeouts and configuration errors."
    (LAMBDA_METRICS) The Duration of an invocation that timed out is its Timeout (1 s)."""
    with pytest.raises(FunctionError):
        cloud.invoke("Sleeper", {"hold": 1.5})
    assert sum(function_series(cloud, "Sleeper", "Errors").values()) == 1.0
    assert set(function_series(cloud, "Sleeper", "Duration", stat="Maximum").values()) == {1000.0}


def test_a_function_that_raises_puts_its_errors_alarm_in_alarm_and_notifies_its_topic(
    cloud: LocalCloud,
) -> None:
    """ "if the function returns an error, then Lambda sends the Errors metric with a value of
    1. To get a count of the number of function errors that occurred each minute, view the Sum
    of the Errors metric with a period of 1 minute." (LAMBDA_METRICS) An alarm on it (Sum over
    60 s, > 0) goes to ALARM and notifies its topic; one that succeeds does not."""
    tap = TopicTap(cloud, "AlarmTopic")
    cloud.invoke("Worker", {})
    minutes_pass(cloud, 1)
    assert alarm_state(cloud, "WorkerErrorsAlarm") == "OK"
    # Just past the start of a minute, so the next evaluation's one-minute range holds the error.
    pass_time(cloud, 61 - cloud.clock.wall() % 60)
    cloud.wait_idle()
    with pytest.raises(FunctionError):
        cloud.invoke("Worker", {"fail": "boom"})
    minutes_pass(cloud, 1)
    assert alarm_state(cloud, "WorkerErrorsAlarm") == "ALARM"
    [notification] = alarmed(tap, cloud, "WorkerErrorsAlarm")
    assert notification["Trigger"]["Namespace"] == "AWS/Lambda"
    assert notification["Trigger"]["Dimensions"] == [
        {"value": cloud.physical_id("Worker"), "name": "FunctionName"}
    ]
