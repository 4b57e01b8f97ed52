"""The subsidy report of a year: the certificates issued in it, priced by that year's rule, with the
notes that say what was counted and the sheets of its export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext as _

from audit.models import SubsidyRule
from bureau.subsidies.arithmetic import (
    OrganizationSubsidy,
    RuleTerms,
    SubsidyGroup,
    SubsidyLine,
    compute_subsidies,
    level_labels,
)
from bureau.subsidies.rules import rule_terms, subsidy_rule_for
from certify.models import Certificate


# --- the report -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SubsidyReport:
    year: int
    rule: SubsidyRule
    terms: RuleTerms
    organizations: list[OrganizationSubsidy]
    excluded: dict[str, int] = field(default_factory=dict)  # status → certificates left out

    @property
    def certificate_count(self) -> int:
        return sum(o.certificate_count for o in self.organizations)

    @property
    def uplifted_count(self) -> int:
        return sum(o.uplifted_count for o in self.organizations)

    @property
    def uncapped_total(self) -> Decimal:
        return sum((o.uncapped for o in self.organizations), Decimal("0.00"))

    @property
    def capped_total(self) -> Decimal:
        return sum((o.capped for o in self.organizations), Decimal("0.00"))

    @property
    def capped_organizations(self) -> int:
        return sum(1 for o in self.organizations if o.cap_applied)

    @property
    def unpriced_levels(self) -> list[str]:
        return sorted({line.level_label for o in self.organizations for line in o.lines if not line.priced})

    @property
    def revoked_excluded(self) -> int:
        return self.excluded.get(Certificate.Status.REVOKED, 0)

    @property
    def suspended_excluded(self) -> int:
        return self.excluded.get(Certificate.Status.SUSPENDED, 0)

    def by_level(self) -> list[SubsidyLine]:
        """The lines of every organisation added up per level (before caps)."""
        totals: dict[int, list] = {}
        for org in self.organizations:
            for line in org.lines:
                entry = totals.setdefault(line.level, [line, 0, 0, Decimal("0.00")])
                entry[1] += line.count
                entry[2] += line.shortage_count
                entry[3] += line.subtotal
        return [
            SubsidyLine(
                level=code,
                level_label=line.level_label,
                count=count,
                shortage_count=shortage,
                amount=line.amount,
                uplifted_amount=line.uplifted_amount,
                subtotal=subtotal,
                priced=line.priced,
            )
            for code, (line, count, shortage, subtotal) in sorted(totals.items(), key=lambda kv: -kv[0])
        ]


def missing_rule_message(year: int) -> str:
    return _(
        "%(year)s 年度尚未设置补贴标准，无法测算。请人社局管理员先填写该年度各等级每证补贴金额和机构年度上限。"
    ) % {"year": year}


def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def subsidy_report(*, year: int, organization=None) -> SubsidyReport:
    """The subsidies of a year from the certificates issued in it (two grouped queries).

    Raises ``ValidationError`` with a message for the clerk when the year has no rule.
    """
    rule = subsidy_rule_for(year)
    if rule is None:
        raise ValidationError(missing_rule_message(year))
    start, end = _year_range(year)
    issued = Certificate.objects.filter(issue_date__range=(start, end))
    if organization is not None:
        issued = issued.filter(organization=organization)
    rows = (
        issued.filter(status=Certificate.Status.VALID)
        .values("organization_id", "organization__name", "level", "occupation__is_shortage")
        .annotate(count=Count("id"))
        .order_by()
    )
    groups = [
        SubsidyGroup(
            organization_id=v["organization_id"],
            organization_name=v["organization__name"],
            level=v["level"],
            shortage=bool(v["occupation__is_shortage"]),
            count=v["count"],
        )
        for v in rows
    ]
    excluded = dict(
        issued.filter(status__in=[Certificate.Status.REVOKED, Certificate.Status.SUSPENDED])
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    terms = rule_terms(rule)
    return SubsidyReport(
        year=year,
        rule=rule,
        terms=terms,
        organizations=compute_subsidies(groups=groups, terms=terms),
        excluded=excluded,
    )


def subsidy_notes(report_or_terms: SubsidyReport | RuleTerms | None = None) -> list[str]:
    """How the report counts, in the words the page and the export use."""
    notes = [
        _("按发证日期在本年度内、当前有效的证书测算；同一证书编号只计一次（更正后的证书按最新版本计）。"),
        _("已撤销的证书不计入补贴；暂停中的证书在恢复前不计入。"),
        _("急需紧缺职业以当前职业目录中的标记为准。"),
    ]
    terms = report_or_terms.terms if isinstance(report_or_terms, SubsidyReport) else report_or_terms
    if terms is not None:
        level = level_labels().get(terms.max_level, terms.max_level)
        notes.append(
            _("急需紧缺职业中%(level)s及以上等级的证书，每证补贴上浮 %(p)s%%；每家机构年度补贴不超过 %(cap)s 元。")
            % {"level": level, "p": terms.uplift_percent, "cap": f"{terms.cap:,.2f}"}
        )
    return notes


def subsidy_sheets(report: SubsidyReport) -> list[tuple[str, list, list]]:
    """The report as (sheet title, headers, rows) for ``write_table``."""
    labels = level_labels()
    summary = [
        [
            o.organization_name,
            o.certificate_count,
            o.uplifted_count,
            o.uncapped,
            o.cap,
            o.capped,
            _("是") if o.cap_applied else _("否"),
        ]
        for o in report.organizations
    ]
    summary.append(
        [
            _("合计"),
            report.certificate_count,
            report.uplifted_count,
            report.uncapped_total,
            None,
            report.capped_total,
            "",
        ]
    )
    detail = [
        [
            o.organization_name,
            line.level_label,
            line.count,
            line.shortage_count,
            line.amount,
            line.uplifted_amount,
            line.subtotal,
        ]
        for o in report.organizations
        for line in o.lines
    ]
    terms = report.terms
    rule_rows = [[labels.get(code, code), amount] for code, amount in sorted(terms.amounts.items(), reverse=True)]
    rule_rows += [
        [_("急需紧缺职业上浮（%）"), terms.uplift_percent],
        [_("上浮适用等级（该等级及以上）"), labels.get(terms.max_level, terms.max_level)],
        [_("每家机构年度上限（元）"), terms.cap],
    ]
    notes = [[note] for note in subsidy_notes(report)]
    left_out = {"r": report.revoked_excluded, "s": report.suspended_excluded}
    notes.append([_("未计入：已撤销 %(r)s 张，暂停 %(s)s 张") % left_out])
    return [
        (
            _("%(year)s年度汇总") % {"year": report.year},
            [
                _("评价机构"),
                _("计补证书数"),
                _("其中上浮证书数"),
                _("未封顶金额（元）"),
                _("年度上限（元）"),
                _("应补金额（元）"),
                _("已达上限"),
            ],
            summary,
        ),
        (
            _("机构分等级明细"),
            [
                _("评价机构"),
                _("职业技能等级"),
                _("计补证书数"),
                _("其中急需紧缺职业"),
                _("每证补贴（元）"),
                _("上浮后每证补贴（元）"),
                _("小计（元，封顶前）"),
            ],
            detail,
        ),
        (_("补贴标准"), [_("项目"), _("标准")], rule_rows),
        (_("说明"), [_("说明")], notes),
    ]
