"""RedriveExecution as the Step Functions API Reference ("RedriveExecution") and Developer Guide
("Restarting state machine executions with redrive in Step Functions") describe it.

The machines of sfn_redrive.yaml fail at a Task whose queue their role may not send to yet:
granting the permission and redriving is the guide's own recovery ("add the required
permissions to your state machine role, and then redrive").
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing
from tests.support.paths import LOCALCLOUD_TEMPLATES

DAY = 24 * 3600.0


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    made: LocalCloud = cloud_factory(template=LOCALCLOUD_TEMPLATES / "sfn_redrive.yaml")
    return made


@pytest.fixture
def slow_cloud(cloud_factory: Any) -> LocalCloud:
    """A hundredth of real time: a 100-second Wait takes a second, long enough for the other
    branches and iterations to finish first, or for a test to stop the execution."""
    made: LocalCloud = cloud_factory(
        template=LOCALCLOUD_TEMPLATES / "sfn_redrive.yaml", time_scale=0.01
    )
    return made


def _grant_work(cloud: LocalCloud) -> None:
    work = cloud.attribute("Work", "Arn")
    cloud.client("iam").put_role_policy(
        RoleName=cloud.physical_id("MachineRole"),
        PolicyName="Work",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": work}],
            }
        ),
    )


def _messages(cloud: LocalCloud, queue: str) -> list[str]:
    sqs = cloud.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=cloud.physical_id(queue), MaxNumberOfMessages=10)
        if not got.get("Messages"):
            return sorted(bodies)
        bodies += [m["Body"] for m in got["Messages"]]


def _described(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    return dict(cloud.client("stepfunctions").describe_execution(executionArn=arn))


def _types(cloud: LocalCloud, arn: str) -> list[str]:
    return [e["type"] for e in cloud.describe_execution(arn)["history"]]


def _until(cloud: LocalCloud, arn: str, event_type: str) -> None:
    deadline = time.monotonic() + 10
    while event_type not in _types(cloud, arn):
        assert time.monotonic() < deadline, f"no {event_type} in {arn}"
        time.sleep(0.01)


def _failed_sequence(cloud: LocalCloud) -> str:
    arn = cloud.start_execution("Sequence", {"order": "o-1"})
    cloud.wait_idle(timeout=30)
    assert _described(cloud, arn)["status"] == "FAILED"
    return arn


def _not_redrivable(cloud: LocalCloud, arn: str, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        cloud.client("stepfunctions").redrive_execution(executionArn=arn, **kwargs)
    return dict(caught.value.response["Error"])


def test_a_redriven_execution_reruns_the_failed_state_only_and_keeps_its_arn_and_history(
    cloud: LocalCloud,
) -> None:
    # "When you redrive an execution, it continues the failed execution from the unsuccessful
    # step and uses the same input. Step Functions preserves the results and execution
    # history of the successful steps, and doesn't rerun these steps when you redrive an
    # execution. Redriven executions use the same state machine definition and execution ARN
    # as the original execution attempt." (RedriveExecution)
    arn = _failed_sequence(cloud)
    first = cloud.describe_execution(arn)["history"]
    _grant_work(cloud)
    cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    cloud.wait_idle(timeout=30)

    execution = cloud.describe_execution(arn)
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"]["order"] == "o-1"  # the input Work had, not anything new
    assert _messages(cloud, "Ledger") == ["record 0"]  # Record ran once, before the redrive
    history = execution["history"]
    # "Redriven executions append their event history to the existing event history."
    assert history[: len(first)] == first
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    redriven = history[len(first)]
    assert redriven["type"] == "ExecutionRedriven"
    assert redriven["executionRedrivenEventDetails"] == {"redriveCount": 1}
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history if "StateEntered" in e["type"]
    ]
    assert entered == ["Record", "Work", "Work", "Done"]
    assert [e["type"] for e in history].count("ExecutionStarted") == 1


def test_describe_execution_reports_the_redrive_count_date_and_status(cloud: LocalCloud) -> None:
    # DescribeExecution: redriveCount "If you have not yet redriven an execution, the
    # redriveCount is 0. This count is only updated if you successfully redrive an
    # execution"; redriveDate "If you have not yet redriven an execution, the redriveDate is
    # null"; redriveStatus "is NOT_REDRIVABLE if calling the RedriveExecution API action
    # would return the ExecutionNotRedrivable error", with the reasons "Execution is RUNNING
    # and cannot be redriven", "Execution is SUCCEEDED and cannot be redriven".
    arn = _failed_sequence(cloud)
    before = _described(cloud, arn)
    assert before["redriveCount"] == 0
    assert "redriveDate" not in before
    assert before["redriveStatus"] == "REDRIVABLE"

    _grant_work(cloud)
    answer = cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    cloud.wait_idle(timeout=30)
    after = _described(cloud, arn)
    assert after["redriveCount"] == 1
    assert after["redriveDate"] == answer["redriveDate"]
    assert after["startDate"] == before["startDate"]
    assert (after["redriveStatus"], after["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution is SUCCEEDED and cannot be redriven",
    )
    listed = cloud.client("stepfunctions").list_executions(
        stateMachineArn=cloud.physical_id("Sequence")
    )["executions"]
    assert [(e["redriveCount"], e["redriveDate"]) for e in listed] == [(1, answer["redriveDate"])]


def test_a_running_or_succeeded_execution_is_not_redrivable(slow_cloud: LocalCloud) -> None:
    # "You can redrive executions if your original execution meets the following
    # conditions: The execution status isn't SUCCEEDED." (RedriveExecution); a running one
    # has "Execution is RUNNING and cannot be redriven" (DescribeExecution).
    arn = slow_cloud.start_execution("Hold", {})
    assert _not_redrivable(slow_cloud, arn) == {
        "Code": "ExecutionNotRedrivable",
        "Message": "Execution is RUNNING and cannot be redriven",
    }
    slow_cloud.wait_idle(timeout=30)
    assert _not_redrivable(slow_cloud, arn) == {
        "Code": "ExecutionNotRedrivable",
        "Message": "Execution is SUCCEEDED and cannot be redriven",
    }


def test_an_unknown_execution_does_not_exist(cloud: LocalCloud) -> None:
    # RedriveExecution errors: "ExecutionDoesNotExist: The specified execution does not exist."
    arn = cloud.physical_id("Sequence").replace(":stateMachine:", ":execution:") + ":nobody"
    assert _not_redrivable(cloud, arn)["Code"] == "ExecutionDoesNotExist"


def test_the_context_object_counts_the_redrives_and_tells_when(cloud: LocalCloud) -> None:
    # Context object: "The value of the RedriveCount context object is 0, if you've not yet
    # redriven an execution. Further, the RedriveTime context object is only available if
    # you've redriven an execution." ("RedriveTime": "Format: ISO 8601")
    arn = _failed_sequence(cloud)
    _grant_work(cloud)
    answer = cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    cloud.wait_idle(timeout=30)
    assert _messages(cloud, "Ledger") == ["record 0"]
    when = answer["redriveDate"].isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert _messages(cloud, "Work") == [f"o-1 1 {when}"]


def test_only_the_failed_branch_of_a_parallel_state_runs_again(slow_cloud: LocalCloud) -> None:
    # "For workflows that include an Inline Map or Parallel state, RedriveExecution API action
    # reschedules and redrives only the iterations and branches that failed or aborted."
    # (Parallel: "Reschedules and redrives only those branches that failed or aborted.")
    arn = slow_cloud.start_execution("Fan", {})
    slow_cloud.wait_idle(timeout=30)
    assert _described(slow_cloud, arn)["status"] == "FAILED"
    assert _messages(slow_cloud, "Ledger") == ["quick"]
    _grant_work(slow_cloud)
    slow_cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    slow_cloud.wait_idle(timeout=30)

    execution = slow_cloud.describe_execution(arn)
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"] == [{"branch": "quick"}, {"branch": "slow"}]
    assert _messages(slow_cloud, "Ledger") == []  # the quick branch did not send again
    assert _messages(slow_cloud, "Work") == ["slow"]


def test_only_the_failed_iterations_of_an_inline_map_run_again(slow_cloud: LocalCloud) -> None:
    # Inline Map state: "Reschedules and redrives only those iterations that failed or
    # aborted."
    arn = slow_cloud.start_execution("Each", {"items": ["a", "slow", "b"]})
    slow_cloud.wait_idle(timeout=30)
    assert _described(slow_cloud, arn)["status"] == "FAILED"
    assert _messages(slow_cloud, "Ledger") == ["a", "b"]
    _grant_work(slow_cloud)
    slow_cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    slow_cloud.wait_idle(timeout=30)

    execution = slow_cloud.describe_execution(arn)
    assert execution["status"] == "SUCCEEDED", execution["cause"]
    assert execution["output"] == ["a", "slow", "b"]
    assert _messages(slow_cloud, "Ledger") == []
    assert _messages(slow_cloud, "Work") == ["slow"]
    redriven = next(i for i, t in enumerate(_types(slow_cloud, arn)) if t == "ExecutionRedriven")
    assert _types(slow_cloud, arn)[redriven:].count("MapIterationStarted") == 1


def test_an_aborted_execution_is_redriven_from_the_state_it_was_stopped_in(
    slow_cloud: LocalCloud,
) -> None:
    # "This API restarts unsuccessful executions of Standard Workflows from the step that
    # failed, aborted, or timed out." (Developer Guide, "Redriving executions using API")
    arn = slow_cloud.start_execution("Hold", {"held": True})
    _until(slow_cloud, arn, "WaitStateEntered")
    slow_cloud.client("stepfunctions").stop_execution(executionArn=arn)
    deadline = time.monotonic() + 10
    while _described(slow_cloud, arn)["status"] == "RUNNING":  # the stop takes effect
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert _described(slow_cloud, arn)["status"] == "ABORTED"
    slow_cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    assert _described(slow_cloud, arn)["status"] == "RUNNING"
    slow_cloud.wait_idle(timeout=30)

    execution = slow_cloud.describe_execution(arn)
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"] == {"held": True}
    types = _types(slow_cloud, arn)
    assert types.index("ExecutionAborted") < types.index("ExecutionRedriven")
    assert types.count("WaitStateEntered") == 2


def test_a_timed_out_execution_gets_its_whole_timeout_again(slow_cloud: LocalCloud) -> None:
    # "When you redrive an execution, the state machine level timeout, if defined, is reset
    # to 0." Slowly's two 40-second waits overrun its 50 seconds; redriven, the second wait
    # runs alone within a new 50 seconds.
    arn = slow_cloud.start_execution("Slowly", {})
    slow_cloud.wait_idle(timeout=30)
    assert _described(slow_cloud, arn)["status"] == "TIMED_OUT"
    slow_cloud.client("stepfunctions").redrive_execution(executionArn=arn)
    slow_cloud.wait_idle(timeout=30)

    assert _described(slow_cloud, arn)["status"] == "SUCCEEDED"
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in slow_cloud.describe_execution(arn)["history"]
        if e["type"] == "WaitStateEntered"
    ]
    assert entered == ["First", "Second", "Second"]


def test_an_execution_stopped_more_than_14_days_ago_is_not_redrivable(cloud: LocalCloud) -> None:
    # "Your workflow execution has not exceeded the redrivable period of 14 days. Redrivable
    # period refers to the time during which you can redrive a given execution. This period
    # starts from the day a state machine completes its execution." (on the local clock)
    arn = _failed_sequence(cloud)
    cloud.clock.sleep(14 * DAY - 60)
    assert _described(cloud, arn)["redriveStatus"] == "REDRIVABLE"
    cloud.clock.sleep(120)
    described = _described(cloud, arn)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution redrivable period exceeded",
    )
    assert _not_redrivable(cloud, arn) == {
        "Code": "ExecutionNotRedrivable",
        "Message": "Execution redrivable period exceeded",
    }


def test_an_execution_open_for_over_a_year_is_not_redrivable(cloud: LocalCloud) -> None:
    # "The workflow execution has not exceeded the maximum open time of one year."
    # LongRun waits 360 days, then fails: six days later it has been open for a year.
    arn = cloud.start_execution("LongRun", {})
    cloud.wait_idle(timeout=30)
    assert _described(cloud, arn)["redriveStatus"] == "REDRIVABLE"
    cloud.clock.sleep(6 * DAY)
    assert _not_redrivable(cloud, arn) == {
        "Code": "ExecutionNotRedrivable",
        "Message": "Execution has exceeded the max execution time",
    }


def test_an_execution_too_near_the_history_quota_is_not_redrivable(cloud: LocalCloud) -> None:
    # "The execution event history count is less than 24,999. Redriven executions append
    # their event history to the existing event history. Make sure your workflow execution
    # contains less than 24,999 events to accommodate the ExecutionRedriven history event and
    # at least one other history event." With the quota lowered from 25,000 to 10 or 11 (as
    # localcloud.testing.history_quota lowers it), the 9 events of the failed Sequence are one
    # too many for 10 and few enough for 11.
    arn = _failed_sequence(cloud)
    assert len(cloud.describe_execution(arn)["history"]) == 9
    with testing.history_quota(cloud, 10):
        assert _not_redrivable(cloud, arn) == {
            "Code": "ExecutionNotRedrivable",
            "Message": "Execution history event limit exceeded",
        }
    with testing.history_quota(cloud, 11):
        assert _described(cloud, arn)["redriveStatus"] == "REDRIVABLE"


def test_an_express_execution_is_not_redrivable(cloud: LocalCloud) -> None:
    # "This API action is not supported by EXPRESS state machines." (The reference gives no
    # error for this; ExecutionNotRedrivable is its error for an execution that "cannot be
    # redriven".)
    sfn = cloud.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=cloud.physical_id("Express"))["executionArn"]
    cloud.wait_idle(timeout=30)
    assert _not_redrivable(cloud, arn)["Code"] == "ExecutionNotRedrivable"


@pytest.fixture
def redriven(cloud: LocalCloud) -> Iterator[tuple[LocalCloud, str]]:
    yield cloud, _failed_sequence(cloud)


def _redrives(cloud: LocalCloud, arn: str) -> int:
    return _types(cloud, arn).count("ExecutionRedriven")


def test_a_client_token_makes_the_redrive_idempotent_for_15_minutes(
    redriven: tuple[LocalCloud, str],
) -> None:
    # clientToken: "A unique, case-sensitive identifier that you provide to ensure the
    # idempotency of the request. [...] The API will return idempotent responses for the last
    # 10 client tokens used to successfully redrive the execution. These client tokens are
    # valid for up to 15 minutes after they are first used."
    cloud, arn = redriven
    sfn = cloud.client("stepfunctions")
    first = sfn.redrive_execution(executionArn=arn, clientToken="retry-1")["redriveDate"]
    cloud.wait_idle(timeout=30)  # failed again at Work
    again = sfn.redrive_execution(executionArn=arn, clientToken="retry-1")["redriveDate"]
    assert again == first
    assert _redrives(cloud, arn) == 1
    assert _described(cloud, arn)["redriveCount"] == 1

    sfn.redrive_execution(executionArn=arn, clientToken="retry-2")
    cloud.wait_idle(timeout=30)
    assert _redrives(cloud, arn) == 2

    cloud.clock.sleep(15 * 60 + 1)
    later = sfn.redrive_execution(executionArn=arn, clientToken="retry-1")["redriveDate"]
    cloud.wait_idle(timeout=30)
    assert later > first
    assert _redrives(cloud, arn) == 3


def test_only_the_last_ten_client_tokens_are_remembered(redriven: tuple[LocalCloud, str]) -> None:
    # "The API will return idempotent responses for the last 10 client tokens used to
    # successfully redrive the execution."
    cloud, arn = redriven
    sfn = cloud.client("stepfunctions")
    for n in range(11):
        sfn.redrive_execution(executionArn=arn, clientToken=f"token-{n}")
        cloud.wait_idle(timeout=30)
    sfn.redrive_execution(executionArn=arn, clientToken="token-1")  # among the last ten
    assert _redrives(cloud, arn) == 11
    sfn.redrive_execution(executionArn=arn, clientToken="token-0")  # the eleventh from last
    cloud.wait_idle(timeout=30)
    assert _redrives(cloud, arn) == 12


def test_a_redriven_execution_keeps_its_version_and_alias(cloud: LocalCloud) -> None:
    # "If your original execution attempt was associated with a version, alias, or both, the
    # redriven execution is associated with the same version, alias, or both. Even if you
    # update your alias to point to a different version, the redriven execution continues to
    # use the version associated with the original execution attempt." (Developer Guide)
    sfn = cloud.client("stepfunctions")
    machine = cloud.physical_id("Sequence")
    one = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": one, "weight": 100}]
    )["stateMachineAliasArn"]
    arn = sfn.start_execution(stateMachineArn=alias, input=json.dumps({"order": "o-2"}))[
        "executionArn"
    ]
    cloud.wait_idle(timeout=30)
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"])
    definition["States"]["Work"]["Parameters"] = {
        "QueueUrl": cloud.physical_id("Work"),
        "MessageBody": "the second version",
    }
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(definition))
    two = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": two, "weight": 100}],
    )
    _grant_work(cloud)
    sfn.redrive_execution(executionArn=arn)
    cloud.wait_idle(timeout=30)

    described = _described(cloud, arn)
    assert described["status"] == "SUCCEEDED"
    assert (described["stateMachineVersionArn"], described["stateMachineAliasArn"]) == (one, alias)
    [body] = _messages(cloud, "Work")
    assert body.startswith("o-2 1 ")  # version 1's Work, not the second version's
