"""EventBridge schedule expressions: `rate(value unit)` and `cron(6 fields)`, parsed as PutRule
accepts them and evaluated minute by minute in UTC.

From the User Guide ("Creating an Amazon EventBridge rule that runs on a schedule"): "All
scheduled events use UTC+0 time zone, and the minimum precision for a schedule is one minute."
"Cron expressions have six required fields": Minutes 0-59, Hours 0-23, Day-of-month 1-31
(`, - * ? / L W`), Month 1-12 or JAN-DEC, Day-of-week 1-7 or SUN-SAT (`, - * ? L #`), Year
1970-2199. "You can't specify the Day-of-month and Day-of-week fields in the same cron
expression. If you specify a value or a * (asterisk) in one of the fields, you must use a ?
(question mark) in the other." "A rate expression starts when you create the scheduled event
rule": "If the value is equal to 1, then the unit must be singular. If the value is greater
than 1, the unit must be plural."
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["Cron", "InvalidSchedule", "Rate", "Schedule", "parse"]


class InvalidSchedule(ValueError):
    """A ScheduleExpression PutRule refuses ("Parameter ScheduleExpression is not valid.")."""


_RATE: Final = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_CRON: Final = re.compile(r"cron\((.*)\)")
_UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS: Final = {
    name: number for number, name in enumerate(calendar.month_abbr) if name
}  # JAN..DEC -> 1..12 (upper-cased below)
_DAYS: Final = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_BOUNDS: Final = {
    "minutes": (0, 59),
    "hours": (0, 23),
    "day-of-month": (1, 31),
    "month": (1, 12),
    "day-of-week": (1, 7),
    "year": (1970, 2199),
}


@dataclass(frozen=True)
class Rate:
    seconds: int

    def fires_at(self, minute: datetime, created: datetime) -> bool:
        """Whether the rule fires at `minute` (UTC, on the minute), created at `created`.

        The guide says the rate "starts when you create the scheduled event rule" and not
        whether the first run is at creation: here it is one period after it."""
        start = created.replace(second=0, microsecond=0)
        elapsed = int((minute - start).total_seconds())
        return elapsed > 0 and elapsed % self.seconds == 0


def _aws_weekday(day: datetime) -> int:
    """1 (Sunday) .. 7 (Saturday), as cron's Day-of-week counts."""
    return (day.weekday() + 1) % 7 + 1


def _name(token: str, field: str) -> int:
    upper = token.upper()
    if field == "month" and upper.title() in _MONTHS:
        return _MONTHS[upper.title()]
    if field == "day-of-week" and upper in _DAYS:
        return _DAYS[upper]
    if not token.isdigit():
        raise InvalidSchedule(f"{field}: {token!r} is not a value")
    value = int(token)
    low, high = _BOUNDS[field]
    if not low <= value <= high:
        raise InvalidSchedule(f"{field}: {value} is outside {low}-{high}")
    return value


def _values(text: str, field: str) -> frozenset[int]:
    """The values a plain field (no ?, L, W, #) selects."""
    low, high = _BOUNDS[field]
    chosen: set[int] = set()
    for item in text.split(","):
        if not item:
            raise InvalidSchedule(f"{field}: empty item in {text!r}")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidSchedule(f"{field}: bad increment in {item!r}")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            left, right = base.split("-", 1)
            first, last = _name(left, field), _name(right, field)
        else:
            first = _name(base, field)
            last = high if step_text else first
        # A range may wrap ("20-2" hours: 10 pm to 2 am, the guide's example).
        span = (
            list(range(first, last + 1))
            if first <= last
            else [
                *range(first, high + 1),
                *range(low, last + 1),
            ]
        )
        chosen.update(span[::step])
    return frozenset(chosen)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int]

    def fires_at(self, minute: datetime, created: datetime | None = None) -> bool:
        del created  # a cron schedule does not depend on when the rule was made
        return (
            minute.minute in self.minutes
            and minute.hour in self.hours
            and minute.month in self.months
            and minute.year in self.years
            and self._day(minute)
        )

    def _day(self, day: datetime) -> bool:
        if self.day_of_month != "?":
            return _day_of_month(self.day_of_month, day)
        return _day_of_week(self.day_of_week, day)


def _day_of_month(text: str, day: datetime) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if text == "L":
        return day.day == last
    if text.endswith("W"):
        # "3W specifies the weekday closest to the third day of the month" (never crossing
        # into another month, as in every cron with W).
        target = min(int(text[:-1]), last)
        nearest = datetime(day.year, day.month, target, tzinfo=UTC)
        if nearest.weekday() == 5:  # Saturday: the Friday before, or Monday if that is the 1st
            nearest += timedelta(days=-1 if target > 1 else 2)
        elif nearest.weekday() == 6:  # Sunday: the Monday after, or Friday if that is the last
            nearest += timedelta(days=1 if target < last else -2)
        return day.day == nearest.day
    return day.day in _values(text, "day-of-month")


def _day_of_week(text: str, day: datetime) -> bool:
    weekday = _aws_weekday(day)
    if "#" in text:
        # "3#2 would be the second Tuesday of the month"
        name, nth = text.split("#")
        return weekday == _name(name, "day-of-week") and (day.day - 1) // 7 + 1 == int(nth)
    if text == "L":  # "the last day of the week": Saturday
        return weekday == 7
    if text.endswith("L"):  # "6L": the last Friday of the month
        last = calendar.monthrange(day.year, day.month)[1]
        return weekday == _name(text[:-1], "day-of-week") and day.day + 7 > last
    return weekday in _values(text, "day-of-week")


def _check_day_field(text: str, field: str) -> None:
    if text in ("?", "L"):
        return
    if field == "day-of-month" and re.fullmatch(r"\d{1,2}W", text):
        _name(text[:-1], field)
        return
    if field == "day-of-week":
        if "#" in text:
            # "If you use a '#' character, you can define only one expression in the
            # day-of-week field."
            found = re.fullmatch(r"([1-7]|[A-Za-z]{3})#([1-5])", text)
            if found is None:
                raise InvalidSchedule(f"day-of-week: {text!r} is not one n#k expression")
            _name(found.group(1), field)
            return
        if re.fullmatch(r"([1-7]|[A-Za-z]{3})L", text):
            _name(text[:-1], field)
            return
    _values(text, field)


Schedule = Rate | Cron


def parse(expression: str) -> Schedule:
    """The schedule of a ScheduleExpression; InvalidSchedule if PutRule would refuse it."""
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate is not None:
        value, unit = int(rate.group(1)), rate.group(2)
        if value == 0:
            raise InvalidSchedule("a rate's value is a positive number")
        if (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule("the unit is singular for 1 and plural for more")
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(text)
    if cron is None:
        raise InvalidSchedule(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise InvalidSchedule(f"cron has six fields, {expression!r} has {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule("exactly one of Day-of-month and Day-of-week must be ?")
    _check_day_field(day_of_month, "day-of-month")
    _check_day_field(day_of_week, "day-of-week")
    return Cron(
        minutes=_values(minutes, "minutes"),
        hours=_values(hours, "hours"),
        day_of_month=day_of_month.upper(),
        months=_values(month, "month"),
        day_of_week=day_of_week.upper(),
        years=_values(year, "year"),
    )
