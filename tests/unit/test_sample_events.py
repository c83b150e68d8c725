"""The sample events of events/<key>/ hold to what their folder's README says they are.

Each events/<key>/README.md has a table, `file | kind | what it is | where from`, naming what
every file is and where it comes from (an AWS documentation page, Steward's README, or a capture
from the local cloud). These checks need no local cloud:

- every file of events/<key>/ has a row, and every row names a file that exists;
- `handler:<key>.handlers.<step>`: the file parses with the model that handler parses its event
  with, taken from the handler module itself (for a handler without a model, the handler's own
  check of its input);
- `message:<key>.handlers.<step>`: the text parses as that handler parses a message, and is
  the message of one of the folder's events for it;
- `rule:<LogicalId>`: the file has EventBridge's envelope and matches that rule's pattern in
  template.yaml and no other rule's; for a schedule rule it is the event the local cloud's
  scheduler sends for the rule, and the rule's target makes of it one of the folder's inputs of
  that target;
- `no-rule`: the file has EventBridge's envelope and matches no rule of template.yaml;
- `state-machine:<LogicalId>`: names a state machine of the file's automation
  (tests/e2e/test_sample_events.py starts it with the file on the local cloud).

Patterns are matched with the local cloud's own matcher, `localcloud.services.events.pattern`
(EventBridge's semantics, and what routes events on the local cloud): moto does not implement
EventBridge's TestEventPattern.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from localcloud.services.events.envelope import scheduled_event
from localcloud.services.events.pattern import matches, validate_pattern
from localcloud.services.events.target_input import target_input
from localcloud.template import load_yaml, read_samconfig
from localcloud.template.intrinsics import Resolver, resolve_parameters
from steward_common.inputs import parse_event
from tests.support.events import KEYS, KINDS, ROWS, Row, handler_modules, readme_rows, rows_of
from tests.support.paths import ACCOUNT_ID, EVENTS, TEMPLATE

ENVELOPE = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
SAM_RULE_EVENTS = ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2")

# Samples corrected to AWS's shape that Steward does not handle yet: (file, kind) -> defect.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


# ------------------------------------------------------------------------------ the READMEs


def params(rows: list[Row], defects: bool = False) -> list[Any]:
    """Rows as pytest parameters; with `defects`, a known defect's row is a strict xfail."""
    out = []
    for row in rows:
        defect = KNOWN_DEFECTS.get((row.name, f"{row.kind}:{row.target}")) if defects else None
        marks = [pytest.mark.xfail(strict=True, reason=defect)] if defect else []
        out.append(pytest.param(row, id=row.id, marks=marks))
    return out


def test_events_has_one_folder_per_automation() -> None:
    assert sorted(p.name for p in EVENTS.iterdir() if p.is_dir()) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_the_readme_lists_every_file_and_only_files_that_exist(key: str) -> None:
    assert (EVENTS / key / "README.md").exists(), f"events/{key} has no README.md"
    listed = {row.file for row in readme_rows(key)}
    present = {p.name for p in (EVENTS / key).iterdir() if p.name != "README.md"}
    assert present - listed == set(), f"files events/{key}/README.md does not list"
    assert listed - present == set(), f"files events/{key}/README.md lists that do not exist"


@pytest.mark.parametrize("row", params(ROWS))
def test_each_row_says_what_the_file_is_and_where_it_comes_from(row: Row) -> None:
    assert row.kind in KINDS, f"kind {row.kind!r} is not one of {KINDS}"
    assert bool(row.target) == (row.kind != "no-rule"), f"{row.kind} with target {row.target!r}"
    assert row.what and row.where


# ------------------------------------------------------------------------------ template.yaml


@cache
def template() -> dict[str, Any]:
    return load_yaml(TEMPLATE)


def resources() -> dict[str, Any]:
    return dict(template()["Resources"])


