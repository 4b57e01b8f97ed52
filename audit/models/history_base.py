"""The base every django-simple-history table gets: rows are added, never changed or removed.

On PostgreSQL, triggers (audit migration 0004) refuse UPDATE, DELETE and TRUNCATE as well; on SQLite
this model layer is the guard.
"""

import contextvars
from contextlib import contextmanager

from django.db import models
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords

from audit.models.chain import AppendOnlyError, AppendOnlyQuerySet


class AppendOnlyHistoricalQuerySet(HistoricalQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("history rows are append-only")

    def delete(self):
        raise AppendOnlyError("history rows are append-only")


class AppendOnlyHistory(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("history rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("history rows are append-only")


def audited_history(**kwargs) -> HistoricalRecords:
    """``HistoricalRecords`` for every domain model: history kept on delete, append-only rows."""
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(bases=[AppendOnlyHistory], historical_queryset=AppendOnlyHistoricalQuerySet, **kwargs)


class BulkWriteRefused(Exception):
    """``update()``/``delete()`` on a queryset of an audited model, outside the audited bulk helpers."""


_bulk_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("audited_bulk_allowed", default=False)


@contextmanager
def audited_bulk():
    """Lets ``audit.history.bulk_update_audited`` run a queryset UPDATE; nothing else should use it."""
    token = _bulk_allowed.set(True)
    try:
        yield
    finally:
        _bulk_allowed.reset(token)


class AuditedQuerySet(models.QuerySet):
    """The default manager of every audited model: a queryset UPDATE or DELETE would change rows
    without history rows or an audit event, so it is refused. Saves and deletes of instances (which
    write history) and the audited bulk helpers are the only ways to change rows."""

    def update(self, **kwargs):
        if not _bulk_allowed.get():
            raise BulkWriteRefused(
                f"{self.model._meta.label}: queryset update() bypasses the audit trail; "
                "use a service (audit.history.bulk_update_audited for bulk changes)"
            )
        return super().update(**kwargs)

    def delete(self):
        raise BulkWriteRefused(f"{self.model._meta.label}: queryset delete() bypasses the audit trail")
