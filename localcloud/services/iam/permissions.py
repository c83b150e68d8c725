"""From an API call to what IAM evaluates: the actions, the resource ARN each one targets, and
the request context. API operations are not IAM actions: a CopyObject needs s3:GetObject on
the source object and s3:PutObject on the destination, a DeleteObjects s3:DeleteObject on each
key, HeadObject is s3:GetObject (the Service Authorization Reference lists each action's
resource types and condition keys). Operations not listed here are evaluated as the action of
their own name on "*", which is right for the many actions that have no resource type."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from localcloud.core.calls import ApiCall

# botocore's service name -> the IAM action prefix, where the two differ
PREFIX = {"stepfunctions": "states", "cloudwatch": "cloudwatch", "logs": "logs"}
NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})  # "No permissions are required"


@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


class Lookups(Protocol):
    """What the table needs to know about resources (asked with the local cloud's own
    administrator credentials, never evaluated)."""

    def iam_arn(self, kind: str, name: str) -> str: ...
    def secret_arn(self, region: str, secret_id: str) -> str: ...
    def snapshot_tags(self, region: str, snapshot_id: str) -> dict[str, str] | None: ...
    def instance_tags(self, region: str, instance_id: str) -> dict[str, str] | None: ...
    def object_kms_key(self, bucket: str, key: str, version: str | None) -> str | None: ...
    def object_missing(self, bucket: str, key: str, version: str | None) -> bool: ...
    def bucket_kms_key(self, bucket: str) -> str | None: ...
    def kms_key_arn(self, region: str, key: str) -> str: ...
    def snapshot_kms_key(self, region: str, snapshot_id: str) -> str | None: ...
    def existing_kms_key(self, region: str, key: str) -> str | None: ...
    def topic_kms_key(self, topic_arn: str) -> str | None: ...


@dataclass(frozen=True)
class Call:
    call: ApiCall
    region: str
    account: str
    lookups: Lookups

    @property
    def params(self) -> Mapping[str, Any]:
        return self.call.params

    def arn(
        self, service: str, resource: str, *, region: str | None = None, account: bool = True
    ) -> str:
        return f"arn:aws:{service}:{self.region if region is None else region}:{self.account if account else ''}:{resource}"


def _s3_object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3_bucket(c: Call) -> str:
    return f"arn:aws:s3:::{c.params['Bucket']}"


def _object(action: str) -> Callable[[Call], list[Need]]:
    return lambda c: [Need(action, _s3_object(c.params["Bucket"], c.params["Key"]))]


# S3 calls KMS on the caller's behalf, with the caller's permissions: "To upload an object
# encrypted with an AWS KMS key, you need kms:GenerateDataKey permissions on the key. To
# download an object encrypted with an AWS KMS key, you need kms:Decrypt permissions"; a
# multipart upload needs both (S3 User Guide, "Using server-side encryption with AWS KMS keys").
def _kms(c: Call, actions: tuple[str, ...], key_arn: str | None) -> list[Need]:
    if not key_arn:
        return []
    context = {
        "kms:ViaService": f"s3.{c.region}.amazonaws.com",
        "kms:CallerAccount": c.account,
    }
    return [Need(action, key_arn, context) for action in actions]


def _decrypting(c: Call, bucket: str, key: str, version: str | None) -> list[Need]:
    return _kms(c, ("kms:Decrypt",), c.lookups.object_kms_key(bucket, key, version))


def _encrypting(c: Call, actions: tuple[str, ...] = ("kms:GenerateDataKey",)) -> list[Need]:
    sse = c.params.get("ServerSideEncryption")
    if sse is None:  # the bucket's default encryption applies
        return _kms(c, actions, c.lookups.bucket_kms_key(str(c.params["Bucket"])))
    if str(sse).startswith("aws:kms"):
        key = c.params.get("SSEKMSKeyId") or "alias/aws/s3"
        return _kms(c, actions, c.lookups.kms_key_arn(c.region, str(key)))
    return []


def _put_object(c: Call) -> list[Need]:
    return [Need("s3:PutObject", _s3_object(c.params["Bucket"], c.params["Key"])), *_encrypting(c)]


def _create_multipart_upload(c: Call) -> list[Need]:
    return [
        Need("s3:PutObject", _s3_object(c.params["Bucket"], c.params["Key"])),
        *_encrypting(c, ("kms:GenerateDataKey", "kms:Decrypt")),
    ]


def _bucket(action: str) -> Callable[[Call], list[Need]]:
    return lambda c: [Need(action, _s3_bucket(c))]


def _missing(c: Call, bucket: str, key: str, version: str | None) -> list[Need]:
    """Reading an object that does not exist: "If you have the s3:ListBucket permission on the
    bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't have the
    s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error"
    (API Reference, GetObject and HeadObject, Permissions)."""
    if c.lookups.object_missing(bucket, key, version):
        return [Need("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    return []


def _get_object(c: Call) -> list[Need]:
    version = c.params.get("VersionId")
    action = "s3:GetObjectVersion" if version else "s3:GetObject"
    bucket, key = str(c.params["Bucket"]), str(c.params["Key"])
    return [
        Need(action, _s3_object(bucket, key)),
        *_missing(c, bucket, key, version),
        *_decrypting(c, bucket, key, version),
    ]


def _head_object(c: Call) -> list[Need]:
    # HEAD reads the metadata only: S3 does not decrypt the object for it.
    version = c.params.get("VersionId")
    action = "s3:GetObjectVersion" if version else "s3:GetObject"
    bucket, key = str(c.params["Bucket"]), str(c.params["Key"])
    return [Need(action, _s3_object(bucket, key)), *_missing(c, bucket, key, version)]


def _copy_source(source: Any) -> tuple[str, str, str | None]:
    if isinstance(source, Mapping):
        return str(source["Bucket"]), str(source["Key"]), source.get("VersionId")
    text = unquote(str(source)).lstrip("/")
    path, _, query = text.partition("?versionId=")
    bucket, _, key = path.partition("/")
    return bucket, key, query or None


def _copy(c: Call) -> list[Need]:
    bucket, key, version = _copy_source(c.params["CopySource"])
    needs = [
        Need("s3:GetObjectVersion" if version else "s3:GetObject", _s3_object(bucket, key)),
        Need("s3:PutObject", _s3_object(c.params["Bucket"], c.params["Key"])),
    ]
    if c.params.get("TaggingDirective") == "COPY":
        needs.append(Need("s3:GetObjectTagging", _s3_object(bucket, key)))
    if c.params.get("Tagging") or c.params.get("TaggingDirective") == "COPY":
        needs.append(Need("s3:PutObjectTagging", _s3_object(c.params["Bucket"], c.params["Key"])))
    needs += _decrypting(c, bucket, key, version)
    if c.call.operation == "CopyObject":  # a part belongs to an upload that chose its key
        needs += _encrypting(c)
    return needs


def _delete_objects(c: Call) -> list[Need]:
    return [
        Need(
            "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject",
            _s3_object(c.params["Bucket"], o["Key"]),
        )
        for o in c.params["Delete"]["Objects"]
    ]


def _queue(action: str) -> Callable[[Call], list[Need]]:
    def need(c: Call) -> list[Need]:
        url = urlparse(str(c.params["QueueUrl"]))
        account, name = url.path.strip("/").split("/")[-2:]
        return [Need(action, f"arn:aws:sqs:{c.region}:{account}:{name}")]

    return need


def _put_events(c: Call) -> list[Need]:
    """events:PutEvents on each entry's event bus (the default bus when none is named): the
    Service Authorization Reference lists event-bus as PutEvents' resource."""
    needs: list[Need] = []
    for entry in c.params.get("Entries") or []:
        bus = str(entry.get("EventBusName") or "default")
        arn = bus if bus.startswith("arn:") else c.arn("events", f"event-bus/{bus}")
        if all(n.resource != arn for n in needs):
            needs.append(Need("events:PutEvents", arn))
    return needs


