"""When issuing jobs fail or stall: every failure recorded where the operator sees it, every stall
found and re-queued.

- A job that raises is recorded on what it was working on: the certificate (PDF failed) or the
  batch (allocation or combined file failed), with the reason in words for the operator; the
  traceback goes to the log. Transient errors (database or storage briefly away) are retried by
  the task first (``certify.tasks``).
- ``issuance_reconcile`` (Celery beat) finds batches and certificates left in progress longer
  than ``SKILLCERT_STUCK_AFTER_MINUTES`` — a worker killed mid-task, a lost message — and queues
  them again. Every job is idempotent, so a re-queued job that was only slow does no harm. An item
  re-queued ``SKILLCERT_STUCK_MAX_REQUEUES`` times without finishing is recorded as failed, so the
  operator can see it and retry it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from celery.exceptions import OperationalError as BrokerError
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from audit.actors import system_actor
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify import dispatch
from certify.models import Certificate, IssuanceBatch
from certify.permissions import ISSUE_REFUSED, can_issue

logger = logging.getLogger(__name__)
B = IssuanceBatch.Status
P = Certificate.PdfStatus


def describe_failure(exc: BaseException) -> str:
    """An exception in words an operator can act on (the traceback is in the log)."""
    if isinstance(exc, ValidationError):
        reason = "；".join(exc.messages)
    elif isinstance(exc, DatabaseError):
        reason = _("数据库暂时无法访问")
    elif isinstance(exc, BrokerError | ConnectionError):
        reason = _("后台任务服务暂时不可用")
    elif isinstance(exc, OSError):
        reason = _("文件存储出错（%(e)s）") % {"e": exc.strerror or exc.__class__.__name__}
    elif str(exc) and any("\u4e00" <= char <= "\u9fff" for char in str(exc)):
        reason = str(exc)  # our own messages are written for the operator already
    else:
        reason = _("处理时出现意外错误（%(e)s）") % {"e": exc.__class__.__name__}
    return _("%(reason)s。可点击“重试”；如反复失败，请联系技术支持。") % {"reason": reason.rstrip("。")}


# --- failures -------------------------------------------------------------------------------------
@transaction.atomic
def certificate_job_failed(*, certificate_id: int, error: str) -> bool:
    """Record that rendering this certificate's PDF failed; False if it was done meanwhile."""
    actor = system_actor("celery")
    certificate = Certificate.objects.select_for_update(of=("self",)).filter(pk=certificate_id).first()
    if certificate is None or certificate.pdf_status == P.DONE:
        return False
    certificate.pdf_status, certificate.pdf_error = P.FAILED, error[:500]
    save_tracked(certificate, actor=actor, fields=["pdf_status", "pdf_error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_FAILED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "error": error[:500]},
    )
    if certificate.batch_id:
        batch_id = certificate.batch_id
        transaction.on_commit(lambda: batch_settle(batch_id=batch_id))
    return True


@transaction.atomic
def batch_job_failed(*, batch_id: int, error: str) -> bool:
    """Record that a batch job (numbers and signatures, or the combined file) failed."""
    actor = system_actor("celery")
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).filter(pk=batch_id).first()
    if batch is None or batch.status == B.DONE:
        return False
    batch.status, batch.error = B.FAILED, error[:1000]
    save_tracked(batch, actor=actor, fields=["status", "error"])
    audit_append(
        actor=actor,
        event_type=EventType.ISSUANCE_FAILED,
        target=batch,
        organization=batch.organization,
        data={"error": error[:1000]},
    )
    return True


def batch_settle(*, batch_id: int) -> None:
    """Once no certificate of the batch is pending: all done → make the combined file; some
    failed → the batch is finished as failed, waiting for those to be retried."""
    pdfs = Certificate.objects.filter(batch_id=batch_id)
    if pdfs.filter(pdf_status=P.PENDING).exists():
        return
    failed = pdfs.filter(pdf_status=P.FAILED).count()
    if not failed:
        dispatch.render_batch(batch_id)
        return
    message = _("%(n)d 张证书文件生成失败，请在下表中逐张重试") % {"n": failed}
    batch_job_failed(batch_id=batch_id, error=message)


