"""State machine versions and aliases, and the executions started through them.

AWS ("Continuous deployments with versions and aliases", API Reference): "A version is a
numbered, immutable snapshot of a state machine that you can run. An alias is a pointer for up
to two versions of a state machine." moto kept versions (CreateStateMachine and
UpdateStateMachine with `publish`) and aliases, but had no PublishStateMachineVersion,
ListStateMachineVersions or DeleteStateMachineVersion, could not start an execution from a
version (it crashed) or an alias (not found), published a new version on every `publish` even
of an unchanged revision, and listed aliases oldest first. Here:

- a state machine has a revision (`revisionId`, null until its first update changes it) and a
  version is published once per revision, within 1,000 versions;
- an execution started with a version ARN runs that version, one started with an alias ARN a
  version the alias's weights pick; it is the state machine's execution (listed, described,
  stopped, redriven with it) and DescribeExecution, ListExecutions and its ExecutionStarted
  event name the version and the alias; ListExecutions given a version or alias ARN lists
  theirs;
- aliases: idempotent creation, a conflict for a different one of the same name, 100 per
  state machine, routing only to versions that exist, newest first, and a version an alias
  routes to cannot be deleted.
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import re
import uuid
from typing import Any

from localcloud.core import Core
from localcloud.services.stepfunctions import redrive

__all__ = ["MAX_ALIASES", "MAX_VERSIONS", "install"]

# "You can publish up to 1000 versions for each state machine." (PublishStateMachineVersion)
MAX_VERSIONS = 1000
# "You can create up to 100 aliases for each state machine." (CreateStateMachineAlias)
MAX_ALIASES = 100
# ListExecutions, ListStateMachineVersions, ListStateMachineAliases: "The default is 100 and
# the maximum allowed page size is 1000. A value of 0 uses the default."
DEFAULT_PAGE = 100
MAX_PAGE = 1000
# CreateStateMachineAlias `name` ("To avoid conflict with version ARNs, don't use an integer
# in the name of the alias"), as the API model constrains it.
ALIAS_NAME = re.compile(r"^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$")
_TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# What makes a revision: "A revision is an immutable, read-only snapshot of a state machine's
# definition and configuration."
_REVISED = (
    "definition",
    "roleArn",
    "loggingConfiguration",
    "tracingConfiguration",
    "encryptionConfiguration",
)


def _error(code: str, message: str, status: int = 400) -> Exception:
    from moto.core.exceptions import AWSError

    return AWSError(message, code, status)


def revision_of(machine: Any) -> str | None:
    """The state machine's (or version's) revisionId: "The first revision ID when you create
    the state machine is null." (DescribeStateMachineForExecution)"""
    return getattr(machine, "localcloud_revision", None)


def _split(arn: str) -> tuple[str, str | None]:
    """(the unqualified state machine ARN, the version number or alias name, if any)."""
    parts = arn.split(":")
    if len(parts) == 8:
        return ":".join(parts[:7]), parts[7]
    return arn, None


def _page(items: list[Any], token: str | None, max_results: int | None, key: str) -> Any:
    """One page of `items` and the token for the next, bound to the listing's key."""
    size = max_results or DEFAULT_PAGE
    if size > MAX_PAGE:
        raise _error(
            "ValidationException",
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_PAGE}",
        )
    start = 0
    if token:
        try:
            decoded = json.loads(base64.b64decode(token.encode()).decode())
            if decoded["k"] != key:
                raise ValueError(key)
            start = int(decoded["o"])
        except (ValueError, KeyError, TypeError):
            raise _error("InvalidToken", f"Invalid Token: '{token}'") from None
    page = items[start : start + size]
    following = None
    if start + size < len(items):
        following = base64.b64encode(json.dumps({"k": key, "o": start + size}).encode()).decode()
    return page, following


