"""Parsing AWS Budgets notifications: real message texts, other currencies, free text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cost_controls.notification import Money, parse_money, parse_notification
from cost_controls.routing import budget_period, execution_name
from tests.support.paths import EVENTS

ACTUAL = (EVENTS / "cost_controls" / "budget_message_actual.txt").read_text(encoding="utf-8")


def test_an_actual_notification_yields_budget_type_threshold_and_amounts() -> None:
    alert = parse_notification(ACTUAL)
    assert alert.parsed
    assert alert.budget_name == "steward-cost-control"
    assert alert.alert_type == "ACTUAL"
    assert alert.budget_type == "Cost"
    assert alert.threshold == "> $100.00"
    assert alert.budgeted == Money(Decimal("100.00"), "USD")
    assert alert.amount == Money(Decimal("112.47"), "USD")
    assert alert.account_id == "123456789012"
    assert "ACTUAL cost of budget 'steward-cost-control'" in alert.reason


def test_a_forecasted_notification_reads_the_forecasted_amount() -> None:
    text = ACTUAL.replace("Alert Type: ACTUAL", "Alert Type: FORECASTED").replace(
        "ACTUAL Amount: $112.47", "FORECASTED Amount: $1,310.90"
    )
    alert = parse_notification(text)
    assert alert.alert_type == "FORECASTED"
    assert alert.amount == Money(Decimal("1310.90"), "USD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$2.00", Money(Decimal("2.00"), "USD")),
        ("€1.234,5", None),  # a decimal comma is not how Budgets writes amounts
        ("€1,234.50", Money(Decimal("1234.50"), "EUR")),
        ("£10", Money(Decimal("10"), "GBP")),
        ("¥1,000", Money(Decimal("1000"), "JPY")),
        ("R$ 99.90", Money(Decimal("99.90"), "BRL")),
        ("12.5 CAD", Money(Decimal("12.5"), "CAD")),
        ("USD 7.25", Money(Decimal("7.25"), "USD")),
        ("a lot", None),
    ],
)
def test_amounts_in_different_currencies(text: str, expected: Money | None) -> None:
    assert parse_money(text) == expected


def test_free_text_is_unparsed_but_still_an_alert() -> None:
    alert = parse_notification("Testing the topic by hand, please restrict the beta team")
    assert not alert.parsed
    assert alert.reason == "unparsed"
    assert alert.budget_name is None


def test_the_budget_name_falls_back_to_the_subject() -> None:
    text = "\n".join(line for line in ACTUAL.splitlines() if not line.startswith("Budget Name"))
    alert = parse_notification(text, "AWS Budgets: Project Beta has exceeded your alert threshold")
    assert alert.parsed and alert.budget_name == "Project Beta"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("DAILY", "2026-11-23"),
        ("MONTHLY", "2026-11"),
        ("QUARTERLY", "2026-Q4"),
        ("ANNUALLY", "2026"),
    ],
)
def test_budget_periods(unit: str, expected: str) -> None:
    assert budget_period(unit, datetime(2026, 11, 23, 10, tzinfo=UTC)) == expected


def test_execution_names_are_valid_and_stable_per_budget_and_period() -> None:
    name = execution_name("Project Beta (EC2) / team #2", "2026-11")
    assert name == "restrict-Project-Beta-EC2-team-2-2026-11"
    assert execution_name("x" * 200, "2026-11").startswith("restrict-xxx")
    assert len(execution_name("x" * 200, "2026-11")) <= 80
