"""Statistics for the bureau: issued certificates and pass rates, counted in the database.

Every number is a ``GROUP BY`` in one query (``values().annotate(Count(...))``), never a Python
loop over certificates, so the pages stay fast at 1.7 million certificates. Python only sums or
slices the few hundred aggregated rows that come back.

What counts (said on every page and in every export, see ``counting_notes``):

- A certificate is counted once per number: a correction makes a new version and marks the old
  one ``replaced``, so replaced versions are left out and the current version is counted.
- Revoked and suspended certificates were issued: they count towards the number issued and are
  shown in their own columns. (The subsidy report, ``audit.subsidies``, pays only valid ones.)
- Dates are issue dates (发证日期); the shortage flag is the occupation's current place on the
  急需紧缺 list.
- Pass rates come from the results of plans whose results have been approved (结果已审核, 公示中,
  已结束), dated by the plan's exam date: 合格率 = 合格 ÷ (合格 + 不合格 + 取消资格). Absent
  candidates and incomplete results are shown but are not part of the rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from certify.models import AssessmentPlan, Certificate, Result
from lib import levels
from lib.excel import write_table
from lib.levels import level as level_of

C = Certificate.Status
R = Result.Outcome
FINAL_PLAN_STATUSES = (
    AssessmentPlan.Status.RESULTS_APPROVED,
    AssessmentPlan.Status.PUBLICITY,
    AssessmentPlan.Status.CLOSED,
)
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class StatsFilter:
    """What the bureau narrowed the numbers to. ``None`` means no limit."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organization_id: int | None = None
    occupation_id: int | None = None
    level: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "organization": self.organization_id,
            "occupation": self.occupation_id,
            "level": self.level,
        }


@dataclass(frozen=True)
class CountRow:
    """Issued certificates of one group: all of them, and how many are valid, suspended, revoked."""

    key: Any
    label: str
    total: int
    valid: int
    suspended: int
    revoked: int
    code: str = ""
    is_shortage: bool | None = None
    share: float | None = None  # percent of the grand total


@dataclass(frozen=True)
class PassRow:
    """Results of one organisation or plan."""

    key: Any
    label: str
    candidates: int
    passed: int
    failed: int
    absent: int
    disqualified: int
    incomplete: int
    extra: dict = field(default_factory=dict)

    @property
    def sat(self) -> int:
        return self.passed + self.failed + self.disqualified

    @property
    def rate(self) -> float | None:
        return round(100 * self.passed / self.sat, 1) if self.sat else None


@dataclass(frozen=True)
class StatsOverview:
    filters: StatsFilter
    total: CountRow
    months: list[CountRow]
    levels: list[CountRow]
    occupations: list[CountRow]
    organizations: list[CountRow]
    shortage: list[CountRow]
    pass_by_organization: list[PassRow]
    pass_by_plan: list[PassRow]
    plan_limit: int | None


def counting_notes() -> list[str]:
    """The counting rules in the words the pages and the exports use."""
    return [
        _("证书数按发证日期统计；同一证书编号只计一次，更正后的证书只计最新版本。"),
        _("已撤销、暂停的证书仍计入发证数，并在“已撤销”“暂停”列中单独列出；补贴测算只计当前有效的证书。"),
        _("急需紧缺职业以当前职业目录中的标记为准。"),
        _(
            "合格率按已审核结果的评价计划（以考核日期统计）计算：合格率 = 合格 ÷（合格 + 不合格 + 取消资格）；"
            "缺考和成绩未齐的考生单列，不计入合格率。"
        ),
    ]


def default_filter(*, today: dt.date | None = None) -> StatsFilter:
    """The last twelve months, this one included: the range the dashboard opens on."""
    today = today or timezone.localdate()
    start = _add_months(today.replace(day=1), -(DEFAULT_MONTHS - 1))
    return StatsFilter(date_from=start, date_to=today)