def _given_arn(action: str, key: str) -> Callable[[Call], list[Need]]:
    return lambda c: [Need(action, str(c.params[key]))]


def _secret(action: str) -> Callable[[Call], list[Need]]:
    return lambda c: [Need(action, c.lookups.secret_arn(c.region, str(c.params["SecretId"])))]


def _iam_entity(kind: str, verb: str) -> Callable[[Call], list[Need]]:
    noun = kind.capitalize()

    def need(c: Call) -> list[Need]:
        context = {"iam:PolicyARN": c.params["PolicyArn"]} if "PolicyArn" in c.params else {}
        arn = c.lookups.iam_arn(kind, str(c.params[f"{noun}Name"]))
        return [Need(f"iam:{verb}", arn, context)]

    return need


def _snapshot(c: Call, snapshot_id: str, region: str | None = None) -> str:
    return c.arn("ec2", f"snapshot/{snapshot_id}", region=region, account=False)


def _ec2_resource(c: Call, resource_id: str) -> str:
    kind = {"snap": "snapshot", "vol": "volume", "i": "instance", "ami": "image"}.get(
        resource_id.split("-", 1)[0], "resource"
    )
    if kind in ("snapshot", "image"):
        return c.arn("ec2", f"{kind}/{resource_id}", account=False)
    return c.arn("ec2", f"{kind}/{resource_id}")


