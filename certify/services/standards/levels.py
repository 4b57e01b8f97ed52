"""The levels of a draft standard: edit one, add one inside the filed scope, remove one."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.events import EventType
from audit.history import delete_tracked, save_tracked
from audit.services import audit_append
from certify.models import StandardLevel, StandardVersion
from certify.services.standards.rules import (
    LEVEL_FIELDS,
    clean_levels,
    default_level,
    locked_version,
    require_can_edit,
    require_draft,
    require_levels_covered,
    validate_level,
)
from lib.chain import diff


@transaction.atomic
def standard_level_update(*, actor, level: StandardLevel, **changes) -> StandardLevel:
    version = locked_version(level.version)
    require_can_edit(actor, version.standard)
    require_draft(version)
    unknown = set(changes) - set(LEVEL_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    level = StandardLevel.objects.get(pk=level.pk)
    before = {f: getattr(level, f) for f in LEVEL_FIELDS}
    for field, value in changes.items():
        setattr(level, field, value)
    validate_level(level)
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
    version = locked_version(version)
    standard = version.standard
    require_can_edit(actor, standard)
    require_draft(version)
    (code,) = clean_levels([level])
    if version.levels.filter(level=code).exists():
        raise ValidationError({"level": _("该等级已在本规范中")})
    if not standard.is_template:
        require_levels_covered(
            standard.organization, standard.occupation, standard.work_type, [code], today or timezone.localdate()
        )
    row = default_level(version, code)
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
    version = locked_version(level.version)
    require_can_edit(actor, version.standard)
    require_draft(version)
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
