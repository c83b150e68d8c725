"""Amazon CloudWatch: metrics from functions' EMF log lines, and alarms that watch metrics.

Embedded metric format: "The CloudWatch embedded metric format is a JSON specification used to
instruct CloudWatch Logs to automatically extract metric values embedded in structured log
events." (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
A function's log lines reach CloudWatch Logs through moto's `put_log_events`; a line in a
function's log group that is an EMF document becomes metric data (PutMetricData, through the API),
each directive's metrics under each of its dimension sets, at `_aws.Timestamp`, with their
units and storage resolution. A document the specification does not allow is not extracted
(CloudWatch counts it as an EMF validation error, which the local cloud only logs). A
function's log group is the one its LoggingConfig names, whatever its name ("To use a different
log group, enter an existing log group or enter a new log group name", Lambda API reference,
LoggingConfig), or /aws/lambda/<function name>: the groups of the registered functions.

Alarms: moto keeps alarms and their state but never evaluates them. Here every metric alarm
is evaluated on the local cloud's clock (a core timer each period, which never moves the
clock): the last EvaluationPeriods periods of its statistic, DatapointsToAlarm of them
breaching, missing data treated per TreatMissingData. A state change (by evaluation or
SetAlarmState) publishes the alarm's notification to its actions' SNS topics, as CloudWatch
publishes it (cloudwatch.amazonaws.com, so the topic's policy applies), and sends a
"CloudWatch Alarm State Change" event to the default bus.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from localcloud.core import Core
from localcloud.services.events import service_events

LOG = logging.getLogger("localcloud")
SERVICE = "cloudwatch"
PRINCIPAL = "cloudwatch.amazonaws.com"

# ------------------------------------------------------------------------------ EMF

_MAX_METRICS = 100  # "This array MUST NOT contain more than 100 MetricDefinition objects."
_MAX_VALUES = 100  # "Numeric array metric targets MUST NOT have more than 100 members."
_MAX_DIMENSIONS = 30  # "A DimensionSet MUST NOT contain more than 30 dimension keys."


class EmfError(ValueError):
    """A log event that looks like EMF but breaks the specification."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def emf_metric_data(document: Mapping[str, Any], default_ms: int) -> list[dict[str, Any]]:
    """The PutMetricData data (with their namespace) an EMF document holds, by the spec:
    one metric per MetricDefinition and DimensionSet, its value the root member the definition
    names (a number or an array of numbers), its dimensions the root members the set names."""
    meta = document.get("_aws")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("CloudWatchMetrics"), list):
        raise EmfError("no _aws.CloudWatchMetrics")
    stamp = meta.get("Timestamp", default_ms)
    if not _number(stamp):
        raise EmfError("_aws.Timestamp is not a number of milliseconds")
    moment = datetime.fromtimestamp(float(stamp) / 1000, UTC)
    data: list[dict[str, Any]] = []
    for directive in meta["CloudWatchMetrics"]:
        if not isinstance(directive, Mapping):
            raise EmfError("a MetricDirective is not an object")
        namespace = directive.get("Namespace")
        sets = directive.get("Dimensions")
        metrics = directive.get("Metrics")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 1024:
            raise EmfError("Namespace must be a string of 1 to 1024 characters")
        if not isinstance(sets, list) or not isinstance(metrics, list):
            raise EmfError("Dimensions and Metrics must be arrays")
        if len(metrics) > _MAX_METRICS:
            raise EmfError("more than 100 MetricDefinition objects")
        dimension_sets: list[list[dict[str, str]]] = []
        for keys in sets:
            if not isinstance(keys, list) or len(keys) > _MAX_DIMENSIONS:
                raise EmfError("a DimensionSet is an array of at most 30 keys")
            dimensions = []
            for key in keys:
                value = document.get(key) if isinstance(key, str) else None
                # "The target member MUST have a string value."
                if not isinstance(value, str) or len(value) > 1024:
                    raise EmfError(f"dimension {key!r} is not a root string member")
                dimensions.append({"Name": key, "Value": value})
            dimension_sets.append(dimensions)
        for definition in metrics:
            name = definition.get("Name") if isinstance(definition, Mapping) else None
            if not isinstance(name, str):
                raise EmfError("a MetricDefinition has no Name")
            target = document.get(name)
            listed: list[Any] = target if isinstance(target, list) else [target]
            if not listed or len(listed) > _MAX_VALUES or not all(_number(v) for v in listed):
                raise EmfError(f"metric {name!r} is not a number or an array of numbers")
            values = [float(v) for v in listed]
            # "If a value is not provided, then a default value of NONE is assumed" / "60"
            unit = definition.get("Unit") or "None"
            resolution = definition.get("StorageResolution", 60)
            for dimensions in dimension_sets:
                data.append(
                    {
                        "Namespace": namespace,
                        "MetricName": name,
                        "Dimensions": dimensions,
                        "Timestamp": moment,
                        "Values": values,
                        "Counts": [1.0] * len(values),
                        "Unit": unit,
                        "StorageResolution": int(resolution),
                    }
                )
    return data


