"""Evaluation subsidies (奖补, domain.md §8): the bureau's rule per year, and the report computed
from the certificates issued that year.

The amounts are not public, so every number is data the bureau edits (``SubsidyRule``): an amount
per certificate for each level, an uplift for high levels in occupations on the local 急需紧缺
list (the province allows up to +30% for level 3 and above), and a cap per organisation per year
(Dongguan: up to 850,000 yuan).

What is paid for: certificates issued in the year (by 发证日期) that are **valid** now. Revoked
certificates are never paid for; suspended ones are left out until they are reinstated; a
corrected certificate counts once (its current version). The report says so and shows how many
were left out.

``compute_subsidies`` is the arithmetic alone, without the database, so it is tested on its own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.models import SubsidyRule
from audit.services import audit_append
from bureau.permissions import can_edit_subsidy_rules
from certify.models import Certificate
from lib.chain import diff
from lib.levels import all_levels

CENT = Decimal("0.01")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_AMOUNT = Decimal("99999999.99")
MAX_CAP = Decimal("9999999999.99")  # SubsidyRule.organization_annual_cap: 12 digits, 2 decimals


# --- the arithmetic (no database) -----------------------------------------------------------
@dataclass(frozen=True)
class RuleTerms:
    """The numbers of one year's rule."""

    amounts: dict[int, Decimal]
    uplift_percent: int
    max_level: int  # the uplift applies to this level digit and higher levels (smaller digits)
    cap: Decimal

    def uplift_applies(self, level: int) -> bool:
        return self.uplift_percent > 0 and level <= self.max_level

    def uplifted(self, amount: Decimal) -> Decimal:
        return (amount * (100 + self.uplift_percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SubsidyGroup:
    """Certificates of one organisation, level and shortage flag, counted by the database."""

    organization_id: int
    organization_name: str
    level: int
    shortage: bool
    count: int


@dataclass(frozen=True)
class SubsidyLine:
    level: int
    level_label: str
    count: int
    shortage_count: int  # in shortage occupations (paid with the uplift only where it applies)
    amount: Decimal
    uplifted_amount: Decimal | None  # None: no uplift at this level
    subtotal: Decimal
    priced: bool = True  # False: the rule names no amount for this level (counted at 0)

    @property
    def uplifted_count(self) -> int:
        return self.shortage_count if self.uplifted_amount is not None else 0


@dataclass(frozen=True)
class OrganizationSubsidy:
    organization_id: int
    organization_name: str
    lines: list[SubsidyLine]
    cap: Decimal

    @property
    def certificate_count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def uplifted_count(self) -> int:
        return sum(line.uplifted_count for line in self.lines)

    @property
    def uncapped(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0.00"))

    @property
    def capped(self) -> Decimal:
        return min(self.uncapped, self.cap)

    @property
    def cap_applied(self) -> bool:
        return self.uncapped > self.cap

    @property
    def reduction(self) -> Decimal:
        return self.uncapped - self.capped


def _level_labels() -> dict[int, str]:
    return {item.code: item.wording for item in all_levels()}


def compute_subsidies(*, groups: Iterable[SubsidyGroup], terms: RuleTerms) -> list[OrganizationSubsidy]:
    """Per organisation and level: count × amount, shortage certificates at an uplifted amount
    where the level qualifies, then the organisation's cap. Largest payment first."""
    labels = _level_labels()
    counts: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for group in groups:
        pair = counts[(group.organization_id, group.organization_name)][group.level]
        pair[0] += group.count
        if group.shortage:
            pair[1] += group.count
    result = []
    for (org_id, org_name), levels in counts.items():
        lines = [_line(code, total, shortage, terms, labels) for code, (total, shortage) in sorted(levels.items())]
        result.append(OrganizationSubsidy(org_id, org_name, sorted(lines, key=lambda x: -x.level), terms.cap))
    return sorted(result, key=lambda o: (-o.capped, o.organization_name))


def _line(code: int, total: int, shortage: int, terms: RuleTerms, labels: dict[int, str]) -> SubsidyLine:
    priced = code in terms.amounts
    amount = terms.amounts.get(code, Decimal("0.00"))
    if terms.uplift_applies(code):
        uplifted = terms.uplifted(amount)
        subtotal = amount * (total - shortage) + uplifted * shortage
    else:
        uplifted, subtotal = None, amount * total
    return SubsidyLine(
        level=code,
        level_label=labels.get(code, _("%(code)s 级") % {"code": code}),
        count=total,
        shortage_count=shortage,
        amount=amount,
        uplifted_amount=uplifted,
        subtotal=subtotal.quantize(CENT),
        priced=priced,
    )


# --- the rule -------------------------------------------------------------------------------
def amounts_from_json(data: Any) -> dict[int, Decimal]:
    """The stored ``{"3": "2000.00"}`` as ``{3: Decimal("2000.00")}``; entries that are not a
    level and an amount are skipped (the report then names the level as unpriced)."""
    amounts: dict[int, Decimal] = {}
    for key, value in (data or {}).items() if isinstance(data, Mapping) else ():
        try:
            amounts[int(key)] = Decimal(str(value)).quantize(CENT)
        except (TypeError, ValueError, InvalidOperation):
            continue
    return amounts


def rule_terms(rule: SubsidyRule) -> RuleTerms:
    return RuleTerms(
        amounts=amounts_from_json(rule.amounts),
        uplift_percent=int(rule.shortage_uplift_percent),
        max_level=int(rule.shortage_max_level),
        cap=Decimal(rule.organization_annual_cap).quantize(CENT),
    )


def _money(value: Any, *, field: str, what: str, maximum: Decimal, errors: dict, allow_zero: bool = True):
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors[field] = _("「%(what)s」应填写金额（元），如 1500 或 1500.50") % {"what": what}
        return None
    if not number.is_finite():
        errors[field] = _("「%(what)s」应填写金额（元），如 1500 或 1500.50") % {"what": what}
        return None
    if number < 0 or (number == 0 and not allow_zero):
        message = _("「%(what)s」不能小于 0，不补贴的等级请填 0") if allow_zero else _("「%(what)s」应大于 0")
        errors[field] = message % {"what": what}
        return None
    if number != number.quantize(CENT):
        errors[field] = _("「%(what)s」最多保留两位小数（分）") % {"what": what}
        return None
    if number > maximum:
        errors[field] = _("「%(what)s」金额过大，请核对") % {"what": what}
        return None
    return number.quantize(CENT)


def _clean_amounts(amounts: Mapping, errors: dict) -> dict[str, str]:
    configured = {item.code: item.wording for item in all_levels()}
    given: dict[int, Any] = {}
    for key, value in amounts.items():
        try:
            code = int(key)
        except (TypeError, ValueError):
            code = None
        if code not in configured:
            errors.setdefault("__all__", []).append(
                _("等级“%(code)s”不是本平台配置的职业技能等级，请删除该项") % {"code": key}
            )
            continue
        given[code] = value
    cleaned: dict[str, str] = {}
    for code, wording in configured.items():
        what = _("%(level)s 每证补贴") % {"level": wording}
        if code not in given or given[code] in (None, ""):
            errors[f"amount_{code}"] = _("请填写「%(what)s」（元），不补贴的等级请填 0") % {"what": what}
            continue
        number = _money(given[code], field=f"amount_{code}", what=what, maximum=MAX_AMOUNT, errors=errors)
        if number is not None:
            cleaned[str(code)] = str(number)
    return cleaned


def _clean_rule(
    *, year, amounts, shortage_uplift_percent, shortage_max_level, organization_annual_cap
) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    if year is None or not (MIN_YEAR <= year <= MAX_YEAR):
        errors["year"] = _("年度应为 %(min)s 到 %(max)s 之间的四位数字") % {"min": MIN_YEAR, "max": MAX_YEAR}
    cleaned_amounts = _clean_amounts(amounts or {}, errors)
    try:
        uplift = int(shortage_uplift_percent)
    except (TypeError, ValueError):
        uplift = None
    if uplift is None or not (0 <= uplift <= 100):
        errors["shortage_uplift_percent"] = _("急需紧缺职业上浮比例应为 0 到 100 之间的整数（不上浮填 0）")
    codes = [item.code for item in all_levels()]
    try:
        max_level = int(shortage_max_level)
    except (TypeError, ValueError):
        max_level = None
    if max_level not in codes:
        errors["shortage_max_level"] = _("请从列表中选择上浮适用的最低等级")
    cap = _money(
        organization_annual_cap,
        field="organization_annual_cap",
        what=_("每家机构年度上限"),
        maximum=MAX_CAP,
        errors=errors,
        allow_zero=False,
    )
    if errors:
        raise ValidationError(errors)
    return {
        "year": year,
        "amounts": cleaned_amounts,
        "shortage_uplift_percent": uplift,
        "shortage_max_level": max_level,
        "organization_annual_cap": cap,
    }


RULE_FIELDS = ("amounts", "shortage_uplift_percent", "shortage_max_level", "organization_annual_cap")


@transaction.atomic
def subsidy_rule_set(
    *,
    actor,
    year: int,
    amounts: Mapping[int | str, Any],
    shortage_uplift_percent: int,
    shortage_max_level: int,
    organization_annual_cap: Decimal | int | str,
) -> SubsidyRule:
    """Create or change the rule of a year (bureau admin only), with one audit event.

    ``amounts`` maps every configured level code to yuan per certificate (0 for no subsidy).
    A ``ValidationError`` names the form field at fault: ``year``, ``amount_<level>``,
    ``shortage_uplift_percent``, ``shortage_max_level`` or ``organization_annual_cap``.
    """
    require(can_edit_subsidy_rules(actor), _("只有人社局管理员可以修改补贴标准"))
    data = _clean_rule(
        year=year,
        amounts=amounts,
        shortage_uplift_percent=shortage_uplift_percent,
        shortage_max_level=shortage_max_level,
        organization_annual_cap=organization_annual_cap,
    )
    rule = SubsidyRule.objects.select_for_update(of=("self",)).filter(year=data["year"]).first()
    created = rule is None
    if created:
        rule = SubsidyRule(year=data["year"], organization_annual_cap=data["organization_annual_cap"])
        before: dict[str, Any] = {}
    else:
        before = {
            "amounts": {str(k): str(v) for k, v in amounts_from_json(rule.amounts).items()},
            "shortage_uplift_percent": rule.shortage_uplift_percent,
            "shortage_max_level": rule.shortage_max_level,
            "organization_annual_cap": Decimal(rule.organization_annual_cap).quantize(CENT),
        }
    after = {f: data[f] for f in RULE_FIELDS}
    changes = diff(before, after)
    if not changes:
        raise ValidationError(_("补贴标准没有变化，无需保存"))
    for name, value in after.items():
        setattr(rule, name, value)
    save_tracked(rule, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.SUBSIDY_RULE_UPDATED,
        target=rule,
        data={"year": rule.year, "created": created, "changes": changes},
    )
    return rule


def subsidy_rule_for(year: int) -> SubsidyRule | None:
    return SubsidyRule.objects.filter(year=year).first()


def subsidy_rule_template(year: int) -> SubsidyRule | None:
    """The newest rule before ``year``: a starting point when the year has none yet."""
    return SubsidyRule.objects.filter(year__lt=year).order_by("-year").first()


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
        level = _level_labels().get(terms.max_level, terms.max_level)
        notes.append(
            _("急需紧缺职业中%(level)s及以上等级的证书，每证补贴上浮 %(p)s%%；每家机构年度补贴不超过 %(cap)s 元。")
            % {"level": level, "p": terms.uplift_percent, "cap": f"{terms.cap:,.2f}"}
        )
    return notes


def subsidy_sheets(report: SubsidyReport) -> list[tuple[str, list, list]]:
    """The report as (sheet title, headers, rows) for ``write_table``."""
    labels = _level_labels()
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
