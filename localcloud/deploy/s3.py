"""S3: buckets, with versioning."""

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
    return Deployed(
        logical_id,
        body["Type"],
        name,
        {"Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com"},
    )


PROVISIONERS = {"AWS::S3::Bucket": bucket}
