"""Service integrations in Step Functions' casing: PascalCase in, PascalCase out."""

from __future__ import annotations

from typing import Any

from localcloud.core import Core


def install(core: Core) -> None:
    """Service integrations take and return Step Functions' PascalCase (JobName, ExecutionArn).

    moto's interpreter hands `batch:`, `states:` and `aws-sdk:` parameters to boto3 as
    written, and their results back as boto3 returns them, so a definition written for AWS
    fails. Translate both ways by the service's API model, as Step Functions does.
    """
    import botocore.session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk import (
        StateTaskServiceAwsSdk,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch import (
        StateTaskServiceBatch,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    session = botocore.session.get_session()

    def operation(self: Any, action: str | None) -> Any:
        model = session.get_service_model(self._get_boto_service_name())
        name = action or self.resource.api_action
        return model.operation_model("".join(p[:1].upper() + p[1:] for p in name.split("_")))

    for cls in (StateTaskServiceBatch, StateTaskServiceSfn, StateTaskServiceAwsSdk):
        original_parameters = core.hooks.original(cls, "_normalise_parameters")

        def _normalise_parameters(
            self: Any,
            parameters: dict[str, Any],
            boto_service_name: str | None = None,
            service_action_name: str | None = None,
            original: Any = original_parameters,
        ) -> None:
            original(self, parameters, boto_service_name, service_action_name)
            self._to_boto_request(parameters, operation(self, service_action_name).input_shape)

        core.hooks.replace(cls, "_normalise_parameters", _normalise_parameters)
        if cls is not StateTaskServiceAwsSdk:  # aws-sdk results keep the SDK's own casing

            def _normalise_response(
                self: Any,
                response: Any,
                boto_service_name: str | None = None,
                service_action_name: str | None = None,
            ) -> None:
                self._from_boto_response(
                    response, operation(self, service_action_name).output_shape
                )

            core.hooks.replace(cls, "_normalise_response", _normalise_response)
