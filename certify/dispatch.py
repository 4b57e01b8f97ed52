"""Every Celery task the services start goes through here, after the caller's transaction commits.

Tasks are looked up by name in the app's registry at call time, so this module imports no task
module and the services that call it never form a cycle with ``certify.tasks`` (which calls them).
Without a broker (the embedded default) ``delay`` runs the task eagerly, in-process.
"""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.celery import app

logger = logging.getLogger(__name__)


def _task(name: str):
    full = f"certify.tasks.{name}"
    if full not in app.tasks:
        # A web process has not imported the task modules: Celery's autodiscovery does, by name.
        app.loader.import_default_modules()
    return app.tasks[full]


def _send(name: str, *args) -> bool:
    """Queue a task; with the broker away, log it and return False instead of failing the request
    whose work is already committed. What was not queued is still pending in the database, and the
    reconciler (Celery beat) queues it again once it has stalled (certify.services.recovery)."""
    try:
        _task(name).delay(*args)
    except (BrokerUnavailable, ConnectionError, OSError):
        logger.warning("task queue unavailable: %s%r not queued; the reconciler will queue it again", name, args)
        return False
    return True


def issue_batch(batch_id: int) -> None:
    """Allocate numbers and sign a batch (after commit)."""
    transaction.on_commit(lambda: _send("issue_batch", batch_id))


def render_certificates(ids: list[int], batch_id: int | None) -> None:
    """Render these certificates' PDFs (after commit); with none left to render, finish the batch."""
    ids = list(ids)

    def send() -> None:
        for pk in ids:
            if not _send("render_certificate", pk):
                return  # the queue is away: the rest wait for the reconciler too
        if not ids and batch_id:
            _send("render_batch_pdf", batch_id)

    transaction.on_commit(send)


def render_batch(batch_id: int) -> None:
    """The batch's combined print file (after commit)."""
    transaction.on_commit(lambda: _send("render_batch_pdf", batch_id))
