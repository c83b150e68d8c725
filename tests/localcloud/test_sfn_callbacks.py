"""`.waitForTaskToken` tasks: the token sent back, a failure sent back, and TimeoutSeconds
measured on the local cloud's clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.testing import TopicTap, pass_time
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES

TEMPLATE = TEMPLATES / "sfn_callbacks.yaml"


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    cloud: LocalCloud = cloud_factory(template=TEMPLATE)
    return cloud


def _asked(cloud: LocalCloud, tap: TopicTap) -> tuple[str, str]:
    """Start the machine; wait for its question on the topic; (execution, token)."""
    execution = cloud.start_execution("Machine", {"x": 1})
    for _ in range(200):
        messages = tap.messages()
        if messages:
            return execution, messages[-1]["Message"].split("token ", 1)[1]
        pass_time(cloud, 0)
    raise AssertionError("the task never published its token")


def _ended(cloud: LocalCloud, execution: str) -> dict[str, Any]:
    cloud.wait_idle(timeout=30)
    described: dict[str, Any] = cloud.client("stepfunctions").describe_execution(
        executionArn=execution
    )
    return described


def test_a_token_sent_back_ends_the_wait_with_its_output(cloud: LocalCloud) -> None:
    # SendTaskSuccess: "Used by activity workers, Task states using the callback pattern [...]
    # to report that the task identified by the taskToken completed successfully."
    tap = TopicTap(cloud, "Topic")
    execution, token = _asked(cloud, tap)
    cloud.client("stepfunctions").send_task_success(
        taskToken=token, output=json.dumps({"approved": True})
    )
    ended = _ended(cloud, execution)
    assert ended["status"] == "SUCCEEDED" and json.loads(ended["output"]) == {"approved": True}


def test_a_failure_sent_back_is_the_error_the_task_catches(cloud: LocalCloud) -> None:
    tap = TopicTap(cloud, "Topic")
    execution, token = _asked(cloud, tap)
    cloud.client("stepfunctions").send_task_failure(taskToken=token, error="Rejected")
    output = json.loads(_ended(cloud, execution)["output"])
    assert output["rejected"]["Error"] == "Rejected"


def test_no_token_within_the_tasks_timeout_seconds_is_states_timeout_on_the_clock(
    cloud: LocalCloud,
) -> None:
    # "If the token isn't returned within the task's TimeoutSeconds, the task fails with a
    # States.Timeout error" (Step Functions Developer Guide, "Wait for a Callback with Task
    # Token"): the template's task waits 3600 seconds, which pass on the local clock.
    tap = TopicTap(cloud, "Topic")
    execution, _ = _asked(cloud, tap)
    pass_time(cloud, 1800)
    running = cloud.client("stepfunctions").describe_execution(executionArn=execution)
    assert running["status"] == "RUNNING"
    pass_time(cloud, 1900)
    output = json.loads(_ended(cloud, execution)["output"])
    assert output["timeout"]["Error"] == "States.Timeout"


def test_a_sync_task_leaves_no_waiting_thread_behind(cloud: LocalCloud) -> None:
    # A .sync task waits for a token beside its own resolver, which interrupts that wait when
    # the child ends: the wait must end with it (it once spun until its default timeout).
    import threading
    import time

    execution = cloud.start_execution("Parent", {})
    assert _ended(cloud, execution)["status"] == "SUCCEEDED"
    for _ in range(40):
        waiting = [t for t in threading.enumerate() if t.name.startswith("WaitForTaskToken_Sync")]
        if not waiting:
            break
        time.sleep(0.05)
    assert waiting == []