def extract_emf(core: Core, region: str, messages: Iterable[tuple[int, str]]) -> int:
    """Publish the metrics of the EMF documents among log events (timestamp ms, message);
    returns how many data were published."""
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for stamp, message in messages:
        text = message.strip()
        if not (text.startswith("{") and '"_aws"' in text):
            continue
        try:
            document = json.loads(text)
        except ValueError:
            continue  # not JSON: an ordinary log line
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        try:
            data = emf_metric_data(document, stamp)
        except EmfError as exc:
            LOG.warning("EMF document not extracted: %s", exc)
            continue
        for datum in data:
            by_namespace.setdefault(datum.pop("Namespace"), []).append(datum)
    cloudwatch = core.clients(SERVICE, region)
    sent = 0
    for namespace, data in by_namespace.items():
        for start in range(0, len(data), 500):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 500])
            sent += len(data[start : start + 500])
    return sent


def is_function_log_group(core: Core, region: str, log_group_name: str) -> bool:
    """Whether a registered function logs to this group (its LoggingConfig.LogGroup, or
    /aws/lambda/<name>)."""
    return any(
        spec.region == region and spec.log_group_name == log_group_name
        for spec in core.functions.specs()
    )


# ------------------------------------------------------------------------------ alarms

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "GreaterThanThreshold": lambda v, t: v > t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_WORDS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
# The Region as the notification names it (the Region's name, as the console shows it).
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


