"""Dates written out for a reader, in the active language: 2026年12月3日 in Chinese, 3 Dec 2026 in
English. (Printed documents — the certificate PDF — stay Chinese and keep their own format.)"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, timezone
from django.utils.translation import get_language


def long_date(value) -> str:
    """A date (or a moment, in local time) in words; empty for anything else."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, dt.date):
        return ""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return dateformat.format(value, "j M Y")