# --- retry ----------------------------------------------------------------------------------------
@transaction.atomic
def issuance_retry(*, actor: User, batch: IssuanceBatch) -> IssuanceBatch:
    """The operator's one button for a failed batch: allocation again if it never finished,
    every failed PDF again, and the combined file."""
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).select_related("organization").get(pk=batch.pk)
    require(can_issue(actor, batch.organization), ISSUE_REFUSED)
    if batch.status != B.FAILED:
        raise ValidationError(_("只有出错的批次可以重试"))
    failed = list(Certificate.objects.select_for_update(of=("self",)).filter(batch=batch, pdf_status=P.FAILED))
    for certificate in failed:
        certificate.pdf_status, certificate.pdf_error = P.PENDING, ""
        save_tracked(certificate, actor=actor, fields=["pdf_status", "pdf_error"])
    allocated = batch.allocated_at is not None
    batch.status, batch.error = (B.RUNNING if allocated else B.PENDING), ""
    save_tracked(batch, actor=actor, fields=["status", "error"])
    audit_append(
        actor=actor,
        event_type=EventType.ISSUANCE_RETRIED,
        target=batch,
        organization=batch.organization,
        data={"plan": batch.plan.number, "certificates": [c.number for c in failed], "allocation": not allocated},
    )
    if not allocated:
        dispatch.issue_batch(batch.pk)
    else:
        dispatch.render_certificates([c.pk for c in failed], batch.pk)
    return batch


# --- the reconciler -------------------------------------------------------------------------------
@dataclass
class ReconcileReport:
    batches_requeued: int = 0
    certificates_requeued: int = 0
    combined_requeued: int = 0
    given_up: int = 0


def _last_change(model) -> Subquery:
    """When the row last changed, from its own history (every change writes a history row)."""
    history = model.history.model
    newest = history.objects.filter(id=OuterRef("pk")).order_by("-history_date").values("history_date")[:1]
    return Subquery(newest)


def _may_requeue(kind: str, pk: int, window: int) -> tuple[bool, int]:
    """(re-queue now?, how many times so far). At most once per window per item."""
    if not cache.add(f"reconcile:{kind}:{pk}", 1, timeout=window):
        return False, 0
    key = f"reconcile-count:{kind}:{pk}"
    cache.add(key, 0, timeout=window * (settings.SKILLCERT_STUCK_MAX_REQUEUES + 2))
    try:
        return True, cache.incr(key)
    except ValueError:
        return True, 1


def issuance_reconcile(*, now: dt.datetime | None = None) -> ReconcileReport:
    """Queue again what has stalled; record as failed what keeps stalling."""
    minutes = settings.SKILLCERT_STUCK_AFTER_MINUTES
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=minutes)
    window, most = minutes * 60, settings.SKILLCERT_STUCK_MAX_REQUEUES
    report = ReconcileReport()
    stuck_batches = IssuanceBatch.objects.filter(status__in=[B.PENDING, B.RUNNING]).annotate(
        changed=_last_change(IssuanceBatch)
    )
    for batch in stuck_batches.filter(changed__lt=cutoff):
        pending = Certificate.objects.filter(batch=batch, pdf_status=P.PENDING).exists()
        if batch.status == B.RUNNING and pending:
            continue  # its certificates are reconciled one by one below
        again, times = _may_requeue("batch", batch.pk, window)
        if not again:
            continue
        if times > most:
            report.given_up += batch_job_failed(batch_id=batch.pk, error=_stalled())
        elif batch.status == B.PENDING:
            dispatch.issue_batch(batch.pk)
            report.batches_requeued += 1
        else:
            batch_settle(batch_id=batch.pk)
            report.combined_requeued += 1
    stuck = Certificate.objects.filter(pdf_status=P.PENDING).annotate(changed=_last_change(Certificate))
    for pk, batch_id in stuck.filter(changed__lt=cutoff).values_list("pk", "batch_id"):
        again, times = _may_requeue("certificate", pk, window)
        if not again:
            continue
        if times > most:
            report.given_up += certificate_job_failed(certificate_id=pk, error=_stalled())
        else:
            dispatch.render_certificates([pk], batch_id)
            report.certificates_requeued += 1
    if any((report.batches_requeued, report.certificates_requeued, report.combined_requeued, report.given_up)):
        logger.warning("issuance reconciler: %s", report)
    return report


def _stalled() -> str:
    return describe_failure(ValidationError(_("多次重新排队后仍未完成，请检查后台任务服务")))
