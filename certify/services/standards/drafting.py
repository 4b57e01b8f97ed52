"""Drafting standards: a bureau template, an enterprise draft, adopting a template, a new version of a
published one, editing a draft's description, discarding a draft."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import require
from audit.events import EventType
from audit.history import delete_tracked, save_tracked
from audit.services import audit_append
from certify.models import Occupation, Standard, StandardLevel, StandardVersion, WorkType
from certify.permissions import STANDARDS_REFUSED, TEMPLATES_PUBLISH_REFUSED, can_manage_standards, can_manage_templates
from certify.services.catalogue import resolve_work_type
from certify.services.filings import filing_coverage
from certify.services.standards.rules import (
    LEVEL_FIELDS,
    VERSION_FIELDS,
    clean_levels,
    default_level,
    locked_version,
    require_can_edit,
    require_draft,
    require_levels_covered,
)
from lib.chain import diff


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
            level = default_level(version, code)
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
    require(can_manage_templates(actor), TEMPLATES_PUBLISH_REFUSED)
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
        levels=clean_levels(levels),
        effective_from=effective_from,
        notes=notes,
    )
    audit_append(
        actor=actor,
        event_type=EventType.STANDARD_CREATED,
        target=version,
        data={"template": True, "occupation": occupation.code, "levels": clean_levels(levels)},
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
    require(can_manage_standards(actor, organization), STANDARDS_REFUSED)
    codes = clean_levels(levels)
    work_type = resolve_work_type(actor=actor, occupation=occupation, value=work_type)
    require_levels_covered(organization, occupation, work_type, codes, today or timezone.localdate())
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
    require(can_manage_standards(actor, organization), STANDARDS_REFUSED)
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


@transaction.atomic
def standard_version_update(*, actor, version: StandardVersion, **changes) -> StandardVersion:
    version = locked_version(version)
    require_can_edit(actor, version.standard)
    require_draft(version)
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


@transaction.atomic
def standard_new_version(*, actor, version: StandardVersion) -> StandardVersion:
    """A change to a published standard starts as a new draft version copied from it."""
    version = locked_version(version)
    standard = version.standard
    require_can_edit(actor, standard)
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
def standard_draft_discard(*, actor, version: StandardVersion) -> None:
    version = locked_version(version)
    standard = version.standard
    require_can_edit(actor, standard)
    require_draft(version)
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
