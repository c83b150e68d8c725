"""State machine versions and aliases as the Step Functions API Reference and the Developer
Guide ("Continuous deployments with versions and aliases in Step Functions") describe them:
"A version is a numbered, immutable snapshot of a state machine that you can run. An alias is
a pointer for up to two versions of a state machine."
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud
from tests.support.paths import LOCALCLOUD_TEMPLATES


@pytest.fixture
def cloud(cloud_factory: Any) -> LocalCloud:
    made: LocalCloud = cloud_factory(template=LOCALCLOUD_TEMPLATES / "sfn_redrive.yaml")
    return made


def _says(word: str) -> str:
    say = {"Type": "Pass", "Result": {"said": word}, "End": True}
    return json.dumps({"StartAt": "Say", "States": {"Say": say}})


def _said(execution: dict[str, Any]) -> str:
    return str(json.loads(execution["output"])["said"])


def _machine(cloud: LocalCloud, name: str = "speaker", **options: Any) -> str:
    sfn = cloud.client("stepfunctions")
    role = cloud.attribute("MachineRole", "Arn")
    created = sfn.create_state_machine(name=name, definition=_says("one"), roleArn=role, **options)
    return str(created["stateMachineArn"])


def _revise(cloud: LocalCloud, arn: str, word: str, **options: Any) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    return dict(sfn.update_state_machine(stateMachineArn=arn, definition=_says(word), **options))


def _publish(cloud: LocalCloud, arn: str, **options: Any) -> str:
    sfn = cloud.client("stepfunctions")
    published = sfn.publish_state_machine_version(stateMachineArn=arn, **options)
    return str(published["stateMachineVersionArn"])


def _run(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return dict(described)


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return dict(caught.value.response["Error"])


def test_publishing_numbers_versions_from_one_once_per_revision(cloud: LocalCloud) -> None:
    # PublishStateMachineVersion: "Creates a version from the current revision of a state
    # machine. [...] It doesn't create a duplicate state machine version if it already exists
    # for the current revision." UpdateStateMachine: "Step Functions assigns monotonically
    # increasing integers for state machine versions, starting at version number 1."
    arn = _machine(cloud)
    first = _publish(cloud, arn, description="the first")
    assert first == f"{arn}:1"
    assert _publish(cloud, arn) == first  # same revision: the same version
    _revise(cloud, arn, "two")
    assert _publish(cloud, arn) == f"{arn}:2"
    described = cloud.client("stepfunctions").describe_state_machine(stateMachineArn=first)
    assert (described["stateMachineArn"], described["description"]) == (first, "the first")
    assert json.loads(described["definition"])["States"]["Say"]["Result"] == {"said": "one"}


def test_a_revision_id_that_is_not_the_current_one_is_a_conflict(cloud: LocalCloud) -> None:
    # revisionId: "Only publish the state machine version if the current state machine's
    # revision ID matches the specified ID. [...] If the specified revision ID doesn't match
    # the state machine's current revision ID, the API returns ConflictException. To specify
    # an initial revision ID for a state machine with no revision ID assigned, specify the
    # string INITIAL." UpdateStateMachine returns "The revision identifier for the updated
    # state machine."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    assert "revisionId" not in sfn.describe_state_machine(stateMachineArn=arn)
    revision = _revise(cloud, arn, "two")["revisionId"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["revisionId"] == revision
    error = _error(sfn.publish_state_machine_version, stateMachineArn=arn, revisionId="INITIAL")
    assert error["Code"] == "ConflictException"
    assert _publish(cloud, arn, revisionId=revision) == f"{arn}:1"

    fresh = _machine(cloud, name="fresh")
    assert _publish(cloud, fresh, revisionId="INITIAL") == f"{fresh}:1"


def test_publish_on_update_publishes_the_new_revision(cloud: LocalCloud) -> None:
    # UpdateStateMachine: "After you update your state machine, you can set the publish
    # parameter to true in the same action to publish a new version." CreateStateMachine: "If
    # you set the publish parameter of this API action to true, it publishes version 1 as the
    # first revision of the state machine." (An update that changes nothing has no new
    # revision: the reference does not say what publish then does; here, as
    # PublishStateMachineVersion, it returns the version of that revision.)
    arn = _machine(cloud, name="published", publish=True)
    updated = _revise(cloud, arn, "two", publish=True, versionDescription="second")
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    again = _revise(cloud, arn, "two", publish=True)
    assert again["stateMachineVersionArn"] == f"{arn}:2"


def test_versions_are_listed_newest_first_a_page_at_a_time(cloud: LocalCloud) -> None:
    # ListStateMachineVersions: "The results are sorted in descending order of the version
    # creation time. If nextToken is returned, there are more results available."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    for word in ("one", "two", "three"):
        _revise(cloud, arn, word)
        _publish(cloud, arn)
    first = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=2)
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, nextToken=first["nextToken"])
    listed = [v["stateMachineVersionArn"] for v in first["stateMachineVersions"]]
    listed += [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]]
    assert listed == [f"{arn}:3", f"{arn}:2", f"{arn}:1"]
    assert "nextToken" not in rest


def test_a_version_runs_its_own_definition_and_is_named_by_the_execution(
    cloud: LocalCloud,
) -> None:
    # StartExecution: "A state machine version ARN [...] If you provide a qualified state
    # machine ARN that refers to a version ARN or an alias ARN, the request starts execution
    # for that version or alias. [...] If you start an execution with an unqualified state
    # machine ARN, Step Functions uses the latest revision of the state machine."
    # DescribeExecution: "If you specify a version or alias ARN when you call the
    # StartExecution API action, DescribeExecution returns that ARN."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    version = _publish(cloud, arn)
    _revise(cloud, arn, "two")

    by_version = _run(cloud, version)
    assert _said(by_version) == "one"
    assert by_version["stateMachineArn"] == arn
    assert by_version["stateMachineVersionArn"] == version
    assert "stateMachineAliasArn" not in by_version
    latest = _run(cloud, arn)
    assert _said(latest) == "two"
    assert "stateMachineVersionArn" not in latest  # "Step Functions returns a null value."

    # ListExecutions: "You can also provide a state machine alias ARN or version ARN to list
    # the executions associated with a specific alias or version."
    everything = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert {e["executionArn"] for e in everything} == {
        by_version["executionArn"],
        latest["executionArn"],
    }
    listed = sfn.list_executions(stateMachineArn=version)["executions"]
    assert [(e["executionArn"], e["stateMachineVersionArn"]) for e in listed] == [
        (by_version["executionArn"], version)
    ]
    # ExecutionStartedEventDetails: stateMachineVersionArn, stateMachineAliasArn.
    started = sfn.get_execution_history(executionArn=by_version["executionArn"])["events"][0]
    assert started["executionStartedEventDetails"]["stateMachineVersionArn"] == version
    # DescribeStateMachineForExecution: the definition the execution ran.
    ran = sfn.describe_state_machine_for_execution(executionArn=by_version["executionArn"])
    assert ran["stateMachineArn"] == arn
    assert json.loads(ran["definition"]) == json.loads(_says("one"))


def test_an_alias_starts_the_version_it_points_to_and_is_named_by_the_execution(
    cloud: LocalCloud,
) -> None:
    # StartExecution: "A state machine alias ARN [...] Step Functions associates executions
    # that you start with an alias ARN with that alias and the state machine version used for
    # that execution."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    alias = sfn.create_state_machine_alias(
        name="PROD", routingConfiguration=[{"stateMachineVersionArn": one, "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:PROD"
    _revise(cloud, arn, "two")

    execution = _run(cloud, alias)
    assert _said(execution) == "one"
    assert (execution["stateMachineAliasArn"], execution["stateMachineVersionArn"]) == (alias, one)
    direct = _run(cloud, one)
    listed = sfn.list_executions(stateMachineArn=alias)["executions"]
    assert [e["executionArn"] for e in listed] == [execution["executionArn"]]
    assert "stateMachineAliasArn" not in direct  # started with the version ARN itself


def test_an_alias_splits_executions_by_its_weights(cloud: LocalCloud) -> None:
    # CreateStateMachineAlias: "Step Functions randomly chooses which version runs a given
    # execution based on the percentage you specify."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    _revise(cloud, arn, "two")
    two = _publish(cloud, arn)
    canary = sfn.create_state_machine_alias(
        name="canary",
        routingConfiguration=[
            {"stateMachineVersionArn": one, "weight": 50},
            {"stateMachineVersionArn": two, "weight": 50},
        ],
    )["stateMachineAliasArn"]
    stable = sfn.create_state_machine_alias(
        name="stable",
        routingConfiguration=[
            {"stateMachineVersionArn": one, "weight": 100},
            {"stateMachineVersionArn": two, "weight": 0},
        ],
    )["stateMachineAliasArn"]
    split = {_said(_run(cloud, canary)) for _ in range(40)}
    assert split == {"one", "two"}  # all 40 to one version: a chance of one in 2**39
    assert {_said(_run(cloud, stable)) for _ in range(10)} == {"one"}


def test_creating_an_alias_again_is_idempotent_and_a_different_one_conflicts(
    cloud: LocalCloud,
) -> None:
    # "CreateStateMachineAlias is an idempotent API. Step Functions bases the idempotency
    # check on the stateMachineArn, description, name, and routingConfiguration parameters.
    # Requests that contain the same values for these parameters return a successful
    # idempotent response without creating a duplicate resource." (Errors: ConflictException.)
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    _revise(cloud, arn, "two")
    two = _publish(cloud, arn)
    routing = [{"stateMachineVersionArn": one, "weight": 100}]
    created = sfn.create_state_machine_alias(name="PROD", routingConfiguration=routing)
    again = sfn.create_state_machine_alias(name="PROD", routingConfiguration=routing)
    assert again["creationDate"] == created["creationDate"]
    error = _error(
        sfn.create_state_machine_alias,
        name="PROD",
        routingConfiguration=[{"stateMachineVersionArn": two, "weight": 100}],
    )
    assert error["Code"] == "ConflictException"


def test_an_alias_routes_only_to_versions_that_exist(cloud: LocalCloud) -> None:
    # CreateStateMachineAlias and UpdateStateMachineAlias errors: "ResourceNotFound: Could not
    # find the referenced resource."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    missing = [{"stateMachineVersionArn": f"{arn}:7", "weight": 100}]
    assert (
        _error(sfn.create_state_machine_alias, name="PROD", routingConfiguration=missing)["Code"]
        == "ResourceNotFound"
    )
    alias = sfn.create_state_machine_alias(
        name="PROD", routingConfiguration=[{"stateMachineVersionArn": one, "weight": 100}]
    )["stateMachineAliasArn"]
    error = _error(
        sfn.update_state_machine_alias, stateMachineAliasArn=alias, routingConfiguration=missing
    )
    assert error["Code"] == "ResourceNotFound"


def test_an_alias_name_must_not_be_a_version_number(cloud: LocalCloud) -> None:
    # name: "To avoid conflict with version ARNs, don't use an integer in the name of the
    # alias." (Pattern ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$; a ValidationException.)
    sfn = cloud.client("stepfunctions")
    one = _publish(cloud, _machine(cloud))
    error = _error(
        sfn.create_state_machine_alias,
        name="2",
        routingConfiguration=[{"stateMachineVersionArn": one, "weight": 100}],
    )
    assert error["Code"] == "ValidationException"


def test_aliases_are_listed_newest_first_and_by_the_version_they_reference(
    cloud: LocalCloud,
) -> None:
    # ListStateMachineAliases: "Results are sorted by time, with the most recently created
    # aliases listed first. To list aliases that reference a state machine version, you can
    # specify the version ARN in the stateMachineArn parameter."
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    _revise(cloud, arn, "two")
    two = _publish(cloud, arn)
    for name, version in (("first", one), ("second", two), ("third", one)):
        sfn.create_state_machine_alias(
            name=name, routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
        )
        time.sleep(0.002)  # distinct creation dates
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [
        f"{arn}:third",
        f"{arn}:second",
        f"{arn}:first",
    ]
    of_one = sfn.list_state_machine_aliases(stateMachineArn=one)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in of_one] == [f"{arn}:third", f"{arn}:first"]


def test_a_version_an_alias_uses_cannot_be_deleted(cloud: LocalCloud) -> None:
    # DeleteStateMachineVersion: "You can't delete a state machine version currently
    # referenced by one or more aliases. Before you delete a version, you must either delete
    # the aliases or update them to point to another state machine version." and "After you
    # delete a version, you can't call StartExecution using that version's ARN".
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    one = _publish(cloud, arn)
    alias = sfn.create_state_machine_alias(
        name="PROD", routingConfiguration=[{"stateMachineVersionArn": one, "weight": 100}]
    )["stateMachineAliasArn"]
    error = _error(sfn.delete_state_machine_version, stateMachineVersionArn=one)
    assert error["Code"] == "ConflictException"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=one)
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []
    error = _error(sfn.start_execution, stateMachineArn=one)
    assert error["Code"] == "StateMachineDoesNotExist"
    _revise(cloud, arn, "two")
    assert _publish(cloud, arn) == f"{arn}:2"  # numbers are not reused


def test_a_state_machine_has_at_most_100_aliases(cloud: LocalCloud) -> None:
    # "You can create up to 100 aliases for each state machine." (Errors:
    # ServiceQuotaExceededException, "The request would cause a service quota to be exceeded.")
    sfn = cloud.client("stepfunctions")
    one = _publish(cloud, _machine(cloud))
    routing = [{"stateMachineVersionArn": one, "weight": 100}]
    for n in range(100):
        sfn.create_state_machine_alias(name=f"alias-{n}", routingConfiguration=routing)
    error = _error(sfn.create_state_machine_alias, name="alias-100", routingConfiguration=routing)
    assert error["Code"] == "ServiceQuotaExceededException"


def test_a_state_machine_has_at_most_1000_versions(cloud_factory: Any) -> None:
    # "You can publish up to 1000 versions for each state machine. You must manually delete
    # unused versions using the DeleteStateMachineVersion API action." (Without IAM
    # evaluation, which has nothing to do with it, the thousand updates take half as long.)
    cloud = cloud_factory(template=LOCALCLOUD_TEMPLATES / "sfn_redrive.yaml", iam="off")
    sfn = cloud.client("stepfunctions")
    arn = _machine(cloud)
    for n in range(1001):  # each update a new revision (its tracing on, then off, ...)
        sfn.update_state_machine(
            stateMachineArn=arn, tracingConfiguration={"enabled": n % 2 == 0}, publish=n < 1000
        )
    error = _error(sfn.publish_state_machine_version, stateMachineArn=arn)
    assert error["Code"] == "ServiceQuotaExceededException"
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert _publish(cloud, arn) == f"{arn}:1001"
