"""The minute as a chain of hops: delays by the clock, full PutMetricData requests, one report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_metrics.minute import Clients, MinutePlan, delay_seconds, hop
from ecs_metrics.sampling import SamplerSettings
from steward_common.errors import InvalidInputError
from steward_common.inputs import parse_event

MINUTE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeEcs:
    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.gone: set[str] = set()

    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        assert len(clusters) <= 100
        return {
            "clusters": [
                {"clusterName": n, "clusterArn": f"arn:aws:ecs:::cluster/{n}", "status": "ACTIVE"}
                | {"runningTasksCount": 3}
                for n in clusters
                if n not in self.gone
            ],
            "failures": [
                {"arn": f"arn:aws:ecs:::cluster/{n}", "reason": "MISSING"}
                for n in clusters
                if n in self.gone
            ],
        }


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **kwargs: Any) -> None:
        assert len(kwargs["MetricData"]) <= 1000
        self.calls.append(kwargs)

    def send_message(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "m"}


def settings(names: list[str], mode: str = "put-metric-data") -> SamplerSettings:
    return SamplerSettings(tuple(names), "Steward/ECS", mode, False, "queue-url", "topic-arn")


def run_minute(
    names: list[str],
    mode: str = "put-metric-data",
    interval: int = 5,
    late: float = 0.3,
    on_hop: Any = None,
    start_late: float | None = None,
) -> tuple[Clients, list[Any]]:
    """Every hop of one minute, each run `late` seconds after its offset (the first
    `start_late`, if given); the hops' results."""
    clients = Clients(FakeEcs(names), Recorder(), Recorder(), Recorder())
    body = {"minute": MINUTE.isoformat(), "offsets": list(range(0, 60, interval))}
    results = []
    while body is not None:
        plan = MinutePlan.model_validate(body)
        if on_hop:
            on_hop(plan, clients)
        behind = start_late if start_late is not None and not results else late
        now = MINUTE + timedelta(seconds=plan.offsets[plan.next] + behind)
        result = hop(plan, clients, settings(names, mode), now=lambda now=now: now)
        results.append(result)
        sent = [c for c in clients.sqs.calls if "MessageBody" in c]
        body = json.loads(sent[-1]["MessageBody"]) if len(sent) == len(results) else None
    return clients, results


@pytest.mark.parametrize(
    ("after", "expected"),
    [(0.0, 5), (0.3, 5), (1.0, 4), (4.9, 1), (5.0, 0), (7.0, 0), (-3.0, 5)],
)
def test_the_delay_to_the_next_offset_comes_from_the_clock_so_lateness_does_not_add_up(
    after: float, expected: int
) -> None:
    target = MINUTE + timedelta(seconds=5)
    assert delay_seconds(target, MINUTE + timedelta(seconds=after), most=5) == expected


def test_100_clusters_a_minute_go_out_in_5_full_put_metric_data_requests() -> None:
    names = [f"c{i:03d}" for i in range(100)]
    clients, results = run_minute(names)
    requests = clients.cloudwatch.calls
    assert [len(r["MetricData"]) for r in requests] == [1000, 1000, 1000, 1000, 800]
    stamps = {d["Timestamp"] for r in requests for d in r["MetricData"]}
    assert stamps == {MINUTE + timedelta(seconds=s) for s in range(0, 60, 5)}
    assert len(results) == 12 and [r.delay for r in results[:-1]] == [5] * 11
    assert results[-1].datapoints == 4800 and results[-1].requests == 5
    bodies = [c["MessageBody"] for c in clients.sqs.calls]
    assert max(len(b.encode()) for b in bodies) < 64 * 1024  # one SQS billing chunk each
    assert not clients.sns.calls


def test_emf_mode_writes_each_sample_and_carries_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clients, results = run_minute(["web"], mode="emf", interval=15)
    assert not clients.cloudwatch.calls
    assert [r.emf_documents for r in results] == [1, 1, 1, 1]
    assert all(json.loads(c["MessageBody"])["carried"] == [] for c in clients.sqs.calls)
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["_aws"]["Timestamp"] for d in documents] == [
        int((MINUTE + timedelta(seconds=s)).timestamp() * 1000) for s in (0, 15, 30, 45)
    ]


