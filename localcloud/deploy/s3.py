"""S3: buckets, with versioning and EventBridge notifications."""

from __future__ import annotations

from typing import Any

from localcloud.deploy.context import DeployContext
from localcloud.deploy.stack import Deployed


def bucket(
    ctx: DeployContext, logical_id: str, props: dict[str, Any], body: dict[str, Any]
) -> Deployed:
    name = str(props.get("BucketName") or ctx.physical_name(logical_id, 63).lower())
    s3 = ctx.client("s3")
    if ctx.stack.region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": ctx.stack.region}
        )
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if _eventbridge_enabled(props):
        # "Unlike other destinations, delivery of events to EventBridge can be either enabled
        # or disabled for a bucket. If enabled, all events will be sent to EventBridge"
        # (CloudFormation, AWS::S3::Bucket EventBridgeConfiguration); the API's form of it is
        # an empty EventBridgeConfiguration.
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    return Deployed(
        logical_id,
        body["Type"],
        name,
        {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"},
    )


def _eventbridge_enabled(props: dict[str, Any]) -> bool:
    configuration = (props.get("NotificationConfiguration") or {}).get("EventBridgeConfiguration")
    if configuration is None:
        return False
    # EventBridgeEnabled is a required Boolean; templates write it as true or "true".
    return str(configuration.get("EventBridgeEnabled", "")).lower() == "true"


PROVISIONERS = {"AWS::S3::Bucket": bucket}
