"""Issue 15: nothing stuck. Every failure of an issuing job is recorded where the operator sees it
and can be retried; stalled jobs are queued again by the reconciler; the system actors survive
two processes creating them at once. (Tasks run eagerly here; tests/e2e/test_real_worker.py runs
the same with real Celery workers on Redis.)"""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from accounts.models import User
from audit.actors import system_actor
from audit.models import AuditEvent
from certify import dispatch
from certify.models import Certificate, IssuanceBatch
from certify.services import issuing, recovery, rendering
from tests.helpers import assert_status

pytestmark = pytest.mark.django_db


def request_batch(world, plan, django_capture_on_commit_callbacks) -> IssuanceBatch:
    with django_capture_on_commit_callbacks(execute=True):
        batch = issuing.issuance_request(actor=world.a_operator, plan=plan)
    batch.refresh_from_db()
    return batch


def test_the_system_actor_survives_two_processes_creating_it_at_once(db, monkeypatch):
    """The race of issue 15: both workers look the actor up, find nothing, and insert."""
    winner = system_actor("celery")  # the other process's row, committed first
    real_filter = User.objects.filter
    calls = []

    def first_lookup_misses(*args, **kwargs):
        result = real_filter(*args, **kwargs)
        if kwargs.get("username") == "system:celery" and not calls:
            calls.append(1)
            return result.none()
        return result

    monkeypatch.setattr(User.objects, "filter", first_lookup_misses)
    loser = system_actor("celery")

    assert calls and loser.pk == winner.pk
    assert User.objects.filter(username="system:celery").count() == 1


def test_an_unexpected_error_while_recording_a_pdf_is_recorded_on_the_certificate(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(rendering, "_record_pdf", broken)
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)

    certificates = list(Certificate.objects.filter(batch=batch))
    assert {c.pdf_status for c in certificates} == {"failed"}
    assert all(c.pdf_error.startswith("处理时出现意外错误（RuntimeError）") for c in certificates)
    assert batch.status == "failed" and "3 张证书文件生成失败" in batch.error
    progress = rendering.batch_progress(batch)
    assert progress["finished"] and progress["failed"] == 3
    assert AuditEvent.objects.filter(event_type="certificate.pdf_failed").count() == 3


def test_a_transient_error_is_retried_by_the_task_and_then_succeeds(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    real = rendering._record_pdf
    failures = []

    def flaky(**kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(rendering, "_record_pdf", flaky)
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)

    assert len(failures) == 2
    assert set(Certificate.objects.filter(batch=batch).values_list("pdf_status", flat=True)) == {"done"}
    assert batch.status == "done" and batch.combined_pdf


def test_a_failed_allocation_is_recorded_on_the_batch_and_the_retry_button_issues(
    world, as_user, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(issuing, "issue_one", broken)
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)
    assert batch.status == "failed" and batch.error.startswith("处理时出现意外错误")
    assert not Certificate.objects.exists()
    page = assert_status(
        as_user(world.a_operator), "get", f"/orgs/{world.org_a.pk}/plans/{closed_plan.pk}/issuance/", 200
    )
    assert "重试出错的部分" in page.content.decode()
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.a_operator).post(f"/orgs/{world.org_a.pk}/plans/{closed_plan.pk}/issuance/retry/")

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "done" and Certificate.objects.filter(batch=batch, pdf_status="done").count() == 3
    assert AuditEvent.objects.filter(event_type="issuance.retried", actor=world.a_operator).count() == 1


def test_a_failed_combined_file_is_recorded_and_retried(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(contexts):
        raise RuntimeError("boom")

    monkeypatch.setattr(rendering, "render_certificates_pdf", broken)
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)
    assert batch.status == "failed" and not batch.combined_pdf
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        recovery.issuance_retry(actor=world.a_operator, batch=batch)

    batch.refresh_from_db()
    assert batch.status == "done" and batch.combined_pdf


