"""Issue 15: the production path, run for real — a Celery worker with 2 processes on Redis issues a
plan of 50 candidates through the service the view calls, with nothing stuck.

PostgreSQL and Redis only (CI's .ci/run); skipped on the embedded SQLite default.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import User
from audit.verify import verify_all
from certify.models import Certificate, IssuanceBatch
from certify.scenarios import Scenario
from certify.services.issuing import issuance_request
from lib import numbering
from tests.realworker import BrokerMode, Worker, require_production_services, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CANDIDATES = 50


@pytest.fixture
def broker(transactional_db):
    url = require_production_services()
    with BrokerMode(url):
        yield url


@pytest.fixture
def worker(broker):
    running = Worker(broker=broker, concurrency=2)
    yield running
    running.stop()


def closed_plan_of(candidates: int):
    scenario = Scenario(timezone.localdate(), prefix="rw", actor="tests")
    setup = scenario.organization("rw", name="东莞市真机发证测试有限公司", seal=True)
    return setup, scenario.closed_plan(setup, candidates=candidates)


def assert_issued_completely(plan, batch: IssuanceBatch, candidates: int = CANDIDATES) -> None:
    certificates = list(Certificate.objects.filter(plan=plan).order_by("number"))
    assert len(certificates) == candidates
    assert {c.pdf_status for c in certificates} == {Certificate.PdfStatus.DONE}
    assert all(default_storage.exists(c.pdf.name) and len(c.pdf_sha256) == 64 for c in certificates)
    assert batch.status == IssuanceBatch.Status.DONE
    assert batch.combined_pdf and default_storage.exists(batch.combined_pdf.name)
    serials = sorted(numbering.parse_number(c.number).serial for c in certificates)
    assert serials == list(range(1, candidates + 1)), "numbers are gap-free from 1"
    report = verify_all(record=False)
    assert report.ok, [p.describe() for p in report.problems]


def finished(batch_id: int) -> IssuanceBatch | None:
    batch = IssuanceBatch.objects.get(pk=batch_id)
    return batch if batch.status in (IssuanceBatch.Status.DONE, IssuanceBatch.Status.FAILED) else None


def test_two_worker_processes_issue_a_plan_of_50_with_every_pdf_and_the_print_file(worker):
    setup, plan = closed_plan_of(CANDIDATES)

    batch = issuance_request(actor=setup.operator, plan=plan, issue_date=timezone.localdate())
    batch = wait_for(lambda: finished(batch.pk), timeout=600, what="the batch", worker=worker)

    assert batch.status == IssuanceBatch.Status.DONE, (batch.error, worker.output()[-3000:])
    assert_issued_completely(plan, batch)
    assert "Traceback" not in worker.output()


def test_the_same_with_the_system_actors_absent_when_the_workers_start(worker):
    """The race of issue 15: both worker processes start their first task with no system:celery
    user, and both create it."""
    setup, plan = closed_plan_of(CANDIDATES)
    User.objects.filter(username="system:celery").delete()
    assert not User.objects.filter(username__in=["system:celery"]).exists()

    batch = issuance_request(actor=setup.operator, plan=plan, issue_date=timezone.localdate())
    batch = wait_for(lambda: finished(batch.pk), timeout=600, what="the batch", worker=worker)

    assert batch.status == IssuanceBatch.Status.DONE, (batch.error, worker.output()[-3000:])
    assert_issued_completely(plan, batch)
    assert User.objects.filter(username="system:celery").count() == 1
    assert "IntegrityError" not in worker.output()


def test_a_worker_killed_in_the_middle_of_a_batch_is_finished_by_another_each_certificate_once(broker):
    """Faults (issues 13 and 15): the first worker dies mid-batch (SIGKILL, as the OOM killer does);
    acks_late puts its unfinished messages back, a new worker and the reconciler finish the batch."""
    setup, plan = closed_plan_of(CANDIDATES)
    first = Worker(broker=broker, concurrency=2)
    try:
        batch = issuance_request(actor=setup.operator, plan=plan, issue_date=timezone.localdate())
        wait_for(
            lambda: Certificate.objects.filter(plan=plan, pdf_status=Certificate.PdfStatus.DONE).count() >= 5,
            timeout=300,
            what="the first PDFs",
            worker=first,
        )
        first.process.kill()
        first.process.wait(timeout=30)
    finally:
        first.stop()
    second = Worker(broker=broker, concurrency=2, env={"SKILLCERT_STUCK_AFTER_MINUTES": "1"})
    try:
        from certify.services.recovery import issuance_reconcile

        def done_or_reconcile():
            # What Celery beat does every few minutes, called here with the clock moved on.
            issuance_reconcile(now=timezone.now() + dt.timedelta(minutes=20))
            return finished(batch.pk)

        batch = wait_for(done_or_reconcile, timeout=600, what="the batch after the kill", worker=second, step=2)
    finally:
        second.stop()

    assert batch.status == IssuanceBatch.Status.DONE, batch.error
    assert_issued_completely(plan, batch)
    assert Certificate.objects.filter(plan=plan).values("enrolment").distinct().count() == CANDIDATES


class DeadBroker:
    """Dispatch to a Redis that is not there (the queue stopped during issuance)."""

    def __enter__(self):
        from tests.realworker import _new_connections, app

        self.saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
        app.conf.update(broker_url="redis://127.0.0.1:1/0", task_always_eager=False)
        _new_connections()
        return self

    def __exit__(self, *exc):
        from tests.realworker import _new_connections, app

        app.conf.update(**self.saved)
        _new_connections()


def test_with_the_queue_away_issuing_is_accepted_and_resumes_cleanly_when_it_is_back(transactional_db, monkeypatch):
    """Issue 13's fault: Redis stopped during issuance. The operator's request is not an error page
    (its work is committed: the batch waits, pending); once the queue is back, the reconciler
    queues it again and a worker issues every certificate once, numbers gap-free."""
    url = require_production_services()
    setup, plan = closed_plan_of(10)  # about resuming, not size: the 50-candidate runs are above
    from certify import dispatch

    warned = []
    monkeypatch.setattr(dispatch.logger, "warning", lambda message, *args: warned.append(message % args))
    with DeadBroker():
        batch = issuance_request(actor=setup.operator, plan=plan, issue_date=timezone.localdate())
    batch.refresh_from_db()
    assert batch.status == IssuanceBatch.Status.PENDING
    assert warned and "issue_batch" in warned[0] and "the reconciler will queue it again" in warned[0]

    with BrokerMode(url):
        worker = Worker(broker=url, concurrency=2)
        try:
            from certify.services.recovery import issuance_reconcile

            def done_or_reconcile():
                issuance_reconcile(now=timezone.now() + dt.timedelta(minutes=20))
                return finished(batch.pk)

            batch = wait_for(
                done_or_reconcile, timeout=600, what="the batch after the queue came back", worker=worker, step=2
            )
        finally:
            worker.stop()
    assert batch.status == IssuanceBatch.Status.DONE, batch.error
    assert_issued_completely(plan, batch, candidates=10)
