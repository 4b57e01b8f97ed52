"""Certificate PDFs: one idempotent render per certificate, the batch's combined print file, the
仅供查阅 copy, and what happens when a render fails.

Any error while rendering is recorded on the certificate (status failed, the reason in words for
the operator; the traceback goes to the log), counted in the batch's progress and offered for
retry. A batch is finished when every certificate is done or failed: all done → the combined file
is made and the batch is done; some failed → the batch waits as failed until they are retried.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from audit.actors import system_actor
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify import dispatch
from certify.models import Certificate, IssuanceBatch
from certify.pdf import render_certificate_pdf, render_certificates_pdf
from certify.permissions import ISSUE_REFUSED, can_issue
from certify.services.payload import EMPTY_WORK_TYPE, check_code_of, id_number_of, verify_url
from certify.services.recovery import batch_settle, certificate_job_failed, describe_failure
from lib.checkcode import format_check_code
from lib.files import private_dir
from lib.identifiers import mask_id_number
from lib.pdf_fonts import missing_glyphs

logger = logging.getLogger(__name__)


def _media_path(name: str) -> str | None:
    if not name:
        return None
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return None


def pdf_context(certificate: Certificate, *, view_only: bool = False) -> dict:
    """What the certificate template prints. ``view_only``: the copy for roles without the
    personal-data right — the ID number masked, no 查验码, marked 仅供查阅."""
    seal = getattr(certificate.organization, "seal", None)
    note = ""
    if certificate.print_serial > 1:
        note = _("补发（第 %(n)d 次打印）") % {"n": certificate.print_serial}
    id_number = id_number_of(certificate.person)
    code = "" if view_only else check_code_of(certificate)
    return {
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "id_type_label": certificate.id_type_label,
        "id_number": mask_id_number(id_number) if view_only else id_number,
        "check_code": format_check_code(code) if code else "",
        "view_only": view_only,
        "occupation_name": certificate.occupation_name,
        "occupation_code": certificate.occupation_code,
        "work_type": "" if certificate.work_type_name == EMPTY_WORK_TYPE else certificate.work_type_name,
        "level_wording": certificate.level_wording,
        "organization_name": certificate.organization_name,
        "issue_date": certificate.issue_date,
        "verify_url": verify_url(certificate),
        "photo_path": _media_path(certificate.photo.name),
        "seal_path": _media_path(seal.image.name) if seal else None,
        "print_note": note,
    }


def _printed_text(context: dict) -> str:
    return "".join(
        str(context[k] or "")
        for k in ("holder_name", "id_type_label", "occupation_name", "work_type", "level_wording", "organization_name")
    )


def certificate_render(*, certificate_id: int) -> bool:
    """Render and record one certificate's PDF. Idempotent: a done PDF is left alone, and when two
    deliveries of the task race, only the first records its file (the other discards its own)."""
    certificate = Certificate.objects.select_related("person", "organization").get(pk=certificate_id)
    if (
        certificate.pdf_status == Certificate.PdfStatus.DONE
        and certificate.pdf
        and default_storage.exists(certificate.pdf.name)
    ):
        return False
    try:
        context = pdf_context(certificate)
        if not context["photo_path"]:
            raise ValueError(_("证件照缺失"))
        data = render_certificate_pdf(context)
        missing = missing_glyphs(data, _printed_text(context))
        if missing:
            raise ValueError(_("字体缺少以下字符的字形：%(c)s") % {"c": "".join(sorted(missing))})
    except Exception as exc:  # the content cannot be rendered: retrying the same input will not help
        logger.exception("certificate %s: PDF failed", certificate.number)
        certificate_job_failed(certificate_id=certificate_id, error=describe_failure(exc))
        return False
    # Storing and recording may fail for a moment (storage, database): the task retries those.
    temp_name = default_storage.save(f"certificates/tmp/{uuid.uuid4().hex}.pdf", ContentFile(data))
    recorded = _record_pdf(certificate_id=certificate_id, actor=system_actor("celery"), temp_name=temp_name, data=data)
    if not recorded:
        default_storage.delete(temp_name)
    return recorded


def certificate_view_copy_pdf(certificate: Certificate) -> bytes:
    """The 仅供查阅 copy (ID masked, no 查验码), rendered on demand and never stored."""
    return render_certificate_pdf(pdf_context(certificate, view_only=True))


def _final_name(certificate: Certificate) -> str:
    c = certificate
    return f"certificates/{c.issue_date.year}/{c.organization_id}/{c.number}-v{c.version}-p{c.print_serial}.pdf"


@transaction.atomic
def _record_pdf(*, certificate_id: int, actor: User, temp_name: str, data: bytes) -> bool:
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=certificate_id)
    if certificate.pdf_status == Certificate.PdfStatus.DONE and certificate.pdf:
        return False
    final = _final_name(certificate)
    if default_storage.exists(final):
        default_storage.delete(final)
    source = Path(default_storage.path(temp_name))
    target = Path(default_storage.path(final))
    private_dir(target.parent)
    source.replace(target)
    digest = hashlib.sha256(data).hexdigest()
    certificate.pdf.name, certificate.pdf_sha256 = final, digest
    certificate.pdf_status, certificate.pdf_error = Certificate.PdfStatus.DONE, ""
    save_tracked(certificate, actor=actor, fields=["pdf", "pdf_sha256", "pdf_status", "pdf_error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_RENDERED,
        target=certificate,
        organization=certificate.organization,
        data={
            "number": certificate.number,
            "sha256": digest,
            "bytes": len(data),
            "print_serial": certificate.print_serial,
        },
    )
    batch_id = certificate.batch_id
    if batch_id:
        transaction.on_commit(lambda: batch_settle(batch_id=batch_id))
    return True


def batch_render(*, batch_id: int) -> bool:
    """The combined print file of a batch, once every PDF is done (re-made when the set changed)."""
    batch = IssuanceBatch.objects.get(pk=batch_id)
    certificates = list(
        Certificate.objects.filter(batch=batch, status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED])
        .select_related("person", "organization")
        .order_by("number")
    )
    if any(c.pdf_status != Certificate.PdfStatus.DONE for c in certificates):
        return False
    fingerprint = hashlib.sha256("\n".join(c.pdf_sha256 for c in certificates).encode()).hexdigest()
    if batch.combined_pdf and batch.combined_pdf_sha256 == fingerprint and batch.status == IssuanceBatch.Status.DONE:
        return False
    data = render_certificates_pdf([pdf_context(c) for c in certificates]) if certificates else b""
    name = default_storage.save(f"batches/{batch.plan_id}/{uuid.uuid4().hex}.pdf", ContentFile(data)) if data else ""
    actor = system_actor("celery")
    with transaction.atomic():
        batch = IssuanceBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
        done = batch.status == IssuanceBatch.Status.DONE
        if batch.combined_pdf and batch.combined_pdf_sha256 == fingerprint and done:
            # another run (a redelivered message, the reconciler) finished the same file first: keep
            # its file, so a download that already has its name is not pulled from under it
            transaction.on_commit(lambda: default_storage.delete(name) if name else None)
            return False
        old = batch.combined_pdf.name
        batch.combined_pdf.name, batch.combined_pdf_sha256 = name, fingerprint
        batch.status = IssuanceBatch.Status.DONE
        save_tracked(batch, actor=actor, fields=["combined_pdf", "combined_pdf_sha256", "status"])
        audit_append(
            actor=actor,
            event_type=EventType.ISSUANCE_COMPLETED,
            target=batch,
            organization=batch.organization,
            data={"certificates": len(certificates), "combined_sha256": hashlib.sha256(data).hexdigest()},
        )
    if old and old != name:
        default_storage.delete(old)
    return True


@transaction.atomic
def certificate_pdf_retry(*, actor: User, certificate: Certificate) -> Certificate:
    certificate = (
        Certificate.objects.select_for_update(of=("self",)).select_related("organization").get(pk=certificate.pk)
    )
    require(can_issue(actor, certificate.organization), ISSUE_REFUSED)
    if certificate.pdf_status != Certificate.PdfStatus.FAILED:
        raise ValidationError(_("只有生成失败的证书可以重试"))
    certificate.pdf_status, certificate.pdf_error = Certificate.PdfStatus.PENDING, ""
    save_tracked(certificate, actor=actor, fields=["pdf_status", "pdf_error"])
    batch = certificate.batch
    if batch is not None and batch.status == IssuanceBatch.Status.FAILED and batch.allocated_at:
        # the batch finished with failures; it runs again until this one is done or fails again
        batch.status, batch.error = IssuanceBatch.Status.RUNNING, ""
        save_tracked(batch, actor=actor, fields=["status", "error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_RETRIED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number},
    )
    dispatch.render_certificates([certificate.pk], certificate.batch_id)
    return certificate


def batch_progress(batch: IssuanceBatch) -> dict:
    counts = {s: 0 for s in Certificate.PdfStatus.values}
    for status in Certificate.objects.filter(batch=batch).values_list("pdf_status", flat=True):
        counts[status] += 1
    total = sum(counts.values())
    stalled = counts[Certificate.PdfStatus.PENDING] == 0 and counts[Certificate.PdfStatus.FAILED] > 0
    finished = (
        batch.status in (IssuanceBatch.Status.DONE, IssuanceBatch.Status.FAILED)
        and not (counts[Certificate.PdfStatus.PENDING])
    )
    return {
        "status": batch.status,
        "finished": finished,
        "status_label": str(_("有失败，待重试") if stalled else batch.get_status_display()),
        "total": total,
        "done": counts[Certificate.PdfStatus.DONE],
        "failed": counts[Certificate.PdfStatus.FAILED],
        "remaining": counts[Certificate.PdfStatus.PENDING],
        "skipped": len(batch.skipped or []),
        "error": batch.error,
        "combined_ready": bool(batch.combined_pdf),
        "requeue_minutes": settings.SKILLCERT_STUCK_AFTER_MINUTES,
        # the counts line in the reader's language, for the page's live updates
        "counts_text": _("已完成 %(d)s / %(t)s，失败 %(f)s，剩余 %(r)s")
        % {
            "d": counts[Certificate.PdfStatus.DONE],
            "t": total,
            "f": counts[Certificate.PdfStatus.FAILED],
            "r": counts[Certificate.PdfStatus.PENDING],
        },
    }