# --- certificates ---------------------------------------------------------------------------
def certificates_counted(filters: StatsFilter) -> QuerySet[Certificate]:
    """Issued certificates inside the filter, one row per number (replaced versions left out)."""
    qs = Certificate.objects.exclude(status=C.REPLACED)
    return _filtered(qs, filters, day="issue_date", occupation="occupation_id", level="level")


def _filtered(qs: QuerySet, filters: StatsFilter, *, day: str, occupation: str, level: str) -> QuerySet:
    """``qs`` inside the filter: ``day`` the date field, ``occupation`` and ``level`` where those are."""
    conditions = {
        f"{day}__gte": filters.date_from,
        f"{day}__lte": filters.date_to,
        "organization_id": filters.organization_id,
        occupation: filters.occupation_id,
        level: filters.level,
    }
    return qs.filter(**{field: value for field, value in conditions.items() if value})


def _status_counts() -> dict[str, Count]:
    return {
        "total": Count("id"),
        "valid": Count("id", filter=Q(status=C.VALID)),
        "suspended": Count("id", filter=Q(status=C.SUSPENDED)),
        "revoked": Count("id", filter=Q(status=C.REVOKED)),
    }


def _row(key: Any, label: str, values: dict, **extra) -> CountRow:
    return CountRow(
        key=key,
        label=label,
        total=values["total"],
        valid=values["valid"],
        suspended=values["suspended"],
        revoked=values["revoked"],
        **extra,
    )


def sum_rows(rows: Iterable[CountRow], *, label: str = "") -> CountRow:
    """The grand total of grouped rows (every certificate is in exactly one group)."""
    rows = list(rows)
    return CountRow(
        key=None,
        label=label or _("合计"),
        total=sum(r.total for r in rows),
        valid=sum(r.valid for r in rows),
        suspended=sum(r.suspended for r in rows),
        revoked=sum(r.revoked for r in rows),
    )


def with_shares(rows: list[CountRow], total: int | None = None) -> list[CountRow]:
    total = sum(r.total for r in rows) if total is None else total
    return [replace(r, share=round(100 * r.total / total, 1) if total else None) for r in rows]


def certificates_by_month(filters: StatsFilter) -> list[CountRow]:
    """One row per calendar month of the range, months without certificates included (as 0)."""
    found = {
        _as_date(values["month"]): values
        for values in certificates_counted(filters)
        .annotate(month=TruncMonth("issue_date"))
        .values("month")
        .annotate(**_status_counts())
        .order_by("month")
    }
    if filters.date_from and filters.date_to:
        months = month_range(filters.date_from, filters.date_to)
    elif found:
        months = month_range(filters.date_from or min(found), filters.date_to or max(found))
    else:
        return []
    empty = {"total": 0, "valid": 0, "suspended": 0, "revoked": 0}
    return [_row(month, f"{month:%Y-%m}", found.get(month, empty)) for month in months]


def certificates_by_level(filters: StatsFilter) -> list[CountRow]:
    """Level 5 (初级工) first, up to level 1, as the certificate prints them."""
    rows = certificates_counted(filters).values("level").annotate(**_status_counts()).order_by("-level")
    return with_shares([_row(v["level"], level_label(v["level"]), v) for v in rows])


def certificates_by_occupation(filters: StatsFilter) -> list[CountRow]:
    rows = (
        certificates_counted(filters)
        .values("occupation_id", "occupation__code", "occupation__name", "occupation__is_shortage")
        .annotate(**_status_counts())
        .order_by("-total", "occupation__code")
    )
    return with_shares(
        [
            _row(
                v["occupation_id"],
                v["occupation__name"],
                v,
                code=v["occupation__code"],
                is_shortage=v["occupation__is_shortage"],
            )
            for v in rows
        ]
    )


def certificates_by_organization(filters: StatsFilter) -> list[CountRow]:
    rows = (
        certificates_counted(filters)
        .values("organization_id", "organization__name")
        .annotate(**_status_counts())
        .order_by("-total", "organization__name")
    )
    return with_shares([_row(v["organization_id"], v["organization__name"], v) for v in rows])