def _tag_context(tags: list[Mapping[str, str]]) -> dict[str, Any]:
    context: dict[str, Any] = {f"aws:RequestTag/{t['Key']}": t["Value"] for t in tags}
    context["aws:TagKeys"] = [t["Key"] for t in tags]
    return context


def _create_tags(c: Call) -> list[Need]:
    tags = list(c.params.get("Tags") or [])
    needs = []
    for resource_id in c.params["Resources"]:
        context = _tag_context(tags)
        if resource_id.startswith("snap-"):
            existing = c.lookups.snapshot_tags(c.region, resource_id) or {}
            context.update({f"aws:ResourceTag/{k}": v for k, v in existing.items()})
        needs.append(Need("ec2:CreateTags", _ec2_resource(c, resource_id), context))
    return needs


def _on_instances(action: str) -> Callable[[Call], list[Need]]:
    """StopInstances and StartInstances act on each instance, with its tags: "Resource-level
    permissions for StopInstances and StartInstances" take `instance*` and the
    aws:ResourceTag condition key (Service Authorization Reference, Amazon EC2), as the EC2
    User Guide's example "Start and stop instances with a specific tag" uses
    ("Condition": {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}})."""

    def need(c: Call) -> list[Need]:
        needs = []
        for instance_id in c.params.get("InstanceIds") or []:
            tags = c.lookups.instance_tags(c.region, str(instance_id)) or {}
            context = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
            needs.append(Need(action, c.arn("ec2", f"instance/{instance_id}"), context))
        return needs

    return need


def _tag_on_create(c: Call, action: str) -> list[Need]:
    """Tags given at creation: "To tag a resource on creation, you need permission for the
    ec2:CreateTags action", whose ec2:CreateAction is the creating action (EC2 User Guide,
    "Grant permission to tag Amazon EC2 resources during creation")."""
    return [
        Need(
            "ec2:CreateTags",
            _snapshot(c, "*"),
            {**_tag_context(spec.get("Tags") or []), "ec2:CreateAction": action},
        )
        for spec in c.params.get("TagSpecifications") or []
    ]


def _create_snapshot(c: Call) -> list[Need]:
    """CreateSnapshot is on the volume and the new snapshot: the EBS User Guide's example
    policies ("Example IAM policies for Amazon EBS", creating snapshots) grant it on
    "arn:aws:ec2:*:*:volume/*" and "arn:aws:ec2:*::snapshot/*"."""
    volume = c.arn("ec2", f"volume/{c.params['VolumeId']}")
    return [
        Need("ec2:CreateSnapshot", volume),
        Need("ec2:CreateSnapshot", _snapshot(c, "*")),
        *_tag_on_create(c, "CreateSnapshot"),
    ]


def _create_snapshots(c: Call) -> list[Need]:
    """CreateSnapshots (a multi-volume set of an instance) is on the instance and the new
    snapshots, as the same page's example grants it ("arn:aws:ec2:*:*:instance/*",
    "arn:aws:ec2:*::snapshot/*")."""
    instance = (c.params.get("InstanceSpecification") or {}).get("InstanceId", "*")
    return [
        Need("ec2:CreateSnapshots", c.arn("ec2", f"instance/{instance}")),
        Need("ec2:CreateSnapshots", _snapshot(c, "*")),
        *_tag_on_create(c, "CreateSnapshots"),
    ]


def _query(c: Call) -> list[Need]:
    """Query on an index is on the index's ARN (`table/<name>/index/<index>`: "To grant
    permissions on an index, use its ARN", the DynamoDB Developer Guide's fine-grained access
    examples name the index resource so)."""
    resource = f"table/{c.params['TableName']}"
    if c.params.get("IndexName"):
        resource += f"/index/{c.params['IndexName']}"
    return [Need("dynamodb:Query", c.arn("dynamodb", resource))]


def _batch_get_item(c: Call) -> list[Need]:
    """BatchGetItem needs dynamodb:BatchGetItem on each table it reads."""
    return [
        Need("dynamodb:BatchGetItem", c.arn("dynamodb", f"table/{name}"))
        for name in (c.params.get("RequestItems") or {})
    ]


def _delete_snapshot(c: Call) -> list[Need]:
    snapshot_id = str(c.params["SnapshotId"])
    tags = c.lookups.snapshot_tags(c.region, snapshot_id)
    if tags is None:
        # A snapshot that is gone (deleted by another run): EC2 answers
        # InvalidSnapshot.NotFound. Whether it authorizes first, against no tags, the local
        # cloud cannot tell from the documentation, so it lets EC2 answer.
        return []
    context = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    return [Need("ec2:DeleteSnapshot", _snapshot(c, snapshot_id), context)]


