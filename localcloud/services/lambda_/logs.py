"""Where a function's logs go: its logging configuration (`LoggingConfig`) and their delivery.

"By default, Lambda automatically captures logs for all function invocations and sends them to
CloudWatch Logs, provided your function's execution role has the necessary permissions. These
logs are, by default, stored in a log group named /aws/lambda/<function-name>."
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)

Configuration. "You can also configure custom log groups using the CreateFunction and
UpdateFunctionConfiguration Lambda API commands and the AWS Serverless Application Model (AWS
SAM) AWS::Serverless::Function resource." (monitoring-cloudwatchlogs-loggroups.html). moto
drops `LoggingConfig`; `install` keeps it from CreateFunction and UpdateFunctionConfiguration,
and GetFunction and GetFunctionConfiguration answer it as Lambda does, with Lambda's defaults:
LogGroup "/aws/lambda/<function name>" ("By default, Lambda functions send logs to a default
log group named /aws/lambda/<function name>", API reference, LoggingConfig), LogFormat "Text"
("The default log format for all Lambda managed runtimes is currently plain text",
monitoring-cloudwatchlogs-log-level.html) and, for the JSON format, both levels at INFO, the
defaults that page gives. Values are refused as the API reference's LoggingConfig constrains
them, and levels without the JSON format as Lambda refuses them ("To use log-level filtering,
your function must be configured to use the JSON log format.", same page). The format and the
levels are kept and answered, not applied: the in-process runtime writes its plain text log,
unfiltered, whatever they say.

Delivery. "Your execution role needs the following permissions to upload logs to CloudWatch
Logs: logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents" (monitoring-cloudwatchlogs
.html), and a function whose role lacks them "still runs but it is unable to log any output"
(AWS Lambda Operator Guide, "Access to CloudWatch Logs"). So each invocation's log is sent as
Lambda sends it, with the execution role's credentials through the CloudWatch Logs API (as
`destinations` sends records), and the role's policies decide (iam/enforcement.py; in the
"warn" and "off" modes it is delivered): a log stream of its own in the function's group, then
its events. The group is created, with logs:CreateLogGroup, only if it does not exist ("To use
a different log group, enter an existing log group or enter a new log group name", API
reference), so a role that may write to the group a template made needs no CreateLogGroup;
and never a name beginning with aws/: "custom log group names mustn't begin with the string
aws/. If you create a custom log group beginning with aws/, Lambda" cannot create it, and the
function's logs are not sent (monitoring-cloudwatchlogs-loggroups.html). What the group already
holds, and how long it keeps it (its retention), is CloudWatch Logs' own.

A custom group's streams are named for the function: "When you use a custom log group for a
Lambda function, the log streams Lambda creates include the function name and function
version." "YYYY/MM/DD/<function_name>[<function_version>][<execution_environment_GUID>]"
(same page); the default group's are "YYYY/MM/DD/[<function_version>]<GUID>", as Lambda names
them. The invocation's environment (AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME) and
its context name the same group and stream.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.core import Core, FunctionSpec
from localcloud.core.calls import INTERNAL_AGENT
from localcloud.core.functions import default_log_group

LOG = logging.getLogger("localcloud")

FORMATS = ("Text", "JSON")
DEFAULT_FORMAT = "Text"
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
DEFAULT_LEVEL = "INFO"
LEVELS = {"ApplicationLogLevel": APPLICATION_LEVELS, "SystemLogLevel": SYSTEM_LEVELS}
# "Length Constraints: Minimum length of 1. Maximum length of 512. Pattern: [\.\-_/#A-Za-z0-9]+"
LOG_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
# Lambda's answer to log levels with the Text format, as CloudFormation users have quoted it.
LEVELS_NEED_JSON = (
    'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your '
    'request or change the LogFormat to "Json" and try again.'
)
# PutLogEvents takes at most 10,000 events and 1,048,576 bytes, counting 26 bytes per event.
_BATCH_EVENTS = 10_000
_BATCH_BYTES = 1_048_576
# Lambda's own calls to CloudWatch Logs: not retried, and not counted as the function's calls.
_DELIVERY = Config(retries={"mode": "standard", "max_attempts": 1}, user_agent_extra=INTERNAL_AGENT)


class InvalidLoggingConfig(ValueError):
    """A LoggingConfig Lambda refuses (InvalidParameterValueException)."""


def kept(
    config: Mapping[str, Any] | None, current: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The LoggingConfig Lambda keeps from a CreateFunction (`current` None) or an
    UpdateFunctionConfiguration of one it kept: the settings given, over those it had (the API
    reference does not say whether an update's left-out settings are kept; here they are). A
    change to the Text format drops the levels it had (they exist only with JSON)."""
    given = {str(k): str(v) for k, v in (config or {}).items() if v is not None}
    merged = {**(current or {}), **given}
    if merged.get("LogFormat", DEFAULT_FORMAT) not in FORMATS:
        raise InvalidLoggingConfig(f"LogFormat must be one of {list(FORMATS)}")
    for key, allowed in LEVELS.items():
        if key in merged and merged[key] not in allowed:
            raise InvalidLoggingConfig(f"{key} must be one of {list(allowed)}")
    if "LogGroup" in merged and not LOG_GROUP.fullmatch(merged["LogGroup"]):
        raise InvalidLoggingConfig(
            f"LogGroup {merged['LogGroup']!r} must be 1 to 512 of [.-_/#A-Za-z0-9]"
        )
    if merged.get("LogFormat", DEFAULT_FORMAT) != "JSON":
        if any(key in given for key in LEVELS):
            raise InvalidLoggingConfig(LEVELS_NEED_JSON)
        for key in LEVELS:
            merged.pop(key, None)
    return merged


