"""Celery tasks. Each one calls a service and is safe to run twice (acks_late redelivery)."""

from celery import shared_task

from certify.services import issuing


@shared_task(acks_late=True, ignore_result=True)
def issue_batch(batch_id: int) -> None:
    issuing.issuance_allocate(batch_id=batch_id)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_certificate(certificate_id: int) -> None:
    issuing.certificate_render(certificate_id=certificate_id)


@shared_task(acks_late=True, ignore_result=True)
def render_batch_pdf(batch_id: int) -> None:
    issuing.batch_render(batch_id=batch_id)


@shared_task(ignore_result=True)
def expire_filings() -> None:
    """Daily: filings past their end date become expired (one audit event each, by the system)."""
    from accounts.services import system_actor
    from certify.services.filings import filings_mark_expired

    filings_mark_expired(actor=system_actor("beat"))