def certificates_by_shortage(filters: StatsFilter) -> list[CountRow]:
    """Two rows at most: occupations on the 急需紧缺 list first, then the others."""
    rows = certificates_counted(filters).values("occupation__is_shortage").annotate(**_status_counts())
    found = {v["occupation__is_shortage"]: v for v in rows}
    out = [_row(flag, shortage_label(flag), found[flag], is_shortage=flag) for flag in (True, False) if flag in found]
    return with_shares(out)


def level_label(code: int) -> str:
    try:
        level_of(code)
    except KeyError:  # a level removed from the configuration after certificates were issued
        return _("%(code)s 级") % {"code": code}
    return levels.level_label(code)  # in the page's language


def shortage_label(flag: bool) -> str:
    return _("急需紧缺职业") if flag else _("其他职业")


# --- pass rates -----------------------------------------------------------------------------
def results_counted(filters: StatsFilter) -> QuerySet[Result]:
    """Results of plans whose results are approved, inside the filter (dated by exam date)."""
    qs = Result.objects.filter(plan__status__in=FINAL_PLAN_STATUSES)
    return _filtered(qs, filters, day="plan__exam_date", occupation="plan__occupation_id", level="plan__level")


def _outcome_counts() -> dict[str, Count]:
    return {
        "candidates": Count("id"),
        "passed": Count("id", filter=Q(outcome=R.PASS)),
        "failed": Count("id", filter=Q(outcome=R.FAIL)),
        "absent": Count("id", filter=Q(outcome=R.ABSENT)),
        "disqualified": Count("id", filter=Q(outcome=R.DISQUALIFIED)),
        "incomplete": Count("id", filter=Q(outcome=R.INCOMPLETE)),
    }


def _pass_row(key: Any, label: str, values: dict, **extra) -> PassRow:
    return PassRow(
        key=key,
        label=label,
        candidates=values["candidates"],
        passed=values["passed"],
        failed=values["failed"],
        absent=values["absent"],
        disqualified=values["disqualified"],
        incomplete=values["incomplete"],
        extra=extra,
    )


def pass_rates_by_organization(filters: StatsFilter) -> list[PassRow]:
    rows = (
        results_counted(filters)
        .values("organization_id", "organization__name")
        .annotate(**_outcome_counts())
        .order_by("organization__name")
    )
    return [_pass_row(v["organization_id"], v["organization__name"], v) for v in rows]


def pass_rates_by_plan(filters: StatsFilter, *, limit: int | None = None) -> list[PassRow]:
    """The newest plans first (by exam date); ``limit`` cuts the list in the database."""
    rows = (
        results_counted(filters)
        .values(
            "plan_id",
            "plan__number",
            "plan__title",
            "plan__exam_date",
            "plan__level",
            "plan__occupation__name",
            "organization__name",
        )
        .annotate(**_outcome_counts())
        .order_by("-plan__exam_date", "plan__number")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        _pass_row(
            v["plan_id"],
            v["plan__number"],
            v,
            title=v["plan__title"],
            exam_date=v["plan__exam_date"],
            level=level_label(v["plan__level"]),
            occupation=v["plan__occupation__name"],
            organization=v["organization__name"],
        )
        for v in rows
    ]


def sum_pass_rows(rows: Iterable[PassRow]) -> PassRow:
    rows = list(rows)
    return PassRow(
        key=None,
        label=_("合计"),
        candidates=sum(r.candidates for r in rows),
        passed=sum(r.passed for r in rows),
        failed=sum(r.failed for r in rows),
        absent=sum(r.absent for r in rows),
        disqualified=sum(r.disqualified for r in rows),
        incomplete=sum(r.incomplete for r in rows),
    )


