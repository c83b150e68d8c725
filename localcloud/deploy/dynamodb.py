"""DynamoDB: tables, with billing mode, indexes, time to live, point-in-time recovery,
server-side encryption and streams.

From the CloudFormation User Guide ("AWS::DynamoDB::Table"): "Ref returns the resource name";
`Fn::GetAtt` gives `Arn` and `StreamArn` ("You must specify the StreamSpecification property to
use this attribute"). A table declared under a template `Condition` is made only when the
condition holds (the deployer's conditions). Each property becomes the DynamoDB call that sets
it (CreateTable, UpdateTimeToLive, UpdateContinuousBackups), so moto validates it as DynamoDB
would.
"""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _throughput(value: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in value.items()}


def _index(index: dict[str, Any], *, provisioned: bool) -> dict[str, Any]:
    made: dict[str, Any] = {
        k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index
    }
    if provisioned and "ProvisionedThroughput" in index:
        made["ProvisionedThroughput"] = _throughput(index["ProvisionedThroughput"])
    return made


def _sse(spec: dict[str, Any]) -> dict[str, Any]:
    enabled = _true(spec.get("SSEEnabled", False))
    sse: dict[str, Any] = {"Enabled": enabled}
    if enabled:
        # "If enabled (true), server-side encryption type is set to KMS and an Amazon Web
        # Services managed key is used" (API reference, SSESpecification, Enabled).
        sse["SSEType"] = str(spec.get("SSEType", "KMS"))
        if "KMSMasterKeyId" in spec:
            sse["KMSMasterKeyId"] = str(spec["KMSMasterKeyId"])
    return sse


def table(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("TableName") or ctx.physical_name(logical_id, 255))
    dynamodb = ctx.client("dynamodb")
    billing = str(props.get("BillingMode", "PROVISIONED"))
    provisioned = billing == "PROVISIONED"
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if "ProvisionedThroughput" in props:
        kwargs["ProvisionedThroughput"] = _throughput(props["ProvisionedThroughput"])
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            kwargs[key] = [
                _index(i, provisioned=provisioned and key.startswith("Global")) for i in props[key]
            ]
    if "SSESpecification" in props:
        kwargs["SSESpecification"] = _sse(props["SSESpecification"])
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": str(props["StreamSpecification"]["StreamViewType"]),
        }
    if props.get("Tags"):
        kwargs["Tags"] = [{"Key": t["Key"], "Value": str(t["Value"])} for t in props["Tags"]]
    for key in ("TableClass", "DeletionProtectionEnabled"):
        if key in props:
            kwargs[key] = _true(props[key]) if key.startswith("Deletion") else str(props[key])
    created = dynamodb.create_table(**kwargs)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _true(ttl.get("Enabled")):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    recovery = props.get("PointInTimeRecoverySpecification")
    if recovery and _true(recovery.get("PointInTimeRecoveryEnabled")):
        dynamodb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    attrs = {"Arn": created["TableArn"]}
    if created.get("LatestStreamArn"):
        attrs["StreamArn"] = created["LatestStreamArn"]
    return Deployed(logical_id, body["Type"], name, attrs)


PROVISIONERS = {"AWS::DynamoDB::Table": table}
