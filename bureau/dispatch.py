"""The Celery tasks the bureau's pages start, looked up by name (see certify.dispatch)."""

from __future__ import annotations

from django.db import transaction

from config.celery import app


def scan_risks() -> None:
    """Run every risk rule now, as the system actor (after commit)."""

    def send() -> None:
        if "bureau.tasks.scan_risks" not in app.tasks:
            app.loader.import_default_modules()
        app.tasks["bureau.tasks.scan_risks"].delay()

    transaction.on_commit(send)


def check_chain(*, on_failure) -> None:
    """Start the full audit verification (after commit); ``on_failure()`` if it cannot be queued."""

    def send() -> None:
        try:
            if "bureau.tasks.check_chain" not in app.tasks:
                app.loader.import_default_modules()
            app.tasks["bureau.tasks.check_chain"].delay()
        except Exception:
            on_failure()
            raise

    transaction.on_commit(send)