def _stamp(moment: datetime) -> str:
    """CloudWatch's timestamps in notifications and events: "2019-10-02T17:04:40.989+0000"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def decide(
    values: list[float | None],
    *,
    operator: str,
    threshold: float,
    datapoints_to_alarm: int,
    treat_missing: str,
    current: str,
) -> tuple[str, int]:
    """The state the evaluation range asks for, and how many of its points breach.

    "notBreaching - Missing data points are treated as "good" and within the threshold;
    breaching - Missing data points are treated as "bad" and breaching the threshold; ignore -
    The current alarm state is maintained; missing - If all data points in the alarm evaluation
    range are missing, the alarm transitions to INSUFFICIENT_DATA." (alarms-and-missing-data)
    """
    breaches = _OPERATORS[operator]
    present = [v for v in values if v is not None]
    if not present:
        if treat_missing == "breaching":
            return ("ALARM" if len(values) >= datapoints_to_alarm else "OK"), len(values)
        if treat_missing == "notBreaching":
            return "OK", 0
        if treat_missing == "ignore":
            return current, 0
        return "INSUFFICIENT_DATA", 0
    breaching = sum(1 for v in present if breaches(v, threshold))
    if treat_missing == "breaching":
        breaching += len(values) - len(present)
    return ("ALARM" if breaching >= datapoints_to_alarm else "OK"), breaching


class Alarms:
    """Evaluates every metric alarm on the clock and performs its actions on state changes."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._generation: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    # --------------------------------------------------------------- scheduling

    def watch(self, account: str, region: str, name: str, period: int) -> None:
        """(Re)start evaluating an alarm, once per period on the clock (at least every
        minute, as CloudWatch evaluates standard alarms)."""
        key = (account, region, name)
        with self._lock:
            generation = self._generation.get(key, 0) + 1
            self._generation[key] = generation
        every = float(min(max(period, 10), 60))

        def tick() -> None:
            with self._lock:
                if self._generation.get(key) != generation:
                    return  # replaced by a newer PutMetricAlarm, or deleted
            try:
                self.evaluate(region, name)
            except Exception:  # one failed evaluation must not stop the next
                LOG.exception("alarm %s not evaluated", name)
            self.core.timers.after(every, tick)

        self.core.timers.after(every, tick)

    def forget(self, account: str, region: str, name: str) -> None:
        with self._lock:
            self._generation[(account, region, name)] = -1

    # --------------------------------------------------------------- evaluation

    def evaluate(self, region: str, name: str) -> None:
        cloudwatch = self.core.clients(SERVICE, region)
        alarms = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not alarms or not alarms[0].get("MetricName"):
            return  # deleted, or a metric math alarm (not evaluated here)
        alarm = alarms[0]
        period = int(alarm["Period"])
        periods = int(alarm["EvaluationPeriods"])
        now = self.core.clock.wall()
        # The evaluation range: the last `periods` whole periods before now.
        end = math.floor(now / period) * period
        start = end - periods * period
        statistic = alarm.get("Statistic")
        extended = alarm.get("ExtendedStatistic")
        if extended:  # moto computes no percentiles: such an alarm keeps its state here
            LOG.debug("alarm %s: %s is not evaluated on the local cloud", name, extended)
            return
        kwargs: dict[str, Any] = {
            "Namespace": alarm["Namespace"],
            "MetricName": alarm["MetricName"],
            "Dimensions": alarm.get("Dimensions") or [],
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(end, UTC),
            "Period": period,
        }
        kwargs["Statistics"] = [statistic]
        if alarm.get("Unit"):
            kwargs["Unit"] = alarm["Unit"]
        points = cloudwatch.get_metric_statistics(**kwargs)["Datapoints"]
        values: list[float | None] = [None] * periods
        for point in points:
            index = int((point["Timestamp"].timestamp() - start) // period)
            if 0 <= index < periods:
                values[index] = float(point[statistic])
        datapoints = int(alarm.get("DatapointsToAlarm") or periods)
        operator = alarm["ComparisonOperator"]
        threshold = float(alarm["Threshold"])
        state, breaching = decide(
            values,
            operator=operator,
            threshold=threshold,
            datapoints_to_alarm=datapoints,
            treat_missing=alarm.get("TreatMissingData") or "missing",
            current=alarm["StateValue"],
        )
        if state == alarm["StateValue"]:
            return
        present = [(float(start + i * period), v) for i, v in enumerate(values) if v is not None]
        reason = self._reason(alarm, state, present, breaching, datapoints, periods)
        data = {
            "version": "1.0",
            "queryDate": _stamp(datetime.fromtimestamp(now, UTC)),
            "startDate": _stamp(datetime.fromtimestamp(start, UTC)),
            "statistic": statistic,
            "period": period,
            "recentDatapoints": [v for _, v in present],
            "threshold": threshold,
        }
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=reason, StateReasonData=json.dumps(data)
        )

    @staticmethod
    def _reason(
        alarm: Mapping[str, Any],
        state: str,
        present: list[tuple[float, float]],
        breaching: int,
        datapoints: int,
        periods: int,
    ) -> str:
        """The reason as CloudWatch words it: "Threshold Crossed: 1 out of the last 1 datapoints
        [99.5 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint
        for OK -> ALARM transition)."."""
        if state == "INSUFFICIENT_DATA":
            return f"Insufficient Data: {periods} datapoints were unknown."
        listed = ", ".join(
            f"{v} ({datetime.fromtimestamp(t, UTC).strftime('%d/%m/%y %H:%M:%S')})"
            for t, v in reversed(present)
        )
        words = _WORDS[alarm["ComparisonOperator"]]
        negation = "" if state == "ALARM" else "not "
        shown = breaching if state == "ALARM" else len(present) - breaching
        plural = "datapoint" if datapoints == 1 else "datapoints"
        return (
            f"Threshold Crossed: {shown} out of the last {periods} datapoints [{listed}] was "
            f"{negation}{words} the threshold ({float(alarm['Threshold'])}) (minimum "
            f"{datapoints} {plural} for {alarm['StateValue']} -> {state} transition)."
        )

    # --------------------------------------------------------------- actions

    def changed(self, alarm: Any, old_state: str, old_reason: str, old_data: str) -> None:
        """moto's alarm changed state: notify its actions and EventBridge (asynchronously, as
        CloudWatch does)."""
        snapshot = self._notification(alarm, old_state)
        event_detail = self._event_detail(alarm, old_state, old_reason, old_data)
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
        }[alarm.state_value]
        targets = list(actions or []) if alarm.actions_enabled else []
        region = alarm.region_name
        when = alarm.state_updated_timestamp

        def deliver() -> None:
            from localcloud.services.sns import publish_as_service

            subject = f'{alarm.state_value}: "{alarm.name}" in {REGION_NAMES.get(region, region)}'
            for target in targets:
                if target.split(":")[2] != "sns":
                    LOG.warning("alarm %s: action %s is not an SNS topic", alarm.name, target)
                    continue
                publish_as_service(
                    self.core,
                    target,
                    PRINCIPAL,
                    json.dumps(snapshot),
                    source_arn=alarm.alarm_arn,
                    subject=subject[:100],
                )
            service_events.send(
                self.core,
                source="aws.cloudwatch",
                detail_type="CloudWatch Alarm State Change",
                detail=event_detail,
                region=region,
                resources=[alarm.alarm_arn],
                time=when.timestamp(),
            )

        try:
            self.core.dispatcher.submit(deliver)
        except RuntimeError:
            LOG.debug("alarm %s: the local cloud is stopping", alarm.name)

    def _notification(self, alarm: Any, old_state: str) -> dict[str, Any]:
        """The message CloudWatch publishes to an alarm action's topic."""
        region = alarm.region_name
        return {
            "AlarmName": alarm.name,
            "AlarmDescription": alarm.description or None,
            "AWSAccountId": alarm.alarm_arn.split(":")[4],
            "AlarmConfigurationUpdatedTimestamp": _stamp(alarm.configuration_updated_timestamp),
            "NewStateValue": alarm.state_value,
            "NewStateReason": alarm.state_reason,
            "StateChangeTime": _stamp(alarm.state_updated_timestamp),
            "Region": REGION_NAMES.get(region, region),
            "AlarmArn": alarm.alarm_arn,
            "OldStateValue": old_state,
            "OKActions": list(alarm.ok_actions or []),
            "AlarmActions": list(alarm.alarm_actions or []),
            "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
            "Trigger": {
                "MetricName": alarm.metric_name,
                "Namespace": alarm.namespace,
                "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
                "Statistic": (alarm.extended_statistic or alarm.statistic or "").upper(),
                "Unit": alarm.unit,
                "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
                "Period": alarm.period,
                "EvaluationPeriods": alarm.evaluation_periods,
                "DatapointsToAlarm": alarm.datapoints_to_alarm or alarm.evaluation_periods,
                "ComparisonOperator": alarm.comparison_operator,
                "Threshold": float(alarm.threshold),
                "TreatMissingData": alarm.treat_missing_data or "missing",
                "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile
                or "",
            },
        }

    @staticmethod
    def _event_detail(alarm: Any, old_state: str, old_reason: str, old_data: str) -> dict[str, Any]:
        """The detail of the documentation's single-metric "CloudWatch Alarm State Change"."""
        metric: dict[str, Any] = {
            "id": alarm.alarm_arn.rsplit(":", 1)[-1],
            "metricStat": {
                "metric": {
                    "dimensions": {d.name: d.value for d in alarm.dimensions},
                    "name": alarm.metric_name,
                    "namespace": alarm.namespace,
                },
                "period": alarm.period,
                "stat": alarm.extended_statistic or alarm.statistic,
            },
            "returnData": True,
        }
        configuration: dict[str, Any] = {"metrics": [metric]}
        if alarm.description:
            configuration["description"] = alarm.description
        previous: dict[str, Any] = {"reason": old_reason, "value": old_state}
        if old_data and old_data != "{}":
            previous["reasonData"] = old_data
        state: dict[str, Any] = {
            "reason": alarm.state_reason,
            "timestamp": _stamp(alarm.state_updated_timestamp),
            "value": alarm.state_value,
        }
        if alarm.state_reason_data and alarm.state_reason_data != "{}":
            state["reasonData"] = alarm.state_reason_data
        return {
            "alarmName": alarm.name,
            "configuration": configuration,
            "previousState": previous,
            "state": state,
        }


