"""The aws CLI against `steward local up`: what AWS services do by themselves on a CLI call
(S3 sending its events to EventBridge) starts what the template's rules say, with no
put-events."""

from __future__ import annotations

from pathlib import Path

from tests.support.local_up import local_up, wait_for
from tests.support.paths import LOCALCLOUD_TEMPLATES as TEMPLATES


def test_aws_s3_cp_starts_the_machine_whose_rule_matches_s3s_object_created_event(
    tmp_path: Path,
) -> None:
    upload = tmp_path / "report.csv"
    upload.write_text("id,total\n1,500\n", encoding="utf-8")
    with local_up(tmp_path, template=TEMPLATES / "s3_events.yaml") as up:
        (bucket,) = [b["Name"] for b in up.aws("s3api", "list-buckets")["Buckets"]]
        machine = up.state_machine("UploadedStateMachine")
        assert up.executions(machine) == []

        printed = up.aws("s3", "cp", str(upload), f"s3://{bucket}/in/report.csv", parse=False)
        assert "upload:" in printed

        (started,) = wait_for(
            "an execution started by S3's Object Created event", lambda: up.executions(machine)
        )
        event = started["input"]
        assert event["source"] == "aws.s3"
        assert event["detail-type"] == "Object Created"
        assert event["detail"]["bucket"]["name"] == bucket
        assert event["detail"]["object"]["key"] == "in/report.csv"
        assert event["detail"]["object"]["size"] == upload.stat().st_size
        assert event["detail"]["reason"] == "PutObject"