def install(core: Core) -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.stepfunctions.models import StateMachine, StateMachineVersion
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    def redrives() -> redrive.Redrives | None:
        found: redrive.Redrives | None = core.services.get(redrive.SERVICE)
        return found

    def machine_of(backend: Any, arn: str) -> Any:
        """The (unqualified) state machine an ARN names, qualified or not."""
        base, _ = _split(arn)
        for machine in backend.state_machines:
            if machine.arn == base:
                return machine
        raise _error("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")

    def version_of(backend: Any, arn: str) -> Any:
        machine = machine_of(backend, arn)
        _, qualifier = _split(arn)
        version = (
            machine.versions.get(int(qualifier)) if qualifier and qualifier.isdigit() else None
        )
        if version is None:
            raise _error("ResourceNotFound", f"Resource not found: '{arn}'")
        return version

    # ------------------------------------------------------------ revisions and versions

    update = core.hooks.original(StateMachine, "update")

    def _update(self: Any, **kwargs: Any) -> None:
        before = [getattr(self, name, None) for name in _REVISED]
        update(self, **kwargs)
        if [getattr(self, name, None) for name in _REVISED] != before:
            self.localcloud_revision = str(uuid.uuid4())

    publish = core.hooks.original(StateMachine, "publish")

    def _publish(self: Any, description: str | None) -> None:
        # "It doesn't create a duplicate state machine version if it already exists for the
        # current revision." The API reference says so of PublishStateMachineVersion; for
        # `publish` on UpdateStateMachine it is silent, and the same rule holds here.
        current = revision_of(self)
        for version in self.versions.values():
            if revision_of(version) == current:
                self.latest_version = version
                return
        if len(self.versions) >= MAX_VERSIONS:
            raise _error(
                "ServiceQuotaExceededException",
                f"Maximum number of versions ({MAX_VERSIONS}) reached for state machine "
                f"'{self.arn}'",
                402,
            )
        publish(self, description)

    version_init = core.hooks.original(StateMachineVersion, "__init__")

    def _version_init(self: Any, source: Any, version: int, description: str | None) -> None:
        version_init(self, source, version, description)
        self.localcloud_revision = revision_of(source)
        # A version's executions are its state machine's ("arn:...:execution:<machine>:<name>"):
        # one list, so that each is listed, described, stopped and redriven with the machine.
        self.executions = source.executions
        self.backend = source.backend

    def _handle_name_input_idempotency(self: Any, name: str, execution_input: str) -> Any:
        # Names are unique per state machine, whichever version runs them.
        return StateMachine._handle_name_input_idempotency(self, name, execution_input)

    core.hooks.replace(StateMachine, "update", _update)
    core.hooks.replace(StateMachine, "publish", _publish)
    core.hooks.replace(StateMachineVersion, "__init__", _version_init)
    core.hooks.add(
        StateMachineVersion, "_handle_name_input_idempotency", _handle_name_input_idempotency
    )

    def publish_state_machine_version(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        wanted = self._get_param("revisionId")
        description = self._get_param("description")
        machine = machine_of(self.stepfunction_backend, arn)
        if _split(arn)[1] is not None:  # a version or alias ARN: not a state machine's
            raise _error("ValidationException", f"Invalid State Machine Arn: '{arn}'")
        # "If the specified revision ID doesn't match the state machine's current revision
        # ID, the API returns ConflictException. To specify an initial revision ID for a state
        # machine with no revision ID assigned, specify the string INITIAL." (The reference
        # gives no message.)
        current = revision_of(machine) or "INITIAL"
        if wanted is not None and wanted != current:
            raise _error(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {wanted}. The "
                f"current State Machine revision is {current}.",
                409,
            )
        machine.publish(description)
        version = machine.latest_version
        return ActionResult(
            {"creationDate": version.creation_date, "stateMachineVersionArn": version.arn}
        )

    def list_state_machine_versions(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        machine = machine_of(self.stepfunction_backend, arn)
        # "The results are sorted in descending order of the version creation time."
        versions = sorted(machine.versions.values(), key=lambda v: v.version, reverse=True)
        page, following = _page(
            versions,
            self._get_param("nextToken"),
            self._get_int_param("maxResults"),
            f"versions:{machine.arn}",
        )
        result: dict[str, Any] = {
            "stateMachineVersions": [
                {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in page
            ]
        }
        if following:
            result["nextToken"] = following
        return ActionResult(result)

    def delete_state_machine_version(self: Any) -> Any:
        arn = self._get_param("stateMachineVersionArn")
        base, qualifier = _split(arn)
        if qualifier is None or not qualifier.isdigit():
            raise _error("ValidationException", f"Invalid State Machine Version Arn: '{arn}'")
        machine = next((m for m in self.stepfunction_backend.state_machines if m.arn == base), None)
        if machine is None:  # nothing to delete: the reference lists no error for it
            return EmptyResult()
        # "You can't delete a state machine version currently referenced by one or more
        # aliases." (Its error list has ConflictException; its message is not documented.)
        referencing = [
            alias.arn
            for alias in machine.aliases.values()
            if any(r["stateMachineVersionArn"] == arn for r in alias.routing_configuration)
        ]
        if referencing:
            raise _error(
                "ConflictException",
                "Version to be deleted must not be referenced by an alias. Current list of "
                f"aliases referencing this version: {referencing}",
                409,
            )
        version = machine.versions.pop(int(qualifier), None)
        if version is not None and machine.latest_version is version:
            machine.latest_version = None
        return EmptyResult()

    for name, method in (
        ("publish_state_machine_version", publish_state_machine_version),
        ("list_state_machine_versions", list_state_machine_versions),
        ("delete_state_machine_version", delete_state_machine_version),
    ):
        core.hooks.add(StepFunctionResponse, name, method)

    update_response = core.hooks.original(StepFunctionResponse, "update_state_machine")

    def update_state_machine(self: Any) -> Any:
        result = update_response(self)
        machine = machine_of(self.stepfunction_backend, self._get_param("stateMachineArn"))
        revision = revision_of(machine)
        if revision is not None:  # "The revision identifier for the updated state machine."
            result.result["revisionId"] = revision
        return result

    describe_machine = core.hooks.original(StepFunctionResponse, "_describe_state_machine")

    def _describe_state_machine(self: Any, state_machine_arn: str) -> Any:
        result = describe_machine(self, state_machine_arn)
        machine = self.stepfunction_backend.describe_state_machine(state_machine_arn)
        revision = revision_of(machine)
        if revision is not None:
            result.result["revisionId"] = revision
        return result

    def describe_state_machine_for_execution(self: Any) -> Any:
        # "Provides information about a state machine's definition, its execution role ARN,
        # and configuration": those the execution runs with (its version's, or the revision
        # it started on: "Running executions will continue to use the previous definition and
        # roleArn"), not the state machine's latest.
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        ran = execution.state_machine
        machine = machine_of(self.stepfunction_backend, ran.arn)
        result: dict[str, Any] = {
            "stateMachineArn": machine.arn,
            "name": ran.name,
            "definition": ran.definition,
            "roleArn": ran.roleArn,
            "updateDate": ran.update_date,
            "loggingConfiguration": ran.loggingConfiguration,
            "tracingConfiguration": ran.tracingConfiguration,
            "encryptionConfiguration": ran.encryptionConfiguration,
        }
        revision = revision_of(ran)
        if revision is not None:
            result["revisionId"] = revision
        return ActionResult(result)

    core.hooks.replace(StepFunctionResponse, "update_state_machine", update_state_machine)
    core.hooks.replace(StepFunctionResponse, "_describe_state_machine", _describe_state_machine)
    core.hooks.replace(
        StepFunctionResponse,
        "describe_state_machine_for_execution",
        describe_state_machine_for_execution,
    )

    # ------------------------------------------------------------ aliases

    def check_routing(backend: Any, routing: list[dict[str, Any]] | None) -> None:
        for route in routing or []:
            # CreateStateMachineAlias, UpdateStateMachineAlias: "ResourceNotFound: Could not
            # find the referenced resource."
            version_of(backend, route["stateMachineVersionArn"])

    create_alias = core.hooks.original(StepFunctionResponse, "create_state_machine_alias")

    def create_state_machine_alias(self: Any) -> Any:
        name = self._get_param("name")
        routing = self._get_param("routingConfiguration")
        description = self._get_param("description")
        if not ALIAS_NAME.match(name or ""):
            raise _error(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: "
                f"{ALIAS_NAME.pattern}",
            )
        self._validate_routing_configuration(routing)
        backend = self.stepfunction_backend
        check_routing(backend, routing)
        machine = machine_of(backend, routing[0]["stateMachineVersionArn"])
        existing = machine.aliases.get(name)
        if existing is not None:
            # "CreateStateMachineAlias is an idempotent API. Step Functions bases the
            # idempotency check on the stateMachineArn, description, name, and
            # routingConfiguration parameters. Requests that contain the same values for these
            # parameters return a successful idempotent response without creating a duplicate
            # resource." Its error list has ConflictException for another one of that name.
            if existing.description == description and _routes(existing.routing_configuration) == (
                _routes(routing)
            ):
                return ActionResult(
                    {"creationDate": existing.creation_date, "stateMachineAliasArn": existing.arn}
                )
            raise _error(
                "ConflictException",
                f"Alias '{name}' already exists for state machine '{machine.arn}' with a "
                "different configuration",
                409,
            )
        if len(machine.aliases) >= MAX_ALIASES:
            raise _error(
                "ServiceQuotaExceededException",
                f"Maximum number of aliases ({MAX_ALIASES}) reached for state machine "
                f"'{machine.arn}'",
                402,
            )
        return create_alias(self)

    update_alias = core.hooks.original(StepFunctionResponse, "update_state_machine_alias")

    def update_state_machine_alias(self: Any) -> Any:
        check_routing(self.stepfunction_backend, self._get_param("routingConfiguration"))
        return update_alias(self)

    def list_state_machine_aliases(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        backend = self.stepfunction_backend
        machine = machine_of(backend, arn)
        aliases = list(machine.aliases.values())
        if _split(arn)[1] is not None:
            # "To list aliases that reference a state machine version, you can specify the
            # version ARN in the stateMachineArn parameter."
            version_of(backend, arn)
            aliases = [
                a
                for a in aliases
                if any(r["stateMachineVersionArn"] == arn for r in a.routing_configuration)
            ]
        # "Results are sorted by time, with the most recently created aliases listed first."
        aliases.sort(key=lambda a: a.creation_date, reverse=True)
        page, following = _page(
            aliases,
            self._get_param("nextToken"),
            self._get_int_param("maxResults"),
            f"aliases:{arn}",
        )
        result: dict[str, Any] = {
            "stateMachineAliases": [
                {"stateMachineAliasArn": a.arn, "creationDate": a.creation_date} for a in page
            ]
        }
        if following:
            result["nextToken"] = following
        return ActionResult(result)

    core.hooks.replace(
        StepFunctionResponse, "create_state_machine_alias", create_state_machine_alias
    )
    core.hooks.replace(
        StepFunctionResponse, "update_state_machine_alias", update_state_machine_alias
    )
    core.hooks.replace(
        StepFunctionResponse, "list_state_machine_aliases", list_state_machine_aliases
    )

    # ------------------------------------------------------------ executions

    start = core.hooks.original(StepFunctionsParserBackend, "start_execution")

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        _, qualifier = _split(state_machine_arn)
        alias = None
        target = state_machine_arn
        if qualifier is not None and not qualifier.isdigit():
            alias = machine_of(self, state_machine_arn).aliases.get(qualifier)
            if alias is None:
                raise _error(
                    "StateMachineDoesNotExist",
                    f"State Machine Does Not Exist: '{state_machine_arn}'",
                )
            # "Step Functions randomly chooses which version runs a given execution based on
            # the percentage you specify." (CreateStateMachineAlias)
            routes = alias.routing_configuration
            target = random.choices(
                [r["stateMachineVersionArn"] for r in routes],
                weights=[r["weight"] for r in routes],
            )[0]
        execution = start(self, target, name, execution_input, trace_header)
        if alias is not None and not hasattr(execution, "localcloud_alias_arn"):
            # "Step Functions associates executions that you start with an alias ARN with that
            # alias and the state machine version used for that execution."
            execution.localcloud_alias_arn = alias.arn
        return execution

    core.hooks.replace(StepFunctionsParserBackend, "start_execution", start_execution)

    def version_arn(execution: Any) -> str | None:
        machine = execution.state_machine
        return machine.arn if getattr(machine, "source_arn", None) else None

    def alias_arn(execution: Any) -> str | None:
        found: str | None = getattr(execution, "localcloud_alias_arn", None)
        return found

    def named(execution: Any) -> dict[str, Any]:
        """What DescribeExecution and ListExecutions say of the version and alias."""
        fields: dict[str, Any] = {}
        if version_arn(execution):
            fields["stateMachineVersionArn"] = version_arn(execution)
        if alias_arn(execution):
            fields["stateMachineAliasArn"] = alias_arn(execution)
        return fields

    describe = core.hooks.original(StepFunctionResponse, "describe_execution")

    def describe_execution(self: Any) -> Any:
        # "If you specify a version or alias ARN when you call the StartExecution API action,
        # DescribeExecution returns that ARN." stateMachineArn stays "the executed state
        # machine" (its version ARN is "a combination of state machine ARN and the version
        # number").
        result = describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        result.result["stateMachineArn"] = _split(execution.state_machine.arn)[0]
        result.result.update(named(execution))
        return result

    core.hooks.replace(StepFunctionResponse, "describe_execution", describe_execution)

    history = core.hooks.original(StepFunctionsParserBackend, "get_execution_history")

    def get_execution_history(self: Any, execution_arn: str) -> Any:
        output = history(self, execution_arn)
        execution = self.describe_execution(execution_arn)
        fields = named(execution)
        for event in output["events"]:
            # ExecutionStartedEventDetails: stateMachineAliasArn, stateMachineVersionArn.
            if event["type"] == "ExecutionStarted" and fields:
                event["executionStartedEventDetails"].update(fields)
        return output

    core.hooks.replace(StepFunctionsParserBackend, "get_execution_history", get_execution_history)

    def recency(execution: Any) -> datetime.datetime:
        # "Results are sorted by time, with the most recent execution first. Running
        # executions are sorted by their startDate or redriveDate, and other executions are
        # sorted by their stopDate."
        tracked = redrives()
        redriven = tracked.date(execution.exec_arn) if tracked else None
        if str(execution.status) == "RUNNING" or execution.stop_date is None:
            moment = redriven or execution.start_date
        else:
            moment = execution.stop_date
        if moment is None:  # an execution being set up has no dates yet: it sorts first
            return datetime.datetime.max.replace(tzinfo=datetime.UTC)
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)

    def list_executions(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        status_filter = self._get_param("statusFilter")
        redrive_filter = self._get_param("redriveFilter")
        if arn is None:  # listing a Map Run's child executions (mapRunArn) is not modelled
            raise _error("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
        if status_filter == "PENDING_REDRIVE":
            # "If you provide a stateMachineArn and a PENDING_REDRIVE statusFilter, the API
            # returns a validation exception."
            raise _error(
                "ValidationException",
                "PENDING_REDRIVE status filter is only supported with a MapRun ARN",
            )
        backend = self.stepfunction_backend
        machine = machine_of(backend, arn)
        _, qualifier = _split(arn)
        executions = list(machine.executions)
        if qualifier is not None:
            # "You can also provide a state machine alias ARN or version ARN to list the
            # executions associated with a specific alias or version."
            if qualifier.isdigit():
                version_of(backend, arn)
                executions = [e for e in executions if version_arn(e) == arn]
            else:
                if qualifier not in machine.aliases:
                    raise _error("ResourceNotFound", f"Resource not found: '{arn}'")
                executions = [e for e in executions if alias_arn(e) == arn]
        if status_filter:
            executions = [e for e in executions if str(e.status) == status_filter]
        tracked = redrives()
        if redrive_filter:
            # "Sets a filter to list executions based on whether or not they have been
            # redriven." (REDRIVEN, NOT_REDRIVEN)
            wanted = redrive_filter == "REDRIVEN"
            executions = [
                e
                for e in executions
                if ((tracked.count(e.exec_arn) if tracked else 0) > 0) == wanted
            ]
        executions.sort(key=recency, reverse=True)
        page, following = _page(
            executions,
            self._get_param("nextToken"),
            self._get_int_param("maxResults"),
            f"executions:{arn}:{status_filter}:{redrive_filter}",
        )
        items = []
        for execution in page:
            item: dict[str, Any] = {
                "executionArn": execution.exec_arn,
                "stateMachineArn": machine.arn,
                "name": execution.name,
                "status": execution.status,
                "startDate": execution.start_date,
                **named(execution),
            }
            if str(execution.status) in _TERMINAL and execution.stop_date is not None:
                item["stopDate"] = execution.stop_date
            if tracked is not None:
                item["redriveCount"] = tracked.count(execution.exec_arn)
                date = tracked.date(execution.exec_arn)
                if date is not None:
                    item["redriveDate"] = date
            items.append(item)
        result: dict[str, Any] = {"executions": items}
        if following:
            result["nextToken"] = following
        return ActionResult(result)

    core.hooks.replace(StepFunctionResponse, "list_executions", list_executions)


def _routes(routing: list[dict[str, Any]] | None) -> list[tuple[str, int]]:
    return sorted((r["stateMachineVersionArn"], int(r["weight"])) for r in routing or [])
