"""Evaluation standards (评价规范): bureau templates, enterprise drafts, publishing and versions.

A published version never changes (service, form and admin all refuse; the model guards too);
a change is a new version, and plans keep the version they were filed with.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import require
from audit.events import EventType
from audit.history import delete_tracked, save_tracked
from audit.services import audit_append
from certify.conf import default_review_subscores
from certify.models import Occupation, Standard, StandardLevel, StandardVersion, WorkType
from certify.permissions import can_manage_standards, can_manage_templates
from certify.services.catalogue import resolve_work_type
from certify.services.filings import filing_coverage
from lib.chain import diff
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


def _require_can_edit(actor, standard: Standard) -> None:
    if standard.is_template:
        require(can_manage_templates(actor), _("只有人社局管理员可以维护评价规范模板"))
    else:
        require(can_manage_standards(actor, standard.organization), _("您没有维护本机构评价规范的权限"))


def _require_draft(version: StandardVersion) -> None:
    if version.status != StandardVersion.Status.DRAFT:
        raise ValidationError(
            _("「%(title)s」第 %(v)s 版已发布，不能修改；如需调整，请新建版本。")
            % {"title": version.title, "v": version.version}
        )


def _require_levels_covered(organization: Organization, occupation, work_type, levels, on: dt.date) -> None:
    problems = []
    for code in levels:
        coverage = filing_coverage(
            organization=organization, occupation=occupation, work_type=work_type, level=code, on=on
        )
        if not coverage.ok:
            problems.append(coverage.message)
    if problems:
        raise ValidationError(problems)


def _default_level(version: StandardVersion, code: int) -> StandardLevel:
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


def _clean_levels(levels) -> list[int]:
    codes = sorted({int(c) for c in levels}, reverse=True)
    if not codes:
        raise ValidationError({"levels": _("请至少选择一个等级")})
    for code in codes:
        if not is_valid_level(code):
            raise ValidationError({"levels": _("未知的等级：%(code)s") % {"code": code}})
    return codes


def _create(
    *,
    actor,
    organization: Organization | None,
    occupation: Occupation,
    work_type: WorkType | None,
    source: str,
    title: str,
    source_code: str,
    levels: list[int],
    effective_from: dt.date | None = None,
    notes: str = "",
    adopted_from: StandardVersion | None = None,
) -> StandardVersion:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写规范名称")})
    standard = Standard(
        organization=organization,
        occupation=occupation,
        work_type=work_type,
        source=source,
        adopted_from=adopted_from,
        created_by=actor,
    )
    save_tracked(standard, actor=actor)
    version = StandardVersion(
        standard=standard,
        version=1,
        title=title,
        source_code=(source_code or "").strip(),
        effective_from=effective_from,
        notes=(notes or "").strip(),
        created_by=actor,
    )
    save_tracked(version, actor=actor)
    if adopted_from is None:
        for code in levels:
            level = _default_level(version, code)
            save_tracked(level, actor=actor)
    else:
        for source_level in adopted_from.levels.filter(level__in=levels):
            copy = StandardLevel(version=version, level=source_level.level)
            for field in LEVEL_FIELDS:
                setattr(copy, field, getattr(source_level, field))
            save_tracked(copy, actor=actor)
    return version


@transaction.atomic
def standard_template_create(
    *,
    actor,
    occupation: Occupation,
    work_type: WorkType | str | None,
    source: str,
    title: str,
    source_code: str = "",
    levels: list[int],
    effective_from: dt.date | None = None,
    notes: str = "",
) -> StandardVersion:
    """The bureau drafts a national or city standard as a template organisations adopt."""
    require(can_manage_templates(actor), _("只有人社局管理员可以发布评价规范模板"))
    work_type = resolve_work_type(actor=actor, occupation=occupation, value=work_type)
    if source not in (Standard.Source.NATIONAL, Standard.Source.CITY):
        raise ValidationError({"source": _("模板的来源应为国家职业技能标准或市级评价规范")})
    version = _create(
        actor=actor,
        organization=None,
        occupation=occupation,
        work_type=work_type,
        source=source,
        title=title,
        source_code=source_code,
        levels=_clean_levels(levels),
        effective_from=effective_from,
        notes=notes,
    )
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_CREATED,
        target=version,
        data={"template": True, "occupation": occupation.code, "levels": _clean_levels(levels)},
    )
    return version


@transaction.atomic
def standard_draft_create(
    *,
    actor,
    organization: Organization,
    occupation: Occupation,
    work_type: WorkType | str | None,
    title: str,
    source_code: str = "",
    levels: list[int],
    effective_from: dt.date | None = None,
    notes: str = "",
    today: dt.date | None = None,
) -> StandardVersion:
    """An operator drafts an enterprise standard; only inside the organisation's filed scope."""
    require(can_manage_standards(actor, organization), _("您没有维护本机构评价规范的权限"))
    codes = _clean_levels(levels)
    work_type = resolve_work_type(actor=actor, occupation=occupation, value=work_type)
    _require_levels_covered(organization, occupation, work_type, codes, today or timezone.localdate())
    version = _create(
        actor=actor,
        organization=organization,
        occupation=occupation,
        work_type=work_type,
        source=Standard.Source.ENTERPRISE,
        title=title,
        source_code=source_code,
        levels=codes,
        effective_from=effective_from,
        notes=notes,
    )
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_CREATED,
        target=version,
        organization=organization,
        data={"occupation": occupation.code, "work_type": work_type.name if work_type else None, "levels": codes},
    )
    return version


