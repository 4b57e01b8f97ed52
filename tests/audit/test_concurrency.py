"""Chain appends under concurrency: 8 writers × 500 appends on PostgreSQL must never fork."""

import threading

import pytest
from django.db import connection, transaction

from audit.actors import system_actor
from audit.events import EventType
from audit.models import AuditEvent
from audit.services import audit_append
from audit.verify import verify_chain

WRITERS = 8
APPENDS = 500


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency guarantee is tested on PostgreSQL (set DATABASE_URL)")
    actor = system_actor("tests")
    before = AuditEvent.objects.count()
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        from django.db import connection as thread_connection

        try:
            start.wait()
            for i in range(APPENDS):
                with transaction.atomic():
                    audit_append(
                        actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"writer": n, "i": i}
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = AuditEvent.objects.count()
    assert total == before + WRITERS * APPENDS
    # a fork is two events claiming the same predecessor
    distinct_prev = AuditEvent.objects.values("prev_hash").distinct().count()
    assert distinct_prev == total
    report = verify_chain()
    assert report.ok, report
    assert report.events == total
