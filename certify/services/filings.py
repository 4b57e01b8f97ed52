"""Bureau filings (备案) and the one question every later step asks: is this covered?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.conf import conf
from certify.models import Filing, FilingScope, Occupation, WorkType
from certify.permissions import FILINGS_REFUSED, can_manage_filings
from certify.services.catalogue import resolve_work_type
from lib.levels import is_valid_level, level_label


@dataclass(frozen=True)
class ScopeSpec:
    occupation: Occupation
    work_type: WorkType | str | None  # a name creates the 工种 if it is new
    levels: tuple[int, ...]


@dataclass(frozen=True)
class Coverage:
    ok: bool
    message: str = ""
    filing: Filing | None = None
    scope: FilingScope | None = None


def _subject(occupation: Occupation, work_type: WorkType | None) -> str:
    return f"{occupation.name}（{work_type.name}）" if work_type else occupation.name


def filing_coverage(
    *, organization: Organization, occupation: Occupation, work_type: WorkType | None, level: int, on: dt.date
) -> Coverage:
    """Does a filing of this organisation cover occupation, 工种 and level on this day?

    A scope row without a 工种 covers every 工种 of its occupation. When nothing covers, the
    message says why in words a clerk can act on (outside the scope, level not filed, expired,
    suspended, revoked, not yet valid).
    """
    scopes = list(
        FilingScope.objects.filter(filing__organization=organization, occupation=occupation)
        .filter(Q(work_type__isnull=True) | Q(work_type=work_type) if work_type else Q(work_type__isnull=True))
        .select_related("filing")
        .order_by("-filing__valid_until")
    )
    subject = _subject(occupation, work_type)
    if not scopes:
        return Coverage(
            False, _("本机构的备案范围不包括「%(subject)s」，请先向人社局申请备案。") % {"subject": subject}
        )
    level_scopes = [s for s in scopes if s.covers_level(level)]
    for scope in level_scopes:
        if scope.filing.status_on(on) == Filing.Status.ACTIVE:
            return Coverage(True, "", scope.filing, scope)
    if not level_scopes:
        allowed = sorted({c for s in scopes for c in s.level_codes}, reverse=True)
        return Coverage(
            False,
            _("备案范围内「%(subject)s」只包括%(allowed)s，不包括%(level)s。")
            % {
                "subject": subject,
                "allowed": "、".join(level_label(c) for c in allowed),
                "level": level_label(level),
            },
        )
    filing = level_scopes[0].filing
    status = filing.status_on(on)
    day = on.isoformat()
    if status == Filing.Status.EXPIRED:
        message = _("备案 %(number)s 已于 %(until)s 到期，%(day)s 不能开展评价；请先办理备案续期。") % {
            "number": filing.number,
            "until": filing.valid_until.isoformat(),
            "day": day,
        }
    elif status == Filing.Status.SUSPENDED:
        message = _("备案 %(number)s 已被暂停（%(reason)s），%(day)s 在暂停期间，不能开展评价。") % {
            "number": filing.number,
            "reason": filing.status_reason or _("未注明原因"),
            "day": day,
        }
    elif status == Filing.Status.REVOKED:
        message = _("备案 %(number)s 已被撤销（%(reason)s），%(day)s 不能开展评价。") % {
            "number": filing.number,
            "reason": filing.status_reason or _("未注明原因"),
            "day": day,
        }
    else:
        message = _("备案 %(number)s 自 %(start)s 起生效，%(day)s 尚不能开展评价。") % {
            "number": filing.number,
            "start": filing.valid_from.isoformat(),
            "day": day,
        }
    return Coverage(False, message, filing, level_scopes[0])


# --- writes -----------------------------------------------------------------------------
def _levels_text(levels) -> str:
    codes = sorted({int(c) for c in levels}, reverse=True)
    if not codes:
        raise ValidationError({"levels": _("请至少选择一个等级")})
    for code in codes:
        if not is_valid_level(code):
            raise ValidationError({"levels": _("未知的等级：%(code)s") % {"code": code}})
    return "".join(str(c) for c in codes)


def _scope_describe(scope: FilingScope) -> dict:
    return {
        "occupation": scope.occupation.code,
        "occupation_name": scope.occupation.name,
        "work_type": scope.work_type.name if scope.work_type_id else None,
        "levels": scope.levels,
    }


def _add_or_extend_scope(*, actor, filing: Filing, spec: ScopeSpec) -> tuple[FilingScope, str | None]:
    work_type = resolve_work_type(actor=actor, occupation=spec.occupation, value=spec.work_type)
    levels = _levels_text(spec.levels)
    scope = FilingScope.objects.filter(filing=filing, occupation=spec.occupation, work_type=work_type).first()
    if scope is None:
        scope = FilingScope(filing=filing, occupation=spec.occupation, work_type=work_type, levels=levels)
        save_tracked(scope, actor=actor)
        return scope, None
    merged = _levels_text(set(scope.levels) | set(levels))
    if merged == scope.levels:
        raise ValidationError(
            _("「%(subject)s」的这些等级已在备案范围内") % {"subject": _subject(spec.occupation, work_type)}
        )
    old = scope.levels
    scope.levels = merged
    save_tracked(scope, actor=actor, fields=["levels"])
    return scope, old


@transaction.atomic
def filing_create(
    *,
    actor,
    organization: Organization,
    number: str,
    valid_from: dt.date,
    valid_until: dt.date,
    scopes: list[ScopeSpec],
    notes: str = "",
) -> Filing:
    require(can_manage_filings(actor), FILINGS_REFUSED)
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": _("请填写备案编号")})
    if valid_until < valid_from:
        raise ValidationError({"valid_until": _("有效期止不能早于有效期起")})
    if not scopes:
        raise ValidationError(_("请至少填写一行备案范围"))
    if Filing.objects.filter(number=number).exists():
        raise ValidationError({"number": _("备案编号 %(number)s 已存在") % {"number": number}})
    filing = Filing(
        organization=organization,
        number=number,
        valid_from=valid_from,
        valid_until=valid_until,
        notes=notes.strip(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            save_tracked(filing, actor=actor)
    except IntegrityError as exc:
        raise ValidationError({"number": _("备案编号 %(number)s 已存在") % {"number": number}}) from exc
    rows = []
    for spec in scopes:
        scope, _old = _add_or_extend_scope(actor=actor, filing=filing, spec=spec)
        rows.append(_scope_describe(scope))
    audit_append(
        actor=actor,
        event_type=EventType.FILING_CREATED,
        target=filing,
        organization=organization,
        data={"number": number, "valid_from": valid_from, "valid_until": valid_until, "scopes": rows},
    )
    return filing


def _locked(filing: Filing) -> Filing:
    return Filing.objects.select_for_update(of=("self",)).select_related("organization").get(pk=filing.pk)


@transaction.atomic
def filing_add_scope(*, actor, filing: Filing, scope: ScopeSpec) -> FilingScope:
    """Add an occupation (or levels of one) to a filing; the expiry date does not move."""
    require(can_manage_filings(actor), _("只有人社局管理员可以变更备案范围"))
    filing = _locked(filing)
    if filing.status_on(timezone.localdate()) in (Filing.Status.REVOKED, Filing.Status.EXPIRED):
        raise ValidationError(_("已撤销或已到期的备案不能增加范围"))
    row, old_levels = _add_or_extend_scope(actor=actor, filing=filing, spec=scope)
    audit_append(
        actor=actor,
        event_type=EventType.FILING_SCOPE_ADDED,
        target=filing,
        organization=filing.organization,
        data={"scope": _scope_describe(row), "previous_levels": old_levels, "valid_until": filing.valid_until},
    )
    return row


def renewal_window(filing: Filing) -> tuple[dt.date, dt.date]:
    """Renewal may be requested in the months before expiry (3 by default)."""
    months = int(conf("RENEWAL_WINDOW_MONTHS"))
    until = filing.valid_until
    month_index = until.year * 12 + until.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(until.day, _month_length(year, month))
    return dt.date(year, month, day), until


def _month_length(year: int, month: int) -> int:
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (next_month - dt.timedelta(days=1)).day


@transaction.atomic
def filing_renew(*, actor, filing: Filing, valid_until: dt.date, today: dt.date | None = None) -> Filing:
    require(can_manage_filings(actor), _("只有人社局管理员可以办理备案续期"))
    filing = _locked(filing)
    today = today or timezone.localdate()
    opens, closes = renewal_window(filing)
    if filing.status != Filing.Status.ACTIVE:
        raise ValidationError(_("只有有效的备案可以续期（当前状态：%(s)s）") % {"s": filing.get_status_display()})
    if today < opens:
        raise ValidationError(
            _("续期自 %(opens)s 起方可申请（到期前 %(months)s 个月内）")
            % {"opens": opens.isoformat(), "months": conf("RENEWAL_WINDOW_MONTHS")}
        )
    if today > closes:
        raise ValidationError(_("备案已于 %(until)s 到期，不能续期，请重新申请备案") % {"until": closes.isoformat()})
    if valid_until <= filing.valid_until:
        raise ValidationError({"valid_until": _("新的有效期止应晚于 %(d)s") % {"d": filing.valid_until.isoformat()}})
    old = filing.valid_until
    filing.valid_until = valid_until
    filing.renewal_count += 1
    save_tracked(filing, actor=actor, reason=_("备案续期"), fields=["valid_until", "renewal_count"])
    audit_append(
        actor=actor,
        event_type=EventType.FILING_RENEWED,
        target=filing,
        organization=filing.organization,
        data={
            "changes": {"valid_until": [old, valid_until]},
        },
    )
    return filing


def _change_status(*, actor, filing: Filing, to: str, reason: str, event_type: EventType, allowed_from: set[str]):
    filing = _locked(filing)
    if filing.status not in allowed_from:
        raise ValidationError(_("备案当前状态为「%(s)s」，不能执行此操作") % {"s": filing.get_status_display()})
    old = filing.status
    filing.status = to
    filing.status_reason = reason
    filing.status_changed_at = timezone.now()
    save_tracked(filing, actor=actor, reason=reason, fields=["status", "status_reason", "status_changed_at"])
    audit_append(
        actor=actor,
        event_type=event_type,
        target=filing,
        organization=filing.organization,
        data={"changes": {"status": [old, to]}},
        reason=reason,
    )
    return filing


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("%(what)s须填写原因") % {"what": what}})
    return reason


@transaction.atomic
def filing_suspend(*, actor, filing: Filing, reason: str) -> Filing:
    require(can_manage_filings(actor), _("只有人社局管理员可以暂停备案"))
    return _change_status(
        actor=actor,
        filing=filing,
        to=Filing.Status.SUSPENDED,
        reason=_reason(reason, _("暂停备案")),
        event_type=EventType.FILING_SUSPENDED,
        allowed_from={Filing.Status.ACTIVE},
    )


@transaction.atomic
def filing_reinstate(*, actor, filing: Filing, reason: str = "") -> Filing:
    require(can_manage_filings(actor), _("只有人社局管理员可以恢复备案"))
    return _change_status(
        actor=actor,
        filing=filing,
        to=Filing.Status.ACTIVE,
        reason=(reason or "").strip(),
        event_type=EventType.FILING_REINSTATED,
        allowed_from={Filing.Status.SUSPENDED},
    )


@transaction.atomic
def filing_revoke(*, actor, filing: Filing, reason: str) -> Filing:
    require(can_manage_filings(actor), _("只有人社局管理员可以撤销备案"))
    return _change_status(
        actor=actor,
        filing=filing,
        to=Filing.Status.REVOKED,
        reason=_reason(reason, _("撤销备案")),
        event_type=EventType.FILING_REVOKED,
        allowed_from={Filing.Status.ACTIVE, Filing.Status.SUSPENDED},
    )


def filings_mark_expired(*, actor, today: dt.date | None = None) -> int:
    """Daily job: active filings past their end date become expired, one event each."""
    today = today or timezone.localdate()
    count = 0
    for filing in Filing.objects.filter(status=Filing.Status.ACTIVE, valid_until__lt=today):
        with transaction.atomic():
            _change_status(
                actor=actor,
                filing=filing,
                to=Filing.Status.EXPIRED,
                reason=_("有效期已于 %(d)s 届满") % {"d": filing.valid_until.isoformat()},
                event_type=EventType.FILING_EXPIRED,
                allowed_from={Filing.Status.ACTIVE},
            )
        count += 1
    return count
