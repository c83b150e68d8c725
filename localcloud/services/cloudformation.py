"""AWS CloudFormation: each stack the local cloud deploys exists in CloudFormation.

The deployer makes the resources itself (`localcloud.deploy`); CloudFormation then holds the
stack as a deployment leaves it: `DescribeStacks` with its parameters, outputs and
`CREATE_COMPLETE`, `ListStackResources` / `DescribeStackResources` with each resource's logical
id, physical id and type, `GetTemplate` with the template as written. The local cloud registers
the stack with a `CreateStack` call that moto's backend answers with a stack built from the
deployment, so moto never creates a resource of its own for it. A `CreateStack` of anyone else
is moto's as before.

- NoEcho: "If you set the NoEcho attribute to true, CloudFormation returns the parameter value
  masked as asterisks (*****) for any calls that describe the stack or stack events" (User
  Guide, "Parameters syntax",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html);
  the value DescribeStacks shows is "****", as AWS CLI output shows it (and moto does).
- SAM resources: "if you specify an AWS::Serverless::Function resource in your AWS SAM template
  file, AWS SAM always generates an AWS::Lambda::Function base resource" with the same logical
  id (SAM Developer Guide, "Generated CloudFormation resources for AWS SAM",
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources.html):
  a stack lists that base resource, and those SAM generates that the deployer made under SAM's
  logical ids ("When the Role property of an AWS::Serverless::Function is not specified, AWS
  SAM generates an AWS::IAM::Role CloudFormation resource", LogicalId `<function-LogicalId>Role`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from localcloud.core import Core

MASK = "****"
# The CloudFormation resource a SAM resource's logical id becomes.
SAM_BASE_TYPES = {
    "AWS::Serverless::Function": "AWS::Lambda::Function",
    "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
    "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table",
    "AWS::Serverless::LayerVersion": "AWS::Lambda::LayerVersion",
}
# What the local cloud's stack class replaces of moto's Stack (checked to exist at install).
_STACK_ATTRIBUTES = (
    "parameter_list",
    "stack_parameters",
    "stack_resources",
    "outputs",
    "exports",
    "mark_creation_complete",
    "_add_stack_event",
)


@dataclass(frozen=True)
class StackResource:
    """A resource as moto's CloudFormation responses read it."""

    logical_resource_id: str
    physical_resource_id: str
    cf_resource_type: str


@dataclass
class Deployment:
    """What a deployed stack shows in CloudFormation."""

    name: str
    region: str
    template_body: str
    template: dict[str, Any]
    parameters: list[dict[str, str]]  # ParameterKey / ParameterValue, NoEcho already masked
    resources: list[StackResource]
    outputs: list[dict[str, Any]]


@dataclass
class CloudFormation:
    """Deployments waiting for their `CreateStack` to be answered by moto's backend."""

    pending: dict[tuple[str, str], Deployment] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def register(core: Core, stack: Any) -> str:
    """Make the deployed `stack` (a `localcloud.deploy.Stack`) exist in CloudFormation; its
    stack id."""
    from localcloud.template import load_yaml

    template = load_yaml(stack.template_path)
    declared = template.get("Parameters") or {}
    parameters = [
        {
            "ParameterKey": name,
            "ParameterValue": MASK
            if str((declared.get(name) or {}).get("NoEcho", "false")).lower() == "true"
            else _text(value),
        }
        for name, value in stack.parameters.items()
        if name in declared
    ]
    described = template.get("Outputs") or {}
    outputs = []
    for key, value in stack.outputs.items():
        output: dict[str, Any] = {"OutputKey": key, "OutputValue": _text(value)}
        if (described.get(key) or {}).get("Description"):
            output["Description"] = str(described[key]["Description"])
        outputs.append(output)
    resources = [
        StackResource(
            logical_id, _text(deployed.ref), SAM_BASE_TYPES.get(deployed.type, deployed.type)
        )
        for logical_id, deployed in stack.resources.items()
    ]
    deployment = Deployment(
        name=stack.name,
        region=stack.region,
        template_body=stack.template_path.read_text(encoding="utf-8"),
        template=template,
        parameters=parameters,
        resources=resources,
        outputs=outputs,
    )
    service: CloudFormation = core.service("cloudformation")
    with service.lock:
        service.pending[(stack.region, stack.name)] = deployment
    try:
        created = core.clients("cloudformation", stack.region).create_stack(
            StackName=stack.name,
            TemplateBody=deployment.template_body,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    finally:
        with service.lock:
            service.pending.pop((stack.region, stack.name), None)
    return str(created["StackId"])


def install(core: Core) -> None:
    from moto.cloudformation.models import CloudFormationBackend, Stack
    from moto.cloudformation.utils import generate_stack_id

    for name in _STACK_ATTRIBUTES:
        core.hooks.original(Stack, name)
    service = CloudFormation()
    core.services["cloudformation"] = service

    class DeployedStack(Stack):
        """A stack whose resources the local cloud's deployer made: moto's Stack with an
        empty template (so it parses and creates nothing), showing the deployment."""

        def __init__(self, stack_id: str, deployment: Deployment, backend: Any) -> None:
            super().__init__(
                stack_id=stack_id,
                name=deployment.name,
                template={},
                parameters={},
                account_id=backend.account_id,
                region_name=backend.region_name,
            )
            self.deployment = deployment
            self.template = deployment.template_body
            self.template_dict = deployment.template
            self.description = deployment.template.get("Description")

        @property
        def parameter_list(self) -> list[dict[str, str]]:
            return [dict(p) for p in self.deployment.parameters]

        @property
        def stack_parameters(self) -> dict[str, str]:
            return {p["ParameterKey"]: p["ParameterValue"] for p in self.deployment.parameters}

        @property
        def stack_resources(self) -> list[StackResource]:  # type: ignore[override]
            return list(self.deployment.resources)

        @property
        def outputs(self) -> list[dict[str, Any]] | None:
            return [dict(o) for o in self.deployment.outputs] or None

        @property
        def exports(self) -> list[Any]:
            return []

    create_stack = core.hooks.original(CloudFormationBackend, "create_stack")

    def create_stack_of_a_deployment(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        with service.lock:
            deployment = service.pending.get((self.region_name, name))
        if deployment is None:
            return create_stack(self, name, *args, **kwargs)
        stack = DeployedStack(  # type: ignore[abstract]  # (moto instantiates its Stack so too)
            generate_stack_id(name, self.region_name, self.account_id), deployment, self
        )
        self.stacks[stack.stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.mark_creation_complete()
        return stack

    core.hooks.replace(CloudFormationBackend, "create_stack", create_stack_of_a_deployment)