# --- everything at once ---------------------------------------------------------------------
def stats_overview(filters: StatsFilter, *, plan_limit: int | None = 50) -> StatsOverview:
    """Every table of the dashboard: seven grouped queries, whatever the number of certificates."""
    levels = certificates_by_level(filters)
    total = sum_rows(levels)
    return StatsOverview(
        filters=filters,
        total=total,
        months=certificates_by_month(filters),
        levels=levels,
        occupations=certificates_by_occupation(filters),
        organizations=certificates_by_organization(filters),
        shortage=certificates_by_shortage(filters),
        pass_by_organization=pass_rates_by_organization(filters),
        pass_by_plan=pass_rates_by_plan(filters, limit=plan_limit),
        plan_limit=plan_limit,
    )


def _count_headers(first: str, *extra: str) -> list[str]:
    return [first, *extra, _("证书数"), _("有效"), _("暂停"), _("已撤销"), _("占比（%）")]


def _count_values(row: CountRow) -> list:
    return [row.total, row.valid, row.suspended, row.revoked, row.share]


def _pass_headers(*first: str) -> list[str]:
    return [
        *first,
        _("考生数"),
        _("合格"),
        _("不合格"),
        _("取消资格"),
        _("缺考"),
        _("成绩未齐"),
        _("合格率（%）"),
    ]


def _pass_values(row: PassRow) -> list:
    return [row.candidates, row.passed, row.failed, row.disqualified, row.absent, row.incomplete, row.rate]


def stats_sheets(overview: StatsOverview, *, filter_text: list[tuple[str, str]]) -> list[tuple[str, list, list]]:
    """Every list of the dashboard as (sheet title, headers, rows), for ``write_table``."""
    notes = [[label, value] for label, value in filter_text]
    notes += [[_("统计口径"), note] for note in counting_notes()]
    notes.append([_("导出时间"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    return [
        (_("说明"), [_("项目"), _("内容")], notes),
        (
            _("按月份"),
            [_("发证月份"), _("证书数"), _("有效"), _("暂停"), _("已撤销")],
            [[r.label, r.total, r.valid, r.suspended, r.revoked] for r in overview.months],
        ),
        (
            _("按等级"),
            _count_headers(_("职业技能等级"), _("等级代码")),
            [[r.label, r.key, *_count_values(r)] for r in overview.levels],
        ),
        (
            _("按职业"),
            _count_headers(_("职业编码"), _("职业名称"), _("急需紧缺")),
            [[r.code, r.label, bool(r.is_shortage), *_count_values(r)] for r in overview.occupations],
        ),
        (
            _("按评价机构"),
            _count_headers(_("评价机构")),
            [[r.label, *_count_values(r)] for r in overview.organizations],
        ),
        (
            _("急需紧缺职业"),
            _count_headers(_("职业类别")),
            [[r.label, *_count_values(r)] for r in overview.shortage],
        ),
        (
            _("合格率（按机构）"),
            _pass_headers(_("评价机构")),
            [[r.label, *_pass_values(r)] for r in overview.pass_by_organization],
        ),
        (
            _("合格率（按计划）"),
            _pass_headers(_("评价计划编号"), _("计划名称"), _("评价机构"), _("职业"), _("等级"), _("考核日期")),
            [
                [
                    r.label,
                    r.extra["title"],
                    r.extra["organization"],
                    r.extra["occupation"],
                    r.extra["level"],
                    r.extra["exam_date"],
                    *_pass_values(r),
                ]
                for r in overview.pass_by_plan
            ],
        ),
    ]


def stats_workbook(*, filters: StatsFilter, filter_text: list[tuple[str, str]]) -> tuple[bytes, StatsOverview]:
    """The dashboard's lists as one .xlsx (every plan, not only the newest the page shows)."""
    overview = stats_overview(filters, plan_limit=None)
    return write_table(sheets=stats_sheets(overview, filter_text=filter_text)), overview


# --- months ---------------------------------------------------------------------------------
def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from ``start``'s to ``end``'s, both included."""
    first, last = start.replace(day=1), end.replace(day=1)
    months = []
    while first <= last:
        months.append(first)
        first = _add_months(first, 1)
    return months
