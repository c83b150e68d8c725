"""Steward's snapshot ownership table on moto, with the key schema and index of template.yaml's
SnapshotOwnershipTable (read from the template, so the two cannot drift)."""

from __future__ import annotations

from typing import Any

import boto3

from ebs_snapshots.ownership import OwnershipTable
from localcloud.template import load_yaml
from tests.support.paths import TEMPLATE

TABLE_NAME = "steward-snapshot-ownership"


def ownership_table(region: str = "us-east-1", name: str = TABLE_NAME) -> OwnershipTable:
    """Create the table (inside a moto mock the caller holds) and return Steward's view of it."""
    props: dict[str, Any] = load_yaml(TEMPLATE)["Resources"]["SnapshotOwnershipTable"]["Properties"]
    dynamodb = boto3.client("dynamodb", region_name=region)
    dynamodb.create_table(
        TableName=name,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )
    return OwnershipTable(dynamodb, name)
