"""Working days with the bureau's own entries on top of the official calendar package.

The chinese-calendar package learns each year's arrangement only after the State Council
publishes it; until then the bureau can enter the days by hand here (CalendarDay), and pages warn
when a period runs through a year neither source knows.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.models import CalendarDay
from certify.permissions import CALENDAR_REFUSED, can_manage_filings
from lib import workdays


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(CalendarDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_working_day"))


def is_working_day(day: dt.date) -> bool:
    return workdays.is_working_day(day, overrides=_overrides(day, day))


def add_working_days(start: dt.date, count: int) -> dt.date:
    # Generous window: even Spring Festival never puts 3 weeks between count working days.
    window_end = start + dt.timedelta(days=count * 3 + 30)
    return workdays.add_working_days(start, count, overrides=_overrides(start, window_end))


def working_days_between(start: dt.date, end: dt.date) -> int:
    return workdays.working_days_between(start, end, overrides=_overrides(start, end))


def calendar_warning(start: dt.date, end: dt.date) -> str:
    """A warning when the period runs through a year with no official arrangement on file."""
    missing = [
        year
        for year in range(start.year, end.year + 1)
        if not workdays.calendar_covers(year) and not CalendarDay.objects.filter(day__year=year).exists()
    ]
    if not missing:
        return ""
    return _("%(years)s 年的法定节假日安排尚未录入，暂按周一至周五计算工作日；人社局录入后将自动按实际安排计算。") % {
        "years": "、".join(str(y) for y in missing)
    }


@transaction.atomic
def calendar_day_set(*, actor, day: dt.date, is_working_day: bool, note: str = "") -> CalendarDay:
    """The bureau enters an official holiday or 调休 working day the package does not know yet."""
    require(can_manage_filings(actor), CALENDAR_REFUSED)
    entry = CalendarDay.objects.select_for_update(of=("self",)).filter(day=day).first()
    old = None if entry is None else entry.is_working_day
    if entry is not None and entry.is_working_day == is_working_day and entry.note == note.strip():
        raise ValidationError(_("没有变化"))
    entry = entry or CalendarDay(day=day)
    entry.is_working_day, entry.note = is_working_day, note.strip()
    save_tracked(entry, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.CALENDAR_DAY_SET,
        target=entry,
        data={"day": day, "changes": {"is_working_day": [old, is_working_day]}, "note": entry.note},
    )
    return entry
