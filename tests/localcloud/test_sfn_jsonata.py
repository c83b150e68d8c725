"""JSONata states and workflow variables run as Step Functions documents them.

Pages quoted: "Transforming data with JSONata in Step Functions" (transforming-data.html) and
"Passing data between states with variables" (workflow-variables.html), AWS Step Functions
Developer Guide; "StateExitedEventDetails", AWS Step Functions API Reference.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

import pytest

from localcloud import LocalCloud
from tests.support.roles import machine_role

JSONATA = "JSONata"


def _role(cloud: LocalCloud) -> str:
    """A role Step Functions may assume, allowed to invoke the test functions."""
    invoke = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}
    return machine_role(cloud, f"jsonata-{time.monotonic_ns()}", invoke)


def _run(cloud: LocalCloud, definition: dict[str, Any], given: Any = None) -> dict[str, Any]:
    """Create the machine, run it on `given` and return the finished execution."""
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=_role(cloud)
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(given or {}))[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    while (execution := cloud.describe_execution(arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still running"
        time.sleep(0.02)
    return execution


def _succeeded(execution: dict[str, Any]) -> Any:
    assert execution["status"] == "SUCCEEDED", (execution["error"], execution["cause"])
    return execution["output"]


def _one_state(state: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": JSONATA, "StartAt": "S", "States": {"S": {**state, "End": True}}}


# ------------------------------------------------------------------ the documentation's examples


def test_the_input_and_output_example_returns_the_documented_output(cloud: LocalCloud) -> None:
    # transforming-data.html, "Example: Input and Output": the definition and input below,
    # and "Test state or state machine execution will return the following JSON output:
    # { "lastName": "Last=>Rivera", "orderValue": 27.91 }".
    definition = {
        "Comment": "Input and Output example using JSONata",
        "QueryLanguage": "JSONata",
        "StartAt": "Basic Input and Output",
        "States": {
            "Basic Input and Output": {
                "QueryLanguage": "JSONata",
                "Type": "Succeed",
                "Output": {
                    "lastName": "{% 'Last=>' & $states.input.customer.lastName %}",
                    "orderValue": "{% $states.input.order.total %}",
                },
            }
        },
    }
    given = {
        "customer": {"firstName": "Martha", "lastName": "Rivera"},
        "order": {"items": 7, "total": 27.91},
    }
    assert _succeeded(_run(cloud, definition, given)) == {
        "lastName": "Last=>Rivera",
        "orderValue": 27.91,
    }


def test_the_filtering_example_keeps_the_zero_calorie_products(cloud: LocalCloud) -> None:
    # transforming-data.html, "Example: Filtering with JSONata": "you only want to process
    # products that contain zero calories", with the documented definition, sample input and
    # "Output from testing the step in your state machine".
    definition = {
        "Comment": "Filter products using JSONata",
        "QueryLanguage": "JSONata",
        "StartAt": "FilterDietProducts",
        "States": {
            "FilterDietProducts": {
                "Type": "Pass",
                "Output": {"dietProducts": "{% $states.input.products[calories=0] %}"},
                "End": True,
            }
        },
    }
    products = [
        {"calories": 140, "flavour": "Cola", "name": "Product-1"},
        {"calories": 0, "flavour": "Cola", "name": "Product-2"},
        {"calories": 160, "flavour": "Orange", "name": "Product-3"},
        {"calories": 100, "flavour": "Orange", "name": "Product-4"},
        {"calories": 0, "flavour": "Lime", "name": "Product-5"},
    ]
    assert _succeeded(_run(cloud, definition, {"products": products})) == {
        "dietProducts": [
            {"calories": 0, "flavour": "Cola", "name": "Product-2"},
            {"calories": 0, "flavour": "Lime", "name": "Product-5"},
        ]
    }


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
def test_the_conversion_example_sends_the_documented_arguments_in_either_language(
    cloud: LocalCloud, language: str
) -> None:
    # transforming-data.html: a Task's "Parameters" (JSONPath) and its conversion to
    # "Arguments" (JSONata), "With $customerName declared as a variable". "Given input
    # { "title" : "Doctor" } and variable customerName assigned to "María", both state
    # machines will produce the following JSON result: { "static": "Hello", "title":
    # "Doctor", "name": "María", "not-evaluated": "$customerName" }". The Task here invokes a
    # function that returns the event it received, so the result is what the Task sent.
    recorder = cloud.attribute("RecorderA", "Arn")
    if language == "JSONPath":
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {
                "FunctionName": recorder,
                "Payload": {
                    "static": "Hello",
                    "title.$": "$.title",
                    "name.$": "$customerName",
                    "not-evaluated": "$customerName",
                },
            },
            "OutputPath": "$.Payload.event",
        }
    else:
        task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {
                "FunctionName": recorder,
                "Payload": {
                    "static": "Hello",
                    "title": "{% $states.input.title %}",
                    "name": "{% $customerName %}",
                    "not-evaluated": "$customerName",
                },
            },
            "Output": "{% $states.result.Payload.event %}",
        }
    definition = {
        "QueryLanguage": language,
        "StartAt": "Declare",
        "States": {
            "Declare": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "Call"},
            "Call": {**task, "End": True},
        },
    }
    assert _succeeded(_run(cloud, definition, {"title": "Doctor"})) == {
        "static": "Hello",
        "title": "Doctor",
        "name": "María",
        "not-evaluated": "$customerName",
    }


def test_the_evaluation_order_example_assigns_from_the_values_on_state_entry(
    cloud: LocalCloud,
) -> None:
    # workflow-variables.html, "Evaluation order in an assign field": "# Starting values:
    # $x=3, $a=6 / "Assign": { "x": "{% $a %}", "nextX": "{% $x %}" } / # Ending values: $x=6,
    # $nextX=3". "All variable references in Step Functions states use the values as they
    # were on state entry" and "assigning variable values will not affect state Output": the
    # assigning state's own Output still reads $x=3 (moto's interpreter read 6).
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Assign": {"x": 3, "a": 6}, "Next": "Assign"},
            "Assign": {
                "Type": "Pass",
                "Assign": {"x": "{% $a %}", "nextX": "{% $x %}"},
                "Output": {"xInTheAssigningState": "{% $x %}"},
                "Next": "Next",
            },
            "Next": {
                "Type": "Pass",
                "Output": {
                    "x": "{% $x %}",
                    "nextX": "{% $nextX %}",
                    "input": "{% $states.input %}",
                },
                "End": True,
            },
        },
    }
    assert _succeeded(_run(cloud, definition)) == {
        "x": 6,
        "nextX": 3,
        "input": {"xInTheAssigningState": 3},
    }


# ------------------------------------------------------------------ $states, Arguments, Output


def test_a_lambda_task_takes_arguments_from_states_input_and_outputs_from_states_result(
    cloud: LocalCloud,
) -> None:
    # transforming-data.html, "Reserved variable : $states": "$states.input" is the
    # "Original input to the state", "$states.result" the "API or sub-workflow's result (if
    # successful)", "$states.context" the "Context object". The Task example of
    # workflow-variables.html assigns "currentPrice": "{% $states.result.Payload.current_price
    # %}", which the next state reads.
    recorder = cloud.attribute("RecorderA", "Arn")
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Price",
        "States": {
            "Price": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {
                    "FunctionName": recorder,
                    "Payload": {"current_price": "{% $states.input.order.price * 2 %}"},
                },
                "Assign": {
                    "product": "{% $states.input.order.product %}",
                    "currentPrice": "{% $states.result.Payload.event.current_price %}",
                },
                "Output": {
                    "sent": "{% $states.result.Payload.event %}",
                    "state": "{% $states.context.State.Name %}",
                    "execution": "{% $states.context.Execution.Name %}",
                    "startedWith": "{% $states.context.Execution.Input %}",
                },
                "Next": "Report",
            },
            "Report": {
                "Type": "Pass",
                "Output": {
                    "product": "{% $product %}",
                    "currentPrice": "{% $currentPrice %}",
                    "previous": "{% $states.input %}",
                },
                "End": True,
            },
        },
    }
    given = {"order": {"product": "tea", "price": 2.5}}
    execution = _run(cloud, definition, given)
    assert _succeeded(execution) == {
        "product": "tea",
        "currentPrice": 5,
        "previous": {
            "sent": {"current_price": 5},
            "state": "Price",
            "execution": execution["name"],
            "startedWith": given,
        },
    }


def test_a_state_exit_records_its_assigned_variables_as_serialized_json(
    cloud: LocalCloud,
) -> None:
    # API Reference, StateExitedEventDetails: assignedVariables is the "Map of variable name
    # and value as a serialized JSON representation." A string with a quote in it is a JSON
    # string (moto wrote it between quotes as it was).
    quoted = 'He said "hi"'
    definition = _one_state(
        {"Type": "Pass", "Assign": {"said": "{% $states.input.said %}", "n": 1, "l": [True]}}
    )
    execution = _run(cloud, definition, {"said": quoted})
    [exited] = [e for e in execution["history"] if e["type"] == "PassStateExited"]
    assigned = exited["stateExitedEventDetails"]["assignedVariables"]
    assert {name: json.loads(value) for name, value in assigned.items()} == {
        "said": quoted,
        "n": 1,
        "l": [True],
    }


# ------------------------------------------------------------------ Choice, Map, Parallel


def test_a_choice_rule_is_taken_when_its_condition_is_true(cloud: LocalCloud) -> None:
    # transforming-data.html, "Choice state": "With JSONata, the choice state has a Condition
    # where you can use a JSONata expression". workflow-variables.html: "The Assign field is
    # available ... inside Choice state rules".
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Check Price",
        "States": {
            "Check Price": {
                "Type": "Choice",
                "Default": "Pause",
                "Choices": [
                    {
                        "Condition": "{% $states.input.current_price <= "
                        "$states.input.desired_price %}",
                        "Assign": {"boughtAt": "{% $states.input.current_price %}"},
                        "Next": "Send Notification",
                    }
                ],
            },
            "Send Notification": {"Type": "Pass", "Output": "{% $boughtAt %}", "End": True},
            "Pause": {"Type": "Pass", "Output": "paused", "End": True},
        },
    }
    cheap = {"current_price": 8, "desired_price": 10}
    assert _succeeded(_run(cloud, definition, cheap)) == 8
    dear = {"current_price": 12, "desired_price": 10}
    assert _succeeded(_run(cloud, definition, dear)) == "paused"


def test_a_map_iterates_its_items_expression_and_its_scope_ends_with_it(
    cloud: LocalCloud,
) -> None:
    # transforming-data.html: "the Map state ItemsPath has been replaced with the Items field
    # which accepts a JSON array, a JSON object, or a JSONata expression". Context object page:
    # "ContextIndex": "{% $states.context.Map.Item.Index %}" in the ItemSelector.
    # workflow-variables.html: "States inside Parallel or Map states can refer to outer scope
    # variables, but they create and maintain their own separate workflow-local variables"
    # and "When a Parallel or Map state completes, all of their variables will go out of scope".
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Set factor",
        "States": {
            "Set factor": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "Items": "{% $states.input.numbers %}",
                "ItemSelector": {
                    "value": "{% $states.context.Map.Item.Value %}",
                    "index": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Scale",
                    "States": {
                        "Scale": {
                            "Type": "Pass",
                            "Assign": {"scaled": "{% $states.input.value * $factor %}"},
                            "Next": "Add index",
                        },
                        "Add index": {
                            "Type": "Pass",
                            "Output": "{% $scaled + $states.input.index %}",
                            "End": True,
                        },
                    },
                },
                "Output": {"results": "{% $states.result %}"},
                "Next": "After",
            },
            "After": {
                "Type": "Pass",
                "Output": {
                    "results": "{% $states.input.results %}",
                    "scaledInScope": "{% $exists($scaled) %}",
                },
                "End": True,
            },
        },
    }
    assert _succeeded(_run(cloud, definition, {"numbers": [1, 2, 3]})) == {
        "results": [10, 21, 32],
        "scaledInScope": False,
    }


def test_parallel_branches_read_outer_variables_but_not_each_others(cloud: LocalCloud) -> None:
    # workflow-variables.html: "Parallel branches and Map iterations can access variable
    # values from outer scopes, but they do not have access to variable values from other
    # concurrent branches or iterations." transforming-data.html: for "Task, Parallel, and Map
    # states", "$states.result refers to the API or sub-workflow's raw result if successful."
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Base",
        "States": {
            "Base": {"Type": "Pass", "Assign": {"base": 100}, "Next": "Both"},
            "Both": {
                "Type": "Parallel",
                "Arguments": {"x": "{% $states.input.x %}"},
                "Branches": [
                    {
                        "StartAt": "Own",
                        "States": {
                            "Own": {"Type": "Pass", "Assign": {"own": 1}, "Next": "Add"},
                            "Add": {
                                "Type": "Pass",
                                "Output": "{% $states.input.x + $base + $own %}",
                                "End": True,
                            },
                        },
                    },
                    {
                        "StartAt": "Look",
                        "States": {
                            "Look": {
                                "Type": "Pass",
                                "Output": "{% $exists($own) %}",
                                "End": True,
                            }
                        },
                    },
                ],
                "Output": {"branches": "{% $states.result %}"},
                "End": True,
            },
        },
    }
    assert _succeeded(_run(cloud, definition, {"x": 1})) == {"branches": [102, False]}


def test_a_catch_assigns_in_the_scope_of_the_map_it_catches_for(cloud: LocalCloud) -> None:
    # workflow-variables.html: "When handling errors, the Assign field in a Catch can assign
    # values to variables in the outer scope, that is, the scope in which the Parallel/Map
    # state exists." $states.errorOutput "can be used in the Catch field's Assign or Output".
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": [1],
                "ItemProcessor": {
                    "StartAt": "Fail",
                    "States": {"Fail": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}},
                },
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Assign": {"failedWith": "{% $states.errorOutput.Error %}"},
                        "Output": {"caught": "{% $states.errorOutput.Cause %}"},
                        "Next": "After",
                    }
                ],
                "End": True,
            },
            "After": {
                "Type": "Pass",
                "Output": {"failedWith": "{% $failedWith %}", "input": "{% $states.input %}"},
                "End": True,
            },
        },
    }
    assert _succeeded(_run(cloud, definition)) == {
        "failedWith": "Boom",
        "input": {"caught": "bad"},
    }


def test_a_map_iteration_may_not_assign_a_variable_of_the_outer_scope(cloud: LocalCloud) -> None:
    # workflow-variables.html: "a variable assigned in an inner scope cannot have the same name
    # as one assigned in an outer scope". The page does not say when this is refused; as in
    # moto's interpreter, the iteration that assigns it fails.
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Outer",
        "States": {
            "Outer": {"Type": "Pass", "Assign": {"total": 0}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "Items": [1, 2],
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {
                        "Inner": {"Type": "Pass", "Assign": {"total": 1}, "End": True},
                    },
                },
                "End": True,
            },
        },
    }
    execution = _run(cloud, definition)
    assert execution["status"] == "FAILED"
    assert "belongs to an outer scope" in execution["cause"]


def test_a_jsonpath_choice_compares_its_variable_with_a_workflow_variable(
    cloud: LocalCloud,
) -> None:
    # workflow-variables.html, "Using variables in JSONPath states": "You can reference a
    # variable in any field that accepts a JSONpath expression", such as a Choice rule's
    # comparison path. moto compared the two the wrong way round (7 > 5 was false).
    definition = {
        "StartAt": "Limit",
        "States": {
            "Limit": {"Type": "Pass", "Assign": {"limit": 5}, "Next": "Compare"},
            "Compare": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.n",
                        "NumericGreaterThanPath": "$limit",
                        "Next": "Over",
                    }
                ],
                "Default": "Within",
            },
            "Over": {"Type": "Pass", "Result": "over", "End": True},
            "Within": {"Type": "Pass", "Result": "within", "End": True},
        },
    }
    assert _succeeded(_run(cloud, definition, {"n": 7})) == "over"
    assert _succeeded(_run(cloud, definition, {"n": 3})) == "within"


def test_jsonpath_fields_read_variables_and_intrinsics_take_them(cloud: LocalCloud) -> None:
    # workflow-variables.html: "To reference a variable, you also use the $ symbol before a
    # variable name, for example, $x or $order.numItems", "In JSONPath fields that accept
    # intrinsic functions, variables can be used in the arguments", and in a Task "$ refers to
    # the API/sub-workflow result" in Assign ("resultCode.$": "$.result.code" ...
    # "startTime.$": "$$.Execution.StartTime").
    recorder = cloud.attribute("RecorderA", "Arn")
    definition = {
        "StartAt": "Declare",
        "States": {
            "Declare": {"Type": "Pass", "Assign": {"customer": {"name": "Ana"}}, "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": recorder,
                "Parameters": {"code": 200},
                "Assign": {
                    "details": {"status": "SUCCESS", "lineItems.$": "$.event"},
                    "resultCode.$": "$.event.code",
                    "startTime.$": "$$.Execution.StartTime",
                },
                "ResultPath": None,
                "Next": "Use",
            },
            "Use": {
                "Type": "Pass",
                "Parameters": {
                    "code.$": "$resultCode",
                    "status.$": "$details.status",
                    "items.$": "$details.lineItems",
                    "message.$": "States.Format('Hello {}', $customer.name)",
                    "started.$": "$startTime",
                },
                "End": True,
            },
        },
    }
    output = _succeeded(_run(cloud, definition))
    assert output["code"] == 200
    assert output["status"] == "SUCCESS"
    assert output["items"] == {"code": 200}
    assert output["message"] == "Hello Ana"
    assert re.match(r"\d{4}-\d\d-\d\dT", output["started"])


# ------------------------------------------------------------------ errors


def _failed_with(execution: dict[str, Any]) -> str:
    assert execution["status"] == "FAILED", execution["output"]
    assert execution["error"] == "States.QueryEvaluationError", execution["cause"]
    return str(execution["cause"])


def test_a_type_error_fails_the_state_with_a_query_evaluation_error(cloud: LocalCloud) -> None:
    # transforming-data.html, "Handling expression errors": "Type error - An expression, such
    # as {% $x + $y %}, will fail if $x or $y is not a number." ... "In each case, the
    # interpreter will throw the error: States.QueryEvaluationError."
    definition = {
        "QueryLanguage": JSONATA,
        "StartAt": "Declare",
        "States": {
            "Declare": {"Type": "Pass", "Assign": {"x": 1, "y": "two"}, "Next": "Add"},
            "Add": {"Type": "Pass", "Output": {"sum": "{% $x + $y %}"}, "End": True},
        },
    }
    cause = _failed_with(_run(cloud, definition))
    assert "'$x + $y' specified for the field 'Output/sum' threw an error" in cause


def test_an_expression_that_returns_nothing_fails_naming_its_field(cloud: LocalCloud) -> None:
    # "Failure to return a result - JSON cannot represent an undefined value expression, so
    # the expression {% $data.thisFieldDoesNotExist %} would result in an error."
    # EvaluationFailedEventDetails (API Reference): "location" is "The location of the field
    # in the state in which the evaluation error occurred."
    definition = _one_state(
        {"Type": "Pass", "Output": {"a": {"b": ["{% $states.input.thisFieldDoesNotExist %}"]}}}
    )
    execution = _run(cloud, definition, {"data": 1})
    cause = _failed_with(execution)
    assert cause.endswith(
        "The JSONata expression '$states.input.thisFieldDoesNotExist' specified for the field "
        "'Output/a/b[0]' returned nothing (undefined)."
    )
    [failed] = [e for e in execution["history"] if e["type"] == "EvaluationFailed"]
    details = failed["evaluationFailedEventDetails"]
    assert (details["location"], details["state"]) == ("Output/a/b[0]", "S")


def test_a_field_given_a_value_of_the_wrong_type_fails_with_a_query_evaluation_error(
    cloud: LocalCloud,
) -> None:
    # "Type incompatibility - ... the field TimeoutSeconds requires a numeric input, so the
    # expression {% $timeout %} will fail if $timeout returns a string." "Value out of range -
    # ... {% $evaluatesToNegativeNumber %} will fail in the TimeoutSeconds field." A Condition
    # that is not true or false is refused alike (moto failed all three with States.Runtime).
    recorder = cloud.attribute("RecorderA", "Arn")
    task = {"Type": "Task", "Resource": recorder, "TimeoutSeconds": "{% $states.input.t %}"}
    assert "'TimeoutSeconds'" in _failed_with(_run(cloud, _one_state(task), {"t": "60"}))
    assert "'TimeoutSeconds'" in _failed_with(_run(cloud, _one_state(task), {"t": -1}))
    assert _succeeded(_run(cloud, _one_state(task), {"t": 60}))["event"] == {"t": 60}
    choice = {
        "QueryLanguage": JSONATA,
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.flag %}", "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    assert "'Choices[0]/Condition'" in _failed_with(_run(cloud, choice, {"flag": "yes"}))


def test_a_task_catches_a_query_evaluation_error_in_its_arguments_or_output(
    cloud: LocalCloud,
) -> None:
    # "Your Task, Map, and Parallel states can provide a Catch field to catch the error, and a
    # Retry field to retry on the error." moto evaluated Output after Catch was done with, so
    # an Output that failed failed the execution instead.
    recorder = cloud.attribute("RecorderA", "Arn")
    catch = [
        {
            "ErrorEquals": ["States.QueryEvaluationError"],
            "Output": "{% $states.errorOutput %}",
            "Next": "Recovered",
        }
    ]
    for field, expression in (
        ("Arguments", {"value": "{% $states.input.missing %}"}),
        ("Output", "{% $states.result.missing %}"),
    ):
        definition = {
            "QueryLanguage": JSONATA,
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": recorder,
                    field: expression,
                    "Catch": catch,
                    "End": True,
                },
                "Recovered": {"Type": "Pass", "End": True},
            },
        }
        output = _succeeded(_run(cloud, definition))
        assert output["Error"] == "States.QueryEvaluationError"
        assert "returned nothing (undefined)" in output["Cause"]


# ------------------------------------------------------------------ Step Functions' functions


def test_the_step_functions_jsonata_functions_answer_as_documented(cloud: LocalCloud) -> None:
    # transforming-data.html, "JSONata functions provided by Step Functions".
    # $partition: "The interpreter chunks the input array into multiple arrays of the size
    # specified by chunk size. The length of the last array chunk may be less". $range(0, 10,
    # 2): "ranging from the first argument ... to the second ... adjusted by the delta".
    # $hash: "The return value is a string of the calculated hash of the data" (the hex digest;
    # the States.Hash example on the intrinsics page prints it one digit short). $random: "If
    # you use this function with the same seed value, it returns an identical number." $uuid:
    # "This function return a v4 UUID." $parse: "JSONata function to deserialize JSON strings."
    definition = _one_state(
        {
            "Type": "Pass",
            "Output": {
                "partition": "{% $partition([1,2,3,4], $states.input.chunkSize) %}",
                "range": "{% $range(0, 10, 2) %}",
                "hash": "{% $hash($states.input.content, 'SHA-256') %}",
                "seeded": "{% [$random($states.input.seed), $random($states.input.seed)] %}",
                "unseeded": "{% $random() %}",
                "uuid": "{% $uuid() %}",
                "parsed": "{% $parse($states.input.json_string) %}",
            },
        }
    )
    given = {"chunkSize": 3, "content": "input data", "seed": 7, "json_string": '{"a":[1,null]}'}
    output = _succeeded(_run(cloud, definition, given))
    assert output["partition"] == [[1, 2, 3], [4]]
    assert output["range"] == [0, 2, 4, 6, 8, 10]
    assert output["hash"] == hashlib.sha256(b"input data").hexdigest()
    first, second = output["seeded"]
    assert first == second and 0 <= first < 1
    assert 0 <= output["unseeded"] < 1
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", output["uuid"]
    )
    assert output["parsed"] == {"a": [1, None]}


def test_eval_is_not_available_in_a_workflow(cloud: LocalCloud) -> None:
    # "JSONata supports this functionality via $eval; however, $eval is not supported in Step
    # Functions workflows." The page does not say how it is refused: here the expression fails.
    definition = _one_state({"Type": "Pass", "Output": "{% $eval('1 + 1') %}"})
    assert "$eval is not supported" in _failed_with(_run(cloud, definition))