def install(core: Core) -> None:
    from moto.cloudwatch.models import Alarm, CloudWatchBackend
    from moto.logs.models import LogsBackend

    alarms = Alarms(core)
    core.services[SERVICE] = alarms
    hooks = core.hooks

    original_put_log_events = hooks.original(LogsBackend, "put_log_events")

    def put_log_events(
        self: Any, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]
    ) -> Any:
        result = original_put_log_events(self, log_group_name, log_stream_name, log_events)
        # Functions' log groups: what a function prints is extracted without the
        # x-amzn-logs-format header a PutLogEvents caller would send.
        if is_function_log_group(core, self.region_name, log_group_name):
            events = [(int(e["timestamp"]), str(e["message"])) for e in log_events]
            try:
                extract_emf(core, self.region_name, events)
            except Exception:  # the log events are kept whatever the metrics do
                LOG.exception("EMF metrics of %s not extracted", log_group_name)
        return result

    original_init = hooks.original(Alarm, "__init__")

    def alarm_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # "INSUFFICIENT_DATA - The alarm has just started ..." (moto starts it OK): the first
        # state of the documentation's state change events, "Unchecked: Initial alarm
        # creation", on the local cloud's clock.
        self.state_value = "INSUFFICIENT_DATA"
        now = datetime.fromtimestamp(core.clock.wall(), UTC)
        self.state_updated_timestamp = now
        self.configuration_updated_timestamp = now

    original_update = hooks.original(Alarm, "update_state")

    def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
        old = (self.state_value, self.state_reason, self.state_reason_data)
        original_update(self, reason, reason_data, state_value)
        self.state_updated_timestamp = datetime.fromtimestamp(core.clock.wall(), UTC)
        if state_value != old[0]:
            alarms.changed(self, *old)

    original_put_alarm = hooks.original(CloudWatchBackend, "put_metric_alarm")

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        alarm = original_put_alarm(self, *args, **kwargs)
        if alarm.metric_name:
            alarms.watch(self.account_id, self.region_name, alarm.name, int(alarm.period or 60))
        return alarm

    original_delete = hooks.original(CloudWatchBackend, "delete_alarms")

    def delete_alarms(self: Any, alarm_names: list[str]) -> Any:
        for name in alarm_names:
            alarms.forget(self.account_id, self.region_name, name)
        return original_delete(self, alarm_names)

    # moto answers GetMetricStatistics with every metric that has at least the dimensions
    # asked for (all of them when none are). "CloudWatch treats each unique combination of
    # dimensions as a separate metric. If a specific combination of dimensions was not
    # published, you can't retrieve statistics for it." (API reference, GetMetricStatistics)
    exact = threading.local()
    original_all = hooks.original(CloudWatchBackend, "get_all_metrics")
    original_statistics = hooks.original(CloudWatchBackend, "get_metric_statistics")

    def get_all_metrics(self: Any) -> Any:
        metrics = original_all(self)
        wanted = getattr(exact, "dimensions", None)
        if wanted is None:
            return metrics
        return [m for m in metrics if {(d.name, d.value) for d in m.dimensions or []} == wanted]

    def get_metric_statistics(self: Any, *args: Any, **kwargs: Any) -> Any:
        dimensions = kwargs.get("dimensions") if "dimensions" in kwargs else args[6]
        exact.dimensions = {(d["Name"], d.get("Value")) for d in dimensions or []}
        try:
            return original_statistics(self, *args, **kwargs)
        finally:
            exact.dimensions = None

    hooks.replace(CloudWatchBackend, "get_all_metrics", get_all_metrics)
    hooks.replace(CloudWatchBackend, "get_metric_statistics", get_metric_statistics)
    hooks.replace(LogsBackend, "put_log_events", put_log_events)
    hooks.replace(Alarm, "__init__", alarm_init)
    hooks.replace(Alarm, "update_state", update_state)
    hooks.replace(CloudWatchBackend, "put_metric_alarm", put_metric_alarm)
    hooks.replace(CloudWatchBackend, "delete_alarms", delete_alarms)
