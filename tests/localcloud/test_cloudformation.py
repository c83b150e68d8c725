"""Each stack the local cloud deploys exists in CloudFormation, as a deployment leaves it."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from localcloud import LocalCloud

STACKS_DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html"


def test_a_deployed_stack_is_complete_with_its_parameters_and_outputs(cloud: LocalCloud) -> None:
    """DescribeStacks "Returns the description for the specified stack"; a stack's
    `StackStatus` is `CREATE_COMPLETE` once "Successful creation of one or more stacks", its
    `Parameters` and `Outputs` as deployed (API reference, Stack, STACKS_DOC)."""
    cloudformation = cloud.client("cloudformation")
    [stack] = cloudformation.describe_stacks(StackName=cloud.stacks[0].name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackId"].startswith("arn:aws:cloudformation:us-east-1:")
    assert stack["Description"] == "Small template for the local cloud's own tests."
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters == {name: str(value) for name, value in cloud.stacks[0].parameters.items()}
    assert parameters["EnableExtra"] == "false"
    queue_url = cloud.physical_id("RecordQueue")
    assert stack["Outputs"] == [{"OutputKey": "QueueUrl", "OutputValue": queue_url}]
    events = cloudformation.describe_stack_events(StackName=cloud.stacks[0].name)["StackEvents"]
    assert events[0]["ResourceStatus"] == "CREATE_COMPLETE"


def test_a_stack_lists_each_resource_with_its_logical_and_physical_ids_and_type(
    cloud: LocalCloud,
) -> None:
    """ListStackResources "Returns descriptions of all resources of the specified stack", each
    with its `LogicalResourceId`, `PhysicalResourceId` and `ResourceType` (API reference,
    ListStackResources / StackResourceSummary). For a SAM function, "AWS SAM always generates an
    AWS::Lambda::Function base resource" with the function's logical id (SAM Developer Guide,
    "Generated CloudFormation resources for AWS SAM",
    https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources.html)."""
    cloudformation = cloud.client("cloudformation")
    summaries = {
        r["LogicalResourceId"]: r
        for page in cloudformation.get_paginator("list_stack_resources").paginate(
            StackName=cloud.stacks[0].name
        )
        for r in page["StackResourceSummaries"]
    }
    queue = summaries["RecordQueue"]
    assert (queue["ResourceType"], queue["PhysicalResourceId"]) == (
        "AWS::SQS::Queue",
        cloud.physical_id("RecordQueue"),
    )
    worker = summaries["WorkerFunction"]
    assert (worker["ResourceType"], worker["PhysicalResourceId"]) == (
        "AWS::Lambda::Function",
        cloud.physical_id("WorkerFunction"),
    )
    assert summaries["LedgerTable"]["ResourceType"] == "AWS::DynamoDB::Table"
    # "When the Role property of an AWS::Serverless::Function is not specified, AWS SAM
    # generates an AWS::IAM::Role CloudFormation resource", LogicalId <function-LogicalId>Role.
    role = summaries["WorkerFunctionRole"]
    assert role["ResourceType"] == "AWS::IAM::Role"
    assert cloud.client("iam").get_role(RoleName=role["PhysicalResourceId"])
    assert "ExtraFunction" not in summaries  # its condition is false: it was not created
    [described] = cloudformation.describe_stack_resources(
        StackName=cloud.stacks[0].name, LogicalResourceId="FanoutTopic"
    )["StackResources"]
    assert described["PhysicalResourceId"] == cloud.physical_id("FanoutTopic")
    assert described["ResourceType"] == "AWS::SNS::Topic"


def test_cloudformation_does_not_create_the_resources_a_second_time(cloud: LocalCloud) -> None:
    """The deployer made the resources; registering the stack makes none (each of the
    template's queues exists once)."""
    queues = cloud.client("sqs").list_queues().get("QueueUrls", [])
    listed = cloud.client("cloudformation").list_stack_resources(StackName=cloud.stacks[0].name)
    declared = [
        r["PhysicalResourceId"]
        for r in listed["StackResourceSummaries"]
        if r["ResourceType"] == "AWS::SQS::Queue"
    ]
    assert sorted(queues) == sorted(declared)


def test_get_template_returns_the_template_as_written(cloud: LocalCloud) -> None:
    """GetTemplate "Returns the template body for a specified stack" (API reference,
    GetTemplate); the original template, SAM's transform unexpanded."""
    body = cloud.client("cloudformation").get_template(StackName=cloud.stacks[0].name)[
        "TemplateBody"
    ]
    assert body == cloud.stacks[0].template_path.read_text(encoding="utf-8")
    assert "AWS::Serverless-2016-10-31" in body


def test_a_no_echo_parameter_is_masked(tmp_path: Path) -> None:
    """ "If you set the NoEcho attribute to true, CloudFormation returns the parameter value
    masked as asterisks (*****) for any calls that describe the stack or stack events" (User
    Guide, "Parameters syntax",
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html);
    DescribeStacks shows "****"."""
    (tmp_path / "template.yaml").write_text(
        "Parameters:\n"
        "  Token:\n    Type: String\n    NoEcho: true\n    Default: s3cr3t\n"
        "  Name:\n    Type: String\n    Default: plain\n"
        "Resources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n"
        "Outputs:\n"
        "  Name:\n    Description: the name\n    Value: !Ref Name\n",
        encoding="utf-8",
    )
    with LocalCloud(template=tmp_path / "template.yaml") as cloud:
        cloudformation = cloud.client("cloudformation")
        [stack] = cloudformation.describe_stacks(StackName="steward")["Stacks"]
        parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
        assert parameters == {"Token": "****", "Name": "plain"}
        assert stack["Outputs"] == [
            {"OutputKey": "Name", "OutputValue": "plain", "Description": "the name"}
        ]
        with pytest.raises(ClientError) as caught:
            cloudformation.describe_stacks(StackName="no-such-stack")
        assert caught.value.response["Error"]["Code"] == "ValidationError"
