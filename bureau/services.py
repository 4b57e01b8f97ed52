"""Writes of the bureau's read-only pages: looking at personal data in the console and every export
leave one audit event each (``CONSOLE_VIEWED``, ``CONSOLE_EXPORTED``), written before the page or
the file leaves."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import BUREAU_STAFF_ONLY, is_bureau_reader, require
from audit.events import EventType
from audit.services import audit_append
from bureau import stats
from bureau.subsidies import SubsidyReport, subsidy_sheets
from lib.excel import write_table


def console_view_record(*, actor: User, target, organization: Organization | None, what: str, data=None) -> None:
    """A bureau reader looked at a timeline or searched by ID number."""
    require(is_bureau_reader(actor), BUREAU_STAFF_ONLY)
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.CONSOLE_VIEWED,
            target=target,
            organization=organization,
            data={"viewed": what, **(data or {})},
        )


def stats_export(*, actor: User, filters: stats.StatsFilter, filter_text: list[tuple[str, str]]) -> bytes:
    """The statistics workbook for these filters."""
    require(is_bureau_reader(actor), BUREAU_STAFF_ONLY)
    content, overview = stats.stats_workbook(filters=filters, filter_text=filter_text)
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.CONSOLE_EXPORTED,
            target=("bureau.stats", "certificates", _("证书统计")),
            data={"report": "certificate_stats", "filters": filters.as_dict(), "certificates": overview.total.total},
        )
    return content


def subsidy_report_export(*, actor: User, report: SubsidyReport, organization: Organization | None) -> bytes:
    """A year's subsidy report as a workbook."""
    require(is_bureau_reader(actor), BUREAU_STAFF_ONLY)
    content = write_table(sheets=subsidy_sheets(report))
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.CONSOLE_EXPORTED,
            target=report.rule,
            organization=organization,
            data={
                "report": "subsidies",
                "year": report.year,
                "organization": organization.pk if organization else None,
                "certificates": report.certificate_count,
                "capped_total": report.capped_total,
            },
        )
    return content
