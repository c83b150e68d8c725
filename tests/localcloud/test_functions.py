"""Functions run in process with the template's environment, context and logs."""

from __future__ import annotations

import pytest

from localcloud import FunctionError, LocalCloud, TemplateError, UnknownResourceError


def test_invoke_runs_the_real_handler_with_the_templates_environment(cloud: LocalCloud) -> None:
    seen = cloud.invoke("RecorderA", {"x": 1})
    assert seen["event"] == {"x": 1}
    assert seen["tag"] == "A"  # the function's own variable
    assert seen["greeting"] == "hello"  # from Globals, resolved from the parameter default
    assert seen["function"] == cloud.physical_id("RecorderA")
    assert 0 < seen["remaining_ms"] <= 30_000  # the template's Timeout


def test_parameter_overrides_reach_the_function_environment(cloud_factory) -> None:  # type: ignore[no-untyped-def]
    cloud = cloud_factory(parameters={"Greeting": "bonjour"})
    assert cloud.invoke("RecorderB")["greeting"] == "bonjour"


def test_config_env_takes_region_and_overrides_from_samconfig(cloud_factory) -> None:  # type: ignore[no-untyped-def]
    cloud = cloud_factory(config_env="default")
    assert cloud.invoke("RecorderA")["greeting"] == "primary"
    dr = cloud.deploy(template=cloud.stacks[0].template_path, config_env="dr")
    assert dr.region == "us-west-2"
    seen = cloud.invoke("RecorderA", region="us-west-2")
    assert (seen["region"], seen["greeting"]) == ("us-west-2", "disaster recovery")
    assert cloud.physical_id("RecorderA", region="us-west-2").startswith("basic-dr-")
    # without a region, the first stack's resource
    assert cloud.physical_id("RecorderA") == "basic-RecorderA"


def test_a_false_condition_leaves_the_resource_out_and_says_why(cloud_factory) -> None:  # type: ignore[no-untyped-def]
    cloud = cloud_factory()
    with pytest.raises(UnknownResourceError, match="condition ExtraEnabled is false"):
        cloud.invoke("ExtraFunction")
    cloud.stop()  # one local cloud runs in a process at a time
    cloud2 = cloud_factory(parameters={"EnableExtra": "true"})
    assert cloud2.invoke("ExtraFunction")["tag"] == "extra"


def test_a_handler_exception_surfaces_with_its_class_name(cloud: LocalCloud) -> None:
    with pytest.raises(FunctionError) as raised:
        cloud.invoke("FlakyFunction", {"fail": "fatal"})
    assert raised.value.error_type == "FatalError"
    assert "cannot go on" in str(raised.value)


def test_an_unknown_logical_id_is_a_clear_error(cloud: LocalCloud) -> None:
    with pytest.raises(UnknownResourceError, match=r"no resource 'NoSuchFunction'.*RecorderA"):
        cloud.invoke("NoSuchFunction", {})
    with pytest.raises(UnknownResourceError, match="NoSuchMachine"):
        cloud.start_execution("NoSuchMachine", {})
    with pytest.raises(UnknownResourceError, match="is a AWS::SQS::Queue"):
        cloud.invoke("RecordQueue", {})


def test_function_output_is_kept_in_its_cloudwatch_log_group(cloud: LocalCloud) -> None:
    cloud.invoke("RecorderA", {})
    logs = cloud.client("logs")
    group = f"/aws/lambda/{cloud.physical_id('RecorderA')}"
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert any('"recorded"' in e["message"] for e in events)
    lines = cloud.function_log("RecorderA")  # the same lines, paged through
    assert [e["message"] for e in events] == lines and lines[0].startswith("START RequestId:")
    assert cloud.function_log("RecorderB") == []  # never invoked: no log group yet


def test_unknown_parameters_and_unsupported_types_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {}\n", encoding="utf-8"
    )
    with pytest.raises(TemplateError, match="cannot emulate AWS::RDS::DBInstance"):
        LocalCloud(template=template).start()
    with pytest.raises(TemplateError, match=r"parameters \['Nope'\] are not declared"):
        LocalCloud(template=template, parameters={"Nope": "1"}).start()


def test_a_definition_placeholder_without_substitution_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m.asl.json").write_text(
        '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "${Missing}", "End": true}}}'
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  M:\n"
        "    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: m.asl.json\n",
        encoding="utf-8",
    )
    with pytest.raises(TemplateError, match=r"no DefinitionSubstitutions for \['Missing'\]"):
        LocalCloud(template=tmp_path / "template.yaml").start()


def test_a_dynamodb_table_is_created_on_demand_with_its_time_to_live(cloud: LocalCloud) -> None:
    dynamodb = cloud.client("dynamodb")
    name = cloud.physical_id("LedgerTable")
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableArn"] == cloud.attribute("LedgerTable", "Arn")
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiration")


def test_metering_counts_a_functions_own_calls_not_the_local_clouds_lookups(
    cloud: LocalCloud,
) -> None:
    # The first call a function makes has IAM evaluation read the role's policies (iam:
    # calls made by the local cloud, during the invocation): they are not the function's.
    from localcloud.metering import CallCounter

    counter = CallCounter()
    with counter.counting():
        cloud.invoke("RecorderA", {"n": 1})
    function = cloud.physical_id("RecorderA")
    assert dict(counter.calls) == {(function, "sqs:SendMessage"): 1}
