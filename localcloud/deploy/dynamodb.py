"""DynamoDB: tables, with billing mode and time to live."""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed


def table(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("TableName") or ctx.physical_name(logical_id, 255))
    dynamodb = ctx.client("dynamodb")
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
    created = dynamodb.create_table(**kwargs)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled") in (True, "true"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return Deployed(logical_id, body["Type"], name, {"Arn": created["TableArn"]})


PROVISIONERS = {"AWS::DynamoDB::Table": table}