def test_a_cluster_gone_mid_minute_is_reported_once_by_the_last_hop() -> None:
    def delete_at_20(plan: MinutePlan, clients: Clients) -> None:
        if plan.offsets[plan.next] == 20:
            clients.ecs.gone.add("doomed")

    clients, results = run_minute(["web", "doomed"], on_hop=delete_at_20)
    [alert] = clients.sns.calls
    assert json.loads(alert["Message"])["clusters"] == ["doomed"]
    assert results[-1].missing == ["doomed"]
    doomed = {
        d["Timestamp"]
        for r in clients.cloudwatch.calls
        for d in r["MetricData"]
        if d["Dimensions"][0]["Value"] == "doomed"
    }
    assert doomed == {MINUTE + timedelta(seconds=s) for s in (0, 5, 10, 15)}


def test_a_late_start_skips_the_offsets_already_past_and_keeps_the_grid() -> None:
    # the schedule fired 7 s late: 0 and 5 are due; it samples 5 now and goes on at 10
    clients, results = run_minute(["web"], start_late=7.0)
    assert results[0].skipped == [0] and results[0].offset == 5
    assert [r.offset for r in results] == list(range(5, 60, 5))
    stamps = sorted({d["Timestamp"] for r in clients.cloudwatch.calls for d in r["MetricData"]})
    assert stamps == [MINUTE + timedelta(seconds=s) for s in range(5, 60, 5)]


def test_a_start_within_one_interval_skips_nothing() -> None:
    _, results = run_minute(["web"], start_late=4.5)
    assert results[0].skipped == [] and [r.offset for r in results] == list(range(0, 60, 5))


def test_a_start_later_than_the_whole_minute_samples_its_last_offset_once() -> None:
    _, results = run_minute(["web"], start_late=70.0)
    assert [r.offset for r in results] == [55]


def test_a_hop_delayed_mid_chain_catches_up_without_skipping_an_offset() -> None:
    _, results = run_minute(["web"], late=7.0, start_late=0.3)
    assert [r.offset for r in results] == list(range(0, 60, 5))
    assert [r.delay for r in results[1:-1]] == [0] * 10


@pytest.mark.parametrize(
    "body",
    [
        {"minute": "2026-12-01T12:00:00Z", "offsets": []},
        {"minute": "2026-12-01T12:00:00Z", "offsets": [0, 60]},
        {"minute": "2026-12-01T12:00:00Z", "offsets": [5, 0]},
        {"minute": "2026-12-01T12:00:00Z", "offsets": [0, 5], "next": 2},
        {"offsets": [0, 5]},
        {"minute": "2026-12-01T12:00:00Z", "offsets": [0], "carried": [{"t": 1, "d": []}]},
        {
            "minute": "2026-12-01T12:00:00Z",
            "offsets": [0],
            "carried": [{"t": 1, "d": [[9, "web", None, 1]]}],
        },
    ],
)
def test_a_bad_plan_is_a_typed_error(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        parse_event(body, MinutePlan, "minute plan")


class FakeWatch:
    """ClusterWatch's state in memory (its conditional write is tested on moto)."""

    def __init__(self) -> None:
        self.known: list[str] = []

    def update(self, missing: list[str], active: list[str]) -> Any:
        from ecs_metrics.watch import changes

        found = changes(self.known, missing, active)
        self.known = found.missing
        return found


def test_a_missing_cluster_is_reported_once_and_its_return_once_more() -> None:
    watch = FakeWatch()
    reports: list[dict[str, Any]] = []
    for minute in range(10):
        gone = {"doomed"} if 2 <= minute < 7 else set()

        def mark(plan: MinutePlan, clients: Clients, gone: set[str] = gone) -> None:
            clients.watch = watch
            clients.ecs.gone = set(gone)

        clients, _ = run_minute(["web", "doomed"], interval=30, on_hop=mark)
        reports += [json.loads(c["Message"]) for c in clients.sns.calls]
    assert [(r["kind"], r["clusters"]) for r in reports] == [
        ("missing-clusters", ["doomed"]),
        ("clusters-back", ["doomed"]),
    ]
