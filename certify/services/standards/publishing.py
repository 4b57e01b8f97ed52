"""Publishing a draft (the previous version retires) and retiring a published version."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.models import StandardVersion
from certify.services.standards.rules import (
    locked_version,
    require_can_edit,
    require_draft,
    require_levels_covered,
    validate_level,
)


@transaction.atomic
def standard_publish(*, actor, version: StandardVersion, today: dt.date | None = None) -> StandardVersion:
    """Draft → published. The previously published version of the same standard is retired."""
    version = locked_version(version)
    standard = version.standard
    require_can_edit(actor, standard)
    require_draft(version)
    levels = list(version.levels.order_by("-level"))
    if not levels:
        raise ValidationError(_("规范至少需要一个等级才能发布"))
    problems = []
    for level in levels:
        try:
            validate_level(level)
        except ValidationError as exc:
            problems += [f"{level.level_wording}：{m}" for m in exc.messages]
        if not level.eligibility_rules and not level.direct_grading_allowed:
            problems.append(
                _("%(level)s：既没有申报条件也不允许定级，任何人都无法报名") % {"level": level.level_wording}
            )
    if problems:
        raise ValidationError(problems)
    if not standard.is_template:
        require_levels_covered(
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
def standard_retire(*, actor, version: StandardVersion, reason: str) -> StandardVersion:
    version = locked_version(version)
    require_can_edit(actor, version.standard)
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
