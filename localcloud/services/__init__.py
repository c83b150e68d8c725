"""One module or package per emulated AWS service: what each changes in moto, and its state.

Each has `install(core)`: it hooks moto through `core.hooks` and keeps its state (if any) in
`core.services`. Services reach each other through the AWS APIs (`core.clients`); the only
exception is `core.emit`, for what AWS does inside itself (a queue telling Lambda's pollers).
"""

from __future__ import annotations

from localcloud.core import Core
from localcloud.services import (
    batch,
    cloudformation,
    cloudwatch,
    ec2,
    events,
    iam,
    kms,
    lambda_,
    s3,
    secretsmanager,
    sns,
    sqs,
    stepfunctions,
)

INSTALLED = (
    iam,
    kms,
    cloudformation,
    lambda_,
    sns,
    sqs,
    events,
    secretsmanager,
    stepfunctions,
    batch,
    s3,
    ec2,
    cloudwatch,
)


def install(core: Core) -> None:
    for service in INSTALLED:
        service.install(core)
