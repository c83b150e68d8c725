"""TestState: one state run on its own, as the Step Functions API Reference describes it.

AWS: "Accepts the definition of a single state and executes it. You can test a state without
creating a state machine [...]. The TestState API assumes an IAM role which must contain the
required IAM permissions for the resources your state is accessing." It answers the state's
`status` (SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR), `output`, `error` and `cause`,
`nextState`, and at the DEBUG level `inspectionData` (the input and output processing
results; `errorDetails` of the Retry or Catch that applies). moto's interpreter carries a
TestState runner from LocalStack but no operation, and botocore sends TestState to the
`sync-` host moto has no route for.

Here the state runs once in moto's interpreter with the role's credentials (so IAM evaluates
its calls): a failure a Retrier would retry is RETRIABLE and is not retried, one a Catcher
catches is CAUGHT_ERROR with the Catcher's `Next`. Not modelled: mocks (`mock`, `context`,
`stateConfiguration` other than `retrierRetryCount`), HTTP Tasks (TRACE), `revealSecrets`, and
the five-minute limit.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from localcloud.core import Core

__all__ = ["SUPPORTED_TYPES", "install"]

# "The states that you can test include the following: All Task types except Activity, Pass,
# Wait, Choice, Succeed, Fail" (Map and Parallel, Activity tasks, .sync and .waitForTaskToken
# "only [...] when a mock is specified").
SUPPORTED_TYPES = ("Task", "Pass", "Wait", "Choice", "Succeed", "Fail")
_WITH_MOCK_ONLY = re.compile(r"(:activity:|\.sync(:\d+)?$|\.waitForTaskToken$)")
_SYNC_URL_BASE = r"https?://sync-states\.(.+)\.amazonaws.com"
_TEST_STATE_URL = "https://sync-states.us-east-1.amazonaws.com/"
_LEVELS = ("INFO", "DEBUG", "TRACE")


@dataclass
class _Run:
    """What one TestState call learns while its state runs."""

    retries: int  # stateConfiguration.retrierRetryCount
    retriable: bool = False
    caught: dict[str, Any] | None = None  # the error output a Catcher caught
    error_details: dict[str, Any] | None = None  # inspectionData.errorDetails


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import AWSError

    return AWSError(message, code, 400)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _states_of(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every `States` map of a state machine definition, nested ones (Parallel branches, Map
    processors) included."""
    states = node.get("States")
    if not isinstance(states, dict):
        return
    yield states
    for state in states.values():
        if not isinstance(state, dict):
            continue
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _states_of(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _states_of(state[key])


def _the_state(definition: str, state_name: str | None) -> dict[str, Any]:
    """The state to test: the definition itself, or with `stateName` the state of that name in
    the state machine the definition is ("If this field is specified, the definition must
    contain a fully-formed state machine definition.")."""
    try:
        parsed = json.loads(definition)
    except ValueError as exc:
        raise _error("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'") from None
    if not isinstance(parsed, dict):
        raise _error("InvalidDefinition", "Invalid State Machine Definition: not a JSON object")
    if state_name is None:
        return parsed
    from moto.stepfunctions.parser.asl.parse.asl_parser import (
        AmazonStateLanguageParser,
        ASLParserException,
    )

    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as exc:
        raise _error("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'") from None
    for states in _states_of(parsed):
        state = states.get(state_name)
        if isinstance(state, dict):
            state = dict(state)
            # A state without its own QueryLanguage has the state machine's.
            if "QueryLanguage" in parsed and "QueryLanguage" not in state:
                state["QueryLanguage"] = parsed["QueryLanguage"]
            return state
    raise _error(
        "ValidationException",
        f"State '{state_name}' does not exist in the state machine definition",
    )


def _check_testable(state: dict[str, Any], level: str) -> None:
    kind = state.get("Type")
    resource = str(state.get("Resource", ""))
    if kind not in SUPPORTED_TYPES:
        raise _error(
            "ValidationException",
            f"TestState supports a {kind} state only with a mock, which the local cloud does "
            "not model",
        )
    if kind == "Task" and _WITH_MOCK_ONLY.search(resource):
        # "Without a mock, invoking these states via TestState API will return a validation
        # exception." (Activity tasks, .sync and .waitForTaskToken integration patterns)
        raise _error(
            "ValidationException",
            f"TestState supports the resource '{resource}' only with a mock",
        )
    if level == "TRACE" and not (kind == "Task" and resource.startswith("arn:aws:states:::http")):
        # TRACE: "This level is only applicable for HTTP Task. Step Functions throws an error
        # if you use this level for other state types."
        raise _error("ValidationException", "TRACE inspection level is only valid for HTTP Task")


def install(core: Core) -> None:
    import moto.backend_index as backend_index
    import moto.stepfunctions.urls as urls
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.asl.component.common.catch.catch_outcome import CatchOutcome
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.retry.retry_outcome import RetryOutcome
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramEnded,
        ProgramError,
        ProgramRunning,
        ProgramTimedOut,
    )
    from moto.stepfunctions.parser.asl.eval.test_state.environment import TestStateEnvironment
    from moto.stepfunctions.parser.asl.eval.test_state.program_state import ProgramChoiceSelected
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException
    from moto.stepfunctions.parser.backend.state_machine import TestStateMachine
    from moto.stepfunctions.parser.backend.test_state.execution import TestStateExecution
    from moto.stepfunctions.responses import StepFunctionResponse

    # botocore sends TestState to `sync-states.<region>.amazonaws.com` (its host prefix);
    # the part that adds StartSyncExecution routes it already when it is installed first.
    patterns = list(core.hooks.original(backend_index, "backend_url_patterns"))
    if not any(service == "stepfunctions" and p.match(_TEST_STATE_URL) for service, p in patterns):
        at = next(i for i, (service, _) in enumerate(patterns) if service == "stepfunctions")
        patterns.insert(at + 1, ("stepfunctions", re.compile(_SYNC_URL_BASE)))
        core.hooks.replace(backend_index, "backend_url_patterns", patterns)
    bases = list(core.hooks.original(urls, "url_bases"))
    if not any(re.match(base, _TEST_STATE_URL) for base in bases):
        core.hooks.replace(urls, "url_bases", [*bases, _SYNC_URL_BASE])

    # ------------------------------------------------------------ Retry and Catch, once

    runs: weakref.WeakKeyDictionary[Any, _Run] = weakref.WeakKeyDictionary()

    def matches(env: Any, error_equals: Any, error_name: Any) -> bool:
        env.stack.append(error_name)
        error_equals.eval(env)
        return bool(env.stack.pop())

    handle_retry = core.hooks.original(ExecutionState, "_handle_retry")

    def _handle_retry(self: Any, env: Any, failure_event: Any) -> Any:
        run = runs.get(env) if isinstance(env, TestStateEnvironment) else None
        if run is None:
            return handle_retry(self, env, failure_event)
        # TestState runs the state once: a failure the first matching Retrier would retry is
        # RETRIABLE, with "Which Retry applies (via retryIndex in the response)" and "What the
        # backoff duration is (via retryBackoffIntervalSeconds in the response)". Attempts so
        # far: stateConfiguration.retrierRetryCount, "The number of retry attempts that have
        # occurred for the state's Retry".
        done = run.retries
        for index, retrier in enumerate(self.retry.retriers):
            if not matches(env, retrier.error_equals, failure_event.error_name):
                continue
            if done >= retrier.max_attempts.attempts:
                return RetryOutcome.CannotRetry  # "retries are exhausted": on to Catch
            backoff = retrier.interval_seconds.seconds * retrier.backoff_rate.rate**done
            backoff = min(backoff, retrier.max_delay_seconds.max_delays_seconds)
            run.error_details = {"retryIndex": index, "retryBackoffIntervalSeconds": round(backoff)}
            run.retriable = True
            raise FailureEventException(failure_event=failure_event)
        return RetryOutcome.NoRetrier

    handle_catch = core.hooks.original(ExecutionState, "_handle_catch")

    def _handle_catch(self: Any, env: Any, failure_event: Any) -> None:
        run = runs.get(env) if isinstance(env, TestStateEnvironment) else None
        if run is None:
            handle_catch(self, env, failure_event)
            return
        index = next(
            (
                i
                for i, catcher in enumerate(self.catch.catchers)
                if matches(env, catcher.error_equals, failure_event.error_name)
            ),
            None,
        )
        handle_catch(self, env, failure_event)
        if index is not None and env.stack and env.stack[-1] == CatchOutcome.Caught:
            # "Which Catch handler catches the error (via catchIndex in the response)".
            run.error_details = {"catchIndex": index}
            run.caught = self._construct_error_output_value(failure_event)

    core.hooks.replace(ExecutionState, "_handle_retry", _handle_retry)
    core.hooks.replace(ExecutionState, "_handle_catch", _handle_catch)

    # ------------------------------------------------------------ the operation

    def run_test(
        backend: Any,
        state: dict[str, Any],
        role_arn: Any,
        raw_input: str,
        level: str,
        variables: dict[str, Any],
        retries: int,
        state_name: str | None,
    ) -> dict[str, Any]:
        name = f"TestState-{uuid.uuid4().hex[:10]}"
        prefix = f"arn:aws:states:{backend.region_name}:{backend.account_id}"
        machine = TestStateMachine(
            name=name,
            arn=f"{prefix}:stateMachine:{name}",
            definition=json.dumps(state),
            role_arn=role_arn,
        )
        execution = TestStateExecution(
            name=name,
            role_arn=role_arn,
            exec_arn=f"{prefix}:execution:{name}:{name}",
            account_id=backend.account_id,
            region_name=backend.region_name,
            state_machine=machine,
            start_date=datetime.datetime.now(tz=datetime.UTC),
            activity_store={},
            input_data=raw_input,  # type: ignore[arg-type]  # moto's Execution parses a string
        )
        # The worker's steps, without its `start`: a test is no execution (no history, no
        # status-change event).
        worker: Any = execution._get_start_execution_worker()
        try:
            program: Any = worker._get_evaluation_entrypoint()
        except ASLParserException as exc:
            raise _error("InvalidDefinition", f"Invalid State Definition: '{exc}'") from None
        env: Any = worker._get_evaluation_environment()
        worker.env = env
        execution.exec_worker = worker
        run = runs[env] = _Run(retries)
        for key, value in variables.items():
            env.variable_store.set(key, value)
        if state_name is not None:
            program.test_state.name = state_name
        program.eval(env)
        return outcome(env, run, program.test_state, state, raw_input, level)

    def outcome(
        env: Any, run: _Run, tested: Any, state: dict[str, Any], raw_input: str, level: str
    ) -> dict[str, Any]:
        ended = env.program_state()
        result: dict[str, Any] = {}
        if isinstance(ended, ProgramError):
            error = ended.error or {}
            result["status"] = "RETRIABLE" if run.retriable else "FAILED"
            result.update({k: error[k] for k in ("error", "cause") if error.get(k) is not None})
        elif isinstance(ended, ProgramTimedOut):
            result.update(status="FAILED", error="States.Timeout")
        else:
            caught = run.caught
            # "CAUGHT_ERROR": "the error is caught", "the next state is" the Catcher's Next,
            # "the error information is added to the output via ResultPath".
            result["status"] = "SUCCEEDED" if caught is None else "CAUGHT_ERROR"
            if caught is not None:
                result.update(error=caught["Error"], cause=caught["Cause"])
            result["output"] = _compact(env.states.get_input())
            # nextState: "The name of the next state to transition to. If you haven't defined
            # a next state in your definition or if the execution of the state fails, this
            # field doesn't contain a value."
            if isinstance(ended, ProgramChoiceSelected):
                result["nextState"] = ended.next_state_name
            elif isinstance(ended, ProgramRunning) and env.next_state_name != tested.name:
                result["nextState"] = env.next_state_name
            elif not isinstance(ended, ProgramEnded | ProgramRunning):
                result["status"] = "FAILED"
        if level in ("DEBUG", "TRACE"):
            result["inspectionData"] = inspection(env, run, tested, state, raw_input)
        return result

    def inspection(
        env: Any, run: _Run, tested: Any, state: dict[str, Any], raw_input: str
    ) -> dict[str, Any]:
        # DEBUG: "Shows the final state output along with the input and output data processing
        # result": `input` is "The raw state input"; each `after...` is the data after that
        # field was applied (moto's TestState parser records those declared in the state).
        data: dict[str, Any] = {
            # Written compact, as the reference's examples show them ("{\"foo\":\"bar\"}").
            key: _compact(json.loads(value)) if isinstance(value, str) else value
            for key, value in env.inspection_data.items()
        }
        if tested._is_language_query_jsonpath():  # "Not populated when QueryLanguage is JSONata"
            fill_defaults(data, env, run, state, raw_input)
        data["input"] = raw_input
        if run.error_details is not None:
            data["errorDetails"] = run.error_details
        store = env.variable_store
        known = {**store._outer_scope, **store._inner_scope}
        if known:
            # "JSON string that contains the set of workflow variables after execution of the
            # state. The set will include variables assigned in the state and variables set up
            # as test state input."
            data["variables"] = _compact(known)
        return data

    def fill_defaults(
        data: dict[str, Any], env: Any, run: _Run, state: dict[str, Any], raw_input: str
    ) -> None:
        """The processing steps the state leaves out: a filter not declared is the identity
        (InputPath and ResultPath default to "$"), and the reference's Pass example reports
        such a step too (`afterResultSelector` with no ResultSelector). Only the steps the
        state got through: a failed test shows "the intermediate data processing results up
        to the point of failure"."""
        if "afterInputPath" not in data and state.get("InputPath", "$") == "$":
            data["afterInputPath"] = _compact(json.loads(raw_input))
        if state.get("Type") not in ("Task", "Pass"):
            return
        if "afterParameters" not in data and "Parameters" not in state and "afterInputPath" in data:
            data["afterParameters"] = data["afterInputPath"]
        ended = env.program_state()
        succeeded = isinstance(ended, ProgramEnded | ProgramRunning)
        if not succeeded or run.caught is not None:
            return
        if "afterResultSelector" not in data and "ResultSelector" not in state:
            # A Pass state's result is its Result, or else its effective input.
            selected = data.get("result", data.get("afterParameters"))
            if selected is not None:
                data["afterResultSelector"] = selected
        identity_result_path = state.get("ResultPath", "$") == "$"
        if "afterResultPath" not in data and identity_result_path and "afterResultSelector" in data:
            data["afterResultPath"] = data["afterResultSelector"]

    def test_state(self: Any) -> Any:
        definition = self._get_param("definition")
        role_arn = self._get_param("roleArn")
        raw_input = self._get_param("input")
        level = self._get_param("inspectionLevel") or "INFO"  # "By default [...] INFO"
        state_name = self._get_param("stateName")
        if any(self._get_param(p) is not None for p in ("mock", "context")):
            raise NotImplementedError(
                "TestState with a mock (mock, context) is not modelled by the local cloud"
            )
        if level not in _LEVELS:
            raise _error("ValidationException", f"Invalid inspectionLevel: '{level}'")
        state = _the_state(definition, state_name)
        _check_testable(state, level)
        if not role_arn and state.get("Type") == "Task":
            # "When you are not using mocks, you must provide an execution role that contains
            # the required permissions for the resources your state accesses." (roleArn is
            # optional in the request: the other states access no resources.)
            raise _error("ValidationException", "roleArn is required to test a Task state")
        raw_input = "{}" if raw_input is None else raw_input
        try:
            json.loads(raw_input)
        except ValueError as exc:
            raise _error("InvalidExecutionInput", f"Invalid input: '{exc}'") from None
        variables_text = self._get_param("variables")
        variables: dict[str, Any] = {}
        if variables_text is not None:
            try:
                variables = json.loads(variables_text)
            except ValueError:
                variables = None  # type: ignore[assignment]
            if not isinstance(variables, dict):
                # "JSON object literal that sets variables used in the state under test."
                raise _error("ValidationException", "variables must be a JSON object")
        configuration = self._get_param("stateConfiguration") or {}
        retries = int(configuration.get("retrierRetryCount") or 0)
        return ActionResult(
            run_test(
                self.stepfunction_backend,
                state,
                role_arn,
                raw_input,
                level,
                variables,
                retries,
                state_name,
            )
        )

    core.hooks.add(StepFunctionResponse, "test_state", test_state)
