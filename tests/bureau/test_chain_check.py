"""立即完整校验 (issue 11, item 6): a bureau admin starts the full audit check as a background job,
sees its progress, and the chain banner then says when it ran and what it found. Nobody else may
start it, and a second one is refused while one runs."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from audit.events import EventType
from audit.models import AuditEvent
from bureau import chaincheck
from tests.helpers import assert_status, html

pytestmark = pytest.mark.django_db

START = "bureau:chain_check_start"


@pytest.fixture(autouse=True)
def fresh(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # no earlier result on record
    cache.clear()
    yield
    cache.clear()


def test_the_bureau_admin_starts_a_full_check_and_the_banner_then_says_when_it_ran(
    world, as_user, django_capture_on_commit_callbacks
):
    client = as_user(world.bureau_admin)
    page = html(client.get(reverse("bureau:checkpoint_list")))
    assert "立即完整校验" in page and "尚未进行过完整校验" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(START))
    page = html(client.get(response["Location"]))
    assert "已开始完整校验" in page
    assert re.search(r"最近一次完整校验于 \d{4}-\d\d-\d\d \d\d:\d\d 完成，全部 [\d,]+ 条记录校验通过", page)
    requested = AuditEvent.objects.filter(event_type=EventType.AUDIT_CHAIN_CHECK_REQUESTED).get()
    assert requested.actor_id == world.bureau_admin.pk
    progress = client.get(reverse("bureau:chain_check_progress")).json()
    assert progress["state"] == "finished" and not progress["running"]
    assert progress["done"] == progress["total"] > 0
    console = html(as_user(world.bureau_auditor).get(reverse("bureau:console")))
    assert "最近一次完整校验于" in console and "尚未进行过完整校验" not in console


def test_only_the_bureau_admin_may_start_it(world, as_user, django_capture_on_commit_callbacks):
    for user in (world.bureau_auditor, world.a_org_admin, world.a_operator, world.supervisor):
        with django_capture_on_commit_callbacks(execute=True):
            assert_status(as_user(user), "post", reverse(START), 403)
    assert not AuditEvent.objects.filter(event_type=EventType.AUDIT_CHAIN_CHECK_REQUESTED).exists()
    assert "立即完整校验" not in html(as_user(world.bureau_auditor).get(reverse("bureau:checkpoint_list")))
    assert_status(as_user(world.a_org_admin), "get", reverse("bureau:chain_check_progress"), 403)
    assert_status(as_user(world.bureau_admin), "get", reverse(START), 405)


def test_a_second_check_is_refused_while_one_runs(world, as_user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(chaincheck.dispatch, "check_chain", lambda on_failure: None)  # the worker is busy
    client = as_user(world.bureau_admin)
    client.post(reverse(START))
    page = html(client.get(reverse("bureau:checkpoint_list")))
    assert 'id="chain-check"' in page and "js/chaincheck.js" in page  # progress shown while it waits
    page = html(client.post(reverse(START), follow=True))
    assert "完整校验正在进行中，请等它完成后再试" in page
    assert AuditEvent.objects.filter(event_type=EventType.AUDIT_CHAIN_CHECK_REQUESTED).count() == 1
    chaincheck.chain_check_run()  # the queued job ends: the lock is released
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(START))
    assert "已开始完整校验" in html(client.get(response["Location"]))
    assert chaincheck.chain_check_progress()["state"] == "finished"


def test_progress_is_reported_per_chunk(world):
    from audit.verify import verify_all

    seen = []
    verify_all(chunk_size=2, record=False, progress=lambda done, total: seen.append((done, total)))
    total = AuditEvent.objects.count()
    assert seen[-1] == (total, total) and len(seen) >= total // 2
