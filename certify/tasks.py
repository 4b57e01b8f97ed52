"""Celery tasks. Each one calls a service and is safe to run twice (acks_late redelivery).

A transient error (database or storage away for a moment) is retried with backoff; anything else,
or a transient error that outlasts the retries, is recorded on the certificate or batch the task
was working on, so the operator sees it and can retry (``certify.services.recovery``).
"""

import logging

from celery import shared_task
from django.db import DatabaseError

from audit.actors import system_actor
from certify.services import issuing, recovery, rendering
from certify.services.filings import filings_mark_expired

logger = logging.getLogger(__name__)
TRANSIENT = (DatabaseError, OSError, ConnectionError)
RETRIES = 3


def _run(task, work, record) -> None:
    """Do the work; retry a transient error (by Celery with backoff, or at once when running
    eagerly in-process, where a Celery retry would surface as an error in the web request);
    record anything else, or a transient error that outlasts the retries."""
    eager = task.request.is_eager
    for attempt in range(RETRIES + 1 if eager else 1):
        try:
            work()
            return
        except Exception as exc:
            transient = isinstance(exc, TRANSIENT)
            if transient and eager and attempt < RETRIES:
                continue
            if transient and not eager and task.request.retries < RETRIES:
                raise task.retry(exc=exc, countdown=5 * 2**task.request.retries, max_retries=RETRIES) from exc
            logger.exception("task %s failed for good", task.name)
            record(recovery.describe_failure(exc))
            return


@shared_task(bind=True, acks_late=True, ignore_result=True)
def issue_batch(self, batch_id: int) -> None:
    _run(
        self,
        lambda: issuing.issuance_allocate(batch_id=batch_id),
        lambda error: recovery.batch_job_failed(batch_id=batch_id, error=error),
    )


@shared_task(bind=True, acks_late=True, ignore_result=True)
def render_certificate(self, certificate_id: int) -> None:
    _run(
        self,
        lambda: rendering.certificate_render(certificate_id=certificate_id),
        lambda error: recovery.certificate_job_failed(certificate_id=certificate_id, error=error),
    )


@shared_task(bind=True, acks_late=True, ignore_result=True)
def render_batch_pdf(self, batch_id: int) -> None:
    _run(
        self,
        lambda: rendering.batch_render(batch_id=batch_id),
        lambda error: recovery.batch_job_failed(batch_id=batch_id, error=error),
    )


@shared_task(ignore_result=True)
def reconcile_issuance() -> None:
    """Every few minutes: queue again what stalled (a killed worker, a lost message)."""
    recovery.issuance_reconcile()


@shared_task(ignore_result=True)
def expire_filings() -> None:
    """Daily: filings past their end date become expired (one audit event each, by the system)."""
    filings_mark_expired(actor=system_actor("beat"))
