"""Browser journey (issue 11): an operator takes a plan from draft to issued certificates.

The operator files the plan (报备, confirming the dialog), sees the next step disabled with its reason
before the exam date, starts the exam and scoring on the exam day, publishes the publicity once the
results are approved, sees 公示结束 disabled while the publicity runs, closes the plan after it,
issues the certificates and watches the progress page reach 100 %, then opens a certificate.

The clock is moved by patching ``timezone.localdate`` (the live server runs in this process); the
marks, the reviewer's approval and the photos are entered through the services (other journeys
show those screens).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from certify.models import AssessmentPlan, Certificate
from certify.services.enrolments import enrolment_set_photo
from certify.services.plans import plan_approve_results
from tests.browser import requires_chromium, shot, sign_in
from tests.factories import PASSWORD
from tests.workflow import CLOSED_PLAN_MARKS, photo_bytes, score_everyone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]
S = AssessmentPlan.Status


def _do(page, key: str) -> str:
    """Click the enabled action ``key`` of the plan page (accepting its confirmation) and return the
    message shown after it."""
    page.click(f"[data-action={key}] button")
    page.wait_for_load_state("networkidle")
    return page.locator(".messages").inner_text()


def _blocked_reasons(page, key: str) -> str:
    blocked = page.locator(f".action-blocked[data-action={key}]")
    assert blocked.locator("button").is_disabled()
    return blocked.locator(".why").inner_text()


def _poll(page, selector: str, text: str, seconds: float = 30) -> str:
    """Wait, from Python (the site's CSP forbids eval), until ``selector`` shows ``text``."""
    deadline = time.monotonic() + seconds
    while True:
        shown = page.locator(selector).inner_text()
        if text in shown or time.monotonic() > deadline:
            return shown
        time.sleep(0.3)
        page.reload()


def test_an_operator_takes_a_plan_from_draft_to_issued_certificates(
    live_server, world, ready_plan, desktop, monkeypatch
):
    plan = ready_plan
    page = desktop
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, world.a_operator.username, PASSWORD)
    plan_url = live_server.url + reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])
    page.goto(plan_url)
    shot(page, "journey-operator-1-draft-1366")

    assert "评价计划已报备" in _do(page, "file")
    plan.refresh_from_db()
    assert plan.status == S.FILED
    reasons = _blocked_reasons(page, "start")
    assert reasons.strip(), "开始考核 says why it is not available yet"
    shot(page, "journey-operator-2-filed-disabled-with-reasons-1366")

    # The exam day: start the exam, then scoring.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: plan.exam_date)
    page.goto(plan_url)
    _do(page, "start")
    _do(page, "scoring")
    plan.refresh_from_db()
    assert plan.status == S.SCORING

    # The assessors' marks and the reviewer's approval (their screens have their own journeys).
    score_everyone(plan, CLOSED_PLAN_MARKS)
    plan_approve_results(actor=world.a_reviewer, plan=plan)
    for enrolment in plan.enrolments.all():
        enrolment_set_photo(actor=world.a_operator, enrolment=enrolment, data=photo_bytes())

    page.goto(plan_url)
    assert "已发布公示" in _do(page, "publicity")
    plan.refresh_from_db()
    assert plan.status == S.PUBLICITY
    assert _blocked_reasons(page, "close").strip(), "公示结束 says why it is not available yet"
    shot(page, "journey-operator-3-publicity-close-disabled-1366")

    # The day after the publicity ended: close the plan and issue.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: plan.publicity_end + dt.timedelta(days=1))
    page.goto(plan_url)
    _do(page, "close")
    plan.refresh_from_db()
    assert plan.status == S.CLOSED
    shot(page, "journey-operator-4-closed-1366")
    page.click("[data-action=issue] button")
    page.wait_for_load_state("networkidle")
    assert "/issuance/" in page.url
    counts = _poll(page, "#p-counts", "已完成 3 / 3")
    assert "已完成 3 / 3" in counts, counts
    shot(page, "journey-operator-5-issuance-100-1366")

    certificate = Certificate.objects.filter(plan=plan).order_by("number").first()
    page.goto(live_server.url + reverse("certify:certificate_detail", args=[plan.organization_id, certificate.pk]))
    assert certificate.number in page.locator("main").inner_text()
    assert certificate.holder_name in page.locator("main").inner_text()
    shot(page, "journey-operator-6-certificate-1366")
