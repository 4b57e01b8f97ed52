"""Binds django-simple-history rows into the audit chain.

Every historical record created in a transaction is remembered on the database connection; the
next ``audit_append`` in that transaction takes them and stores each one's hash in the event, so
a history row edited later no longer matches the chain. A history row created with no event
after it (a save that bypassed the services) is logged when its transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.apps import apps
from django.db import connections, router, transaction
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from lib.chain import record_hash

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


def history_fields(model) -> list[str]:
    """The columns a history row's hash covers, fixed when the row is bound: a column added by a
    later migration does not change the hash of older rows."""
    return sorted(f.attname for f in model._meta.concrete_fields)


def history_row_payload(row, fields: list[str] | None = None) -> dict:
    names = fields if fields is not None else history_fields(type(row))
    payload = {name: getattr(row, name, None) for name in names}
    payload["_model"] = row._meta.label
    return payload


def history_row_hash(row, fields: list[str] | None = None) -> str:
    return record_hash(history_row_payload(row, fields))


def remember_history_rows(rows, using: str = "default") -> None:
    """Bind rows written by ``bulk_history_create`` (which sends no signal) like saved ones."""
    pending = _pending(using)
    if not pending and rows:
        transaction.on_commit(lambda: _report_unbound(using), using=using)
    pending.extend((row._meta.label, row.pk) for row in rows)


def group_hash(row_hashes: list[str]) -> str:
    return hashlib.sha256("\n".join(row_hashes).encode("ascii")).hexdigest()


def history_group(model, ids: list[int], using: str = "default", fields: list[str] | None = None):
    """The ids found and the combined hash of a group of history rows, in id order."""
    rows = list(model.objects.using(using).filter(pk__in=ids).order_by("pk"))
    return [row.pk for row in rows], group_hash([history_row_hash(row, fields) for row in rows])


def take_pending_history(using: str = "default") -> list[dict]:
    """One entry per history model written in this transaction: its row ids and their combined hash.

    Rows of a rolled-back transaction no longer exist and drop out here.
    """
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
        fields = history_fields(model)
        ids, combined = history_group(model, sorted(set(by_model[label])), using, fields)
        if ids:
            bound.append({"model": label, "ids": ids, "hash": combined, "fields": fields})
    return bound


def save_tracked(obj, *, actor, reason: str = "", fields: Iterable[str] | None = None) -> None:
    """Save an audited row so its history row names who changed it and why (the one way services
    save; the history row is then bound into the service's audit event)."""
    obj._history_user = actor
    obj._change_reason = reason or None
    obj.save(update_fields=list(fields) if fields is not None else None)


def delete_tracked(obj, *, actor, reason: str = "") -> None:
    """Delete an audited row so its last history row (type "-") names who deleted it and why."""
    obj._history_user = actor
    obj._change_reason = reason or None
    obj.delete()


def bulk_create_audited(model, objs: list, *, actor, reason: str = "", batch_size: int = 500) -> list:
    """``bulk_create`` for audited models: history rows are written and bound into the next event."""
    created = model._default_manager.bulk_create(objs, batch_size=batch_size)
    history = model.history.bulk_history_create(
        created, batch_size=batch_size, default_user=actor, default_change_reason=reason or None
    )
    remember_history_rows(history or [])
    return created


def bulk_update_audited(model, objs: list, fields: list[str], *, actor, reason: str = "", batch_size: int = 500):
    """``bulk_update`` for audited models: one UPDATE per batch, a history row per object, and all of
    them bound into the next event of the caller's transaction."""
    from audit.models.history_base import audited_bulk

    for obj in objs:
        obj._history_user = actor
    with audited_bulk():
        model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
    history = model.history.bulk_history_create(
        objs, batch_size=batch_size, update=True, default_user=actor, default_change_reason=reason or None
    )
    remember_history_rows(history or [])
