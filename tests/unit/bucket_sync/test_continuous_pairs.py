"""Continuous mode's pairs and events: what a deployment's parameters may say, and what a message is."""

from __future__ import annotations

import json

import pytest

from bucket_sync.continuous import InvalidContinuousEventError, Pair, parse_event, parse_pairs
from steward_common.errors import ConfigurationError

SOURCES, DESTINATIONS = ("staging", "data"), ("production", "data")


def test_pairs_map_prefixes_and_default_to_the_whole_bucket() -> None:
    assert parse_pairs(
        "staging/site/=production/live/, data/in=data/out", SOURCES, DESTINATIONS
    ) == (
        Pair("staging", "site/", "production", "live/"),
        Pair("data", "in", "data", "out"),
    )
    assert parse_pairs("staging=production", SOURCES, DESTINATIONS) == (
        Pair("staging", "", "production", ""),
    )
    assert parse_pairs("", SOURCES, DESTINATIONS) == ()


@pytest.mark.parametrize(
    ("pairs", "why"),
    [
        ("staging", "is not source"),
        ("unknown=production", "is not one of BucketSyncSourceBuckets"),
        ("staging=unknown", "is not one of BucketSyncDestinationBuckets"),
        ("data/a=data/a/b", "overlaps itself"),
        ("=production", "names no bucket"),
    ],
)
def test_a_pair_the_stack_cannot_sync_fails_at_cold_start(pairs: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        parse_pairs(pairs, SOURCES, DESTINATIONS)


def test_only_s3_object_created_and_deleted_events_are_taken() -> None:
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "staging"}, "object": {"key": "site/a b+c.html"}},
    }
    change = parse_event(json.dumps(event))
    assert (change.bucket, change.key) == ("staging", "site/a b+c.html")  # not URL-decoded
    for bad in (
        '{"not": "s3"}',
        "not json",
        json.dumps(event | {"detail-type": "Object Restore Completed"}),
    ):
        with pytest.raises(InvalidContinuousEventError):
            parse_event(bad)
