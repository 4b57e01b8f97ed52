"""What an evaluation standard must be, shared by every standards service: the editable fields, who
may edit, a draft only, levels inside the filed scope, a level's defaults and its checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import require
from certify.conf import default_review_subscores
from certify.models import Standard, StandardLevel, StandardVersion
from certify.permissions import (
    STANDARDS_REFUSED,
    TEMPLATES_REFUSED,
    can_edit_standard,
)
from certify.services.filings import filing_coverage
from lib.eligibility import national_template, ruleset_from_data, ruleset_to_data
from lib.levels import SENIOR_LEVELS, is_valid_level, level_wording

VERSION_FIELDS = ("title", "source_code", "effective_from", "notes")
LEVEL_FIELDS = (
    "has_theory",
    "theory_pass",
    "theory_minutes",
    "has_practical",
    "practical_pass",
    "practical_minutes",
    "has_review",
    "review_pass",
    "review_subscores",
    "min_practical_assessors",
    "candidates_per_assessor",
    "require_odd_panel",
    "senior_assessors_required",
    "candidates_per_invigilator",
    "min_invigilators_per_room",
    "min_review_panel",
    "eligibility_rules",
    "direct_grading_allowed",
)


def require_can_edit(actor, standard: Standard) -> None:
    require(can_edit_standard(actor, standard), TEMPLATES_REFUSED if standard.is_template else STANDARDS_REFUSED)


def require_draft(version: StandardVersion) -> None:
    if version.status != StandardVersion.Status.DRAFT:
        raise ValidationError(
            _("「%(title)s」第 %(v)s 版已发布，不能修改；如需调整，请新建版本。")
            % {"title": version.title, "v": version.version}
        )


def require_levels_covered(organization: Organization, occupation, work_type, levels, on: dt.date) -> None:
    problems = []
    for code in levels:
        coverage = filing_coverage(
            organization=organization, occupation=occupation, work_type=work_type, level=code, on=on
        )
        if not coverage.ok:
            problems.append(coverage.message)
    if problems:
        raise ValidationError(problems)


def default_level(version: StandardVersion, code: int) -> StandardLevel:
    senior = code in SENIOR_LEVELS
    rules = ruleset_to_data(national_template(code)) if code in (1, 2, 3, 4, 5) else []
    return StandardLevel(
        version=version,
        level=code,
        has_review=senior,
        review_subscores=default_review_subscores() if senior else [],
        senior_assessors_required=senior,
        eligibility_rules=rules,
    )


def clean_levels(levels) -> list[int]:
    codes = sorted({int(c) for c in levels}, reverse=True)
    if not codes:
        raise ValidationError({"levels": _("请至少选择一个等级")})
    for code in codes:
        if not is_valid_level(code):
            raise ValidationError({"levels": _("未知的等级：%(code)s") % {"code": code}})
    return codes


def locked_version(version: StandardVersion) -> StandardVersion:
    return (
        StandardVersion.objects.select_for_update(of=("self",))
        .select_related("standard__organization", "standard__occupation", "standard__work_type")
        .get(pk=version.pk)
    )


def validate_level(level: StandardLevel) -> None:
    errors: dict[str, list[str]] = {}
    if not (level.has_theory or level.has_practical or level.has_review):
        errors.setdefault("has_theory", []).append(_("至少需要一个考核项目"))
    if level.level in SENIOR_LEVELS and not level.has_review:
        errors.setdefault("has_review", []).append(_("%(level)s须进行综合评审") % {"level": level_wording(level.level)})
    for field in ("theory_pass", "practical_pass", "review_pass"):
        try:
            value = Decimal(str(getattr(level, field)))
        except InvalidOperation:
            value = Decimal("-1")
        if not Decimal("0") <= value <= Decimal("100") or value != value.quantize(Decimal("0.1")):
            errors.setdefault(field, []).append(_("合格线应在 0–100 之间，最多 1 位小数"))
    if level.has_review:
        subscores = level.review_subscores or []
        names = [str(s.get("name", "")).strip() for s in subscores]
        if any(not n for n in names) or len(set(names)) != len(names):
            errors.setdefault("review_subscores", []).append(_("评审分项名称不能为空，也不能重复"))
        try:
            total = sum(int(s.get("weight", 0)) for s in subscores)
        except (TypeError, ValueError):
            total = -1
        if subscores and total != 100:
            errors.setdefault("review_subscores", []).append(_("评审分项权重合计应为 100（现为 %(t)s）") % {"t": total})
    if level.min_practical_assessors < 1 or level.candidates_per_assessor < 1:
        errors.setdefault("min_practical_assessors", []).append(_("考评员人数和比例应为正整数"))
    try:
        level.eligibility_rules = ruleset_to_data(ruleset_from_data(level.eligibility_rules or []))
    except ValueError as exc:
        errors.setdefault("eligibility_rules", []).append(str(exc))
    if errors:
        raise ValidationError(errors)