@cache
def resolver() -> Resolver:
    """Intrinsics resolved with the parameters' defaults; a Ref to a resource is its id."""
    return Resolver(
        parameters=resolve_parameters(template(), {}),
        region=read_samconfig(TEMPLATE, None).region,
        account_id=ACCOUNT_ID,
        stack_name=read_samconfig(TEMPLATE, None).stack_name,
        lookup_ref=lambda logical_id: logical_id,
        lookup_att=lambda logical_id, attribute: f"{logical_id}.{attribute}",
        condition_defs=template().get("Conditions") or {},
        mappings=template().get("Mappings") or {},
    )


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule of the template: a Rule resource, or one SAM makes of an event."""

    logical_id: str
    pattern: dict[str, Any] | None
    schedule: str | None
    targets: list[dict[str, Any]]  # PutTargets entries; Arn is the target's logical id


@cache
def template_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for logical_id, resource in resources().items():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Events::Rule":
            resolved = resolver().resolve(props)
            rules[logical_id] = Rule(
                logical_id,
                resolved.get("EventPattern"),
                resolved.get("ScheduleExpression"),
                list(resolved.get("Targets") or []),
            )
        for name, event in (props.get("Events") or {}).items():
            if event.get("Type") not in SAM_RULE_EVENTS:
                continue
            event_props = resolver().resolve(event.get("Properties") or {})
            target = {"Id": f"{logical_id}Target", "Arn": logical_id} | {
                k: event_props[k]
                for k in ("Input", "InputPath", "InputTransformer")
                if k in event_props
            }
            raw = (event.get("Properties") or {}).get("Schedule")
            rules[logical_id + name] = Rule(
                logical_id + name,
                event_props.get("Pattern"),
                event_props.get("Schedule")
                or event_props.get("ScheduleExpression")
                # a schedule that is a parameter empty by default (the resource's Condition
                # then leaves it out): the parameter's name
                or (
                    f"the parameter {raw['Ref']}"
                    if isinstance(raw, dict) and "Ref" in raw
                    else None
                ),
                [target],
            )
    return rules


def automation_of(logical_id: str) -> str:
    """The automation a state machine (statemachines/<key>/…) or function (functions/<key>) is of."""
    props = resources()[logical_id]["Properties"]
    return str(props.get("DefinitionUri") or props["CodeUri"]).split("/")[1]


# ------------------------------------------------------------------------------ handler inputs


def model_of(module: Any) -> Any:
    """The model the handler module parses its event with: the second argument of its one
    `parse_event(…)` call (read from its source, so a renamed model is still the one)."""
    calls = [
        node
        for node in ast.walk(ast.parse(inspect.getsource(module)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "parse_event"
    ]
    assert len(calls) == 1, f"{module.__name__} calls parse_event {len(calls)} times"
    model = calls[0].args[1]
    assert isinstance(model, ast.Name), f"{module.__name__}: parse_event's model is not a name"
    return getattr(module, model.id)


def _sqs_bodies(event: Any) -> list[Any]:
    """The bodies a handler of SQS records parses, after checking Lambda's SQS event."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    SqsModel.model_validate(event)  # Lambda's SQS event, as Powertools models it
    for raw in event["Records"]:
        assert raw["md5OfBody"] == hashlib.md5(raw["body"].encode()).hexdigest()  # noqa: S324 - SQS's checksum
    return [SQSRecord(raw).json_body for raw in event["Records"]]  # as its BatchProcessor does


def _sqs_raw_bodies(event: Any) -> list[str]:
    from aws_lambda_powertools.utilities.parser.models import SqsModel

    SqsModel.model_validate(event)
    return [str(raw["body"]) for raw in event["Records"]]


def _job_id(module: Any, event: Any) -> str:
    # BatchJobStatusFunction has no model: its check is a non-empty "jobId" string.
    job_id = event.get("jobId") if isinstance(event, dict) else None
    assert isinstance(job_id, str) and job_id, 'the input needs the "jobId" of the submitted job'
    return job_id


# What each handler hands `parse_event` with its model (see the handler's code) …
PARTS: dict[str, Callable[[Any], list[Any]]] = {
    "alerts.handlers.format": lambda e: [e],
    "batch_jobs.handlers.submit": lambda e: [e["job"]],
    "bearer_token.handlers.rotation": lambda e: [e],
    "bucket_sync.handlers.validate": lambda e: [e.get("request")],
    "cost_controls.handlers.budget_router": lambda e: [e],
    "cost_controls.handlers.cost_action": lambda e: [e],
    "cost_controls.handlers.instance_action": lambda e: [e],
    "ebs_snapshots.handlers.adopt": lambda e: [e],
    "ebs_snapshots.handlers.copy": lambda e: [e],
    "ebs_snapshots.handlers.notify": lambda e: [e],
    "ebs_snapshots.handlers.retain": lambda e: [e],
    "ebs_snapshots.handlers.schedule": lambda e: [e],
    "ebs_snapshots.handlers.tag": lambda e: [e],
    "ecs_metrics.handlers.sampler": _sqs_bodies,
}
# … and how the handlers without a model check their event.
NO_MODEL: dict[str, Callable[[Any, Any], Any]] = {
    "batch_jobs.handlers.genomics_jobs": lambda m, e: m.plan_jobs(e),
    "batch_jobs.handlers.status": _job_id,
    "bucket_sync.handlers.page": lambda m, e: m.SyncConfig.from_dict(e["config"]),
    # S3's EventBridge events in Lambda's SQS event, checked by continuous.parse_event
    "bucket_sync.handlers.events": lambda m, e: [
        m.parse_event(body) for body in _sqs_raw_bodies(e)
    ],
}


@pytest.fixture
def handler_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a handler module needs to be imported (it makes its clients at import): no call is
    made, so the credentials are never used."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "IDEMPOTENCY_TABLE": "hops",
        "SYNC_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:sync",
    }.items():
        monkeypatch.setenv(key, value)


def handler_module(name: str) -> Any:
    return importlib.import_module(name)


def test_every_handler_of_the_template_has_a_way_to_parse_its_input_here() -> None:
    assert sorted(handler_modules()) == sorted({*PARTS, *NO_MODEL})


