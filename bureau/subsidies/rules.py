"""The bureau's subsidy rule per year: reading the stored amounts, checking a new rule, saving it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.models import SubsidyRule
from audit.services import audit_append
from bureau.permissions import SUBSIDY_RULES_REFUSED, can_edit_subsidy_rules
from bureau.subsidies.arithmetic import CENT, RuleTerms
from lib.chain import diff
from lib.levels import all_levels

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_AMOUNT = Decimal("99999999.99")
MAX_CAP = Decimal("9999999999.99")  # SubsidyRule.organization_annual_cap: 12 digits, 2 decimals


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
    require(can_edit_subsidy_rules(actor), SUBSIDY_RULES_REFUSED)
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


def subsidy_rule_years() -> set[int]:
    """Every year a rule was set for."""
    return set(SubsidyRule.objects.values_list("year", flat=True))
