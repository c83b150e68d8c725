"""EventBridge semantics of localcloud.services.events: patterns, envelopes, target input."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from localcloud.services.events import (
    InvalidEventPattern,
    InvalidTargetInput,
    build_envelope,
    matches,
    scheduled_event,
    target_input,
    validate_pattern,
)

RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/example"
RULE_NAME = "example"

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {
        "instance-id": "i-0123456789",
        "state": "running",
        "c-count": 5,
        "x-limit": 301.8,
        "price": 300,
        "count-text": "5",
        "flag": True,
        "nothing": None,
        "empty": "",
        "no-items": [],
        "file": "photos/cat.PNG",
        "path": "/usr/lib/libc.so",
        "literal-star": "a*b",
        "source-ip": "10.0.0.33",
        "source-ipv6": "2001:db8::1",
        "tags": ["blue", "green"],
        "sizes": [1, 20, 300],
        "owner": {"name": "ops", "team": {"id": 7}},
        "employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
        ],
    },
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"detail": fields}


# ----------------------------------------------------------------------------- matching

MATCHING = {
    "exact string": {"source": ["aws.ec2"]},
    "one of several alternatives": {"source": ["aws.s3", "aws.ec2"]},
    "nested detail field": detail(state=["running"]),
    "deeply nested object": detail(owner={"team": {"id": [7]}}),
    "several fields are ANDed": {"source": ["aws.ec2"], "detail": {"state": ["running"]}},
    "int pattern equals float-free int": detail(price=[300]),
    "int pattern matches equal float": detail(price=[300.0]),
    "float pattern": detail(**{"x-limit": [301.8]}),
    "true literal": detail(flag=[True]),
    "null literal": detail(nothing=[None]),
    "empty string": detail(empty=[""]),
    "event array intersects pattern": detail(tags=["red", "green"]),
    "event array of numbers": detail(sizes=[20]),
    "top-level resources array": {"resources": [{"prefix": "arn:aws:ec2:"}]},
    "array of objects flattened": detail(employees={"firstName": ["Anna"]}),
    "array of objects, same element": detail(
        employees={"firstName": ["Anna"], "lastName": ["Smith"]}
    ),
    "prefix": {"detail-type": [{"prefix": "EC2 Instance"}]},
    "prefix ignoring case": detail(state=[{"prefix": {"equals-ignore-case": "RUN"}}]),
    "suffix": detail(file=[{"suffix": ".PNG"}]),
    "suffix ignoring case": detail(file=[{"suffix": {"equals-ignore-case": ".png"}}]),
    "equals-ignore-case": detail(state=[{"equals-ignore-case": "RUNNING"}]),
    "anything-but string": detail(state=[{"anything-but": "stopped"}]),
    "anything-but list": detail(state=[{"anything-but": ["stopped", "pending"]}]),
    "anything-but number": detail(price=[{"anything-but": 301}]),
    "anything-but number list": detail(price=[{"anything-but": [1, 2]}]),
    "anything-but prefix": detail(state=[{"anything-but": {"prefix": "stop"}}]),
    "anything-but suffix": detail(file=[{"anything-but": {"suffix": ".jpg"}}]),
    "anything-but ignoring case": detail(
        state=[{"anything-but": {"equals-ignore-case": ["STOPPED", "PENDING"]}}]
    ),
    "anything-but wildcard": detail(path=[{"anything-but": {"wildcard": "*/bin/*"}}]),
    "anything-but: array with one other element": detail(tags=[{"anything-but": "blue"}]),
    "anything-but string lets a number through": detail(price=[{"anything-but": "300"}]),
    "numeric greater than": detail(**{"c-count": [{"numeric": [">", 0]}]}),
    "numeric range": detail(**{"c-count": [{"numeric": [">", 0, "<=", 5]}]}),
    "numeric range on a float": detail(**{"x-limit": [{"numeric": [">=", 301.8, "<", 302]}]}),
    "numeric equals int vs float": detail(price=[{"numeric": ["=", 3.0e2]}]),
    "numeric less than": detail(**{"c-count": [{"numeric": ["<", 10]}]}),
    "numeric on an array element": detail(sizes=[{"numeric": [">", 100]}]),
    "exists true": detail(state=[{"exists": True}]),
    "exists true on a null value": detail(nothing=[{"exists": True}]),
    "exists false on a missing field": detail(missing=[{"exists": False}]),
    "exists false on an empty array": detail(**{"no-items": [{"exists": False}]}),
    "exists false on an intermediate object": detail(owner=[{"exists": False}]),
    "exists false inside a missing object": detail(ghost={"field": [{"exists": False}]}),
    "wildcard": detail(path=[{"wildcard": "/usr/*/lib*.so"}]),
    "wildcard star matches nothing": detail(path=[{"wildcard": "/usr/lib/*libc.so"}]),
    "wildcard escaped star": detail(**{"literal-star": [{"wildcard": "a\\*b"}]}),
    "cidr ipv4": detail(**{"source-ip": [{"cidr": "10.0.0.0/24"}]}),
    "cidr ipv6": detail(**{"source-ipv6": [{"cidr": "2001:db8::/32"}]}),
    "$or, second branch": {"$or": [{"source": ["aws.s3"]}, {"detail": {"state": ["running"]}}]},
    "$or nested in detail": detail(
        **{"$or": [{"c-count": [{"numeric": [">", 100]}]}, {"price": [300]}]}
    ),
    "exact value or exists false": detail(missing=["x", {"exists": False}]),
}

NOT_MATCHING = {
    "wrong string": {"source": ["aws.s3"]},
    "case-sensitive exact": {"source": ["AWS.EC2"]},
    "missing field": detail(missing=["x"]),
    "string is not a number": detail(**{"count-text": [5]}),
    "number is not a string": detail(price=["300"]),
    "true is not 1": detail(flag=[1]),
    "null is not the string null": detail(nothing=["null"]),
    "event array without the value": detail(tags=["red"]),
    "array of objects, fields from different elements": detail(
        employees={"firstName": ["Anna"], "lastName": ["Doe"]}
    ),
    "object is not a leaf value": detail(owner=["ops"]),
    "prefix": {"detail-type": [{"prefix": "ec2"}]},
    "prefix on a number": detail(price=[{"prefix": "3"}]),
    "suffix is case-sensitive": detail(file=[{"suffix": ".png"}]),
    "equals-ignore-case other value": detail(state=[{"equals-ignore-case": "stopped"}]),
    "anything-but the value": detail(state=[{"anything-but": "running"}]),
    "anything-but list containing the value": detail(
        state=[{"anything-but": ["stopped", "running"]}]
    ),
    "anything-but number as float": detail(price=[{"anything-but": [300.0]}]),
    "anything-but prefix": detail(state=[{"anything-but": {"prefix": "run"}}]),
    "anything-but suffix": detail(file=[{"anything-but": {"suffix": ".PNG"}}]),
    "anything-but ignoring case": detail(
        state=[{"anything-but": {"equals-ignore-case": "RUNNING"}}]
    ),
    "anything-but wildcard": detail(path=[{"anything-but": {"wildcard": "*/lib/*"}}]),
    "anything-but on a missing field": detail(missing=[{"anything-but": "x"}]),
    "anything-but: every array element excluded": detail(
        tags=[{"anything-but": ["blue", "green"]}]
    ),
    "numeric above range": detail(**{"c-count": [{"numeric": [">", 0, "<", 5]}]}),
    "numeric below range": detail(**{"x-limit": [{"numeric": [">", 301.8]}]}),
    "numeric on a numeric string": detail(**{"count-text": [{"numeric": ["=", 5]}]}),
    "numeric on a boolean": detail(flag=[{"numeric": ["=", 1]}]),
    "numeric on a missing field": detail(missing=[{"numeric": [">", 0]}]),
    "exists true on a missing field": detail(missing=[{"exists": True}]),
    "exists true on an empty array": detail(**{"no-items": [{"exists": True}]}),
    "exists true on an intermediate object": detail(owner=[{"exists": True}]),
    "exists false on a present field": detail(state=[{"exists": False}]),
    "exists false on a null value": detail(nothing=[{"exists": False}]),
    "wildcard": detail(path=[{"wildcard": "/opt/*"}]),
    "wildcard needs the whole value": detail(path=[{"wildcard": "/usr/*/lib"}]),
    "escaped star is literal": detail(path=[{"wildcard": "/usr/lib/libc\\*"}]),
    "cidr outside": detail(**{"source-ip": [{"cidr": "10.0.1.0/24"}]}),
    "cidr v4 network vs v6 address": detail(**{"source-ipv6": [{"cidr": "10.0.0.0/8"}]}),
    "cidr on a non-address": detail(state=[{"cidr": "10.0.0.0/8"}]),
    "$or, no branch": {"$or": [{"source": ["aws.s3"]}, {"detail": {"state": ["stopped"]}}]},
    "$or ANDed with a failing field": {
        "source": ["aws.s3"],
        "$or": [{"detail": {"state": ["running"]}}, {"region": ["us-east-1"]}],
    },
    "$or branch must match in the same array element": detail(
        employees={
            "firstName": ["Anna"],
            "$or": [{"lastName": ["Doe"]}, {"lastName": ["Jones"]}],
        }
    ),
}


@pytest.mark.parametrize("pattern", MATCHING.values(), ids=MATCHING.keys())
def test_pattern_matches_event(pattern: dict[str, Any]) -> None:
    assert matches(pattern, EVENT) is True


@pytest.mark.parametrize("pattern", NOT_MATCHING.values(), ids=NOT_MATCHING.keys())
def test_pattern_does_not_match_event(pattern: dict[str, Any]) -> None:
    assert matches(pattern, EVENT) is False


@pytest.mark.parametrize("event", [EVENT, {}, {"detail": {}}], ids=["full", "empty", "bare"])
def test_empty_pattern_matches_every_event(event: dict[str, Any]) -> None:
    assert matches({}, event) is True


def test_nested_event_arrays_are_flattened() -> None:
    event = {"detail": {"grid": [[{"v": "a"}], [{"v": "b"}, ["c"]]]}}
    assert matches(detail(grid={"v": ["b"]}), event)
    assert not matches(detail(grid={"v": ["c"]}), event)
    assert matches(detail(grid=["c"]), event)


def test_numeric_ignores_numbers_outside_ruler_range() -> None:
    event = {"detail": {"big": 6_000_000_000}}
    assert not matches(detail(big=[{"numeric": [">", 0]}]), event)
    assert matches(detail(big=[6_000_000_000]), event)  # exact match still works


def test_string_ip_addresses_compare_as_addresses() -> None:
    event = {"detail": {"ip": "2001:db8:0:0:0:0:0:1"}}
    assert matches(detail(ip=["2001:db8::1"]), event)
    assert not matches(detail(ip=["2001:db8::2"]), event)


# ----------------------------------------------------------------------------- validation

VALID = {
    "empty pattern": {},
    "docs complex example": {
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}],
        },
    },
    "anything-but prefix list": detail(x=[{"anything-but": {"prefix": ["a", "b"]}}]),
    "anything-but wildcard list": detail(x=[{"anything-but": {"wildcard": ["*/lib/*", "a*"]}}]),
    "literals": detail(x=["a", 1, 2.5, True, None]),
    "numeric at the limit": detail(x=[{"numeric": [">=", -5e9, "<=", 5e9]}]),
    "escaped backslash in wildcard": detail(x=[{"wildcard": "a\\\\*"}]),
    "nested $or": {"$or": [{"a": ["1"]}, {"$or": [{"b": ["2"]}, {"c": ["3"]}]}]},
}

INVALID = {
    "pattern is a list": ([{"source": ["a"]}], "not an object"),
    "pattern is a string": ('{"source": ["a"]}', "not an object"),
    "leaf is a string": ({"source": "aws.ec2"}, "must be an object or an array"),
    "leaf is a number": (detail(x=5), "must be an object or an array"),
    "empty leaf array": ({"source": []}, "Empty arrays"),
    "nested empty object": ({"detail": {}}, "Empty objects"),
    "nested list in leaf": (detail(x=[["a"]]), "Match value must be"),
    "unknown operator": (detail(x=[{"contains": "a"}]), "Unrecognized match type contains"),
    "two operators in one object": (detail(x=[{"prefix": "a", "suffix": "b"}]), "Only one key"),
    "empty match expression": (detail(x=[{}]), "Match expression name not found"),
    "prefix not a string": (detail(x=[{"prefix": 5}]), "prefix match pattern must be a string"),
    "prefix with unknown inner": (detail(x=[{"prefix": {"wildcard": "a"}}]), "Unsupported"),
    "suffix not a string": (detail(x=[{"suffix": ["a"]}]), "suffix match pattern"),
    "equals-ignore-case not a string": (detail(x=[{"equals-ignore-case": 1}]), "must be a string"),
    "numeric not a list": (detail(x=[{"numeric": ">"}]), "must be an array"),
    "numeric bad operator": (detail(x=[{"numeric": ["!=", 1]}]), "numeric range operator"),
    "numeric value a string": (detail(x=[{"numeric": [">", "1"]}]), "must be numeric"),
    "numeric value a boolean": (detail(x=[{"numeric": [">", True]}]), "must be numeric"),
    "numeric odd length": (detail(x=[{"numeric": [">", 0, "<"]}]), "operator and a number"),
    "numeric too long": (detail(x=[{"numeric": [">", 0, "<", 5, "<", 6]}]), "operator and a"),
    "numeric upper bound first": (detail(x=[{"numeric": ["<", 5, ">", 0]}]), "Too many"),
    "numeric two lower bounds": (detail(x=[{"numeric": [">", 0, ">=", 1]}]), "Bad numeric"),
    "numeric equals in a range": (detail(x=[{"numeric": ["=", 0, "<", 1]}]), "Too many"),
    "numeric empty range": (detail(x=[{"numeric": [">", 5, "<", 5]}]), "Bottom must be less"),
    "numeric beyond 5e9": (detail(x=[{"numeric": [">", 5e9 + 1]}]), "between"),
    "numeric over 6 decimals": (detail(x=[{"numeric": [">", 0.0000001]}]), "6 decimal"),
    "exists not a bool": (detail(x=[{"exists": "true"}]), "either true or false"),
    "exists as 1": (detail(x=[{"exists": 1}]), "either true or false"),
    "anything-but null": (detail(x=[{"anything-but": None}]), "single string/number"),
    "anything-but boolean": (detail(x=[{"anything-but": True}]), "single string/number"),
    "anything-but mixed list": (detail(x=[{"anything-but": ["a", 1]}]), "mixed type"),
    "anything-but list with null": (detail(x=[{"anything-but": ["a", None]}]), "not supported"),
    "anything-but empty list": (detail(x=[{"anything-but": []}]), "Empty arrays"),
    "anything-but unknown inner": (detail(x=[{"anything-but": {"numeric": [">", 1]}}]), "Unsupp"),
    "anything-but two inner keys": (
        detail(x=[{"anything-but": {"prefix": "a", "suffix": "b"}}]),
        "Only one key",
    ),
    "anything-but empty prefix": (detail(x=[{"anything-but": {"prefix": ""}}]), "Null prefix"),
    "anything-but prefix number": (detail(x=[{"anything-but": {"prefix": 1}}]), "array of strings"),
    "wildcard consecutive stars": (detail(x=[{"wildcard": "a**b"}]), "Consecutive wildcard"),
    "wildcard bad escape": (detail(x=[{"wildcard": "a\\b"}]), "Invalid escape"),
    "wildcard trailing backslash": (detail(x=[{"wildcard": "a\\"}]), "Invalid escape"),
    "cidr without mask": (detail(x=[{"cidr": "10.0.0.1"}]), "one '/' required"),
    "cidr garbage": (detail(x=[{"cidr": "10.0.0.300/8"}]), "Malformed CIDR"),
    "cidr not a string": (detail(x=[{"cidr": 10}]), "must be a string"),
    "$or not a list": ({"$or": {"source": ["a"]}}, "must be an array"),
    "$or with one branch": ({"$or": [{"source": ["a"]}]}, "at least 2"),
    "$or with a non-object": ({"$or": [{"source": ["a"]}, ["b"]]}, "Only JSON object"),
    "$or with an invalid branch": ({"$or": [{"source": ["a"]}, {"b": "c"}]}, "must be an object"),
    "$or branch using an operator name": (
        {"$or": [{"prefix": ["a"]}, {"b": ["c"]}]},
        "reserved fieldName",
    ),
}


@pytest.mark.parametrize("pattern", VALID.values(), ids=VALID.keys())
def test_validate_pattern_accepts_valid_patterns(pattern: dict[str, Any]) -> None:
    validate_pattern(pattern)


@pytest.mark.parametrize(("pattern", "message"), INVALID.values(), ids=INVALID.keys())
def test_validate_pattern_rejects_invalid_patterns(pattern: Any, message: str) -> None:
    with pytest.raises(InvalidEventPattern, match=message.replace("*", r"\*")):
        validate_pattern(pattern)


def test_invalid_event_pattern_is_a_value_error_with_the_aws_prefix() -> None:
    with pytest.raises(ValueError, match=r"^Event pattern is not valid\. Reason: "):
        validate_pattern({"source": "aws.ec2"})


def test_matches_refuses_an_invalid_pattern() -> None:
    with pytest.raises(InvalidEventPattern):
        matches({"source": "aws.ec2"}, EVENT)


# ----------------------------------------------------------------------------- envelopes


def test_build_envelope_has_the_eventbridge_shape() -> None:
    envelope = build_envelope(
        source="steward.test",
        detail_type="Thing Happened",
        detail={"k": {"n": 1}},
        account="123456789012",
        region="eu-west-1",
        resources=["arn:aws:s3:::bucket"],
        time=datetime(2024, 2, 29, 23, 59, 58, 999_999, tzinfo=UTC),
    )
    assert list(envelope) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert envelope["version"] == "0"
    assert uuid.UUID(envelope["id"]).version == 4
    assert envelope["detail-type"] == "Thing Happened"
    assert envelope["source"] == "steward.test"
    assert envelope["account"] == "123456789012"
    assert envelope["time"] == "2024-02-29T23:59:58Z"
    assert envelope["region"] == "eu-west-1"
    assert envelope["resources"] == ["arn:aws:s3:::bucket"]
    assert envelope["detail"] == {"k": {"n": 1}}
    json.dumps(envelope)  # serialisable as PutEvents would send it


def test_build_envelope_defaults_and_copies() -> None:
    payload = {"k": {"n": 1}}
    first = build_envelope(
        source="s", detail_type="d", detail=payload, account="1", region="r", event_id="fixed"
    )
    second = build_envelope(source="s", detail_type="d", detail=payload, account="1", region="r")
    payload["k"]["n"] = 2
    assert first["id"] == "fixed"
    assert second["id"] != first["id"]
    assert first["resources"] == []
    assert first["detail"] == {"k": {"n": 1}}
    stamp = datetime.strptime(second["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05Z"),
        (
            datetime(2024, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-02T03:04:05Z",
        ),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.678+00:00", "2024-01-02T03:04:05Z"),
        ("2024-01-01T22:04:05-05:00", "2024-01-02T03:04:05Z"),
        (1704164645, "2024-01-02T03:04:05Z"),
        (1704164645.9, "2024-01-02T03:04:05Z"),
    ],
    ids=["utc", "naive", "offset", "iso-z", "iso-fraction", "iso-negative", "epoch", "epoch-float"],
)
def test_build_envelope_time_is_iso_utc_seconds(time: Any, expected: str) -> None:
    envelope = build_envelope(
        source="s", detail_type="d", detail={}, account="1", region="r", time=time
    )
    assert envelope["time"] == expected


@pytest.mark.parametrize("time", ["yesterday", True, [2024]], ids=["text", "bool", "list"])
def test_build_envelope_rejects_bad_times(time: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        build_envelope(source="s", detail_type="d", detail={}, account="1", region="r", time=time)


@pytest.mark.parametrize("payload", [[1], "text", None], ids=["list", "str", "none"])
def test_build_envelope_requires_an_object_detail(payload: Any) -> None:
    with pytest.raises(TypeError, match="detail must be a JSON object"):
        build_envelope(source="s", detail_type="d", detail=payload, account="1", region="r")


def test_scheduled_event_shape() -> None:
    event = scheduled_event(
        rule_arn=RULE_ARN, account="123456789012", region="us-east-1", time=1704164645
    )
    assert event["source"] == "aws.events"
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"] == [RULE_ARN]
    assert event["detail"] == {}
    assert event["time"] == "2024-01-02T03:04:05Z"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert matches({"source": ["aws.events"], "detail-type": ["Scheduled Event"]}, event)


# ----------------------------------------------------------------------------- target input


def deliver(target: dict[str, Any], event: dict[str, Any] | None = None, **kw: Any) -> Any:
    return target_input(
        target, EVENT if event is None else event, rule_arn=RULE_ARN, rule_name=RULE_NAME, **kw
    )


def transform(template: str, paths: dict[str, str] | None = None, **kw: Any) -> Any:
    transformer: dict[str, Any] = {"InputTemplate": template}
    if paths is not None:
        transformer["InputPathsMap"] = paths
    return deliver({"Arn": "arn:aws:lambda:x", "InputTransformer": transformer}, **kw)


def test_target_without_input_settings_receives_the_whole_event() -> None:
    received = deliver({"Id": "t", "Arn": "arn:aws:lambda:x"})
    assert received == EVENT
    received["detail"]["state"] = "changed"
    assert EVENT["detail"]["state"] == "running"


@pytest.mark.parametrize(
    ("text", "expected"),
    [('{"a": [1, "b"]}', {"a": [1, "b"]}), ('"hello"', "hello"), ("42", 42), ("null", None)],
    ids=["object", "string", "number", "null"],
)
def test_input_is_parsed_json_text(text: str, expected: Any) -> None:
    assert deliver({"Input": text}) == expected


@pytest.mark.parametrize("text", ["{not json", "", "{'single': 1}"], ids=["broken", "empty", "py"])
def test_malformed_input_raises(text: str) -> None:
    with pytest.raises(InvalidTargetInput, match="Input is not valid JSON"):
        deliver({"Input": text})


def test_input_must_be_text() -> None:
    with pytest.raises(InvalidTargetInput, match="must be JSON text"):
        deliver({"Input": {"already": "parsed"}})


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.detail.state", "running"),
        ("$.detail.instance-id", "i-0123456789"),
        ("$.detail.tags[1]", "green"),
        ("$.detail.employees[0].firstName", "John"),
        ("$['detail']['owner']['team']", {"id": 7}),
        ("$.detail.employees[*].lastName", ["Doe", "Smith"]),
        ("$.detail.nothing", None),
        ("$.detail.missing", None),
        ("$.detail.tags[9]", None),
        ("$.detail.state.deeper", None),
    ],
)
def test_input_path_selects_part_of_the_event(path: str, expected: Any) -> None:
    assert deliver({"InputPath": path}) == expected


def test_input_path_dollar_is_the_whole_event() -> None:
    assert deliver({"InputPath": "$"}) == EVENT


@pytest.mark.parametrize("path", ["detail.state", "$.", "$.detail[", "$.detail[-1]", "$x"])
def test_malformed_input_path_raises(path: str) -> None:
    with pytest.raises(InvalidTargetInput, match="InputPath"):
        deliver({"InputPath": path})


@pytest.mark.parametrize(
    "target",
    [
        {"Input": "{}", "InputPath": "$"},
        {"Input": "{}", "InputTransformer": {"InputTemplate": "{}"}},
        {"InputPath": "$", "InputTransformer": {"InputTemplate": "{}"}},
    ],
    ids=["input+path", "input+transformer", "path+transformer"],
)
def test_only_one_input_setting_is_allowed(target: dict[str, Any]) -> None:
    with pytest.raises(InvalidTargetInput, match="Only one of"):
        deliver(target)


PATHS = {
    "instance": "$.detail.instance-id",
    "state": "$.detail.state",
    "count": "$.detail.c-count",
    "owner": "$.detail.owner",
    "tags": "$.detail.tags",
    "nothing": "$.detail.nothing",
    "missing": "$.detail.missing",
}


def test_transformer_json_template_unquoted_placeholders_get_json_values() -> None:
    template = (
        '{"instance": <instance>, "state": [9, <state>, true], "count": <count>, '
        '"owner": <owner>, "tags": <tags>, "nothing": <nothing>, "Transformed": "Yes"}'
    )
    assert transform(template, PATHS) == {
        "instance": "i-0123456789",
        "state": [9, "running", True],
        "count": 5,
        "owner": {"name": "ops", "team": {"id": 7}},
        "tags": ["blue", "green"],
        "nothing": None,
        "Transformed": "Yes",
    }


def test_transformer_quoted_placeholders_insert_string_content() -> None:
    template = '{"msg": "instance <instance> is <state> (<count>)", "id": "<instance>"}'
    assert transform(template, PATHS) == {
        "msg": "instance i-0123456789 is running (5)",
        "id": "i-0123456789",
    }


def test_transformer_quoted_placeholder_is_escaped() -> None:
    event = {"detail": {"text": 'say "hi"\\ now'}}
    result = transform('{"quoted": "<t>!"}', {"t": "$.detail.text"}, event=event)
    assert result == {"quoted": 'say "hi"\\ now!'}


def test_transformer_object_inside_a_string_loses_its_quotes() -> None:
    result = transform('{"summary": "team is <team>"}', {"team": "$.detail.owner.team"})
    assert result == {"summary": "team is {id:7}"}


@pytest.mark.parametrize(
    "template",
    ['"instance <instance> is in <state>"', "instance <instance> is in <state>"],
    ids=["json-string", "plain-text"],
)
def test_transformer_string_template_yields_a_string(template: str) -> None:
    assert transform(template, PATHS) == "instance i-0123456789 is in running"


def test_transformer_single_placeholder_template_yields_the_value() -> None:
    assert transform("<owner>", PATHS) == {"name": "ops", "team": {"id": 7}}
    assert transform("<count>", PATHS) == 5


def test_transformer_multi_line_text_template_joins_quoted_lines() -> None:
    template = '"Instance: <instance>"\n""\n"State: <state>"'
    assert transform(template, PATHS) == "Instance: i-0123456789\n\nState: running"


def test_transformer_missing_path_is_null_unquoted_and_empty_quoted() -> None:
    result = transform('{"raw": <missing>, "text": "[<missing>]"}', PATHS)
    assert result == {"raw": None, "text": "[]"}
    assert transform("value=<missing>;", PATHS) == "value=;"


def test_transformer_reserved_variables() -> None:
    template = (
        '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", '
        '"at": <aws.events.event.ingestion-time>, "event": <aws.events.event>, '
        '"full": <aws.events.event.json>}'
    )
    result = transform(template)
    assert result["arn"] == RULE_ARN
    assert result["name"] == RULE_NAME
    assert result["at"] == EVENT["time"]
    assert result["full"] == EVENT
    assert result["event"] == {key: value for key, value in EVENT.items() if key != "detail"}
    assert "detail" not in result["event"]


def test_transformer_ingestion_time_can_be_given() -> None:
    at = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert transform("<aws.events.event.ingestion-time>", ingestion_time=at) == (
        "2030-05-06T07:08:09Z"
    )


def test_transformer_reserved_names_work_in_plain_text() -> None:
    assert transform('"<aws.events.rule-name> triggered"') == "example triggered"


@pytest.mark.parametrize(
    "template",
    [
        '{"e": "<aws.events.event>"}',
        '"event: <aws.events.event.json>"',
        "event: <aws.events.event>",
    ],
    ids=["quoted-json", "json-string", "plain-text"],
)
def test_transformer_event_variables_only_as_json_values(template: str) -> None:
    with pytest.raises(InvalidTargetInput, match="only be used as the value of a JSON field"):
        transform(template)


def test_transformer_undefined_variable_raises() -> None:
    with pytest.raises(InvalidTargetInput, match="<colour>"):
        transform('{"c": <colour>}', PATHS)


@pytest.mark.parametrize(
    ("transformer", "message"),
    [
        ({"InputPathsMap": PATHS}, "InputTemplate must be a non-empty string"),
        ({"InputTemplate": "   "}, "InputTemplate must be a non-empty string"),
        ({"InputTemplate": "{}", "InputPathsMap": ["$.a"]}, "InputPathsMap must be an object"),
        ({"InputTemplate": "<x>", "InputPathsMap": {"x": "detail"}}, "JSONPath"),
        ({"InputTemplate": "<aws.x>", "InputPathsMap": {"aws.x": "$.a"}}, "may not start"),
        ({"InputTemplate": '{"a": <x>', "InputPathsMap": {"x": "$.a"}}, "valid JSON"),
        (
            {"InputTemplate": "{}", "InputPathsMap": {f"v{i}": "$.a" for i in range(101)}},
            "at most 100",
        ),
    ],
    ids=["no-template", "blank", "map-list", "bad-path", "aws-prefix", "broken-json", "too-many"],
)
def test_malformed_transformer_raises(transformer: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidTargetInput, match=message):
        deliver({"InputTransformer": transformer})


def test_invalid_target_input_is_a_value_error_not_a_pattern_error() -> None:
    assert issubclass(InvalidTargetInput, ValueError)
    assert not issubclass(InvalidTargetInput, InvalidEventPattern)
