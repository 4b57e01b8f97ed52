"""Celery tasks of the audit trail. Each is safe to run twice (acks_late redelivery, two beats)."""

import logging

from celery import shared_task

from audit.actors import system_actor
from audit.checkpoints import checkpoint_create
from audit.verify import verify_all

logger = logging.getLogger("audit.verify")


@shared_task(acks_late=True, ignore_result=True)
def audit_checkpoint() -> None:
    """Hourly: sign the chain head. A second run finds nothing new and writes nothing."""
    checkpoint_create(actor=system_actor("beat"))


@shared_task(acks_late=True, ignore_result=True)
def audit_verify() -> None:
    """Nightly: the full verification, so ``chain_status()`` on the bureau's pages stays fresh.

    Read-only apart from the status file; damage also goes to the error log.
    """
    report = verify_all()
    first = report.first_problem
    if first is not None:
        logger.error("audit trail damaged: [%s] %s (%d problems)", first.kind, first.describe(), len(report.problems))