@transaction.atomic
def standard_adopt(
    *, actor, organization: Organization, template: StandardVersion, today: dt.date | None = None
) -> tuple[StandardVersion, list[int]]:
    """Copy a published template into a draft of the organisation: the levels inside its scope.

    Returns the draft and the levels left out because the filing does not cover them.
    """
    require(can_manage_standards(actor, organization), _("您没有维护本机构评价规范的权限"))
    template = StandardVersion.objects.select_related("standard__occupation", "standard__work_type").get(pk=template.pk)
    if not template.standard.is_template or template.status != StandardVersion.Status.PUBLISHED:
        raise ValidationError(_("只能采用人社局已发布的评价规范模板"))
    standard = template.standard
    on = today or timezone.localdate()
    covered, skipped, messages = [], [], []
    for level in template.levels.order_by("-level"):
        coverage = filing_coverage(
            organization=organization,
            occupation=standard.occupation,
            work_type=standard.work_type,
            level=level.level,
            on=on,
        )
        (covered if coverage.ok else skipped).append(level.level)
        if not coverage.ok:
            messages.append(coverage.message)
    if not covered:
        raise ValidationError(messages)
    version = _create(
        actor=actor,
        organization=organization,
        occupation=standard.occupation,
        work_type=standard.work_type,
        source=standard.source,
        title=template.title,
        source_code=template.source_code,
        levels=covered,
        effective_from=template.effective_from,
        notes=template.notes,
        adopted_from=template,
    )
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_ADOPTED,
        target=version,
        organization=organization,
        data={"template_version": template.pk, "levels": covered, "levels_outside_scope": skipped},
    )
    return version, skipped


def _locked_version(version: StandardVersion) -> StandardVersion:
    return (
        StandardVersion.objects.select_for_update(of=("self",))
        .select_related("standard__organization", "standard__occupation", "standard__work_type")
        .get(pk=version.pk)
    )


@transaction.atomic
def standard_version_update(*, actor, version: StandardVersion, **changes) -> StandardVersion:
    version = _locked_version(version)
    _require_can_edit(actor, version.standard)
    _require_draft(version)
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before = {f: getattr(version, f) for f in VERSION_FIELDS}
    for field, value in changes.items():
        setattr(version, field, value.strip() if isinstance(value, str) else value)
    if not version.title:
        raise ValidationError({"title": _("请填写规范名称")})
    changed = diff(before, {f: getattr(version, f) for f in VERSION_FIELDS})
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    save_tracked(version, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_UPDATED,
        target=version,
        organization=version.standard.organization,
        data={"changes": changed},
    )
    return version


def _validate_level(level: StandardLevel) -> None:
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


