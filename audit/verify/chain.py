"""The hash chain: every link up to the first broken one, and the kind of damage found there."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from itertools import islice

from django.utils.translation import gettext as _

from audit.models import AuditEvent, ChainHead
from audit.verify.history import HistoryBatch
from audit.verify.report import Damage, Problem, VerifyReport
from lib.chain import GENESIS_HASH, chain_hash

LOOKAHEAD = 50  # how far to look for where a displaced event belongs


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


def walk_chain(report: VerifyReport, *, upto: int | None, chunk_size: int, bad_history: set | None, progress=None):
    """Check every link up to the first broken one; returns the last good event. ``progress(done,
    total)`` is called after every ``chunk_size`` events and once at the end."""
    total = upto if upto is not None or progress is None else AuditEvent.objects.count()
    queryset = AuditEvent.objects.order_by("seq")
    if upto is not None:
        queryset = queryset.filter(seq__lte=upto)
    events = _Lookahead(queryset.iterator(chunk_size=chunk_size))
    groups = HistoryBatch(report, limit=chunk_size, bad=bad_history) if bad_history is not None else None
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
        if progress is not None and report.events % chunk_size == 0:
            progress(report.events, total)
    else:
        report.chain_complete = True
    if progress is not None:
        progress(report.events, total)
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


def check_head(report: VerifyReport, head: ChainHead | None, last: AuditEvent | None) -> None:
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
