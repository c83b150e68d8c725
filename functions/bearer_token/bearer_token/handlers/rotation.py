"""BearerTokenRotationFunction: Secrets Manager rotation of an X OAuth2 app-only bearer token."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from bearer_token.steps import BearerTokenRotation
from bearer_token.x_oauth import ProviderSettings, XOAuthClient
from steward_common import aws
from steward_common.inputs import parse_event
from steward_common.observability import Powertools

ops = Powertools()
logger, metrics = ops.logger, ops.metrics


class RotationEvent(BaseModel):
    Step: Literal["createSecret", "setSecret", "testSecret", "finishSecret"]
    SecretId: str
    ClientRequestToken: str


@ops.handler(correlation_id_path="ClientRequestToken")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    request = parse_event(event, RotationEvent, "Secrets Manager rotation event")
    rotation = BearerTokenRotation(
        aws.client("secretsmanager"), XOAuthClient(ProviderSettings.from_env())
    )
    outcome = rotation.run(request.Step, request.SecretId, request.ClientRequestToken)
    logger.info(
        "rotation step done",
        extra={"step": request.Step, "outcome": outcome, "secret": request.SecretId},
    )
    metrics.add_metric(
        name=f"Rotation{request.Step[0].upper()}{request.Step[1:]}", unit=MetricUnit.Count, value=1
    )
    return {"step": request.Step, "outcome": outcome}