def answered(function_name: str, config: Mapping[str, str]) -> dict[str, str]:
    """The LoggingConfig GetFunctionConfiguration answers: the kept one with Lambda's defaults."""
    log_format = config.get("LogFormat", DEFAULT_FORMAT)
    answer = {"LogFormat": log_format}
    if log_format == "JSON":
        for key in LEVELS:
            answer[key] = config.get(key, DEFAULT_LEVEL)
    answer["LogGroup"] = config.get("LogGroup") or default_log_group(function_name)
    return answer


def log_group_of(function: Any) -> str:
    """The log group of moto's function (its LoggingConfig.LogGroup), "" for the default."""
    return str((getattr(function, "localcloud_logging", None) or {}).get("LogGroup") or "")


def stream_name(spec: FunctionSpec, guid: str) -> str:
    """The log stream of one execution environment (here, one invocation)."""
    day = time.strftime("%Y/%m/%d", time.gmtime())
    if spec.log_group_name == default_log_group(spec.name):
        return f"{day}/[$LATEST]{guid}"
    return f"{day}/{spec.name}[$LATEST]{guid}"


def _batches(messages: list[str], stamp: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for message in messages:
        cost = len(message.encode()) + 26
        if batch and (len(batch) == _BATCH_EVENTS or size + cost > _BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append({"timestamp": stamp, "message": message})
        size += cost
    if batch:
        yield batch


class LogDelivery:
    """Sends each invocation's log to its function's log group, with its execution role."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def _client(self, spec: FunctionSpec) -> Any:
        if not spec.role_arn:
            return self.core.clients("logs", spec.region)
        # The session the function's own credentials come from (invoke.Credentials).
        return self.core.clients.as_role(spec.role_arn, spec.name, "logs", spec.region, _DELIVERY)

    def deliver(self, spec: FunctionSpec, stream: str, log: str) -> bool:
        """Send the log's lines to a new stream of the function's group; False if they were
        not delivered (a warning says why)."""
        group = spec.log_group_name
        # One event per line; CloudWatch Logs takes no empty message.
        lines = [line for line in log.splitlines() if line]
        if not lines:
            return True
        try:
            logs = self._client(spec)
            try:
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            except logs.exceptions.ResourceNotFoundException:
                if group.startswith("aws/"):
                    LOG.warning(
                        "%s: its log group %s does not exist, and Lambda cannot create a "
                        "group beginning with aws/: its logs are not sent",
                        spec.name,
                        group,
                    )
                    return False
                try:
                    logs.create_log_group(logGroupName=group)
                except logs.exceptions.ResourceAlreadyExistsException:
                    pass  # another invocation created it meanwhile
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            for batch in _batches(lines, int(time.time() * 1000)):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
        except ClientError as exc:
            # The function ran; only its logs are lost, as on Lambda.
            LOG.warning("%s: its logs were not delivered to %s: %s", spec.name, group, exc)
            return False
        return True


def _refusal(error: InvalidLoggingConfig) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(str(error))


def install(core: Core) -> LogDelivery:
    """moto drops a function's LoggingConfig: keep it, answer it, and keep the registered
    function's log group (what EMF extraction and `function_log` look for) in step."""
    from moto.awslambda.models import LambdaFunction

    original_init = core.hooks.original(LambdaFunction, "__init__")
    original_get = core.hooks.original(LambdaFunction, "get_configuration")
    original_update = core.hooks.original(LambdaFunction, "update_configuration")

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        try:
            logging_config = kept(spec.get("LoggingConfig"))
        except InvalidLoggingConfig as exc:
            raise _refusal(exc) from None
        original_init(self, account_id, spec, *args, **kw)
        self.localcloud_logging = logging_config
        # moto's own log writing (functions the local cloud does not run) follows it too.
        self.logs_group_name = log_group_of(self) or self.logs_group_name

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config: dict[str, Any] = original_get(self, *args, **kwargs)
        kept_config = getattr(self, "localcloud_logging", None) or {}
        config["LoggingConfig"] = answered(self.function_name, kept_config)
        return config

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            current = getattr(self, "localcloud_logging", None) or {}
            try:
                self.localcloud_logging = kept(updates.get("LoggingConfig"), current)
            except InvalidLoggingConfig as exc:
                raise _refusal(exc) from None
            self.logs_group_name = log_group_of(self) or default_log_group(self.function_name)
            spec = core.functions.get(self.function_arn)
            if spec is not None:
                core.functions.register(dataclasses.replace(spec, log_group=log_group_of(self)))
        return original_update(self, updates)  # type: ignore[no-any-return]

    core.hooks.replace(LambdaFunction, "__init__", __init__)
    core.hooks.replace(LambdaFunction, "get_configuration", get_configuration)
    core.hooks.replace(LambdaFunction, "update_configuration", update_configuration)
    return LogDelivery(core)
