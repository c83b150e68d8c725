"""Standing a SAM template up on moto: one `Stack` per template deployment.

Each supported resource type has a provisioner that makes the real moto resource through
boto3 (so moto validates it as AWS would) and records what `Ref` and `Fn::GetAtt` return.
Types the local cloud cannot emulate are refused by name rather than skipped in silence.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from localcloud.errors import TemplateError, UnknownResourceError
from localcloud.runtime import FunctionSpec
from localcloud.template import (
    ACCOUNT_ID,
    Resolver,
    load_yaml,
    resolve_parameters,
    substitute_definition,
)

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

_LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _trust(service: str) -> str:
    doc = copy.deepcopy(_LAMBDA_TRUST)
    doc["Statement"][0]["Principal"]["Service"] = service
    return json.dumps(doc)


@dataclass
class Deployed:
    logical_id: str
    type: str
    ref: Any
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Stack:
    """One deployed template: its region, parameters and what each logical id became."""

    name: str
    region: str
    template_path: Path
    parameters: dict[str, Any]
    resources: dict[str, Deployed] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    # logical id (function, state machine, rule, rotation schedule) -> rule names it schedules
    schedules: dict[str, list[str]] = field(default_factory=dict)
    rotations: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> condition that was false

    def get(self, logical_id: str) -> Deployed:
        try:
            return self.resources[logical_id]
        except KeyError:
            if logical_id in self.skipped:
                raise UnknownResourceError(
                    f"{logical_id} is not deployed in stack {self.name} ({self.region}): "
                    f"its condition {self.skipped[logical_id]} is false"
                ) from None
            raise UnknownResourceError(
                f"no resource {logical_id!r} in stack {self.name} ({self.region}); "
                f"it has {sorted(self.resources)}"
            ) from None


def _references(node: Any) -> set[str]:
    """Logical ids a piece of template refers to (Ref, GetAtt, Sub)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= _references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value.split(".", 1)[0] if isinstance(value, str) else value[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                local = set(value[1]) if isinstance(value, list) else set()
                for expr in re.findall(r"\$\{([^}!][^}]*)\}", str(text)):
                    if expr not in local:
                        found.add(expr.split(".", 1)[0])
                if isinstance(value, list):
                    found |= _references(value[1])
            else:
                found |= _references(value)
    return found


def _merge_globals(global_props: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge, lists append (globals first), scalars are overridden."""
    merged = copy.deepcopy(global_props)
    for key, value in props.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_globals(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


def _physical_name(stack: str, logical_id: str, limit: int = 64) -> str:
    name = f"{stack}-{logical_id}"
    return name[:limit]


def _string(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class Deployer:
    """Creates one stack's resources in dependency order."""

    def __init__(self, cloud: LocalCloud, stack: Stack) -> None:
        self.cloud = cloud
        self.stack = stack
        self.template = load_yaml(stack.template_path)
        self.base_dir = stack.template_path.parent
        self.resolver = Resolver(
            parameters=stack.parameters,
            region=stack.region,
            stack_name=stack.name,
            lookup_ref=lambda lid: stack.get(lid).ref,
            lookup_att=self._get_att,
            condition_defs=self.template.get("Conditions") or {},
            mappings=self.template.get("Mappings") or {},
        )
        self.globals = self.template.get("Globals") or {}
        self.provisioners: dict[str, Callable[[str, dict[str, Any], dict[str, Any]], Deployed]] = {
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Serverless::StateMachine": self._state_machine,
            "AWS::Serverless::Application": self._refuse,
            "AWS::StepFunctions::StateMachine": self._cfn_state_machine,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::SNS::TopicPolicy": self._noop,
            "AWS::SQS::Queue": self._queue,
            "AWS::SQS::QueuePolicy": self._noop,
            "AWS::Events::Rule": self._rule,
            "AWS::Lambda::Permission": self._noop,
            "AWS::IAM::Role": self._iam_role,
            "AWS::IAM::Group": self._iam_group,
            "AWS::IAM::User": self._iam_user,
            "AWS::IAM::ManagedPolicy": self._iam_managed_policy,
            "AWS::IAM::Policy": self._noop,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::SecretsManager::RotationSchedule": self._rotation_schedule,
            "AWS::Budgets::Budget": self._budget,
            "AWS::DynamoDB::Table": self._table,
        }

    # ------------------------------------------------------------------ orchestration

    def deploy(self) -> None:
        resources: dict[str, Any] = self.template["Resources"]
        for logical_id, body in resources.items():
            if not isinstance(body, dict) or "Type" not in body:
                raise TemplateError(f"resource {logical_id} has no Type")
            if body["Type"] not in self.provisioners:
                raise TemplateError(
                    f"{logical_id}: the local cloud cannot emulate {body['Type']}; "
                    f"supported types are {sorted(self.provisioners)}"
                )
        for logical_id in self._order(resources):
            body = resources[logical_id]
            condition = body.get("Condition")
            if condition is not None and not self.resolver.condition(condition):
                self.stack.skipped[logical_id] = condition
                continue
            raw = body.get("Properties") or {}
            if body["Type"] == "AWS::Serverless::Function":
                raw = _merge_globals(self.globals.get("Function") or {}, raw)
            elif body["Type"] == "AWS::Serverless::StateMachine":
                raw = _merge_globals(self.globals.get("StateMachine") or {}, raw)
            events = raw.pop("Events", None) if isinstance(raw, dict) else None
            props = self.resolver.resolve(raw)
            deployed = self.provisioners[body["Type"]](logical_id, props, body)
            self.stack.resources[logical_id] = deployed
            for event_name, event in (events or {}).items():
                self._event_source(logical_id, deployed, event_name, event)
        for name, output in (self.template.get("Outputs") or {}).items():
            condition = output.get("Condition")
            if condition is None or self.resolver.condition(condition):
                self.stack.outputs[name] = self.resolver.resolve(output.get("Value"))

    def _order(self, resources: dict[str, Any]) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(lid: str, trail: tuple[str, ...]) -> None:
            if state.get(lid) == 2:
                return
            if state.get(lid) == 1:
                raise TemplateError(f"circular dependency: {' -> '.join((*trail, lid))}")
            state[lid] = 1
            body = resources[lid]
            depends = body.get("DependsOn") or []
            section = {
                "AWS::Serverless::Function": "Function",
                "AWS::Serverless::StateMachine": "StateMachine",
            }.get(body["Type"])
            inherited = (self.globals.get(section) or {}) if section else {}
            deps = _references([body.get("Properties") or {}, inherited]) | set(
                [depends] if isinstance(depends, str) else depends
            )
            for dep in sorted(deps):
                if dep in resources and dep != lid:
                    visit(dep, (*trail, lid))
                elif (
                    dep not in resources
                    and dep not in self.stack.parameters
                    and not dep.startswith("AWS::")
                ):
                    raise TemplateError(
                        f"{lid} refers to {dep!r}, which the template does not define"
                    )
            state[lid] = 2
            order.append(lid)

        for lid in resources:
            visit(lid, ())
        return order

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        deployed = self.stack.get(logical_id)
        if attribute not in deployed.attrs:
            raise TemplateError(
                f"Fn::GetAtt {logical_id}.{attribute}: {deployed.type} has {sorted(deployed.attrs)}"
            )
        return deployed.attrs[attribute]

    def _client(self, service: str) -> Any:
        return self.cloud.client(service, region=self.stack.region)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.stack.region}:{ACCOUNT_ID}:{resource}"

    def _role(self, logical_id: str, service: str, props: dict[str, Any]) -> str:
        if props.get("Role"):
            return str(props["Role"])
        name = _physical_name(self.stack.name, f"{logical_id}Role")
        iam = self._client("iam")
        try:
            return str(iam.get_role(RoleName=name)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            return str(
                iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"][
                    "Arn"
                ]
            )

    # ------------------------------------------------------------------ provisioners

    def _refuse(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        raise TemplateError(f"{logical_id}: {body['Type']} cannot run on the local cloud")

    def _noop(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        # Permissions and resource policies: moto does not enforce IAM, so nothing to create.
        return Deployed(logical_id, body["Type"], f"{self.stack.name}-{logical_id}")

    def _layer(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        content = self.base_dir / str(props["ContentUri"])
        if not content.is_dir():
            raise TemplateError(f"{logical_id}: ContentUri {content} is not a folder")
        name = str(props.get("LayerName") or _physical_name(self.stack.name, logical_id, 140))
        arn = self._arn("lambda", f"layer:{name}:1")
        self.cloud.layer_dirs[arn] = content
        return Deployed(logical_id, body["Type"], arn)

    def _function(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        if "CodeUri" not in props or "Handler" not in props:
            raise TemplateError(f"{logical_id}: a function needs CodeUri and Handler")
        code_dir = (self.base_dir / str(props["CodeUri"])).resolve()
        if not code_dir.is_dir():
            raise TemplateError(f"{logical_id}: CodeUri {code_dir} is not a folder")
        name = str(props.get("FunctionName") or _physical_name(self.stack.name, logical_id))
        env = {
            k: _string(v)
            for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
        }
        layer_dirs = []
        for layer in props.get("Layers") or []:
            if layer not in self.cloud.layer_dirs:
                raise TemplateError(f"{logical_id}: layer {layer} is not part of a deployed stack")
            layer_dirs.append(self.cloud.layer_dirs[layer])
        runtime = str(props.get("Runtime", "python3.13"))
        timeout = int(props.get("Timeout", 3))
        memory = int(props.get("MemorySize", 128))
        buffer = io.BytesIO()
        with zipfile.ZipFile(
            buffer, "w"
        ) as archive:  # moto stores code; the runtime reads the folder
            for source in sorted(code_dir.glob("*.py")):
                archive.write(source, source.name)
        created = self._client("lambda").create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self._role(logical_id, "lambda.amazonaws.com", props),
            Handler=str(props["Handler"]),
            Code={"ZipFile": buffer.getvalue()},
            Timeout=timeout,
            MemorySize=memory,
            Environment={"Variables": env},
            Architectures=[str(a) for a in props.get("Architectures", ["x86_64"])],
        )
        arn = created["FunctionArn"]
        retries = (props.get("EventInvokeConfig") or {}).get("MaximumRetryAttempts", 2)
        spec = FunctionSpec(
            name=name,
            arn=arn,
            region=self.stack.region,
            code_dir=code_dir,
            handler=str(props["Handler"]),
            runtime=runtime,
            timeout=timeout,
            memory=memory,
            environment=env,
            layer_dirs=layer_dirs,
        )
        self.stack.functions[logical_id] = spec
        self.cloud.register_function(spec, async_retries=int(retries))
        return Deployed(logical_id, body["Type"], name, {"Arn": arn})

    def _definition(self, logical_id: str, props: dict[str, Any]) -> str:
        if "Definition" in props:
            text = json.dumps(props["Definition"])
        elif "DefinitionUri" in props:
            path = self.base_dir / str(props["DefinitionUri"])
            if not path.exists():
                raise TemplateError(f"{logical_id}: DefinitionUri {path} does not exist")
            text = path.read_text(encoding="utf-8")
            if path.suffix in (".yaml", ".yml"):
                text = json.dumps(yaml.safe_load(text))
        else:
            raise TemplateError(f"{logical_id}: a state machine needs Definition or DefinitionUri")
        subs = props.get("DefinitionSubstitutions") or {}
        text = substitute_definition(text, subs, logical_id)
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"{logical_id}: definition is not valid JSON: {exc}") from exc
        return text

    def _create_state_machine(
        self, logical_id: str, name: str, definition: str, role: str, kind: str, body_type: str
    ) -> Deployed:
        created = self._client("stepfunctions").create_state_machine(
            name=name, definition=definition, roleArn=role, type=kind
        )
        arn = created["stateMachineArn"]
        return Deployed(logical_id, body_type, arn, {"Arn": arn, "Name": name})

    def _state_machine(
        self, logical_id: str, props: dict[str, Any], body: dict[str, Any]
    ) -> Deployed:
        name = str(props.get("Name") or _physical_name(self.stack.name, logical_id, 80))
        return self._create_state_machine(
            logical_id,
            name,
            self._definition(logical_id, props),
            self._role(logical_id, "states.amazonaws.com", props),
            str(props.get("Type", "STANDARD")),
            body["Type"],
        )

    def _cfn_state_machine(
        self, logical_id: str, props: dict[str, Any], body: dict[str, Any]
    ) -> Deployed:
        definition = props.get("DefinitionString") or json.dumps(props.get("Definition"))
        definition = substitute_definition(
            definition, props.get("DefinitionSubstitutions") or {}, logical_id
        )
        name = str(props.get("StateMachineName") or _physical_name(self.stack.name, logical_id, 80))
        return self._create_state_machine(
            logical_id,
            name,
            definition,
            str(props["RoleArn"]),
            str(props.get("StateMachineType", "STANDARD")),
            body["Type"],
        )

    def _topic(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(props.get("TopicName") or _physical_name(self.stack.name, logical_id, 256))
        attributes = {"FifoTopic": "true"} if props.get("FifoTopic") else {}
        sns = self._client("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for sub in props.get("Subscription") or []:
            sns.subscribe(TopicArn=arn, Protocol=sub["Protocol"], Endpoint=sub["Endpoint"])
        return Deployed(logical_id, body["Type"], arn, {"TopicArn": arn, "TopicName": name})

    def _subscription(
        self, logical_id: str, props: dict[str, Any], body: dict[str, Any]
    ) -> Deployed:
        attributes = {}
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
        if "FilterPolicyScope" in props:
            attributes["FilterPolicyScope"] = str(props["FilterPolicyScope"])
        if "RawMessageDelivery" in props:
            attributes["RawMessageDelivery"] = _string(props["RawMessageDelivery"])
        arn = self._client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props["Endpoint"],
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return Deployed(logical_id, body["Type"], arn, {"Arn": arn})

    def _queue(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(props.get("QueueName") or _physical_name(self.stack.name, logical_id, 80))
        attributes = {
            k: _string(v)
            for k, v in props.items()
            if k
            in (
                "VisibilityTimeout",
                "MessageRetentionPeriod",
                "FifoQueue",
                "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds",
                "MaximumMessageSize",
            )
        }
        if "RedrivePolicy" in props:  # an object in CloudFormation, a JSON string in the API
            policy = props["RedrivePolicy"]
            attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        url = self._client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self._arn("sqs", name)
        return Deployed(
            logical_id, body["Type"], url, {"Arn": arn, "QueueName": name, "QueueUrl": url}
        )

    def _table(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(props.get("TableName") or _physical_name(self.stack.name, logical_id, 255))
        dynamodb = self._client("dynamodb")
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": str(props.get("BillingMode", "PROVISIONED")),
        }
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = {
                k: int(v) for k, v in props["ProvisionedThroughput"].items()
            }
        table = dynamodb.create_table(**kwargs)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled") in (True, "true"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        return Deployed(logical_id, body["Type"], name, {"Arn": table["TableArn"]})

    def _put_rule(
        self,
        logical_id: str,
        name: str,
        pattern: Any,
        schedule: Any,
        state: str,
        bus: str | None,
        targets: list[dict[str, Any]],
    ) -> Deployed:
        events = self._client("events")
        kwargs: dict[str, Any] = {"Name": name, "State": state}
        if pattern is not None:
            kwargs["EventPattern"] = json.dumps(pattern)
        if schedule is not None:
            kwargs["ScheduleExpression"] = str(schedule)
        if bus:
            kwargs["EventBusName"] = bus
        arn = events.put_rule(**kwargs)["RuleArn"]
        if targets:
            put: dict[str, Any] = {"Rule": name, "Targets": targets}
            if bus:
                put["EventBusName"] = bus
            events.put_targets(**put)
        return Deployed(logical_id, "AWS::Events::Rule", name, {"Arn": arn})

    def _rule(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(props.get("Name") or _physical_name(self.stack.name, logical_id))
        targets = [
            {
                k: (json.dumps(v) if k == "Input" and not isinstance(v, str) else v)
                for k, v in t.items()
                if k in ("Id", "Arn", "Input", "InputPath", "InputTransformer", "RoleArn")
            }
            for t in props.get("Targets") or []
        ]
        deployed = self._put_rule(
            logical_id,
            name,
            props.get("EventPattern"),
            props.get("ScheduleExpression"),
            str(props.get("State", "ENABLED")),
            props.get("EventBusName"),
            targets,
        )
        if props.get("ScheduleExpression"):
            self.stack.schedules.setdefault(logical_id, []).append(name)
            # fire_schedule also accepts the function or state machine the rule targets.
            for target in targets:
                for owner, resource in self.stack.resources.items():
                    if target["Arn"] in (resource.ref, resource.attrs.get("Arn")):
                        self.stack.schedules.setdefault(owner, []).append(name)
        return deployed

    def _event_source(
        self, owner: str, deployed: Deployed, event_name: str, event: dict[str, Any]
    ) -> None:
        """SAM's Events on a function or state machine, made into the resources SAM generates."""
        kind = event.get("Type")
        props = self.resolver.resolve(event.get("Properties") or {})
        target_arn = deployed.attrs["Arn"]
        generated_id = f"{owner}{event_name}"
        if kind in ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent"):
            target: dict[str, Any] = {
                "Id": str((props.get("Target") or {}).get("Id") or f"{owner}Target"),
                "Arn": target_arn,
            }
            for key in ("Input", "InputPath", "InputTransformer"):
                if key in props:
                    target[key] = props[key]
            schedule = props.get("Schedule") or props.get("ScheduleExpression")
            enabled = props.get("Enabled", True)
            state = str(
                props.get("State") or ("ENABLED" if enabled in (True, "true") else "DISABLED")
            )
            name = str(props.get("Name") or _physical_name(self.stack.name, generated_id))
            rule = self._put_rule(
                generated_id,
                name,
                props.get("Pattern"),
                schedule,
                state,
                props.get("EventBusName"),
                [target],
            )
            self.stack.resources[generated_id] = rule
            if schedule is not None:
                self.stack.schedules.setdefault(owner, []).append(name)
                self.stack.schedules.setdefault(generated_id, []).append(name)
        elif kind == "SNS":
            attributes = {}
            if "FilterPolicy" in props:
                attributes["FilterPolicy"] = json.dumps(props["FilterPolicy"])
            if "FilterPolicyScope" in props:
                attributes["FilterPolicyScope"] = str(props["FilterPolicyScope"])
            arn = self._client("sns").subscribe(
                TopicArn=props["Topic"],
                Protocol="lambda",
                Endpoint=target_arn,
                Attributes=attributes,
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
            self.stack.resources[generated_id] = Deployed(
                generated_id, "AWS::SNS::Subscription", arn, {"Arn": arn}
            )
        elif kind == "SQS":
            spec: dict[str, Any] = {
                "EventSourceArn": props["Queue"],
                "FunctionName": target_arn,
                "BatchSize": int(props.get("BatchSize", 10)),
                "Enabled": props.get("Enabled", True) in (True, "true"),
            }
            for key in ("FunctionResponseTypes", "MaximumBatchingWindowInSeconds"):
                if key in props:
                    spec[key] = props[key]
            mapping = self._client("lambda").create_event_source_mapping(**spec)
            self.stack.resources[generated_id] = Deployed(
                generated_id, "AWS::Lambda::EventSourceMapping", mapping["UUID"], {}
            )
        else:
            raise TemplateError(
                f"{owner}: event source {event_name} of Type {kind} is not supported"
            )

    def _iam_role(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        iam = self._client("iam")
        name = str(props.get("RoleName") or _physical_name(self.stack.name, logical_id))
        role = iam.create_role(
            RoleName=name,
            Path=str(props.get("Path", "/")),
            AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
        )["Role"]
        for arn in props.get("ManagedPolicyArns") or []:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for policy in props.get("Policies") or []:
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        return Deployed(
            logical_id, body["Type"], name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}
        )

    def _iam_group(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        iam = self._client("iam")
        name = str(props.get("GroupName") or _physical_name(self.stack.name, logical_id, 128))
        group = iam.create_group(GroupName=name, Path=str(props.get("Path", "/")))["Group"]
        for arn in props.get("ManagedPolicyArns") or []:
            iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        return Deployed(logical_id, body["Type"], name, {"Arn": group["Arn"]})

    def _iam_user(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        iam = self._client("iam")
        name = str(props.get("UserName") or _physical_name(self.stack.name, logical_id))
        user = iam.create_user(UserName=name, Path=str(props.get("Path", "/")))["User"]
        for arn in props.get("ManagedPolicyArns") or []:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        for group in props.get("Groups") or []:
            iam.add_user_to_group(GroupName=group, UserName=name)
        return Deployed(logical_id, body["Type"], name, {"Arn": user["Arn"]})

    def _iam_managed_policy(
        self, logical_id: str, props: dict[str, Any], body: dict[str, Any]
    ) -> Deployed:
        iam = self._client("iam")
        name = str(
            props.get("ManagedPolicyName") or _physical_name(self.stack.name, logical_id, 128)
        )
        arn = iam.create_policy(
            PolicyName=name, PolicyDocument=json.dumps(props["PolicyDocument"])
        )["Policy"]["Arn"]
        for kind, targets in (("group", "Groups"), ("role", "Roles"), ("user", "Users")):
            for target in props.get(targets) or []:
                getattr(iam, f"attach_{kind}_policy")(
                    **{f"{kind.capitalize()}Name": target, "PolicyArn": arn}
                )
        return Deployed(logical_id, body["Type"], arn, {"PolicyArn": arn})

    def _log_group(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(props.get("LogGroupName") or _physical_name(self.stack.name, logical_id, 512))
        self._client("logs").create_log_group(logGroupName=name)
        return Deployed(
            logical_id, body["Type"], name, {"Arn": self._arn("logs", f"log-group:{name}:*")}
        )

    def _bucket(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        name = str(
            props.get("BucketName") or _physical_name(self.stack.name, logical_id, 63).lower()
        )
        s3 = self._client("s3")
        if self.stack.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.stack.region}
            )
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return Deployed(
            logical_id,
            body["Type"],
            name,
            {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"},
        )

    def _secret(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        sm = self._client("secretsmanager")
        name = str(props.get("Name") or _physical_name(self.stack.name, logical_id, 512))
        kwargs: dict[str, Any] = {"Name": name}
        if "Description" in props:
            kwargs["Description"] = str(props["Description"])
        if "SecretString" in props:
            kwargs["SecretString"] = str(props["SecretString"])
        elif "GenerateSecretString" in props:
            gen = props["GenerateSecretString"]
            password = sm.get_random_password(
                PasswordLength=int(gen.get("PasswordLength", 32)),
                ExcludeCharacters=str(gen.get("ExcludeCharacters", "")),
            )["RandomPassword"]
            if "SecretStringTemplate" in gen:
                document = json.loads(gen["SecretStringTemplate"])
                document[gen["GenerateStringKey"]] = password
                kwargs["SecretString"] = json.dumps(document)
            else:
                kwargs["SecretString"] = password
        arn = sm.create_secret(**kwargs)["ARN"]
        return Deployed(logical_id, body["Type"], arn, {"Id": arn})

    def _rotation_schedule(
        self, logical_id: str, props: dict[str, Any], body: dict[str, Any]
    ) -> Deployed:
        secret_id = str(props["SecretId"])
        lambda_arn = str(props.get("RotationLambdaARN", ""))
        if not lambda_arn:
            raise TemplateError(
                f"{logical_id}: only Lambda rotation (RotationLambdaARN) is supported"
            )
        rules = props.get("RotationRules") or {}
        self.stack.rotations[logical_id] = {
            "SecretId": secret_id,
            "RotationLambdaARN": lambda_arn,
            "RotationRules": rules,
        }
        self.stack.schedules.setdefault(logical_id, [])
        # As CloudFormation does by default (RotateImmediatelyOnUpdate), rotate once now;
        # otherwise only configure rotation, so that a later RotateSecret needs no ARN.
        if props.get("RotateImmediatelyOnUpdate", True) not in (False, "false"):
            self.cloud.rotate_secret(secret_id, lambda_arn, rules, region=self.stack.region)
        else:
            from moto.secretsmanager.models import secretsmanager_backends

            secret = secretsmanager_backends[ACCOUNT_ID][self.stack.region].secrets[secret_id]
            secret.rotation_lambda_arn = lambda_arn
            secret.rotation_enabled = secret.rotation_requested = True
        return Deployed(logical_id, body["Type"], f"{secret_id}|rotation")

    def _budget(self, logical_id: str, props: dict[str, Any], body: dict[str, Any]) -> Deployed:
        budget = props["Budget"]
        name = str(budget.get("BudgetName") or _physical_name(self.stack.name, logical_id, 100))
        budget = {**budget, "BudgetName": name}
        if "BudgetLimit" in budget:  # CloudFormation takes numbers; the API wants a string
            budget["BudgetLimit"] = {
                **budget["BudgetLimit"],
                "Amount": str(budget["BudgetLimit"]["Amount"]),
            }
        notifications = [
            {
                **n,
                "Notification": {
                    **n["Notification"],
                    "Threshold": float(n["Notification"]["Threshold"]),
                },
            }
            for n in props.get("NotificationsWithSubscribers") or []
        ]
        self._client("budgets").create_budget(
            AccountId=ACCOUNT_ID, Budget=budget, NotificationsWithSubscribers=notifications
        )
        return Deployed(logical_id, body["Type"], name)


def new_stack(template_path: Path, name: str, region: str, overrides: dict[str, Any]) -> Stack:
    template = load_yaml(template_path)
    return Stack(
        name=name,
        region=region,
        template_path=template_path,
        parameters=resolve_parameters(template, overrides),
    )
