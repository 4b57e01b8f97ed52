"""Audit chain appends per second: the chain head row is locked by every append, so this is the
ceiling on how many audited changes per second the whole platform can make.

Each append stands for an event with no other write in its transaction (a PDF download is one):
an organisation member as the actor (one membership query for the role), a tuple target, a small
``data`` dict. Three ways: one event per transaction, many events in one transaction (as the batch
job issues a plan), and — on PostgreSQL — several threads appending at once, each on its own
connection, followed by a chain check to show the lock kept it from forking.
"""

from __future__ import annotations

import threading

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.events import EventType
from audit.services import audit_append
from audit.verify import verify_chain
from bench.common import Context, timer
from bench.world import world

NUMBER = "Y000044100001264000001"


def _append(actor, org, i: int) -> None:
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_DOWNLOADED,
        target=("bench.item", i, f"基准测试对象 {i}"),
        organization=org,
        data={"number": NUMBER, "version": 1, "i": i},
    )


def _append_committed(actor, org, i: int) -> None:
    with transaction.atomic():
        _append(actor, org, i)


def benchmark(ctx: Context) -> None:
    setup = world(ctx).organization("audit", name="东莞市基准审计测试有限公司")
    actor, org, n = setup.operator, setup.org, max(ctx.args.appends, 1)
    for i in range(20):  # warm caches and the connection
        _append_committed(actor, org, -i)
    with CaptureQueriesContext(connection) as captured:
        _append_committed(actor, org, -100)
    queries = len(captured.captured_queries)

    with timer() as t:
        for i in range(n):
            _append_committed(actor, org, i)
    ctx.add("audit_append: 1 writer, 1 event per transaction", n, t[0], f"{queries} queries per append")

    with timer() as t, transaction.atomic():
        for i in range(n):
            _append(actor, org, n + i)
    ctx.add("audit_append: 1 writer, all in one transaction", n, t[0])

    threads = ctx.args.threads
    if ctx.postgres and threads > 1:
        _concurrent(ctx, actor, org, n=n, threads=threads)
    elif threads > 1:
        ctx.say("concurrent appenders: PostgreSQL only (SQLite serialises writers on one file lock)")

    with timer() as t:
        report = verify_chain()
    state = "intact, no fork" if report.ok else f"BROKEN at #{report.first_bad_seq}: {report.problem}"
    ctx.add("verify_chain after the appends (links and hashes)", report.events, t[0], state)


def _concurrent(ctx: Context, actor, org, *, n: int, threads: int) -> None:
    per = max(n // threads, 1)
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per):
                _append_committed(actor, org, 10_000_000 * (k + 1) + i)
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    with timer() as t:
        barrier.wait()
        for worker in workers:
            worker.join()
    note = f"{threads} connections" + (f"; {len(errors)} errors: {errors[0]!r}" if errors else "")
    ctx.add(f"audit_append: {threads} threads, 1 event per transaction", per * threads, t[0], note)
