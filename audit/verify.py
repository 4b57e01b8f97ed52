"""Checks the audit trail end to end and says where it was damaged.

``verify_all()`` walks the chain (streamed in chunks, constant memory), recognises how the first
broken link was broken (modified, deleted, inserted, reordered), recomputes every history group
an event binds, checks the signed checkpoints (from the database and from a downloaded file), the
chain head, and compares every audited row with its newest history record. It returns a
``VerifyReport``; ``manage.py audit_verify`` prints it and ``chain_status()`` gives pages a cheap
summary. ``verify_chain()`` is the chain-only check kept for existing callers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.checkpoints import CheckpointFile, audit_public_keys, signature_valid
from audit.history import group_hash, history_row_payload
from audit.models import AuditCheckpoint, AuditEvent, ChainHead
from lib.chain import GENESIS_HASH, chain_hash, jsonable, record_hash
from lib.files import private_dir

logger = logging.getLogger("audit.verify")

MAX_PROBLEMS = 200
LOOKAHEAD = 50  # how far to look for where a displaced event belongs
IN_BATCH = 900  # ids per IN (...) list: below every backend's parameter limit


class Damage(models.TextChoices):
    EVENT_MODIFIED = "event_modified", gettext_lazy("事件被修改")
    EVENT_DELETED = "event_deleted", gettext_lazy("事件被删除")
    EVENT_INSERTED = "event_inserted", gettext_lazy("事件被插入")
    EVENTS_REORDERED = "events_reordered", gettext_lazy("事件顺序被调换")
    CHAIN_REWRITTEN = "chain_rewritten", gettext_lazy("检查点之后的审计链被改写")
    CHECKPOINT_INVALID = "checkpoint_invalid", gettext_lazy("检查点签名无效")
    CHECKPOINT_TAMPERED = "checkpoint_tampered", gettext_lazy("数据库中的检查点被删除或改动")
    HISTORY_MODIFIED = "history_modified", gettext_lazy("历史记录被修改")
    HISTORY_DELETED = "history_deleted", gettext_lazy("历史记录被删除")
    ROW_CHANGED = "row_changed", gettext_lazy("业务记录在系统之外被修改")
    ROW_DELETED = "row_deleted", gettext_lazy("业务记录在系统之外被删除")
    ROW_WITHOUT_HISTORY = "row_without_history", gettext_lazy("业务记录没有历史记录")


_PRIORITY = {kind: n for n, kind in enumerate(Damage.values)}


@dataclass
class Problem:
    kind: str
    seq: int | None = None
    detail: str = ""
    model: str = ""
    pk: str = ""
    history_id: int | None = None
    fields: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(Damage(self.kind).label)

    def describe(self) -> str:
        where = _("第 %(seq)d 号事件") % {"seq": self.seq} if self.seq is not None else ""
        if self.model and self.history_id is not None:
            where += (" " if where else "") + _("%(model)s 历史记录 %(id)s") % {
                "model": self.model,
                "id": self.history_id,
            }
        elif self.model:
            where += (" " if where else "") + f"{self.model} #{self.pk}"
        text = f"{where}：{self.label}" if where else self.label
        if self.fields:
            text += _("（字段：%(fields)s）") % {"fields": "、".join(self.fields)}
        return f"{text}。{self.detail}" if self.detail else f"{text}。"

    def sort_key(self) -> tuple:
        return (self.seq is None, self.seq or 0, _PRIORITY.get(self.kind, 99))


@dataclass
class VerifyReport:
    started_at: dt.datetime = field(default_factory=timezone.now)
    events: int = 0
    last_seq: int = 0
    head_seq: int | None = None
    chain_complete: bool = False
    history_groups: int = 0
    history_rows: int = 0
    checkpoints: int = 0
    file_checkpoints: int = 0
    models: int = 0
    rows: int = 0
    seconds: float = 0.0
    chain_seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    problems_not_listed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems, key=Problem.sort_key) if self.problems else None

    @property
    def first_bad_seq(self) -> int | None:
        first = self.first_problem
        return first.seq if first else None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def add(self, problem: Problem) -> None:
        if any(p.kind == problem.kind and p.seq == problem.seq and p.pk == problem.pk for p in self.problems):
            return
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems_not_listed += 1
            return
        self.problems.append(problem)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=Problem.sort_key)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["started_at"] = jsonable(self.started_at)
        data["problems"] = [{**asdict(p), "label": p.label, "text": p.describe()} for p in self.sorted_problems()]
        data["ok"] = self.ok
        data["first_bad_seq"] = self.first_bad_seq
        data["events_per_second"] = round(self.events_per_second, 1)
        return data


def verify_all(
    *,
    checkpoints_file: CheckpointFile | None = None,
    chunk_size: int = 2000,
    rows: bool = True,
    record: bool = True,
) -> VerifyReport:
    """Every check; on PostgreSQL inside one REPEATABLE READ, READ ONLY snapshot so concurrent
    appends cannot look like damage. (SQLite runs without: its IMMEDIATE transactions would block
    every writer for the whole run.) ``record`` keeps the outcome for ``chain_status()``."""
    report = VerifyReport()
    started = time.perf_counter()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            _run(report, checkpoints_file=checkpoints_file, chunk_size=chunk_size, rows=rows, started=started)
    else:
        _run(report, checkpoints_file=checkpoints_file, chunk_size=chunk_size, rows=rows, started=started)
    report.seconds = time.perf_counter() - started
    if record:
        _record(report)
    return report


def _run(report: VerifyReport, *, checkpoints_file, chunk_size: int, rows: bool, started: float) -> None:
    head = ChainHead.objects.filter(pk=1).first()
    report.head_seq = head.seq if head else None
    bad_history: set[tuple[str, int]] = set()
    last = _walk_chain(report, upto=report.head_seq, chunk_size=chunk_size, bad_history=bad_history)
    if report.chain_complete:
        _check_head(report, head, last)
    report.chain_seconds = time.perf_counter() - started
    _check_checkpoints(report, checkpoints_file=checkpoints_file)
    if rows:
        _check_rows(report, chunk_size=chunk_size, bad_history=bad_history)


# --- the chain -----------------------------------------------------------------------------------


class _Lookahead:
    """An iterator that can show the next few items without losing them."""

    def __init__(self, iterator: Iterator):
        self._iterator = iterator
        self._buffer: deque = deque()

    def __iter__(self):
        return self

    def __next__(self):
        return self._buffer.popleft() if self._buffer else next(self._iterator)

    def peek(self, n: int) -> list:
        while len(self._buffer) < n:
            try:
                self._buffer.append(next(self._iterator))
            except StopIteration:
                break
        return list(islice(self._buffer, n))


def _walk_chain(report: VerifyReport, *, upto: int | None, chunk_size: int, bad_history: set | None):
    """Check every link up to the first broken one; returns the last good event."""
    queryset = AuditEvent.objects.order_by("seq")
    if upto is not None:
        queryset = queryset.filter(seq__lte=upto)
    events = _Lookahead(queryset.iterator(chunk_size=chunk_size))
    groups = _HistoryBatch(report, limit=chunk_size, bad=bad_history) if bad_history is not None else None
    expected, prev = 1, None
    for event in events:
        prev_hash = prev.hash if prev else GENESIS_HASH
        if event.seq != expected or event.prev_hash != prev_hash or event.compute_hash() != event.hash:
            report.add(_classify(prev, expected, event, events.peek(LOOKAHEAD)))
            break
        if groups is not None and event.history:
            groups.add(event)
        report.events += 1
        report.last_seq = event.seq
        prev, expected = event, expected + 1
    else:
        report.chain_complete = True
    if groups is not None:
        groups.flush()
    return prev


def _hash_at(event: AuditEvent, seq: int) -> str:
    payload = event.payload()
    payload["seq"] = seq
    return chain_hash(event.prev_hash, payload)


def _home_offset(event: AuditEvent) -> int | None:
    """How far from its sequence number the event was born: it hashes correctly at seq + offset."""
    if event.compute_hash() == event.hash:
        return 0
    for distance in range(1, LOOKAHEAD + 1):
        for offset in (-distance, distance):
            if event.seq + offset >= 1 and _hash_at(event, event.seq + offset) == event.hash:
                return offset
    return None


def _classify(prev: AuditEvent | None, k: int, event: AuditEvent, ahead: list[AuditEvent]) -> Problem:
    """Name the damage at the first broken link; ``k`` is the sequence number expected there."""
    if event.seq != k:
        return Problem(
            Damage.EVENT_DELETED,
            k,
            _("第 %(a)d 至 %(b)d 号事件不存在（序号中断）。") % {"a": k, "b": event.seq - 1},
        )
    offset = _home_offset(event)
    if offset == 0:
        # The event itself is intact; the link to its predecessor is not.
        nxt = ahead[0] if ahead else None
        if prev is not None and (nxt is None or nxt.prev_hash == event.hash):
            return Problem(
                Damage.EVENT_MODIFIED,
                k - 1,
                _("该事件的内容被改动并重新计算了哈希，与第 %(k)d 号事件记录的前一哈希不符。") % {"k": k},
            )
        return Problem(Damage.EVENT_MODIFIED, k, _("该事件记录的前一哈希与上一事件不符。"))
    if offset is None:
        nxt_offset = _home_offset(ahead[0]) if ahead else None
        if nxt_offset is not None and nxt_offset < 0:
            start = min(k, ahead[0].seq + nxt_offset)
            return Problem(
                Damage.EVENT_INSERTED,
                start,
                _("原第 %(home)d 号事件被挪到了第 %(now)d 号，其前插入了不属于审计链的事件。")
                % {"home": ahead[0].seq + nxt_offset, "now": ahead[0].seq},
            )
        return Problem(Damage.EVENT_MODIFIED, k, _("事件内容与其哈希不符。"))
    if offset < 0:
        return Problem(
            Damage.EVENT_INSERTED,
            k + offset,
            _("第 %(k)d 号事件原本是第 %(home)d 号，其前被插入了 %(n)d 条事件。")
            % {"k": k, "home": k + offset, "n": -offset},
        )
    for other in ahead:
        if _hash_at(other, k) == other.hash:
            return Problem(
                Damage.EVENTS_REORDERED,
                k,
                _("第 %(k)d 号事件原本是第 %(home)d 号，原第 %(k)d 号事件出现在第 %(other)d 号。")
                % {"k": k, "home": k + offset, "other": other.seq},
            )
    return Problem(
        Damage.EVENT_DELETED,
        k,
        _("第 %(k)d 号起有 %(n)d 条事件被删除，其后的事件被重新编号。") % {"k": k, "n": offset},
    )


def _check_head(report: VerifyReport, head: ChainHead | None, last: AuditEvent | None) -> None:
    if head is None:
        report.notes.append(_("未找到链头记录，跳过链头核对。"))
        return
    last_seq = last.seq if last else 0
    if last_seq < head.seq:
        report.add(
            Problem(
                Damage.EVENT_DELETED,
                last_seq + 1,
                _("链头记录显示审计链已到第 %(head)d 号，现存事件只到第 %(last)d 号：最新的事件被删除。")
                % {"head": head.seq, "last": last_seq},
            )
        )
    elif last is not None and last.hash != head.hash:
        report.add(Problem(Damage.EVENT_MODIFIED, last.seq, _("最新事件的哈希与链头记录不符。")))
    # Newest first, head second: an append committing in between then cannot look like an insertion.
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    head_now = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    if newest > head_now:
        report.add(
            Problem(
                Damage.EVENT_INSERTED,
                head_now + 1,
                _("链头之后还有事件（最新到第 %(n)d 号）：这些事件没有经过系统写入。") % {"n": newest},
            )
        )


# --- history bound into events -------------------------------------------------------------------


def _chunks(items, size: int):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _HistoryBatch:
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
            for part in _chunks(sorted(ids), IN_BATCH):
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


# --- checkpoints ---------------------------------------------------------------------------------


def _check_checkpoints(report: VerifyReport, *, checkpoints_file: CheckpointFile | None) -> None:
    keys = audit_public_keys()
    last_good = 0
    for chunk in _chunks(AuditCheckpoint.objects.order_by("seq").iterator(chunk_size=1000), 1000):
        hashes = _event_hashes([cp.seq for cp in chunk])
        for cp in chunk:
            report.checkpoints += 1
            if not signature_valid(
                public_key=keys.get(cp.key_id),
                seq=cp.seq,
                hash=cp.hash,
                created_at=cp.created_at,
                signature=cp.signature,
            ):
                report.add(
                    Problem(
                        Damage.CHECKPOINT_INVALID,
                        cp.seq,
                        _("数据库中的检查点 #%(seq)d 无法用审计公钥验证签名：检查点被伪造或改动。") % {"seq": cp.seq},
                    )
                )
                continue
            if _against_chain(report, seq=cp.seq, hash=cp.hash, hashes=hashes, since=last_good):
                last_good = cp.seq
    if checkpoints_file is not None:
        _check_file(report, checkpoints_file, keys)


def _check_file(report: VerifyReport, checkpoints_file: CheckpointFile, keys: dict[str, str]) -> None:
    last_good = 0
    entries = sorted(checkpoints_file.entries, key=lambda e: e["seq"])
    for kid in sorted({e["key_id"] for e in entries} & set(checkpoints_file.keys) - set(keys)):
        report.notes.append(_("文件中的密钥 %(kid)s 不在本系统的审计密钥清单中，仅按文件所附公钥验证。") % {"kid": kid})
    for chunk in _chunks(entries, 1000):
        seqs = [e["seq"] for e in chunk]
        stored = {cp.seq: cp for cp in AuditCheckpoint.objects.filter(seq__in=seqs)}
        hashes = _event_hashes(seqs)
        for entry in chunk:
            report.file_checkpoints += 1
            seq, kid = entry["seq"], entry["key_id"]
            file_key, local_key = checkpoints_file.keys.get(kid), keys.get(kid)
            if file_key and local_key and file_key != local_key:
                reason = _("文件中密钥 %(kid)s 的公钥与本系统的审计公钥不一致。") % {"kid": kid}
                report.add(Problem(Damage.CHECKPOINT_INVALID, seq, reason))
                continue
            if not signature_valid(public_key=file_key or local_key, **{k: entry[k] for k in _SIGNED}):
                reason = _("下载文件中的检查点 #%(seq)d 签名无效：文件被改动，或不是本系统签发。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_INVALID, seq, reason))
                continue
            row = stored.get(seq)
            if row is None:
                reason = _("下载文件中的检查点 #%(seq)d 在数据库中已不存在。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_TAMPERED, seq, reason))
            elif (row.hash, row.key_id, row.signature, jsonable(row.created_at)) != (
                entry["hash"],
                kid,
                entry["signature"],
                entry["created_at"],
            ):
                reason = _("数据库中的检查点 #%(seq)d 与下载文件不一致。") % {"seq": seq}
                report.add(Problem(Damage.CHECKPOINT_TAMPERED, seq, reason))
            if _against_chain(report, seq=seq, hash=entry["hash"], hashes=hashes, since=last_good):
                last_good = seq


_SIGNED = ("seq", "hash", "created_at", "signature")


def _event_hashes(seqs: list[int]) -> dict[int, str]:
    return dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "hash"))


def _against_chain(report: VerifyReport, *, seq: int, hash: str, hashes: dict[int, str], since: int) -> bool:
    actual = hashes.get(seq)
    if actual is None:
        first_missing = report.last_seq + 1 if report.chain_complete and seq > report.last_seq else seq
        report.add(
            Problem(
                Damage.EVENT_DELETED,
                first_missing,
                _("检查点 #%(seq)d 证明审计链曾有第 %(seq)d 号事件，现在该事件已不存在。") % {"seq": seq},
            )
        )
        return False
    if actual != hash:
        report.add(
            Problem(
                Damage.CHAIN_REWRITTEN,
                seq,
                _(
                    "检查点 #%(seq)d 签名的哈希与现存第 %(seq)d 号事件不符：第 %(since)d 至 %(seq)d 号之间的"
                    "事件被改写后重新计算了哈希（检查点之后的改写无法由链内哈希发现）。"
                )
                % {"seq": seq, "since": since + 1},
            )
        )
        return False
    return True


# --- audited rows against their newest history record ------------------------------------------


def _history_models() -> list[tuple[type[models.Model], type[models.Model]]]:
    from simple_history.models import registered_models

    pairs = []
    for model in registered_models.values():
        attr = getattr(model._meta, "simple_history_manager_attribute", None)
        if model._meta.proxy or not attr or not hasattr(model, attr):
            continue
        pairs.append((model, getattr(model, attr).model))
    return sorted(pairs, key=lambda pair: pair[0]._meta.label)


def _same(a, b, *, is_file: bool) -> bool:
    if is_file:
        return (a or "") == (b or "")
    return a == b


def _check_rows(report: VerifyReport, *, chunk_size: int, bad_history: set[tuple[str, int]]) -> None:
    for model, history in _history_models():
        report.models += 1
        tracked = list(history.tracked_fields)
        names = [f.attname for f in tracked]
        files = [isinstance(f, models.FileField) for f in tracked]
        pk = model._meta.pk.attname
        at = names.index(pk)
        label, history_label = model._meta.label, history._meta.label
        rows = model._base_manager.order_by(pk).values_list(*names).iterator(chunk_size=chunk_size)
        for chunk in _chunks(rows, chunk_size):
            keys = [row[at] for row in chunk]
            latest = (
                history._base_manager.filter(**{f"{pk}__in": keys})
                .values(pk)
                .annotate(latest=Max("history_id"))
                .values("latest")
            )
            snapshots = {
                snap[2 + at]: snap
                for snap in history._base_manager.filter(history_id__in=latest).values_list(
                    "history_id", "history_type", *names
                )
            }
            for row in chunk:
                report.rows += 1
                _compare_row(report, label, history_label, names, files, row, snapshots.get(row[at]), at, bad_history)
        _check_gone(report, model, history, pk)


def _compare_row(report, label, history_label, names, files, row, snapshot, at, bad_history) -> None:
    if snapshot is None:
        report.add(
            Problem(
                Damage.ROW_WITHOUT_HISTORY,
                detail=_("该记录没有任何历史记录：它不是经由系统写入的。"),
                model=label,
                pk=str(row[at]),
            )
        )
        return
    history_id, history_type, values = snapshot[0], snapshot[1], snapshot[2:]
    if (history_label, history_id) in bad_history:
        return  # the history record itself is damaged and already reported
    if history_type == "-":
        reason = _("最新历史记录 %(h)d 显示该记录已删除，但它仍然存在。") % {"h": history_id}
        report.add(Problem(Damage.ROW_CHANGED, detail=reason, model=label, pk=str(row[at])))
        return
    changed = [
        name for name, is_file, a, b in zip(names, files, row, values, strict=True) if not _same(a, b, is_file=is_file)
    ]
    if changed:
        reason = _("与最新历史记录 %(h)d 不一致。") % {"h": history_id}
        report.add(Problem(Damage.ROW_CHANGED, detail=reason, model=label, pk=str(row[at]), fields=changed))


def _check_gone(report: VerifyReport, model, history, pk: str) -> None:
    """Rows whose newest history record says they exist, but which are gone: one query per model."""
    latest = history._base_manager.values(pk).annotate(latest=Max("history_id")).values("latest")
    gone = (
        history._base_manager.filter(history_id__in=latest)
        .exclude(history_type="-")
        .exclude(**{f"{pk}__in": model._base_manager.values(pk)})
        .order_by(pk)
        .values_list(pk, "history_id")[:MAX_PROBLEMS]
    )
    for key, history_id in gone:
        reason = _("最新历史记录 %(h)d 显示该记录存在，但它已被删除且没有删除记录。") % {"h": history_id}
        report.add(Problem(Damage.ROW_DELETED, detail=reason, model=model._meta.label, pk=str(key)))


# --- the chain-only check kept for existing callers ----------------------------------------------


@dataclass
class ChainReport:
    events: int
    first_bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Links and hashes only (no head, checkpoints, history or rows): cheap enough for tests."""
    report = VerifyReport()
    _walk_chain(report, upto=None, chunk_size=chunk_size, bad_history=None)
    first = report.first_problem
    if first is None:
        return ChainReport(report.events)
    return ChainReport(report.events, first.seq, f"{first.kind}: {first.describe()}")