def test_a_second_run_of_the_combined_file_keeps_the_first_runs_file(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    """A redelivered message or the reconciler makes the combined file while another run is at it:
    the one that commits second keeps the first file, so a download already holding its name does
    not lose it (seen with real workers, a killed worker and the reconciler in the same minute)."""
    from django.core.files.storage import default_storage

    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)
    assert batch.status == "done" and default_storage.exists(batch.combined_pdf.name)
    first = batch.combined_pdf.name
    stale = IssuanceBatch.objects.get(pk=batch.pk)
    stale.status, stale.combined_pdf = "running", ""  # what the late run read before the first commit
    real_get = IssuanceBatch.objects.get
    reads = []

    def first_read_is_stale(*args, **kwargs):
        if not reads:
            reads.append(1)
            return stale
        return real_get(*args, **kwargs)

    monkeypatch.setattr(IssuanceBatch.objects, "get", first_read_is_stale)
    saved = []
    real_save = default_storage.save

    def save(name, content):
        saved.append(real_save(name, content))
        return saved[-1]

    monkeypatch.setattr(default_storage, "save", save)

    with django_capture_on_commit_callbacks(execute=True):
        made = rendering.batch_render(batch_id=batch.pk)

    batch.refresh_from_db()
    assert reads and len(saved) == 1  # the late run did render its own copy
    assert made is False and batch.combined_pdf.name == first and default_storage.exists(first)
    assert not default_storage.exists(saved[0])  # and threw it away


def test_the_reconciler_queues_stalled_pdfs_again_and_gives_up_after_the_limit(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks, settings
):
    settings.SKILLCERT_STUCK_MAX_REQUEUES = 2
    lost = []
    monkeypatch.setattr(dispatch, "render_certificates", lambda ids, batch_id: lost.append(list(ids)))
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)  # the render messages are lost
    stuck = list(Certificate.objects.filter(batch=batch, pdf_status="pending").values_list("pk", flat=True))
    assert len(stuck) == 3

    soon = recovery.issuance_reconcile(now=timezone.now())
    later = timezone.now() + dt.timedelta(minutes=settings.SKILLCERT_STUCK_AFTER_MINUTES + 1)
    first = recovery.issuance_reconcile(now=later)
    same_window = recovery.issuance_reconcile(now=later)

    assert soon.certificates_requeued == 0  # not stalled yet
    assert first.certificates_requeued == 3 and sorted(pk for ids in lost[1:] for pk in ids) == sorted(stuck)
    assert same_window.certificates_requeued == 0  # at most once per window

    from django.core.cache import cache

    for pk in stuck:  # two more windows without progress
        cache.delete(f"reconcile:certificate:{pk}")
    recovery.issuance_reconcile(now=later)
    for pk in stuck:
        cache.delete(f"reconcile:certificate:{pk}")
    with django_capture_on_commit_callbacks(execute=True):
        gave_up = recovery.issuance_reconcile(now=later)

    assert gave_up.given_up == 3
    assert set(Certificate.objects.filter(pk__in=stuck).values_list("pdf_status", flat=True)) == {"failed"}
    batch.refresh_from_db()
    assert batch.status == "failed"


def test_the_reconciler_runs_a_batch_whose_allocation_never_ran(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks, settings
):
    monkeypatch.setattr(dispatch, "issue_batch", lambda batch_id: None)  # the message was lost
    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)
    assert batch.status == "pending"
    monkeypatch.undo()
    later = timezone.now() + dt.timedelta(minutes=settings.SKILLCERT_STUCK_AFTER_MINUTES + 1)

    with django_capture_on_commit_callbacks(execute=True):
        report = recovery.issuance_reconcile(now=later)

    batch.refresh_from_db()
    assert report.batches_requeued == 1
    assert batch.status == "done" and Certificate.objects.filter(batch=batch, pdf_status="done").count() == 3


def test_a_task_delivered_twice_makes_one_certificate_and_one_pdf(
    world, closed_plan, django_capture_on_commit_callbacks
):
    from certify.tasks import issue_batch, render_certificate

    batch = request_batch(world, closed_plan, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        issue_batch.delay(batch.pk)
        for certificate in Certificate.objects.filter(batch=batch):
            render_certificate.delay(certificate.pk)

    assert Certificate.objects.filter(plan=closed_plan).count() == 3
    assert AuditEvent.objects.filter(event_type="certificate.pdf_rendered").count() == 3
