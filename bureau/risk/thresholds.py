"""The rules' thresholds, which the bureau admin edits (one audited row)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.models import RiskSettings
from audit.services import audit_append
from bureau.permissions import RISK_SETTINGS_REFUSED, can_handle_risk
from lib.chain import diff

# threshold field → (lowest, highest) accepted value
THRESHOLDS: dict[str, tuple[int, int]] = {
    "identical_min_candidates": (2, 100_000),
    "identical_share_percent": (1, 100),
    "full_pass_min_candidates": (1, 100_000),
    "assessor_daily_limit": (1, 10_000),
    "direct_share_percent": (0, 100),
    "direct_min_candidates": (1, 100_000),
    "revocation_limit": (1, 100_000),
    "revocation_window_days": (1, 3_660),
}


def risk_settings_get() -> RiskSettings:
    """The thresholds in force: the stored row, or the defaults until the bureau first saves them."""
    return RiskSettings.objects.filter(pk=1).first() or RiskSettings(pk=1)


def _clean_threshold(name: str, value: Any) -> int:
    low, high = THRESHOLDS[name]
    if isinstance(value, bool):
        raise ValidationError({name: _("请填写整数")})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValidationError({name: _("请填写整数")}) from exc
    if not low <= number <= high:
        raise ValidationError({name: _("应在 %(low)d 到 %(high)d 之间") % {"low": low, "high": high}})
    return number


@transaction.atomic
def risk_settings_update(*, actor: User, **thresholds) -> RiskSettings:
    require(can_handle_risk(actor), RISK_SETTINGS_REFUSED)
    unknown = set(thresholds) - set(THRESHOLDS)
    if unknown:
        raise ValueError(f"unknown risk thresholds: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int] = {}
    for name, value in thresholds.items():
        try:
            cleaned[name] = _clean_threshold(name, value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    row = RiskSettings.objects.select_for_update().filter(pk=1).first() or RiskSettings(pk=1)
    before = {name: getattr(row, name) for name in THRESHOLDS}
    changes = diff(before, {**before, **cleaned})
    if not changes:
        raise ValidationError(_("没有需要保存的修改"))
    for name, value in cleaned.items():
        setattr(row, name, value)
    save_tracked(row, actor=actor)
    audit_append(actor=actor, event_type=EventType.RISK_SETTINGS_UPDATED, target=row, data={"changes": changes})
    return row
