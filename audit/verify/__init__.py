"""Checks the audit trail end to end and says where it was damaged.

``verify_all()`` walks the chain (streamed in chunks, constant memory), recognises how the first
broken link was broken (modified, deleted, inserted, reordered), recomputes every history group
an event binds, checks the signed checkpoints (from the database and from a downloaded file), the
chain head, and compares every audited row with its newest history record. It returns a
``VerifyReport``; ``manage.py audit_verify`` prints it and ``chain_status()`` gives pages a cheap
summary. ``verify_chain()`` is the chain-only check kept for existing callers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from audit.checkpoints import CheckpointFile
from audit.models import ChainHead
from audit.verify.chain import check_head, walk_chain
from audit.verify.checkpoints import check_checkpoints
from audit.verify.report import Damage, Problem, VerifyReport
from audit.verify.rows import check_rows
from audit.verify.status import ChainStatus, chain_status, last_verification, record_outcome, status_path

__all__ = [
    "ChainReport",
    "ChainStatus",
    "Damage",
    "Problem",
    "VerifyReport",
    "chain_status",
    "last_verification",
    "status_path",
    "verify_all",
    "verify_chain",
]


def verify_all(
    *,
    checkpoints_file: CheckpointFile | None = None,
    chunk_size: int = 2000,
    rows: bool = True,
    record: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Every check; on PostgreSQL inside one REPEATABLE READ, READ ONLY snapshot so concurrent
    appends cannot look like damage. (SQLite runs without: its IMMEDIATE transactions would block
    every writer for the whole run.) ``record`` keeps the outcome for ``chain_status()``;
    ``progress(done, total)`` is told after each chunk of the chain walk (events checked, chain length)."""
    report = VerifyReport()
    started = time.perf_counter()
    options = {"checkpoints_file": checkpoints_file, "chunk_size": chunk_size, "rows": rows, "progress": progress}
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            _run(report, started=started, **options)
    else:
        _run(report, started=started, **options)
    report.seconds = time.perf_counter() - started
    if record:
        record_outcome(report)
    return report


def _run(report: VerifyReport, *, checkpoints_file, chunk_size: int, rows: bool, started: float, progress=None) -> None:
    head = ChainHead.objects.filter(pk=1).first()
    report.head_seq = head.seq if head else None
    bad_history: set[tuple[str, int]] = set()
    last = walk_chain(report, upto=report.head_seq, chunk_size=chunk_size, bad_history=bad_history, progress=progress)
    if report.chain_complete:
        check_head(report, head, last)
    report.chain_seconds = time.perf_counter() - started
    check_checkpoints(report, checkpoints_file=checkpoints_file)
    if rows:
        check_rows(report, chunk_size=chunk_size, bad_history=bad_history)


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
    walk_chain(report, upto=None, chunk_size=chunk_size, bad_history=None)
    first = report.first_problem
    if first is None:
        return ChainReport(report.events)
    return ChainReport(report.events, first.seq, f"{first.kind}: {first.describe()}")
