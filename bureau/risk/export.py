"""A filtered list of flags as an xlsx workbook (an audited export)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import BUREAU_STAFF_ONLY, require
from audit.events import EventType
from audit.services import audit_append
from bureau.permissions import can_view_risk


def risk_flag_export(*, actor: User, flags: QuerySet, filters: dict) -> bytes:
    """The list as a workbook; the export itself is an audited console event."""
    from lib.excel import write_table

    require(can_view_risk(actor), BUREAU_STAFF_ONLY)

    def local(moment):
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None

    rows = [
        [
            f.pk,
            f.get_rule_display(),
            f.organization.name,
            f.target_repr,
            f.summary,
            f.get_status_display(),
            local(f.first_seen),
            local(f.last_seen),
            f.note,
            f.handled_by.get_full_name() if f.handled_by_id else "",
            local(f.handled_at),
        ]
        for f in flags
    ]
    headers = [
        _("编号"),
        _("规则"),
        _("评价机构"),
        _("对象"),
        _("摘要"),
        _("状态"),
        _("首次发现"),
        _("最近发现"),
        _("处理说明"),
        _("处理人"),
        _("处理时间"),
    ]
    data = write_table(sheets=[(_("风险提示"), headers, rows)])
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.CONSOLE_EXPORTED,
            target=("audit.riskflag", "list", _("风险提示列表")),
            data={"what": "risk_flags", "filters": filters, "rows": len(rows)},
        )
    return data
