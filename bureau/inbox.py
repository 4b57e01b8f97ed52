"""The bureau's inbox and the figures on its home page's tiles (``accounts.inbox``).

``bureau_items(user)`` is named in the ``INBOX_PROVIDERS`` setting. Reads only, each a count (no
row is fetched), so the home page asks the same few queries however many organisations, plans and
certificates there are.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.inbox import InboxItem
from accounts.models import Organization
from accounts.permissions import is_bureau, is_bureau_reader
from accounts.roles import BureauRole
from audit.models import RiskFlag
from certify.actions import PLAN_ACTIONS, Act
from certify.inbox import expiry_note
from certify.models import AssessmentPlan, Certificate, Filing, SupervisionReport


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def week_start(today: dt.date) -> dt.datetime:
    """Monday 00:00 of this week, local time."""
    monday = today - dt.timedelta(days=today.weekday())
    return timezone.make_aware(dt.datetime.combine(monday, dt.time.min))


def _plans_and_risks(today: dt.date) -> list[InboxItem]:
    filed = AssessmentPlan.objects.filter(filed_at__gte=week_start(today)).count()
    flags = RiskFlag.objects.filter(status=RiskFlag.Status.OPEN).count()
    return [
        InboxItem("plan.filed_week", _("本周报备的评价计划"), filed, _url("bureau:plan_list"), _("个"), tile="plans"),
        InboxItem(
            "risk.open",
            _("待核查的风险提示"),
            flags,
            _url("bureau:risk_flag_list", status=RiskFlag.Status.OPEN),
            _("条"),
            tile="risk",
        ),
    ]


def _filings(today: dt.date) -> InboxItem:
    notice = int(settings.SKILLCERT_FILING_EXPIRY_NOTICE_DAYS)
    row = Filing.objects.filter(
        status=Filing.Status.ACTIVE, valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=notice)
    ).aggregate(n=Count("pk"), soonest=Min("valid_until"))
    note = _("最近一份") + expiry_note((row["soonest"] - today).days) if row["n"] else ""
    url = _url("certify:bureau_filing_list", status=Filing.Status.ACTIVE)
    return InboxItem("filing.expiring", _("即将到期的备案"), row["n"], url, _("份"), note, tile="filings")


def _organizations(today: dt.date) -> list[InboxItem]:
    days = int(settings.SKILLCERT_ORG_IDLE_DAYS)
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min))
    recent = AssessmentPlan.objects.filter(organization=OuterRef("pk"), created_at__gte=since)
    row = Organization.objects.filter(status=Organization.Status.ACTIVE).aggregate(
        active=Count("pk"), idle=Count("pk", filter=Q(created_at__lt=since) & ~Exists(recent))
    )
    url = _url("accounts:bureau_org_list", status=Organization.Status.ACTIVE)
    return [
        InboxItem(
            "org.idle",
            _("近 %(n)d 天没有新建评价计划的机构") % {"n": days},
            row["idle"],
            url,
            _("家"),
        ),
        InboxItem("org.active", _("正常开展评价的机构"), row["active"], url, _("家"), tile="orgs", task=False),
    ]


def _certificates(today: dt.date) -> InboxItem:
    n = Certificate.objects.filter(issue_date__year=today.year, version=1).count()
    return InboxItem(
        "certificate.year",
        _("%(year)d 年已核发的证书") % {"year": today.year},
        n,
        _url("certify:bureau_certificate_list"),
        _("本"),
        tile="certificates",
        task=False,
    )


def _supervision(user) -> InboxItem:
    sources = PLAN_ACTIONS[Act.REPORT_SUPERVISION].sources
    reported = SupervisionReport.objects.filter(plan=OuterRef("pk"), supervisor=user)
    n = AssessmentPlan.objects.filter(supervisor=user, status__in=sources).exclude(Exists(reported)).count()
    return InboxItem(
        "supervision.due", _("待提交督导报告的计划"), n, _url("bureau:supervision_list"), _("个"), tile="supervision"
    )


def bureau_items(user) -> list[InboxItem]:
    today = timezone.localdate()
    items: list[InboxItem] = []
    if is_bureau_reader(user):
        items += _plans_and_risks(today)
        items.append(_filings(today))
        items += _organizations(today)
        items.append(_certificates(today))
    if is_bureau(user, BureauRole.SUPERVISOR):
        items.append(_supervision(user))
    return items