@transaction.atomic
def standard_level_update(*, actor, level: StandardLevel, **changes) -> StandardLevel:
    version = _locked_version(level.version)
    _require_can_edit(actor, version.standard)
    _require_draft(version)
    unknown = set(changes) - set(LEVEL_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    level = StandardLevel.objects.get(pk=level.pk)
    before = {f: getattr(level, f) for f in LEVEL_FIELDS}
    for field, value in changes.items():
        setattr(level, field, value)
    _validate_level(level)
    changed = diff(before, {f: getattr(level, f) for f in LEVEL_FIELDS})
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    save_tracked(level, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_LEVEL_UPDATED,
        target=version,
        organization=version.standard.organization,
        data={"level": level.level, "changes": changed},
    )
    return level


@transaction.atomic
def standard_level_add(*, actor, version: StandardVersion, level: int, today: dt.date | None = None) -> StandardLevel:
    version = _locked_version(version)
    standard = version.standard
    _require_can_edit(actor, standard)
    _require_draft(version)
    (code,) = _clean_levels([level])
    if version.levels.filter(level=code).exists():
        raise ValidationError({"level": _("该等级已在本规范中")})
    if not standard.is_template:
        _require_levels_covered(
            standard.organization, standard.occupation, standard.work_type, [code], today or timezone.localdate()
        )
    row = _default_level(version, code)
    save_tracked(row, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_LEVEL_ADDED,
        target=version,
        organization=standard.organization,
        data={"level": code},
    )
    return row


@transaction.atomic
def standard_level_remove(*, actor, level: StandardLevel) -> None:
    version = _locked_version(level.version)
    _require_can_edit(actor, version.standard)
    _require_draft(version)
    if version.levels.count() <= 1:
        raise ValidationError(_("规范至少需要保留一个等级"))
    code = level.level
    level = StandardLevel.objects.get(pk=level.pk)
    delete_tracked(level, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_LEVEL_REMOVED,
        target=version,
        organization=version.standard.organization,
        data={"level": code},
    )


@transaction.atomic
def standard_publish(*, actor, version: StandardVersion, today: dt.date | None = None) -> StandardVersion:
    """Draft → published. The previously published version of the same standard is retired."""
    version = _locked_version(version)
    standard = version.standard
    _require_can_edit(actor, standard)
    _require_draft(version)
    levels = list(version.levels.order_by("-level"))
    if not levels:
        raise ValidationError(_("规范至少需要一个等级才能发布"))
    problems = []
    for level in levels:
        try:
            _validate_level(level)
        except ValidationError as exc:
            problems += [f"{level.level_wording}：{m}" for m in exc.messages]
        if not level.eligibility_rules and not level.direct_grading_allowed:
            problems.append(
                _("%(level)s：既没有申报条件也不允许定级，任何人都无法报名") % {"level": level.level_wording}
            )
    if problems:
        raise ValidationError(problems)
    if not standard.is_template:
        _require_levels_covered(
            standard.organization,
            standard.occupation,
            standard.work_type,
            [lv.level for lv in levels],
            today or timezone.localdate(),
        )
    now = timezone.now()
    retired = []
    for previous in StandardVersion.objects.select_for_update(of=("self",)).filter(
        standard=standard, status=StandardVersion.Status.PUBLISHED
    ):
        previous.status, previous.retired_at = StandardVersion.Status.RETIRED, now
        save_tracked(previous, actor=actor, reason=_("发布新版本"), fields=["status", "retired_at"])
        retired.append(previous.version)
    version.status, version.published_at, version.published_by = StandardVersion.Status.PUBLISHED, now, actor
    save_tracked(version, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_PUBLISHED,
        target=version,
        organization=standard.organization,
        data={"version": version.version, "levels": [lv.level for lv in levels], "retired_versions": retired},
    )
    return version


@transaction.atomic
def standard_new_version(*, actor, version: StandardVersion) -> StandardVersion:
    """A change to a published standard starts as a new draft version copied from it."""
    version = _locked_version(version)
    standard = version.standard
    _require_can_edit(actor, standard)
    if version.status == StandardVersion.Status.DRAFT:
        raise ValidationError(_("这是草稿，可以直接修改"))
    if standard.versions.filter(status=StandardVersion.Status.DRAFT).exists():
        raise ValidationError(_("该规范已有一个草稿版本，请先完成或删除它"))
    number = (standard.versions.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    draft = StandardVersion(standard=standard, version=number, created_by=actor)
    for field in VERSION_FIELDS:
        setattr(draft, field, getattr(version, field))
    save_tracked(draft, actor=actor)
    for level in version.levels.all():
        copy = StandardLevel(version=draft, level=level.level)
        for field in LEVEL_FIELDS:
            setattr(copy, field, getattr(level, field))
        save_tracked(copy, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_NEW_VERSION,
        target=draft,
        organization=standard.organization,
        data={"from_version": version.version, "version": number},
    )
    return draft


@transaction.atomic
def standard_retire(*, actor, version: StandardVersion, reason: str) -> StandardVersion:
    version = _locked_version(version)
    _require_can_edit(actor, version.standard)
    if version.status != StandardVersion.Status.PUBLISHED:
        raise ValidationError(_("只有已发布的版本可以停用"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("停用评价规范须填写原因")})
    version.status, version.retired_at = StandardVersion.Status.RETIRED, timezone.now()
    save_tracked(version, actor=actor, reason=reason, fields=["status", "retired_at"])
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_RETIRED,
        target=version,
        organization=version.standard.organization,
        data={"version": version.version},
        reason=reason,
    )
    return version


@transaction.atomic
def standard_draft_discard(*, actor, version: StandardVersion) -> None:
    version = _locked_version(version)
    standard = version.standard
    _require_can_edit(actor, standard)
    _require_draft(version)
    target = ("certify.standardversion", version.pk, str(version))
    for level in version.levels.all():
        delete_tracked(level, actor=actor)
    delete_tracked(version, actor=actor)
    if not standard.versions.exists():
        delete_tracked(standard, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_DISCARDED,
        target=target,
        organization=standard.organization,
        data={"version": version.version},
    )
