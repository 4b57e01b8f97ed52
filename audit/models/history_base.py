"""The base every django-simple-history table gets: rows are added, never changed or removed.

On PostgreSQL, triggers (audit migration 0004) refuse UPDATE, DELETE and TRUNCATE as well; on SQLite
this model layer is the guard.
"""

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
