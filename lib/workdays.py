"""Working days under the official holiday arrangement (国务院办公厅 节假日安排). Pure, no Django models.

Publicity (公示) lasts N working days and plans are filed N working days ahead. Weekends and official
holidays are off; 调休 days (a Saturday or Sunday made a working day next to Spring Festival or
National Day) are working days. The arrangement comes from the ``chinese_calendar`` package, which
ships one year at a time after the State Council publishes it (usually in November). For a year it
does not know, Monday–Friday is used, ``calendar_covers`` answers ``False`` so the interface can warn,
and a warning is logged once per year per process — the fix is upgrading chinese-calendar.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import chinese_calendar

logger = logging.getLogger(__name__)

_ONE_DAY = dt.timedelta(days=1)
_warned_years: set[int] = set()


def calendar_covers(year: int) -> bool:
    """Whether the installed chinese_calendar holds the official arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: dt.date, *, overrides: Mapping[dt.date, bool] | None = None) -> bool:
    """``overrides`` (day → working?) are days the bureau set by hand; they win over the package."""
    day = _plain_date(day)
    if overrides and day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_once(day.year)
        return day.weekday() < 5


def add_working_days(start: dt.date, count: int, *, overrides: Mapping[dt.date, bool] | None = None) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself never counts); ``count=0`` → ``start``."""
    day = _plain_date(start)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    remaining = count
    while remaining:
        day += _ONE_DAY
        if is_working_day(day, overrides=overrides):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, *, overrides: Mapping[dt.date, bool] | None = None) -> int:
    """How many working days ``d`` satisfy ``start < d <= end``; 0 when ``end <= start``."""
    day, end = _plain_date(start), _plain_date(end)
    total = 0
    while day < end:
        day += _ONE_DAY
        total += is_working_day(day, overrides=overrides)
    return total


def _plain_date(value: dt.date) -> dt.date:
    # A datetime's calendar day depends on its time zone; the caller must pick the Asia/Shanghai
    # date (timezone.localdate()) rather than have it guessed here.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"expected a datetime.date, got {type(value).__name__}")
    return value


def _warn_once(year: int) -> None:
    if year in _warned_years:
        return
    _warned_years.add(year)
    logger.warning(
        "chinese_calendar %s has no official holiday arrangement for %s; counting Monday-Friday as "
        "working days. Upgrade chinese-calendar once the State Council publishes that year's arrangement.",
        chinese_calendar.__version__,
        year,
    )