def _on_snapshot(action: str) -> Callable[[Call], list[Need]]:
    """An action on one snapshot, on its ARN with its tags. "To work with snapshot locks, users
    need the following permissions. ec2:LockSnapshot [...] ec2:UnlockSnapshot [...]
    ec2:DescribeLockedSnapshots", the example policy granting them on
    "arn:aws:ec2:*::snapshot/*"; "You can use the ec2:SnapshotLockDuration condition key to
    restrict users to specific lock durations when locking snapshots" (EBS User Guide,
    "Control access to Amazon EBS snapshot lock",
    https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-iam.html). The guide calls
    the cooling-off period's key ec2:CoolOffPeriod; the Service Authorization Reference's
    LockSnapshot has ec2:SnapshotCoolOffPeriod, which is the one supplied. ModifySnapshotTier
    and RestoreSnapshotTier are on the snapshot too (the reference's resource type
    `snapshot*` for all four)."""

    def need(c: Call) -> list[Need]:
        snapshot_id = str(c.params["SnapshotId"])
        tags = c.lookups.snapshot_tags(c.region, snapshot_id) or {}
        context: dict[str, Any] = {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
        if action == "ec2:LockSnapshot":
            for key, param in (
                ("ec2:SnapshotLockDuration", "LockDuration"),
                ("ec2:SnapshotCoolOffPeriod", "CoolOffPeriod"),
            ):
                if c.params.get(param) is not None:
                    context[key] = c.params[param]
        return [Need(action, _snapshot(c, snapshot_id), context)]

    return need


def _copy_snapshot(c: Call) -> list[Need]:
    source_region = str(c.params.get("SourceRegion") or c.region)
    source = _snapshot(c, str(c.params["SourceSnapshotId"]), source_region)
    needs = [Need("ec2:CopySnapshot", source), Need("ec2:CopySnapshot", _snapshot(c, "*"))]
    for spec in c.params.get("TagSpecifications") or []:
        context = {**_tag_context(spec.get("Tags") or []), "ec2:CreateAction": "CopySnapshot"}
        needs.append(Need("ec2:CreateTags", _snapshot(c, "*"), context))
    return needs + _copy_kms(c, source_region, str(c.params["SourceSnapshotId"]))


# EC2 calls KMS on the caller's behalf to copy an encrypted snapshot, or to encrypt a copy:
# "You must grant users permission to call the following actions in order to use EBS
# encryption: kms:CreateGrant, kms:Decrypt, kms:DescribeKey,
# kms:GenerateDataKeyWithoutPlainText, kms:ReEncrypt" (EBS User Guide, "Requirements for
# Amazon EBS encryption"). The source snapshot's key is used in its region, the copy's key in
# the region the copy is made in; a copy of an encrypted snapshot is encrypted even without
# KmsKeyId, under the account's default EBS key.
_EBS_KEY_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKeyWithoutPlaintext",
)


def _copy_kms(c: Call, source_region: str, snapshot_id: str) -> list[Need]:
    source_key = c.lookups.snapshot_kms_key(source_region, snapshot_id)
    requested = c.params.get("KmsKeyId")
    if requested is None and (c.params.get("Encrypted") or source_key):
        requested = "alias/aws/ebs"
    needs: list[Need] = []

    def on(key_arn: str, region: str, actions: tuple[str, ...]) -> None:
        context = {"kms:ViaService": f"ec2.{region}.amazonaws.com", "kms:CallerAccount": c.account}
        for action in actions:
            # EC2 creates the grant for the copy, so it is "for an AWS resource"
            grant = {"kms:GrantIsForAWSResource": True} if action == "kms:CreateGrant" else {}
            needs.append(Need(action, key_arn, {**context, **grant}))

    if source_key:
        on(source_key, source_region, ("kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"))
    if requested is not None:
        reencrypt = ("kms:ReEncryptTo",) if source_key else ()
        on(c.lookups.kms_key_arn(c.region, str(requested)), c.region, _EBS_KEY_ACTIONS + reencrypt)
    return needs


def _ecs_clusters(c: Call) -> list[Need]:
    return [
        Need(
            "ecs:DescribeClusters",
            name if name.startswith("arn:") else c.arn("ecs", f"cluster/{name}"),
        )
        for name in c.params.get("clusters") or ["default"]
    ]


def _ecs_services(c: Call) -> list[Need]:
    cluster = str(c.params.get("cluster") or "default").rsplit("/", 1)[-1]
    return [
        Need(
            "ecs:DescribeServices",
            s if s.startswith("arn:") else c.arn("ecs", f"service/{cluster}/{s}"),
        )
        for s in c.params["services"]
    ]


