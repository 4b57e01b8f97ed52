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
