"""IAM roles for the tests: trusted by a service, allowed what the test says (IAM is enforced
on the local cloud, so a test's state machine needs a role like a deployed one)."""

from __future__ import annotations

import json
from typing import Any

from localcloud import LocalCloud


def service_role(cloud: LocalCloud, name: str, service: str, *statements: dict[str, Any]) -> str:
    """The ARN of a new role `service` may assume, with `statements` as its inline policy."""
    iam = cloud.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )
    if statements:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="p",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )
    return arn


def machine_role(cloud: LocalCloud, name: str, *statements: dict[str, Any]) -> str:
    """A role Step Functions may assume (a state machine's execution role)."""
    return service_role(cloud, name, "states.amazonaws.com", *statements)