def _put_metric_data(c: Call) -> list[Need]:
    return [Need("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": c.params["Namespace"]})]


def _log_group(action: str) -> Callable[[Call], list[Need]]:
    """An action on a log group, on its ARN with the trailing `:*`: of a log group's two ARN
    forms, "Use the second version, with the trailing :*, to refer to the ARN when specifying
    permissions in IAM policies for all other API actions." (CloudWatch Logs User Guide,
    "Overview of managing access permissions to your CloudWatch Logs resources"), so a policy
    naming `log-group:NAME:*` (or `arn:aws:logs:*:*:*`, or "*") allows it, and one naming
    `log-group:NAME` does not."""
    return lambda c: [Need(action, c.arn("logs", f"log-group:{c.params['logGroupName']}:*"))]


def _log_stream(action: str) -> Callable[[Call], list[Need]]:
    """An action on a log stream (the Service Authorization Reference's resource type of
    logs:CreateLogStream and logs:PutLogEvents), on its ARN: "arn:aws:logs:region:account-id:
    log-group:log_group_name:log-stream:log-stream-name" (same page), which a policy's
    `log-group:NAME:*` covers."""

    def need(c: Call) -> list[Need]:
        group, stream = c.params["logGroupName"], c.params["logStreamName"]
        return [Need(action, c.arn("logs", f"log-group:{group}:log-stream:{stream}"))]

    return need


def _table(action: str) -> Callable[[Call], list[Need]]:
    return lambda c: [Need(action, c.arn("dynamodb", f"table/{c.params['TableName']}"))]


def _batch_arn(c: Call, kind: str, value: str) -> str:
    return value if value.startswith("arn:") else c.arn("batch", f"{kind}/{value}")


def _submit_job(c: Call) -> list[Need]:
    definition = str(c.params["jobDefinition"])
    if not definition.startswith("arn:") and ":" not in definition:
        definition += ":*"  # by name: the latest active revision
    return [
        Need("batch:SubmitJob", _batch_arn(c, "job-queue", str(c.params["jobQueue"]))),
        Need("batch:SubmitJob", _batch_arn(c, "job-definition", definition)),
    ]


def _terminate_job(c: Call) -> list[Need]:
    return [Need("batch:TerminateJob", c.arn("batch", f"job/{c.params['jobId']}"))]


def _pass_role(c: Call, role: Any, service: str) -> list[Need]:
    # "To configure many AWS services, you must pass an IAM role to the service": iam:PassRole
    # on the role, with iam:PassedToService naming the service it is passed to.
    if not role:
        return []
    return [Need("iam:PassRole", str(role), {"iam:PassedToService": service})]


def _create_function(c: Call) -> list[Need]:
    arn = c.arn("lambda", f"function:{c.params['FunctionName']}")
    return [
        Need("lambda:CreateFunction", arn),
        *_pass_role(c, c.params.get("Role"), "lambda.amazonaws.com"),
    ]


def _create_state_machine(c: Call) -> list[Need]:
    arn = c.arn("states", f"stateMachine:{c.params['name']}")
    return [
        Need("states:CreateStateMachine", arn),
        *_pass_role(c, c.params.get("roleArn"), "states.amazonaws.com"),
    ]


def _test_state(c: Call) -> list[Need]:
    # "The TestState API assumes an IAM role" (API reference, TestState): the caller hands
    # Step Functions that role, which is iam:PassRole, as for CreateStateMachine.
    return [
        Need("states:TestState", "*"),
        *_pass_role(c, c.params.get("roleArn"), "states.amazonaws.com"),
    ]


def _put_targets(c: Call) -> list[Need]:
    bus = str(c.params.get("EventBusName") or "default")
    rule = c.arn(
        "events",
        f"rule/{c.params['Rule']}" if bus == "default" else f"rule/{bus}/{c.params['Rule']}",
    )
    needs = [Need("events:PutTargets", rule)]
    for target in c.params.get("Targets") or []:
        needs += _pass_role(c, target.get("RoleArn"), "events.amazonaws.com")
    return needs


def _invoke(c: Call) -> list[Need]:
    name = str(c.params["FunctionName"])
    arn = name if name.startswith("arn:") else c.arn("lambda", f"function:{name}")
    return [Need("lambda:InvokeFunction", arn)]


# KMS calls on a key are decided by its key policy (the authorizer's `_kms_decision`), so each
# names the key's ARN; a key that does not exist needs nothing, and KMS answers NotFound.
def _on_key(action: str, param: str = "KeyId") -> Callable[[Call], list[Need]]:
    def needs(c: Call) -> list[Need]:
        key = c.params.get(param)
        arn = c.lookups.existing_kms_key(c.region, str(key)) if key else None
        return [Need(action, arn)] if arn else [Need(action, "*")]

    return needs


