"""Reading AWS Budgets notifications: the plain-text e-mail body Budgets publishes to SNS.

A message that is not a Budgets notification (an operator testing the topic by hand) still
counts: it yields an alert marked unparsed, so the configured action runs and says why.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "R$": "BRL", "¥": "JPY"}
_MONEY = re.compile(
    r"^(?P<pre>R\$|[$€£¥₹₩]|[A-Z]{3})?\s*(?P<num>-?[\d][\d,]*(?:\.\d+)?)\s*(?P<post>[A-Z]{3})?$"
)
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]+?):\s*(?P<value>.+?)\s*$", re.MULTILINE)
_ACCOUNT = re.compile(r"AWS Account\s+(\d{12})")
_SUBJECT_BUDGET = re.compile(r"AWS Budgets:\s*(?P<name>.+?)\s+has exceeded", re.IGNORECASE)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class BudgetAlert:
    """What one notification says; `parsed` is False for free text."""

    parsed: bool
    budget_name: str | None = None
    budget_type: str | None = None
    alert_type: str | None = None  # ACTUAL or FORECASTED
    threshold: str | None = None
    budgeted: Money | None = None
    amount: Money | None = None  # the ACTUAL or FORECASTED amount that crossed the threshold
    account_id: str | None = None

    @property
    def reason(self) -> str:
        if not self.parsed:
            return "unparsed"
        amount = f" at {self.amount}" if self.amount else ""
        return f"{self.alert_type} cost of budget {self.budget_name!r} crossed {self.threshold}{amount}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("budgeted", "amount"):
            money = getattr(self, key)
            data[key] = (
                None if money is None else {"amount": str(money.amount), "currency": money.currency}
            )
        data["reason"] = self.reason
        return data


def parse_money(text: str) -> Money | None:
    match = _MONEY.match(text.strip())
    if not match:
        return None
    try:
        amount = Decimal(match["num"].replace(",", ""))
    except InvalidOperation:
        return None
    code = match["post"] or match["pre"] or "USD"
    return Money(amount, _SYMBOLS.get(code, code))


def parse_notification(message: str, subject: str | None = None) -> BudgetAlert:
    fields = {m["key"].strip().lower(): m["value"] for m in _FIELD.finditer(message)}
    name = fields.get("budget name")
    if name is None and subject:
        found = _SUBJECT_BUDGET.search(subject)
        name = found["name"] if found else None
    alert_type = (fields.get("alert type") or "").upper() or None
    if alert_type not in ("ACTUAL", "FORECASTED") or not name:
        return BudgetAlert(parsed=False)
    account = _ACCOUNT.search(message)
    amount_text = fields.get(f"{alert_type.lower()} amount")
    budgeted_text = fields.get("budgeted amount")
    return BudgetAlert(
        parsed=True,
        budget_name=name,
        budget_type=fields.get("budget type"),
        alert_type=alert_type,
        threshold=fields.get("alert threshold"),
        budgeted=parse_money(budgeted_text) if budgeted_text else None,
        amount=parse_money(amount_text) if amount_text else None,
        account_id=account.group(1) if account else None,
    )
