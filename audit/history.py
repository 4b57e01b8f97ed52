"""Binds django-simple-history rows into the audit chain.

Every historical record created in a transaction is remembered on the database connection; the
next ``audit_append`` in that transaction takes them and stores each one's hash in the event, so
a history row edited later no longer matches the chain. A history row created with no event
after it (a save that bypassed the services) is logged when its transaction commits.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.apps import apps
from django.db import connections, router, transaction
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from audit.chain import record_hash

logger = logging.getLogger("audit.history")

_ATTR = "_audit_pending_history"


def _pending(using: str) -> list[tuple[str, int]]:
    conn = connections[using]
    pending = getattr(conn, _ATTR, None)
    if pending is None:
        pending = []
        setattr(conn, _ATTR, pending)
    return pending


@receiver(post_create_historical_record, dispatch_uid="audit_remember_history")
def remember_history_record(sender, instance, history_instance, using=None, **kwargs):
    using = using or router.db_for_write(type(history_instance))
    pending = _pending(using)
    if not pending:
        transaction.on_commit(lambda: _report_unbound(using), using=using)
    pending.append((history_instance._meta.label, history_instance.pk))


def _report_unbound(using: str) -> None:
    pending = _pending(using)
    if pending:
        logger.warning("history rows committed without an audit event: %s", pending)
        pending.clear()


def history_row_payload(row) -> dict:
    payload = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    payload["_model"] = row._meta.label
    return payload


def history_row_hash(row) -> str:
    return record_hash(history_row_payload(row))


def take_pending_history(using: str = "default") -> list[dict]:
    """Hashes of the history rows written in this transaction (rolled-back ones are gone)."""
    pending = _pending(using)
    if not pending:
        return []
    by_model: dict[str, list[int]] = defaultdict(list)
    for label, pk in pending:
        by_model[label].append(pk)
    pending.clear()
    bound = []
    for label in sorted(by_model):
        model = apps.get_model(label)
        for row in model.objects.using(using).filter(pk__in=by_model[label]).order_by("pk"):
            bound.append({"model": label, "id": row.pk, "hash": history_row_hash(row)})
    return bound