# --- the cheap status for pages ------------------------------------------------------------------


@dataclass
class ChainStatus:
    ok: bool | None  # None: no full verification on record and no problem seen by the cheap checks
    text: str
    head_seq: int = 0
    last_checkpoint_seq: int | None = None
    last_checkpoint_at: dt.datetime | None = None
    events_since_checkpoint: int = 0
    verified_at: dt.datetime | None = None
    verified_ok: bool | None = None
    problems: list[str] = field(default_factory=list)


def status_path() -> Path:
    return Path(settings.VAR_DIR) / "audit" / "last_verify.json"


def _record(report: VerifyReport) -> None:
    from lib.files import atomic_write

    first = report.first_problem
    summary = {
        "finished_at": jsonable(timezone.now()),
        "ok": report.ok,
        "events": report.events,
        "last_seq": report.last_seq,
        "problems": len(report.problems) + report.problems_not_listed,
        "first_problem": first.describe() if first else "",
        "first_kind": first.kind if first else "",
        "first_seq": first.seq if first else None,
        "seconds": round(report.seconds, 3),
    }
    path = status_path()
    try:
        private_dir(path.parent)
        atomic_write(path, json.dumps(summary, ensure_ascii=False).encode("utf-8"), mode=0o640)
    except OSError:
        logger.warning("could not record the verification result in %s", path, exc_info=True)


