"""Certificate data for the provincial/national database (上报): export profiles, the export itself,
and the province's answers (接收 or 退回 with a reason).

No current official upload template is public, the older national software matched columns by
header name, and code tables differ between systems. So the file's layout is a *profile* —
columns, header names, code tables and date format — chosen by name from ``EXPORT_PROFILES``;
the code that writes the file knows none of it. A new layout is a new profile, registered with
``profile_register``, never an edit of the writer.

The export holds full ID numbers: only roles with ``OrgPerm.EXPORT_DATA`` may export or download
it, and every export and every download is written to the audit trail (never the numbers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import require
from audit.events import EventType
from audit.history import bulk_update_audited, save_tracked
from audit.services import audit_append
from certify.models import Certificate, ExportBatch
from certify.permissions import can_export
from certify.selectors import export_candidates
from certify.services.export_profiles import (
    DEFAULT_PROFILE,
    NEW,
    UPDATE,
    ExportProfile,
    ExportRecord,
    UnmappedCode,
    profile_get,
)
from certify.services.payload import id_number_of
from lib.excel import write_table

U = Certificate.UploadStatus
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _accepted_numbers(organization: Organization, certificates: list[Certificate]) -> set[str]:
    """Numbers the province already holds through another version: these go out as updates."""
    return set(
        Certificate.objects.filter(
            organization=organization, number__in={c.number for c in certificates}, upload_status=U.ACCEPTED
        )
        .exclude(pk__in=[c.pk for c in certificates])
        .values_list("number", flat=True)
    )


def export_record(certificate: Certificate, *, action: str = NEW) -> ExportRecord:
    """The upload facts of one certificate: the signed snapshot for printed fields, the person
    and the application for the rest."""
    person, enrolment, plan = certificate.person, certificate.enrolment, certificate.plan
    result = getattr(enrolment, "result", None)
    return ExportRecord(
        plan_number=plan.number,
        holder_name=certificate.holder_name,
        id_type=person.id_type,
        id_number=id_number_of(person),
        sex=person.sex,
        birth_date=person.birth_date,
        education=enrolment.education,
        occupation_code=certificate.occupation_code,
        occupation_name=certificate.occupation_name,
        work_type_name=certificate.work_type_name,
        level=certificate.level,
        theory=result.theory if result else None,
        practical=result.practical if result else None,
        review=result.review if result else None,
        outcome=result.outcome if result else "",
        exam_date=plan.exam_date,
        number=certificate.number,
        issue_date=certificate.issue_date,
        organization_name=certificate.organization_name,
        filing_number=plan.filing.number if plan.filing_id else "",
        action=action,
    )


def export_rows(profile: ExportProfile, certificates: Iterable[Certificate], updates: set[str]) -> list[list]:
    """Every row, or a ValidationError naming each certificate whose value has no code."""
    rows, problems = [], []
    for certificate in certificates:
        record = export_record(certificate, action=UPDATE if certificate.number in updates else NEW)
        try:
            rows.append(profile.row(record))
        except UnmappedCode as exc:
            problems.append(
                _("证书 %(n)s：「%(h)s」的值「%(v)s」在导出格式「%(p)s」中没有对应代码，请联系管理员补充代码表")
                % {"n": certificate.number, "h": exc.header, "v": exc.value, "p": profile.label}
            )
    if problems:
        raise ValidationError(problems)
    return rows


def _pick(organization: Organization, *, only_rejected: bool, certificate_ids) -> list[int]:
    """Lock what goes out. A second export running at the same time waits, then finds these no
    longer pending."""
    qs = export_candidates(organization, only_rejected=only_rejected)
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    if certificate_ids is not None:
        wanted = {int(pk) for pk in certificate_ids}
        ids = [pk for pk in ids if pk in wanted]
        if len(ids) != len(wanted):
            raise ValidationError(
                _("所选证书中有 %(n)d 张不在待上报之列（可能已导出、已撤销或已更正），请刷新页面后重新选择")
                % {"n": len(wanted) - len(ids)}
            )
    if not ids:
        if only_rejected:
            raise ValidationError(_("没有需要重新上报的被退回证书。请先按退回原因更正证书，再重新导出。"))
        raise ValidationError(_("没有待上报的证书：新核发或更正的证书会自动列入待上报。"))
    return ids


def _export_name(organization: Organization, profile: ExportProfile, only_rejected: bool) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    kind = "resend" if only_rejected else "upload"
    return f"{organization.pk}-{kind}-{profile.name}-{stamp}.xlsx"


@transaction.atomic
def certificates_export(
    *,
    actor: User,
    organization: Organization,
    profile: str = DEFAULT_PROFILE.name,
    only_rejected: bool = False,
    certificate_ids: Iterable[int] | None = None,
) -> ExportBatch:
    """Write the upload file of what is waiting (or only what came back rejected), store it, mark
    those certificates exported, and record one event. Nothing waiting is a ValidationError."""
    require(can_export(actor, organization), _("您没有导出本机构上报数据的权限"))
    chosen = profile_get(profile)
    ids = _pick(organization, only_rejected=only_rejected, certificate_ids=certificate_ids)
    certificates = list(
        Certificate.objects.filter(pk__in=ids)
        .select_related("person", "enrolment__result", "plan__filing")
        .order_by("plan__number", "number", "version")
    )
    updates = _accepted_numbers(organization, certificates)
    data = write_table(sheets=[(chosen.sheet_title, chosen.headers, export_rows(chosen, certificates, updates))])
    digest = hashlib.sha256(data).hexdigest()
    batch = ExportBatch(
        organization=organization,
        profile=chosen.name,
        sha256=digest,
        certificate_count=len(certificates),
        only_rejected=only_rejected,
        created_by=actor,
    )
    batch.file.save(_export_name(organization, chosen, only_rejected), ContentFile(data), save=False)
    try:
        save_tracked(batch, actor=actor)
        now = timezone.now()
        for certificate in certificates:
            certificate.upload_status, certificate.exported_at, certificate.upload_note = U.EXPORTED, now, ""
        # one UPDATE for the lot, with a history row per certificate bound into the event below
        marked = ["upload_status", "exported_at", "upload_note"]
        bulk_update_audited(Certificate, certificates, marked, actor=actor, reason=_("导出上报"))
        update_count = sum(1 for c in certificates if c.number in updates)
        audit_append(
            actor=actor,
            event_type=EventType.CERTIFICATES_EXPORTED,
            target=batch,
            organization=organization,
            data={
                "export": batch.pk,
                "profile": chosen.name,
                "only_rejected": only_rejected,
                "certificates": len(certificates),
                "new": len(certificates) - update_count,
                "updates": update_count,
                "sha256": digest,
                "bytes": len(data),
                "file": batch.file.name,
            },
        )
    except BaseException:
        batch.file.delete(save=False)  # the rows roll back; the file must not outlive them
        raise
    return batch


def export_download_record(*, actor: User, batch: ExportBatch) -> None:
    """A download of an export puts full ID numbers in someone's hands: log who, like any look."""
    require(can_export(actor, batch.organization), _("您没有下载本机构上报数据的权限"))
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.PERSONAL_DATA_VIEWED,
            target=batch,
            organization=batch.organization,
            data={
                "field": "export_file",
                "export": batch.pk,
                "certificates": batch.certificate_count,
                "sha256": batch.sha256,
            },
        )
