"""The bureau handles flags: acknowledge, resolve (the bureau admin; one audit event each)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.models import RiskFlag
from audit.services import audit_append
from bureau.permissions import RISK_HANDLING_REFUSED, can_handle_risk
from bureau.risk.findings import ST


def _locked_flag(flag: RiskFlag) -> RiskFlag:
    return RiskFlag.objects.select_for_update(of=("self",)).select_related("organization").get(pk=flag.pk)


def _handle(*, actor: User, flag: RiskFlag, to: str, note: str, event_type: EventType) -> RiskFlag:
    old = flag.status
    flag.status, flag.note, flag.handled_by, flag.handled_at = to, note, actor, timezone.now()
    save_tracked(flag, actor=actor, reason=note)
    audit_append(
        actor=actor,
        event_type=event_type,
        target=flag,
        organization=flag.organization,
        data={"rule": flag.rule, "changes": {"status": [old, to]}},
        reason=note,
    )
    return flag


@transaction.atomic
def risk_flag_acknowledge(*, actor: User, flag: RiskFlag, note: str = "") -> RiskFlag:
    """The bureau has seen the flag and is looking into it (a note is optional here)."""
    require(can_handle_risk(actor), RISK_HANDLING_REFUSED)
    flag = _locked_flag(flag)
    if flag.status != ST.OPEN:
        raise ValidationError(
            _("只有待核查的风险提示可以标记为已知悉（当前：%(s)s）") % {"s": flag.get_status_display()}
        )
    return _handle(
        actor=actor,
        flag=flag,
        to=ST.ACKNOWLEDGED,
        note=(note or "").strip(),
        event_type=EventType.RISK_FLAG_ACKNOWLEDGED,
    )


@transaction.atomic
def risk_flag_resolve(*, actor: User, flag: RiskFlag, note: str) -> RiskFlag:
    """Closed with a written account of what was checked and decided (required)."""
    require(can_handle_risk(actor), RISK_HANDLING_REFUSED)
    flag = _locked_flag(flag)
    if flag.status == ST.RESOLVED:
        raise ValidationError(_("该风险提示已处理"))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请写明核查情况和处理结果")})
    return _handle(actor=actor, flag=flag, to=ST.RESOLVED, note=note, event_type=EventType.RISK_FLAG_RESOLVED)