def last_verification() -> dict | None:
    try:
        return json.loads(status_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _local(stamp: dt.datetime | None) -> str:
    return timezone.localtime(stamp).strftime("%Y-%m-%d %H:%M") if stamp else ""


def chain_status() -> ChainStatus:
    """A summary for pages, without walking the chain.

    Cost: four indexed single-row queries (chain head, newest event, newest checkpoint, the event
    it signs), one read of the audit key manifest, one Ed25519 verification (≈0.1 ms) and one read
    of the small file the last ``audit_verify`` left: about a millisecond whatever the chain's size.
    It catches a deleted or appended newest event and a newest checkpoint that no longer matches;
    everything else is the last full verification's verdict, with its date.
    """
    head = ChainHead.objects.filter(pk=1).first()
    newest = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    status = ChainStatus(ok=None, text="", head_seq=head.seq if head else (newest[0] if newest else 0))
    if head is not None and (newest or (0, GENESIS_HASH)) != (head.seq, head.hash):
        status.problems.append(
            _("链头（第 %(h)d 号）与最新事件（第 %(n)d 号）不一致") % {"h": head.seq, "n": newest[0] if newest else 0}
        )
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    if checkpoint is not None:
        status.last_checkpoint_seq, status.last_checkpoint_at = checkpoint.seq, checkpoint.created_at
        status.events_since_checkpoint = max(status.head_seq - checkpoint.seq, 0)
        signed = signature_valid(
            public_key=audit_public_keys().get(checkpoint.key_id),
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            created_at=checkpoint.created_at,
            signature=checkpoint.signature,
        )
        if not signed:
            status.problems.append(_("最新检查点 #%(seq)d 签名无效") % {"seq": checkpoint.seq})
        elif _event_hashes([checkpoint.seq]).get(checkpoint.seq) != checkpoint.hash:
            status.problems.append(_("最新检查点 #%(seq)d 与第 %(seq)d 号事件不符") % {"seq": checkpoint.seq})
    last = last_verification()
    if last is not None:
        status.verified_ok = bool(last.get("ok"))
        status.verified_at = _parse_time(last.get("finished_at"))
    status.ok = False if status.problems or status.verified_ok is False else status.verified_ok
    status.text = _status_text(status, last)
    return status


def _parse_time(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _status_text(status: ChainStatus, last: dict | None) -> str:
    parts = []
    if status.problems:
        parts.append(_("发现问题：%(p)s，请立即运行 python manage.py audit_verify") % {"p": "；".join(status.problems)})
    if last is None:
        parts.append(_("尚未运行完整校验（python manage.py audit_verify）"))
    elif status.verified_ok:
        parts.append(
            _("最近一次完整校验（%(at)s）通过，共 %(n)s 条事件")
            % {"at": _local(status.verified_at), "n": f"{last.get('events', 0):,}"}
        )
    else:
        parts.append(
            _("最近一次完整校验（%(at)s）发现问题：%(first)s")
            % {"at": _local(status.verified_at), "first": last.get("first_problem", "")}
        )
    if status.last_checkpoint_seq is None:
        parts.append(_("尚无检查点"))
    else:
        parts.append(
            _("最新检查点 #%(seq)d（%(at)s），其后新增 %(n)d 条事件")
            % {
                "seq": status.last_checkpoint_seq,
                "at": _local(status.last_checkpoint_at),
                "n": status.events_since_checkpoint,
            }
        )
    return "；".join(parts) + "。"
