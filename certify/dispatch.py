"""Every Celery task the services start goes through here, after the caller's transaction commits.

Tasks are looked up by name in the app's registry at call time, so this module imports no task
module and the services that call it never form a cycle with ``certify.tasks`` (which calls them).
Without a broker (the embedded default) ``delay`` runs the task eagerly, in-process.
"""

from __future__ import annotations

from django.db import transaction

from config.celery import app


def _task(name: str):
    full = f"certify.tasks.{name}"
    if full not in app.tasks:
        # A web process has not imported the task modules: Celery's autodiscovery does, by name.
        app.loader.import_default_modules()
    return app.tasks[full]


def issue_batch(batch_id: int) -> None:
    """Allocate numbers and sign a batch (after commit)."""
    transaction.on_commit(lambda: _task("issue_batch").delay(batch_id))


def render_certificates(ids: list[int], batch_id: int | None) -> None:
    """Render these certificates' PDFs (after commit); with none left to render, finish the batch."""
    ids = list(ids)

    def send() -> None:
        for pk in ids:
            _task("render_certificate").delay(pk)
        if not ids and batch_id:
            _task("render_batch_pdf").delay(batch_id)

    transaction.on_commit(send)


def render_batch(batch_id: int) -> None:
    """The batch's combined print file (after commit)."""
    transaction.on_commit(lambda: _task("render_batch_pdf").delay(batch_id))
