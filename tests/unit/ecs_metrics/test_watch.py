"""The missing-cluster state on moto's DynamoDB: a change is reported by one minute only."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from ecs_metrics.watch import ClusterWatch, changes


@pytest.fixture
def watch() -> Iterator[ClusterWatch]:
    with mock_aws():
        dynamodb = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        dynamodb.create_table(
            TableName="hops",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        yield ClusterWatch(dynamodb, "hops")


def test_changes_are_gone_back_and_a_cluster_no_longer_listed_is_dropped_silently() -> None:
    found = changes(known=["a", "b", "c"], missing=["b", "d"], active=["a", "x"])
    assert (found.gone, found.back, found.missing) == (["d"], ["a"], ["b", "d"])  # c: dropped


def test_the_same_change_seen_by_two_minutes_is_reported_by_one(watch: ClusterWatch) -> None:
    first = watch.update(["doomed"], ["web"])
    second = watch.update(["doomed"], ["web"])
    assert first.gone == ["doomed"] and second.gone == []


def test_a_write_at_a_stale_version_is_refused(watch: ClusterWatch) -> None:
    _, version = watch.read()
    assert watch.replace(["a"], version)
    assert not watch.replace(["b"], version)  # another minute wrote in between
    assert watch.read() == (["a"], version + 1)
