"""Template helpers shared by every page: status badges, dates, masking."""

import datetime as dt

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lib.dates import long_date

register = template.Library()

# One colour per meaning, the same on every screen (ui.md): valid/approved green, pending amber,
# revoked/refused red, draft/closed grey.
_BADGE = {
    "ok": {"active", "published", "valid", "approved", "passed", "pass", "eligible", "done", "accepted", "upheld"},
    "warn": {
        "suspended",
        "pending",
        "filed",
        "in_progress",
        "scoring",
        "results_approved",
        "publicity",
        "running",
        "exported",
        "open",
        "not_yet",
        "expiring",
    },
    "bad": {"revoked", "expired", "cancelled", "failed", "fail", "rejected", "absent", "disqualified", "closed_org"},
    "grey": {"draft", "retired", "closed", "replaced", "withdrawn"},
}


@register.filter
def badge_class(status: str) -> str:
    for kind, values in _BADGE.items():
        if status in values:
            return f"badge-{kind}"
    return "badge-grey"


@register.simple_tag
def badge(status: str, label: str):
    return format_html('<span class="badge {}">{}</span>', badge_class(str(status)), label)


@register.filter
def cn_date(value) -> str:
    """A date in words in the page's language: 2026年11月25日, or 25 Nov 2026 in English."""
    return long_date(value)


@register.filter
def status_on(filing, day):
    """(status value, label) of a filing on a day: an active filing past its end shows as expired;
    one ending within SKILLCERT_FILING_EXPIRY_NOTICE_DAYS says in how many days (将于 N 天后到期)."""
    status = filing.status_on(day)
    if status == "active" and isinstance(day, dt.date):
        left = (filing.valid_until - day).days
        if left <= settings.SKILLCERT_FILING_EXPIRY_NOTICE_DAYS:
            label = (
                _("今天到期")
                if left <= 0
                else ngettext("将于 %(n)d 天后到期", "将于 %(n)d 天后到期", left) % {"n": left}
            )
            return "expiring", label
    return status, filing.status_label_on(day)


@register.simple_tag
def pick(form, names: str) -> list:
    """The bound fields of a form named in a comma-separated list, in that order."""
    return [form[name] for name in names.split(",") if name in form.fields]
