"""EventBridge event patterns as AWS matches and validates them: dotted field names, and the
wildcard patterns PutRule refuses as too complex."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud, testing
from localcloud.services.events import matches
from localcloud.services.events.pattern import wildcard_complexity
from tests.support.queues import rule_queue

# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
# "Be aware that when EventBridge compiles event patterns for use, it uses dot (.) as the
# joining character. This means EventBridge will treat the following event patterns as
# identical: ## has no dots in keys { "detail" : { "state": { "status": [ "running" ] } } }
# ## has dots in keys { "detail" : { "state.status": [ "running" ] } } And that both event
# patterns will match the following two events: ## has no dots in keys { "detail" : { "state":
# { "status": "running" } } } ## has dots in keys { "detail" : { "state.status": "running" } }"
NO_DOTS_PATTERN = {"detail": {"state": {"status": ["running"]}}}
DOTS_PATTERN = {"detail": {"state.status": ["running"]}}
NO_DOTS_EVENT = {"detail": {"state": {"status": "running"}}}
DOTS_EVENT = {"detail": {"state.status": "running"}}


@pytest.mark.parametrize("pattern", [NO_DOTS_PATTERN, DOTS_PATTERN], ids=["no dots", "dots"])
@pytest.mark.parametrize("event", [NO_DOTS_EVENT, DOTS_EVENT], ids=["no dots", "dots"])
def test_the_documented_dotted_patterns_match_the_documented_events(
    pattern: dict[str, Any], event: dict[str, Any]
) -> None:
    assert matches(pattern, event)
    stopped = json.loads(json.dumps(event).replace("running", "stopped"))
    assert not matches(pattern, stopped)


@pytest.mark.parametrize(
    "pattern",
    [
        {"detail.state": ["running"]},
        {"detail": {"state": ["running"]}},
        {"detail.state.status": ["running"]},
    ],
    ids=["top-level dotted", "nested", "three levels in one name"],
)
def test_a_dot_in_a_pattern_name_is_a_path_at_any_depth(pattern: dict[str, Any]) -> None:
    leaf = "status" in json.dumps(pattern)
    nested = {"detail": {"state": {"status": "running"} if leaf else "running"}}
    flat = {"detail.state.status": "running"} if leaf else {"detail.state": "running"}
    assert matches(pattern, nested)
    assert matches(pattern, flat)  # the event's own dotted name is the same path
    assert not matches(pattern, {"detail": {"other": "running"}})


def test_dotted_names_keep_the_other_rules_of_a_pattern() -> None:
    # exists:false still matches a path the event lacks in both spellings, and the fields of
    # one array element must match together (array consistency), dotted or not.
    assert matches({"detail.state": [{"exists": False}]}, {"detail": {"other": 1}})
    assert not matches({"detail.state": [{"exists": False}]}, {"detail": {"state": "x"}})
    event = {"detail": {"items": [{"name": "a", "size.kb": 1}, {"name": "b", "size.kb": 9}]}}
    assert matches({"detail": {"items": {"name": ["b"], "size": {"kb": [9]}}}}, event)
    assert not matches({"detail": {"items": {"name": ["b"], "size.kb": [1]}}}, event)


def test_a_rule_with_a_dotted_pattern_receives_a_nested_event(cloud: LocalCloud) -> None:
    pattern = {"source": ["shop.web"], "detail.order.state": ["paid"]}
    url, _ = rule_queue(cloud, "dotted", pattern=pattern)
    cloud.put_events(
        [
            {"Source": "shop.web", "DetailType": "x", "Detail": {"order": {"state": "paid"}}},
            {"Source": "shop.web", "DetailType": "x", "Detail": {"order": {"state": "open"}}},
        ]
    )
    cloud.wait_idle(timeout=30)
    assert [e["detail"] for e in testing.drain(cloud, url)] == [{"order": {"state": "paid"}}]


# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
# (Wildcards and event pattern complexity): "If a rule is too complex, EventBridge returns an
# InvalidEventPatternException when attempting to create the rule." The guide gives neither the
# measure nor the limit; its advice is to use fewer wildcard characters and fewer repeating
# character sequences after a wildcard. AWS's answer, as reported by users who hit it
# (github.com/vals-ai/Valkyrie/pull/278, and a Terraform module's comment): "Event pattern is
# not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer
# repeating character sequences after a wildcard character". Both reports are reproduced: four
# "*:stack/<name>/*" values on one field are refused and three accepted; four
# "*/datasync/*.<ext>" values refused and two accepted, where four "*.<ext>" were accepted.
TOO_COMPLEX = (
    "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard "
    "characters or fewer repeating character sequences after a wildcard character"
)


def _stack_ids(count: int) -> dict[str, Any]:
    names = ["Shared", "Api", "Data", "Monitoring"][:count]
    return {"detail": {"stack-id": [{"wildcard": f"*:stack/{name}/*"} for name in names]}}


def _keys(*suffixes: str, folder: str = "") -> dict[str, Any]:
    prefix = f"*/{folder}/" if folder else ""
    return {"detail": {"object": {"key": [{"wildcard": f"{prefix}*.{s}"} for s in suffixes]}}}


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        (_stack_ids(3), False),
        (_stack_ids(4), True),
        (_keys("bif", "tiff", "tif", "svs"), False),
        (_keys("bif", "tif", folder="datasync"), False),
        (_keys("bif", "tif", "svs", "tiff", folder="datasync"), True),
    ],
    ids=["3 stack ids", "4 stack ids", "4 suffixes", "2 in a folder", "4 in a folder"],
)
def test_put_rule_refuses_wildcard_patterns_aws_calls_too_complex(
    cloud: LocalCloud, pattern: dict[str, Any], refused: bool
) -> None:
    events = cloud.client("events")
    if not refused:
        events.put_rule(Name="wildcards", EventPattern=json.dumps(pattern))
        return
    with pytest.raises(ClientError) as caught:
        events.put_rule(Name="wildcards", EventPattern=json.dumps(pattern))
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert caught.value.response["Error"]["Message"] == TOO_COMPLEX
    assert "wildcards" not in [r["Name"] for r in events.list_rules()["Rules"]]


def test_complexity_counts_one_fields_values_together_and_fields_apart() -> None:
    four = [f"*:stack/{name}/*" for name in "ABCD"]
    assert wildcard_complexity(four[:3]) <= 10 < wildcard_complexity(four)
    # The same four values split over two fields are two machines, each simple enough.
    pattern = {
        "detail": {
            "a": [{"wildcard": text} for text in four[:2]],
            "b": [{"wildcard": text} for text in four[2:]],
        }
    }
    assert matches(pattern, {"detail": {"a": "x:stack/A/y", "b": "q"}}) is False
    # anything-but wildcards count too.
    refused = {"detail": {"k": [{"anything-but": {"wildcard": four}}]}}
    with pytest.raises(ValueError, match="Rule is too complex"):
        matches(refused, {})


def test_other_invalid_patterns_are_refused_at_put_rule_with_eventbridges_reason(
    cloud: LocalCloud,
) -> None:
    # Consecutive wildcards: "consecutive wildcard characters are not allowed" (Event Ruler,
    # which EventBridge runs); moto accepted every pattern whose values were arrays.
    with pytest.raises(ClientError) as caught:
        cloud.client("events").put_rule(
            Name="stars", EventPattern=json.dumps({"source": [{"wildcard": "a**b"}]})
        )
    assert caught.value.response["Error"]["Code"] == "InvalidEventPatternException"
    assert "Consecutive wildcard characters" in caught.value.response["Error"]["Message"]