@pytest.mark.parametrize("row", params(rows_of("handler")))
@pytest.mark.usefixtures("handler_env")
def test_a_handler_input_parses_with_the_handlers_model(row: Row) -> None:
    assert row.target.startswith(f"{row.key}.handlers."), "a handler of another automation"
    assert row.target in handler_modules(), f"no function of template.yaml has {row.target}"
    module, event = handler_module(row.target), row.load()
    if row.target in NO_MODEL:
        NO_MODEL[row.target](module, event)
        return
    model = model_of(module)
    parsed = [parse_event(part, model, row.name) for part in PARTS[row.target](event)]
    if row.target == "cost_controls.handlers.budget_router":
        for record in parsed[0].Records:  # then it reads each message as a notification
            module.parse_notification(record.Sns.Message, record.Sns.Subject)
    if row.target == "bearer_token.handlers.rotation":
        assert parsed[0].Step == row.file.removesuffix(".json"), "the file is named after its step"


@pytest.mark.parametrize("row", params(rows_of("message")))
@pytest.mark.usefixtures("handler_env")
def test_a_message_parses_as_its_handler_parses_it_and_is_one_of_its_events(row: Row) -> None:
    module = handler_module(row.target)
    text = row.load()
    assert module.parse_notification(text).parsed, "the handler's parser does not read it"
    messages = [
        record["Sns"]["Message"]
        for other in rows_of("handler", row.key)
        if other.target == row.target
        for record in other.load()["Records"]
    ]
    assert text in messages, f"not the message of any {row.target} event of events/{row.key}"


# ------------------------------------------------------------------------------ AWS events


def assert_eventbridge_envelope(event: Any) -> None:
    assert isinstance(event, dict) and set(event) == ENVELOPE, f"fields {sorted(event)}"
    assert event["version"] == "0"
    assert event["source"].startswith("aws."), "an AWS service's event"
    assert event["account"] == ACCOUNT_ID, "the local cloud's account"
    assert TIME.fullmatch(event["time"]), f"time {event['time']!r} is not yyyy-mm-ddThh:mm:ssZ"
    assert isinstance(event["resources"], list) and all(
        isinstance(r, str) for r in event["resources"]
    )
    assert isinstance(event["detail"], dict)


def matching_rules(event: dict[str, Any]) -> list[str]:
    return sorted(
        r.logical_id for r in template_rules().values() if r.pattern and matches(r.pattern, event)
    )


@pytest.mark.parametrize("row", params(rows_of("rule"), defects=True))
def test_an_aws_event_matches_its_rule_and_no_other(row: Row) -> None:
    event = row.load()
    assert_eventbridge_envelope(event)
    rule = template_rules().get(row.target)
    assert rule is not None, f"template.yaml has no rule {row.target}"
    # a target's Arn resolves to its logical id (Ref) or `<id>.Arn` (Fn::GetAtt)
    assert all(automation_of(str(t["Arn"]).split(".")[0]) == row.key for t in rule.targets)
    if rule.pattern is None:
        assert rule.schedule, f"{row.target} has neither a pattern nor a schedule"
        assert_is_what_the_schedule_sends(row, rule, event)
        assert matching_rules(event) == []
    else:
        validate_pattern(rule.pattern)
        assert matching_rules(event) == [row.target]


def assert_is_what_the_schedule_sends(row: Row, rule: Rule, event: dict[str, Any]) -> None:
    stack = read_samconfig(TEMPLATE, None).stack_name
    name = f"{stack}-{rule.logical_id}"
    rule_arn = f"arn:aws:events:{event['region']}:{ACCOUNT_ID}:rule/{name}"
    sent = scheduled_event(
        rule_arn=rule_arn, account=ACCOUNT_ID, region=event["region"], time=event["time"]
    )
    assert event == sent | {"id": event["id"]}, "not the event the local cloud's scheduler sends"
    for target in rule.targets:
        given = target_input(target, event, rule_arn=rule_arn, rule_name=name)
        inputs = [r.load() for r in rows_of("state-machine", row.key) if r.target == target["Arn"]]
        handler = str(resources()[target["Arn"]]["Properties"].get("Handler", "")).rpartition(".")[
            0
        ]
        inputs += [r.load() for r in rows_of("handler", row.key) if r.target == handler]
        assert given in inputs, f"{target['Arn']} gets {given}, none of events/{row.key}'s inputs"


@pytest.mark.parametrize("row", params(rows_of("no-rule")))
def test_an_aws_event_for_no_rule_matches_none(row: Row) -> None:
    event = row.load()
    assert_eventbridge_envelope(event)
    assert matching_rules(event) == []


# ------------------------------------------------------------------------------ inputs of machines


@pytest.mark.parametrize("row", params(rows_of("state-machine")))
def test_a_state_machine_input_names_a_machine_of_its_automation(row: Row) -> None:
    resource = resources().get(row.target)
    assert resource is not None and resource["Type"] in STATE_MACHINE_TYPES, row.target
    assert automation_of(row.target) == row.key
    assert isinstance(row.load(), dict), "an execution's input is a JSON object"
