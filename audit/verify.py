"""Walks the chain and reports the first broken link."""

from __future__ import annotations

from dataclasses import dataclass

from audit.chain import GENESIS_HASH
from audit.models import AuditEvent


@dataclass
class ChainReport:
    events: int
    first_bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(count, expected_seq, f"sequence gap: expected {expected_seq}, found {event.seq}")
        if event.prev_hash != prev_hash:
            return ChainReport(count, event.seq, "prev_hash does not match the previous event")
        if event.compute_hash() != event.hash:
            return ChainReport(count, event.seq, "hash does not match the event's content")
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return ChainReport(count)