def _ciphertext_key(c: Call, blob: Any) -> str | None:
    from localcloud.services.kms import key_of_ciphertext

    key = key_of_ciphertext(blob)
    return c.lookups.existing_kms_key(c.region, key) if key else None


def _decrypt(c: Call) -> list[Need]:
    given = c.params.get("KeyId")
    arn = (
        c.lookups.existing_kms_key(c.region, str(given))
        if given
        else _ciphertext_key(c, c.params.get("CiphertextBlob"))
    )
    return [Need("kms:Decrypt", arn or "*")]


def _re_encrypt(c: Call) -> list[Need]:
    source = _ciphertext_key(c, c.params.get("CiphertextBlob"))
    target = c.lookups.existing_kms_key(c.region, str(c.params["DestinationKeyId"]))
    return [Need("kms:ReEncryptFrom", source or "*"), Need("kms:ReEncryptTo", target or "*")]


# "principals who manage aliases must have permission to call the alias operation on the alias
# and on all affected KMS keys" (KMS Developer Guide, "Controlling access to aliases",
# https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html).
def _alias(action: str) -> Callable[[Call], list[Need]]:
    def needs(c: Call) -> list[Need]:
        name = str(c.params["AliasName"])
        found = [Need(action, c.arn("kms", name))]
        affected = [c.params.get("TargetKeyId")]
        if action != "kms:CreateAlias":  # the key the alias names now
            affected.append(name)
        for key in affected:
            arn = c.lookups.existing_kms_key(c.region, str(key)) if key else None
            if arn:
                found.append(Need(action, arn))
        return found

    return needs


# "The publisher must have the kms:GenerateDataKey and kms:Decrypt permissions for the AWS KMS
# key" of an encrypted topic (SNS Developer Guide, "Key management", "Allow a user to send
# messages to a topic with SSE", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
# SNS asks KMS on the publisher's behalf, so kms:ViaService is SNS's endpoint. A topic on the
# AWS managed key alias/aws/sns needs no more: that key is "used on your behalf by an AWS
# service" (KMS Developer Guide, "AWS managed keys"), and AWS does not print its key policy.
def _publish(c: Call) -> list[Need]:
    from localcloud.services.kms import SNS_MANAGED_ALIAS, alias_name

    topic = c.params.get("TopicArn") or c.params.get("TargetArn")
    if not topic:
        return [Need("sns:Publish", "*")]  # an SMS to a phone number
    needs = [Need("sns:Publish", str(topic))]
    key = c.lookups.topic_kms_key(str(topic))
    if not key or alias_name(key) == SNS_MANAGED_ALIAS:
        return needs
    region = str(topic).split(":")[3]
    arn = c.lookups.existing_kms_key(region, key)
    if arn is None:
        return needs  # SNS answers KMSNotFound itself
    context = {
        "kms:ViaService": f"sns.{region}.amazonaws.com",
        "kms:CallerAccount": c.account,
        "kms:EncryptionContext:aws:sns:topicArn": str(topic),
    }
    return needs + [Need(a, arn, context) for a in ("kms:GenerateDataKey", "kms:Decrypt")]


KEY_OPERATIONS = (
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "Sign",
    "Verify",
    "GetPublicKey",
    "DescribeKey",
    "GetKeyPolicy",
    "PutKeyPolicy",
    "ListKeyPolicies",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ListKeyRotations",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "UpdateKeyDescription",
    "CreateGrant",
    "ListGrants",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
)

