"""History rows bound into events: each group is recomputed and compared with the hash the event holds."""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.db import models
from django.utils.translation import gettext as _

from audit.history import group_hash, history_row_payload
from audit.models import AuditEvent
from audit.verify.report import Damage, Problem, VerifyReport, chunks
from lib.chain import record_hash

IN_BATCH = 900  # ids per IN (...) list: below every backend's parameter limit


class HistoryBatch:
    """Recomputes ``history_group`` for many events at once: one query per history model per batch."""

    def __init__(self, report: VerifyReport, *, limit: int, bad: set):
        self.report, self.limit, self.bad = report, limit, bad
        self.items: list[tuple[int, int | None, dict]] = []

    def add(self, event: AuditEvent) -> None:
        self.items.extend((event.seq, event.actor_uid, entry) for entry in event.history)
        if len(self.items) >= self.limit:
            self.flush()

    def flush(self) -> None:
        wanted: dict[str, set[int]] = defaultdict(set)
        for _seq, _uid, entry in self.items:
            wanted[entry["model"]].update(entry["ids"])
        rows: dict[tuple[str, int], models.Model] = {}
        for label, ids in wanted.items():
            try:
                model = apps.get_model(label)
            except LookupError:
                self.report.notes.append(_("历史模型 %(m)s 已不存在，无法核对其历史记录。") % {"m": label})
                continue
            for part in chunks(sorted(ids), IN_BATCH):
                for row in model.objects.filter(pk__in=part):
                    rows[(label, row.pk)] = row
        for seq, actor_uid, entry in self.items:
            self._check(seq, actor_uid, entry, rows)
        self.items.clear()

    def _check(self, seq: int, actor_uid: int | None, entry: dict, rows: dict) -> None:
        label, ids = entry["model"], sorted(entry["ids"])
        self.report.history_groups += 1
        self.report.history_rows += len(ids)
        found = [rows.get((label, pk)) for pk in ids]
        missing = [pk for pk, row in zip(ids, found, strict=True) if row is None]
        if missing:
            self.bad.update((label, pk) for pk in ids)
            self.report.add(
                Problem(
                    Damage.HISTORY_DELETED,
                    seq,
                    _("该事件绑定的历史记录 %(ids)s 已不存在。") % {"ids": ", ".join(map(str, missing[:20]))},
                    model=label,
                    history_id=missing[0],
                )
            )
            return
        fields = entry.get("fields")
        if group_hash([_row_hash(row, fields=fields) for row in found]) == entry["hash"]:
            return
        if (
            actor_uid is not None
            and group_hash([_row_hash(row, user=actor_uid, fields=fields) for row in found]) == entry["hash"]
        ):
            return  # only history_user_id was set NULL: the user was deleted (ON DELETE SET NULL)
        self.bad.update((label, pk) for pk in ids)
        self.report.add(
            Problem(
                Damage.HISTORY_MODIFIED,
                seq,
                _("该事件绑定的历史记录与其哈希不符。")
                if len(ids) == 1
                else _("该事件绑定的 %(n)d 条历史记录（%(ids)s）中至少一条被修改。")
                % {"n": len(ids), "ids": ", ".join(map(str, ids[:20]))},
                model=label,
                history_id=ids[0] if len(ids) == 1 else None,
                pk="" if len(ids) == 1 else ",".join(map(str, ids[:20])),
            )
        )


def _row_hash(row, *, user: int | None = None, fields: list[str] | None = None) -> str:
    payload = history_row_payload(row, fields)
    if user is not None and payload.get("history_user_id", 0) is None:
        payload["history_user_id"] = user
    return record_hash(payload)
