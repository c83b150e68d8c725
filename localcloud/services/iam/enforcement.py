"""Every call evaluated against its caller's IAM policies, as AWS evaluates it.

The caller is who its credentials say: the local cloud's own `testing` credentials (tests, a
user's aws CLI) are an administrator and are not evaluated; a function's calls carry the
temporary credentials Lambda got for its role (STS AssumeRole); an IAM user's access key is
that user. Each call becomes the actions, resources and context IAM evaluates
(`permissions`), decided by `evaluation` over the principal's inline and managed policies
(and a user's groups' policies). A denied call gets the error the service returns; every
denial is logged with who, what, on which resource and why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from localcloud.core import Core
from localcloud.core.calls import ApiCall, Refusal, authorize_with, observe
from localcloud.errors import LocalCloudError
from localcloud.services.iam import permissions
from localcloud.services.iam.conditions import ConditionError
from localcloud.services.iam.evaluation import Decision, Request, Statement, evaluate, statements

LOG = logging.getLogger("localcloud.iam")
Mode = Literal["enforce", "warn", "off"]

# The local cloud's own credentials, and those moto's mock puts in the environment while it
# runs (what a test's boto3 clients sign with): the account's administrator.
ADMIN_KEYS = frozenset({"testing", "FOOBARKEY"})
# Condition keys the local cloud supplies (a prefix ends with "/"): others are an error.
KNOWN_KEYS = frozenset(
    {
        "aws:ResourceTag/",
        "aws:RequestTag/",
        "aws:TagKeys",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalType",
        "aws:username",
        "aws:userid",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:SourceArn",
        "aws:TokenIssueTime",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:ViaAWSService",
        "iam:PolicyARN",
        "ec2:CreateAction",
        "cloudwatch:namespace",
        "kms:ViaService",
        "kms:CallerAccount",
        "kms:GrantIsForAWSResource",
        "iam:PassedToService",
    }
)

# The error each service answers a denied call with (code, HTTP status).
ERRORS: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "sqs": ("AccessDenied", 403),
    "cloudwatch": ("AccessDenied", 403),
    "ec2": ("UnauthorizedOperation", 403),
    "sns": ("AuthorizationError", 403),
    "lambda": ("AccessDeniedException", 403),
}
DEFAULT_ERROR = ("AccessDeniedException", 400)
# Why a KMS key denied a principal that IAM may allow: its key policy neither allows the
# principal nor leaves the key to IAM.
KEY_POLICY_DENIES = "the key policy neither allows it nor leaves the key to IAM"


class IamEvaluationError(LocalCloudError):
    """The local cloud cannot decide a call (a condition key or operator it cannot evaluate)."""


@dataclass(frozen=True)
class Principal:
    arn: str  # as AWS names the caller in an error: assumed-role/…/session or user/…
    kind: Literal["role", "user"]
    name: str
    account: str
    identity_arn: str = ""  # the role's or user's own ARN, as a resource policy names it
    issued: float | None = None  # when temporary credentials were issued (local cloud time)


@dataclass(frozen=True)
class Denial:
    principal: str
    action: str
    resource: str
    reason: str
    statement: str | None


@dataclass
class Authorizer:
    core: Core
    mode: Mode = "enforce"
    denials: list[Denial] = field(default_factory=list)
    exercised: set[tuple[str, int]] = field(default_factory=set)
    _policies: dict[tuple[str, str], list[Statement]] = field(default_factory=dict)
    # access key id of temporary credentials -> when STS issued them, on the local cloud's clock
    _issued: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ who is calling

    def principal(self, access_key: str) -> Principal | None:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        account = self.core.account_id
        assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role = assumed.role_arn.rsplit("/", 1)[-1]
            return Principal(
                f"arn:aws:sts::{account}:assumed-role/{role}/{assumed.session_name}",
                "role",
                role,
                account,
                assumed.role_arn,
                self._issued.get(access_key),
            )
        key = iam_backends[account]["aws"].access_keys.get(access_key)
        # (A temporary key that no assumed role holds names no user: not a principal.)
        if key is not None and key.user_name is not None:
            user = iam_backends[account]["aws"].get_user(key.user_name)
            return Principal(user.arn, "user", user.name, account, user.arn)
        return None

    # ------------------------------------------------------------------ their policies

    def _documents(self, kind: str, name: str) -> list[Statement]:
        iam = self.core.clients("iam")
        noun = kind.capitalize()
        found: list[Statement] = []
        for policy in getattr(iam, f"list_{kind}_policies")(**{f"{noun}Name": name})["PolicyNames"]:
            document = getattr(iam, f"get_{kind}_policy")(
                **{f"{noun}Name": name, "PolicyName": policy}
            )["PolicyDocument"]
            found += statements(f"{kind}/{name} inline {policy}", document)
        attached = getattr(iam, f"list_attached_{kind}_policies")(**{f"{noun}Name": name})
        for policy in attached["AttachedPolicies"]:
            arn = policy["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
                "Document"
            ]
            found += statements(arn, document)
        return found

    def identity_statements(self, principal: Principal) -> list[Statement]:
        key = (principal.kind, principal.name)
        with self._lock:
            cached = self._policies.get(key)
        if cached is not None:
            return cached
        found = self._documents(principal.kind, principal.name)
        if principal.kind == "user":
            iam = self.core.clients("iam")
            for group in iam.list_groups_for_user(UserName=principal.name)["Groups"]:
                found += self._documents("group", group["GroupName"])
        with self._lock:
            self._policies[key] = found
        return found

    def forget_policies(self, call: ApiCall) -> None:
        """Any change to IAM may change someone's policies: read them afresh next time."""
        if call.service == "iam" and not call.operation.startswith(("Get", "List")):
            with self._lock:
                self._policies.clear()

    # ------------------------------------------------------------------ lookups for the table

    def iam_arn(self, kind: str, name: str) -> str:
        iam = self.core.clients("iam")
        try:
            noun = kind.capitalize()
            return str(getattr(iam, f"get_{kind}")(**{f"{noun}Name": name})[noun]["Arn"])
        except iam.exceptions.NoSuchEntityException:
            return f"arn:aws:iam::{self.core.account_id}:{kind}/{name}"

    def secret_arn(self, region: str, secret_id: str) -> str:
        if secret_id.startswith("arn:"):
            return secret_id
        sm = self.core.clients("secretsmanager", region)
        try:
            return str(sm.describe_secret(SecretId=secret_id)["ARN"])
        except sm.exceptions.ResourceNotFoundException:
            return f"arn:aws:secretsmanager:{region}:{self.core.account_id}:secret:{secret_id}"

    def snapshot_tags(self, region: str, snapshot_id: str) -> dict[str, str] | None:
        ec2 = self.core.clients("ec2", region)
        try:
            [snapshot] = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except ec2.exceptions.ClientError:
            return None
        return {t["Key"]: t["Value"] for t in snapshot.get("Tags") or []}

    def instance_tags(self, region: str, instance_id: str) -> dict[str, str] | None:
        ec2 = self.core.clients("ec2", region)
        try:
            reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ec2.exceptions.ClientError:
            return None
        for reservation in reservations:
            for instance in reservation.get("Instances", []):
                return {t["Key"]: t["Value"] for t in instance.get("Tags") or []}
        return None

    def snapshot_kms_key(self, region: str, snapshot_id: str) -> str | None:
        ec2 = self.core.clients("ec2", region)
        try:
            [snapshot] = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except ec2.exceptions.ClientError:
            return None
        if not snapshot.get("Encrypted"):
            return None
        return self.kms_key_arn(region, str(snapshot.get("KmsKeyId") or "alias/aws/ebs"))

    def kms_key_arn(self, region: str, key: str) -> str:
        """A key id, alias or ARN as the key's ARN (what IAM evaluates kms: actions on)."""
        if key.startswith("arn:") and ":key/" in key:
            return key
        kms = self.core.clients("kms", key.split(":")[3] if key.startswith("arn:") else region)
        try:
            return str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
        except kms.exceptions.NotFoundException:
            return f"arn:aws:kms:{region}:{self.core.account_id}:key/{key}"

    def existing_kms_key(self, region: str, key: str) -> str | None:
        """The ARN of the key a key id, alias or ARN names; None if there is no such key."""
        if key.startswith("arn:"):
            region = key.split(":")[3]
        kms = self.core.clients("kms", region)
        try:
            return str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])
        except kms.exceptions.NotFoundException:
            return None

    def topic_kms_key(self, topic_arn: str) -> str | None:
        """The KmsMasterKeyId of an encrypted topic, as the topic names it; None if the topic
        is not encrypted (or does not exist: SNS answers for that itself)."""
        sns = self.core.clients.for_arn("sns", topic_arn)
        try:
            attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        except (sns.exceptions.NotFoundException, sns.exceptions.InvalidParameterException):
            return None  # no such topic, or a platform endpoint's ARN (TargetArn)
        return str(attributes.get("KmsMasterKeyId") or "") or None

    def _s3(self, bucket: str) -> tuple[Any, str]:
        s3 = self.core.clients("s3")
        region = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        return self.core.clients("s3", region), region

    def object_kms_key(self, bucket: str, key: str, version: str | None) -> str | None:
        s3, region = self._s3(bucket)
        try:
            head = s3.head_object(
                Bucket=bucket, Key=key, **({"VersionId": version} if version else {})
            )
        except s3.exceptions.ClientError:
            return None  # S3 answers for a missing object itself
        if not str(head.get("ServerSideEncryption", "")).startswith("aws:kms"):
            return None
        return self.kms_key_arn(region, str(head.get("SSEKMSKeyId") or "alias/aws/s3"))

    def object_missing(self, bucket: str, key: str, version: str | None) -> bool:
        """Whether S3 would answer 404 for the object (a bucket that is missing too counts
        as not: S3 answers NoSuchBucket for it itself)."""
        try:
            s3, _ = self._s3(bucket)
            s3.head_object(Bucket=bucket, Key=key, **({"VersionId": version} if version else {}))
        except self.core.clients("s3").exceptions.ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return bool(status == 404) and self._bucket_exists(bucket)
        return False

    def _bucket_exists(self, bucket: str) -> bool:
        try:
            s3, _ = self._s3(bucket)
            s3.head_bucket(Bucket=bucket)
        except self.core.clients("s3").exceptions.ClientError:
            return False
        return True

    def bucket_kms_key(self, bucket: str) -> str | None:
        try:
            s3, region = self._s3(bucket)
            rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
                "Rules"
            ]
        except self.core.clients("s3").exceptions.ClientError:
            return None
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
                return self.kms_key_arn(
                    region, str(default.get("KMSMasterKeyID") or "alias/aws/s3")
                )
        return None

    # ------------------------------------------------------------------ the decision

    def decide(
        self, call: ApiCall, principal: Principal
    ) -> tuple[permissions.Need, Decision] | None:
        """The first need the principal is denied, with the decision; None if all are allowed."""
        region = call.region or "us-east-1"
        identity = self.identity_statements(principal)
        for need in permissions.needs(call, region, principal.account, self):
            context: dict[str, Any] = {
                "aws:PrincipalArn": principal.arn,
                "aws:PrincipalAccount": principal.account,
                "aws:PrincipalType": "AssumedRole" if principal.kind == "role" else "User",
                "aws:RequestedRegion": region,
                "aws:SecureTransport": True,
                "aws:CurrentTime": datetime.fromtimestamp(self.core.clock.wall(), UTC),
                "aws:EpochTime": int(self.core.clock.wall()),
                "aws:ViaAWSService": bool(need.context.get("kms:ViaService")),
                **need.context,
            }
            if principal.kind == "user":
                context["aws:username"] = principal.name
            if principal.issued is not None:
                # "The date and time that temporary security credentials were issued"; a
                # request signed with long-term credentials has no such key.
                context["aws:TokenIssueTime"] = datetime.fromtimestamp(principal.issued, UTC)
            request = Request(principal.arn, need.action, need.resource, context, KNOWN_KEYS)
            try:
                if need.action.startswith("kms:") and ":key/" in need.resource:
                    decision = self._kms_decision(request, identity, principal)
                else:
                    decision = evaluate(request, identity)
            except ConditionError as exc:
                raise IamEvaluationError(
                    f"{principal.arn} calling {call.service}:{call.operation}: {exc}"
                ) from exc
            if decision.statement is not None:
                with self._lock:
                    self.exercised.add((decision.statement.policy, decision.statement.index))
            if not decision.allowed:
                return need, decision
        return None

    def _kms_decision(
        self, request: Request, identity: list[Statement], principal: Principal
    ) -> Decision:
        """KMS's rule: "No AWS principal has any permissions to a KMS key unless that
        permission is explicitly allowed in a key policy"; IAM policies count only where the
        key policy allows the account (its root) and so leaves the key to IAM."""
        kms = self.core.clients.for_arn("kms", request.resource)
        try:
            document = kms.get_key_policy(KeyId=request.resource, PolicyName="default")["Policy"]
        except kms.exceptions.NotFoundException:
            return Decision(False, "the key does not exist")
        key_id = request.resource.rsplit("/", 1)[-1]
        key_policy = statements(f"key {key_id} policy", document)
        root = f"arn:aws:iam::{principal.account}:root"

        def names_only_the_account(statement: Statement) -> bool:
            element = statement.body.get("Principal")
            values = element.get("AWS") if isinstance(element, Mapping) else None
            listed = values if isinstance(values, list) else [values]
            return values is not None and all(v in (root, principal.account) for v in listed)

        delegating = [s for s in key_policy if names_only_the_account(s)]
        direct = [s for s in key_policy if not names_only_the_account(s)]
        named = replace(request, principal=principal.identity_arn)
        everything = evaluate(named, identity, key_policy)
        if not everything.allowed and everything.statement is not None:
            return everything  # an explicit deny, in IAM or in the key policy
        granted = evaluate(named, [], direct)
        if granted.allowed:
            return granted  # the key policy allows the principal itself
        if evaluate(replace(named, principal=root), [], delegating).allowed:
            return evaluate(named, identity)  # the key policy leaves the key to IAM
        return Decision(False, KEY_POLICY_DENIES)

    def _managed_rules(self, call: ApiCall) -> Refusal | None:
        """Whether the machine's role may create the rules its `.sync` tasks wait on, which
        Step Functions checks at CreateStateMachine and UpdateStateMachine, whoever calls."""
        region = call.region or "us-east-1"
        role, definition = call.params.get("roleArn"), call.params.get("definition")
        if call.operation == "UpdateStateMachine" and (role is None or definition is None):
            sfn = self.core.clients("stepfunctions", region)
            current = sfn.describe_state_machine(stateMachineArn=call.params["stateMachineArn"])
            role, definition = role or current["roleArn"], definition or current["definition"]
        if not role or not definition:
            return None
        try:
            needs = permissions.managed_rule_needs(str(definition), region, self.core.account_id)
        except permissions.UnknownManagedRule as exc:
            raise IamEvaluationError(str(exc)) from exc
        except ValueError:
            return None  # not JSON: Step Functions answers InvalidDefinition
        name = str(role).rsplit("/", 1)[-1]
        principal = Principal(str(role), "role", name, self.core.account_id, str(role))
        identity = self.identity_statements(principal)
        for need in needs:
            request = Request(str(role), need.action, need.resource, {}, KNOWN_KEYS)
            decision = evaluate(request, identity)
            if decision.statement is not None:
                with self._lock:
                    self.exercised.add((decision.statement.policy, decision.statement.index))
            if decision.allowed:
                continue
            message = f"'{role}' is not authorized to create managed-rule."
            self.denials.append(
                Denial(
                    str(role),
                    need.action,
                    need.resource,
                    decision.reason,
                    str(decision.statement) if decision.statement else None,
                )
            )
            LOG.warning("IAM %s: %s", "denied" if self.mode == "enforce" else "would deny", message)
            return None if self.mode == "warn" else Refusal(400, "AccessDeniedException", message)
        return None

    def __call__(self, call: ApiCall) -> Refusal | None:
        key = call.access_key or ""
        if self.mode == "off":
            return None
        if call.service == "stepfunctions" and call.operation in (
            "CreateStateMachine",
            "UpdateStateMachine",
        ):
            refused = self._managed_rules(call)
            if refused is not None:
                return refused
        if key in ADMIN_KEYS:
            return None
        principal = self.principal(key)
        if principal is None:
            return Refusal(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        denied = self.decide(call, principal)
        if denied is None:
            return None
        need, decision = denied
        # "When the policy implicitly denies access, then AWS includes the phrase because no
        # type policy allows the action action in the access denied error message" (IAM User
        # Guide, "Troubleshoot access denied error messages"): a KMS key's policy is the
        # key's resource-based policy.
        kind = "resource-based" if decision.reason == KEY_POLICY_DENIES else "identity-based"
        why = (
            f"with an explicit deny in {decision.statement}"
            if decision.statement is not None
            else f"because no {kind} policy allows the {need.action} action"
        )
        message = (
            f"User: {principal.arn} is not authorized to perform: {need.action} on resource: "
            f"{need.resource} {why}"
        )
        self.denials.append(
            Denial(
                principal.arn,
                need.action,
                need.resource,
                decision.reason,
                str(decision.statement) if decision.statement else None,
            )
        )
        LOG.warning("IAM %s: %s", "denied" if self.mode == "enforce" else "would deny", message)
        if self.mode == "warn":
            return None
        code, status = ERRORS.get(call.service, DEFAULT_ERROR)
        if call.service == "sns" and need.action.startswith("kms:"):
            # SNS answers a publisher it could not use the topic's key for with
            # KMSAccessDenied (400): "The ciphertext references a key that doesn't exist or
            # that you don't have access to" (API reference, Publish, Errors).
            code, status = "KMSAccessDenied", 400
        return Refusal(status, code, message)

    def _by_resource_policy(
        self,
        service: str,
        action: str,
        resource: str,
        label: str,
        document: Any,
        context: Mapping[str, str | None],
    ) -> Decision:
        """A service's call decided by the resource's own policy (the caller is the service
        principal, which has no identity policies), recorded and logged like any call."""
        request = Request(
            service, action, resource, {k: v for k, v in context.items() if v}, KNOWN_KEYS
        )
        decision = evaluate(request, [], statements(label, document or "{}"))
        if decision.statement is not None:
            with self._lock:
                self.exercised.add((decision.statement.policy, decision.statement.index))
        if not decision.allowed:
            self.denials.append(Denial(service, action, resource, decision.reason, None))
            LOG.warning(
                "IAM %s: %s may not %s on %s (%s)",
                "denied" if self.mode == "enforce" else "would deny",
                service,
                action,
                resource,
                label,
            )
        return decision

    def service_may_invoke(
        self,
        function_arn: str,
        service: str,
        *,
        source_arn: str | None = None,
        source_account: str | None = None,
    ) -> bool:
        """Whether a service (sns.amazonaws.com, events.amazonaws.com, …) may invoke the
        function, by the function's resource policy, as Lambda decides a service's call."""
        if self.mode == "off":
            return True
        lambda_ = self.core.clients.for_arn("lambda", function_arn)
        try:
            document = lambda_.get_policy(FunctionName=function_arn)["Policy"]
        except lambda_.exceptions.ResourceNotFoundException:
            document = None  # no resource policy: no service may invoke it
        name = function_arn.rsplit(":", 1)[-1]
        decision = self._by_resource_policy(
            service,
            "lambda:InvokeFunction",
            function_arn,
            f"function {name} resource policy",
            document,
            {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account},
        )
        return decision.allowed or self.mode == "warn"

    def service_may_publish(
        self, topic_arn: str, service: str, *, source_arn: str | None, source_account: str
    ) -> Decision:
        """A service publishing to a topic (Budgets, CloudWatch alarms), by the topic's
        access policy, as SNS decides it."""
        sns = self.core.clients.for_arn("sns", topic_arn)
        attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        # AWS:SourceOwner is SNS's older name for the source's account, the key of the default
        # topic policy (which lets the account's own services, CloudWatch alarms among them,
        # publish).
        context = {
            "aws:SourceArn": source_arn,
            "aws:SourceAccount": source_account,
            "aws:SourceOwner": source_account,
        }
        decision = self._by_resource_policy(
            service,
            "sns:Publish",
            topic_arn,
            f"topic {topic_arn.rsplit(':', 1)[-1]} policy",
            attributes.get("Policy"),
            context,
        )
        key = attributes.get("KmsMasterKeyId")
        if not decision.allowed or not key:
            return decision
        return self._service_may_use_topic_key(topic_arn, str(key), service, context)

    def _service_may_use_topic_key(
        self, topic_arn: str, key: str, service: str, context: Mapping[str, str | None]
    ) -> Decision:
        """An encrypted topic takes a service's message only if the service may use its key:
        "To allow the AWS service to have the kms:GenerateDataKey* and kms:Decrypt
        permissions, add the following statement to the KMS policy" (SNS Developer Guide,
        "Enable compatibility between event sources from AWS services and encrypted topics",
        https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)."""
        # SNS encrypts with the topic's ARN as encryption context: the GameLift guide's key
        # policy for an encrypted topic conditions on "kms:EncryptionContext:aws:sns:topicArn"
        # ("Set up an SNS topic with server-side encryption").
        keyed = {**context, "kms:EncryptionContext:aws:sns:topicArn": topic_arn}
        return self.service_may_use_key(
            topic_arn.split(":")[3], key, service, keyed, encrypting=f"the topic {topic_arn}"
        )

    def service_may_use_key(
        self,
        region: str,
        key: str,
        service: str,
        context: Mapping[str, str | None],
        *,
        encrypting: str,
    ) -> Decision:
        """Whether a service principal may use a key for what it encrypts (kms:GenerateDataKey
        and kms:Decrypt). A service principal has no IAM policies, so only the key policy can
        allow it; and "you cannot change any properties of AWS managed keys, rotate them,
        change their key policies, or schedule them for deletion" (KMS Developer Guide, "AWS
        managed keys"), so no service may use an AWS managed key."""
        from localcloud.services.kms import is_aws_managed

        if is_aws_managed(key):
            reason = (
                f"{encrypting} is encrypted with the AWS managed key {key}, whose key policy "
                "cannot allow a service principal; event sources need a customer managed key"
            )
            self.denials.append(Denial(service, "kms:GenerateDataKey", key, reason, None))
            LOG.warning(
                "IAM %s: %s may not use %s: %s",
                "denied" if self.mode == "enforce" else "would deny",
                service,
                key,
                reason,
            )
            return Decision(False, reason)
        arn = self.existing_kms_key(region, key)
        if arn is None:
            return Decision(False, f"the key {key} of {encrypting} does not exist")
        kms = self.core.clients.for_arn("kms", arn)
        document = kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
        decision = Decision(False, "no action")
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            decision = self._by_resource_policy(
                service, action, arn, f"key {arn.rsplit('/', 1)[-1]} policy", document, context
            )
            if not decision.allowed:
                return replace(
                    decision, reason=f"{decision.reason}: the policy of key {arn} for {action}"
                )
        return decision

    def service_may_send(self, queue_arn: str, service: str, *, source_arn: str) -> bool:
        """Whether a service (SNS for a subscription, EventBridge for a target) may send to
        the queue, by the queue's policy, as SQS decides it."""
        if self.mode == "off":
            return True
        _, _, _, region, account, name = queue_arn.split(":")
        sqs = self.core.clients("sqs", region)
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["Policy", "KmsMasterKeyId"]
        ).get("Attributes", {})
        decision = self._by_resource_policy(
            service,
            "sqs:SendMessage",
            queue_arn,
            f"queue {name} policy",
            attributes.get("Policy"),
            {"aws:SourceArn": source_arn},
        )
        if decision.allowed and attributes.get("KmsMasterKeyId"):
            # "Several AWS services act as event sources that can send events to Amazon SQS
            # queues. To allow these event sources to work with encrypted queues, you must
            # create a customer managed CMK and add permissions in the key policy for the
            # service to use the required AWS KMS API methods" (SQS Developer Guide, "Key
            # management", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
            decision = self.service_may_use_key(
                region,
                str(attributes["KmsMasterKeyId"]),
                service,
                {"aws:SourceArn": source_arn},
                encrypting=f"the queue {queue_arn}",
            )
        return decision.allowed or self.mode == "warn"

    def role_trusts(self, role_arn: str, service: str) -> bool:
        """Whether the role's trust policy lets the service assume it (sts:AssumeRole)."""
        if self.mode == "off":
            return True
        iam = self.core.clients("iam")
        role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        trust = statements(f"{role['RoleName']} trust policy", role["AssumeRolePolicyDocument"])
        request = Request(service, "sts:AssumeRole", role_arn, {}, KNOWN_KEYS)
        return evaluate(request, [], trust).allowed or self.mode == "warn"

    def statement_use(self, roles: Mapping[str, str]) -> dict[str, bool]:
        """For each Allow statement of these roles' inline policies (logical id -> role name):
        whether it allowed a call. Keys are `LogicalId/PolicyName/Sid` (or `/#index` without a
        Sid), stable across stacks."""
        used: dict[str, bool] = {}
        for logical_id, role in sorted(roles.items()):
            for statement in self._documents("role", role):
                if not statement.policy.startswith("role/"):
                    continue  # AWS managed policies are not the template's to trim
                if statement.body.get("Effect") != "Allow":
                    continue
                policy = statement.policy.rsplit(" ", 1)[-1]
                key = f"{logical_id}/{policy}/{statement.sid}"
                used[key] = (statement.policy, statement.index) in self.exercised
        return used


def install(core: Core, mode: Mode) -> Authorizer:
    from moto.sts.models import STSBackend

    authorizer = Authorizer(core, mode)
    assume_role = core.hooks.original(STSBackend, "assume_role")

    def assume_role_noting_issue(self: Any, *args: Any, **kwargs: Any) -> Any:
        role = assume_role(self, *args, **kwargs)
        authorizer._issued[role.access_key_id] = core.clock.wall()
        return role

    core.hooks.replace(STSBackend, "assume_role", assume_role_noting_issue)
    core.services["iam"] = authorizer
    stop = observe(authorizer.forget_policies)
    authorize_with(authorizer)
    core.on_stop.append(stop)
    core.on_stop.append(lambda: authorize_with(None))
    return authorizer