TABLE: dict[tuple[str, str], Callable[[Call], list[Need]]] = {
    **{("kms", op): _on_key(f"kms:{op}") for op in KEY_OPERATIONS},
    ("kms", "Decrypt"): _decrypt,
    ("kms", "ReEncrypt"): _re_encrypt,
    ("kms", "CreateAlias"): _alias("kms:CreateAlias"),
    ("kms", "UpdateAlias"): _alias("kms:UpdateAlias"),
    ("kms", "DeleteAlias"): _alias("kms:DeleteAlias"),
    ("s3", "GetObject"): _get_object,
    ("s3", "HeadObject"): _head_object,
    ("s3", "PutObject"): _put_object,
    ("s3", "CopyObject"): _copy,
    ("s3", "UploadPartCopy"): _copy,
    ("s3", "CreateMultipartUpload"): _create_multipart_upload,
    ("s3", "UploadPart"): _object("s3:PutObject"),
    ("s3", "CompleteMultipartUpload"): _object("s3:PutObject"),
    ("s3", "AbortMultipartUpload"): _object("s3:AbortMultipartUpload"),
    ("s3", "ListParts"): _object("s3:ListMultipartUploadParts"),
    ("s3", "GetObjectTagging"): _object("s3:GetObjectTagging"),
    ("s3", "PutObjectTagging"): _object("s3:PutObjectTagging"),
    ("s3", "DeleteObject"): _object("s3:DeleteObject"),
    ("s3", "DeleteObjects"): _delete_objects,
    ("s3", "ListBuckets"): lambda c: [Need("s3:ListAllMyBuckets", "*")],
    ("s3", "ListObjectsV2"): _bucket("s3:ListBucket"),
    ("s3", "ListObjects"): _bucket("s3:ListBucket"),
    ("s3", "HeadBucket"): _bucket("s3:ListBucket"),
    ("s3", "ListObjectVersions"): _bucket("s3:ListBucketVersions"),
    ("s3", "ListMultipartUploads"): _bucket("s3:ListBucketMultipartUploads"),
    ("s3", "GetBucketEncryption"): _bucket("s3:GetEncryptionConfiguration"),
    ("s3", "GetBucketLocation"): _bucket("s3:GetBucketLocation"),
    ("s3", "GetBucketVersioning"): _bucket("s3:GetBucketVersioning"),
    # The Service Authorization Reference's S3 actions: GetObjectLockConfiguration is the
    # s3:GetBucketObjectLockConfiguration action, on the bucket.
    ("s3", "GetObjectLockConfiguration"): _bucket("s3:GetBucketObjectLockConfiguration"),
    # RestoreObject: "you must have permissions to perform the s3:RestoreObject action"; the
    # notification configuration's operations are s3:PutBucketNotification and
    # s3:GetBucketNotification (S3 API Reference, PutBucketNotificationConfiguration: "bucket
    # owners can use a bucket policy to grant permission to other users to set this
    # configuration with the required s3:PutBucketNotification permission").
    ("s3", "RestoreObject"): _object("s3:RestoreObject"),
    ("s3", "PutBucketNotificationConfiguration"): _bucket("s3:PutBucketNotification"),
    ("s3", "GetBucketNotificationConfiguration"): _bucket("s3:GetBucketNotification"),
    ("sqs", "SendMessage"): _queue("sqs:SendMessage"),
    ("sqs", "SendMessageBatch"): _queue("sqs:SendMessage"),
    ("sqs", "ReceiveMessage"): _queue("sqs:ReceiveMessage"),
    ("sqs", "DeleteMessage"): _queue("sqs:DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _queue("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibility"): _queue("sqs:ChangeMessageVisibility"),
    ("sqs", "GetQueueAttributes"): _queue("sqs:GetQueueAttributes"),
    ("sns", "Publish"): _publish,
    ("stepfunctions", "StartExecution"): _given_arn("states:StartExecution", "stateMachineArn"),
    ("stepfunctions", "StartSyncExecution"): _given_arn(
        "states:StartSyncExecution", "stateMachineArn"
    ),
    ("stepfunctions", "RedriveExecution"): _given_arn("states:RedriveExecution", "executionArn"),
    ("stepfunctions", "TestState"): _test_state,
    ("stepfunctions", "DescribeExecution"): _given_arn("states:DescribeExecution", "executionArn"),
    ("stepfunctions", "StopExecution"): _given_arn("states:StopExecution", "executionArn"),
    ("stepfunctions", "GetExecutionHistory"): _given_arn(
        "states:GetExecutionHistory", "executionArn"
    ),
    ("lambda", "Invoke"): _invoke,
    ("lambda", "CreateFunction"): _create_function,
    ("stepfunctions", "CreateStateMachine"): _create_state_machine,
    ("events", "PutTargets"): _put_targets,
    ("events", "PutEvents"): _put_events,
    ("secretsmanager", "GetSecretValue"): _secret("secretsmanager:GetSecretValue"),
    ("secretsmanager", "DescribeSecret"): _secret("secretsmanager:DescribeSecret"),
    ("secretsmanager", "PutSecretValue"): _secret("secretsmanager:PutSecretValue"),
    ("secretsmanager", "UpdateSecretVersionStage"): _secret(
        "secretsmanager:UpdateSecretVersionStage"
    ),
    ("iam", "GetPolicy"): _given_arn("iam:GetPolicy", "PolicyArn"),
    **{
        ("iam", f"{verb}{kind.capitalize()}Policy"): _iam_entity(
            kind, f"{verb}{kind.capitalize()}Policy"
        )
        for kind in ("group", "role", "user")
        for verb in ("Attach", "Detach")
    },
    **{
        ("iam", f"ListAttached{kind.capitalize()}Policies"): _iam_entity(
            kind, f"ListAttached{kind.capitalize()}Policies"
        )
        for kind in ("group", "role", "user")
    },
    ("ec2", "CreateTags"): _create_tags,
    ("ec2", "DeleteSnapshot"): _delete_snapshot,
    ("ec2", "CopySnapshot"): _copy_snapshot,
    ("ec2", "CreateSnapshot"): _create_snapshot,
    ("ec2", "CreateSnapshots"): _create_snapshots,
    ("ec2", "StopInstances"): _on_instances("ec2:StopInstances"),
    ("ec2", "StartInstances"): _on_instances("ec2:StartInstances"),
    **{
        ("ec2", operation): _on_snapshot(f"ec2:{operation}")
        for operation in (
            "LockSnapshot",
            "UnlockSnapshot",
            "ModifySnapshotTier",
            "RestoreSnapshotTier",
        )
    },
    ("ecs", "DescribeClusters"): _ecs_clusters,
    ("ecs", "DescribeServices"): _ecs_services,
    ("cloudwatch", "PutMetricData"): _put_metric_data,
    # What Lambda does with a function's role to deliver its logs (services/lambda_/logs.py).
    ("logs", "CreateLogGroup"): _log_group("logs:CreateLogGroup"),
    ("logs", "CreateLogStream"): _log_stream("logs:CreateLogStream"),
    ("logs", "PutLogEvents"): _log_stream("logs:PutLogEvents"),
    ("dynamodb", "GetItem"): _table("dynamodb:GetItem"),
    ("dynamodb", "PutItem"): _table("dynamodb:PutItem"),
    ("dynamodb", "UpdateItem"): _table("dynamodb:UpdateItem"),
    ("dynamodb", "DeleteItem"): _table("dynamodb:DeleteItem"),
    ("dynamodb", "Query"): _query,
    ("dynamodb", "BatchGetItem"): _batch_get_item,
    ("batch", "SubmitJob"): _submit_job,
    ("batch", "TerminateJob"): _terminate_job,
}


def needs(call: ApiCall, region: str, account: str, lookups: Lookups) -> list[Need]:
    """What IAM evaluates for the call (nothing for calls that need no permission)."""
    if (call.service, call.operation) in NO_PERMISSION:
        return []
    entry = TABLE.get((call.service, call.operation))
    if entry is None:
        prefix = PREFIX.get(call.service, call.service)
        return [Need(f"{prefix}:{call.operation}", "*")]
    return entry(Call(call, region, account, lookups))


# A `.sync` task waits on an EventBridge rule that Step Functions manages in the account and
# creates with the state machine's role when the machine is created or updated (the Step
# Functions Developer Guide's "IAM policies for" each integration list events:PutTargets,
# events:PutRule and events:DescribeRule on it). A role without them gets
# "AccessDeniedException: '<role ARN>' is not authorized to create managed-rule." from
# CreateStateMachine, as users of every IaC tool have reported.
MANAGED_RULES = {
    "batch:submitJob.sync": "StepFunctionsGetEventsForBatchJobsRule",
    "ecs:runTask.sync": "StepFunctionsGetEventsForECSTaskRule",
    "states:startExecution.sync": "StepFunctionsGetEventsForStepFunctionsExecutionRule",
    "states:startExecution.sync:2": "StepFunctionsGetEventsForStepFunctionsExecutionRule",
}
MANAGED_RULE_ACTIONS = ("events:PutTargets", "events:PutRule", "events:DescribeRule")


class UnknownManagedRule(ValueError):
    """A `.sync` integration whose managed rule the local cloud does not know."""


def _task_resources(states: Mapping[str, Any]) -> Iterator[str]:
    for state in states.values():
        if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
            yield state["Resource"]
        for branch in state.get("Branches") or []:
            yield from _task_resources(branch.get("States") or {})
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), Mapping):
                yield from _task_resources(state[key].get("States") or {})


def managed_rule_needs(definition: str, region: str, account: str) -> list[Need]:
    """What the machine's role needs for the rules its `.sync` tasks wait on."""
    rules: set[str] = set()
    for resource in _task_resources(json.loads(definition).get("States") or {}):
        _, _, integration = resource.partition(":states:::")
        if ".sync" not in integration:
            continue
        if integration not in MANAGED_RULES:
            raise UnknownManagedRule(
                f"the local cloud does not know the rule Step Functions manages for {resource}"
            )
        rules.add(MANAGED_RULES[integration])
    return [
        Need(action, f"arn:aws:events:{region}:{account}:rule/{rule}")
        for rule in sorted(rules)
        for action in MANAGED_RULE_ACTIONS
    ]
