"""Browser journey on the production path (issues 15 and 11): an operator presses 核发证书 on a
clerk's desktop and watches the progress bar while a real Celery worker with 2 processes on Redis
issues the plan; then a worker opens one certificate's QR link on a 375-px phone in WeChat's browser
and downloads their copy, whose PDF that worker rendered.

PostgreSQL, Redis and the system Chromium only (CI's .ci/run); skipped otherwise.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from certify.models import Certificate, IssuanceBatch
from certify.scenarios import PASSWORD, Scenario
from certify.services.payload import check_code_of, verify_url
from lib.checkcode import format_check_code
from tests.browser import requires_chromium, shot, sign_in
from tests.realworker import BrokerMode, Worker, require_production_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    requires_chromium,
]

CANDIDATES = 6


@pytest.fixture
def worker(transactional_db):
    url = require_production_services()
    with BrokerMode(url):
        running = Worker(broker=url, concurrency=2)
        try:
            yield running
        finally:
            running.stop()


def test_an_operator_issues_on_real_workers_and_a_worker_downloads_the_copy(
    live_server, worker, desktop, phone, settings
):
    scenario = Scenario(timezone.localdate(), prefix="bj", actor="tests")
    setup = scenario.organization("bj", name="东莞市浏览器发证测试有限公司", seal=True)
    plan = scenario.closed_plan(setup, candidates=CANDIDATES)

    page = desktop
    sign_in(page, live_server.url, setup.operator.username, PASSWORD)
    page.goto(live_server.url + plan.get_absolute_url())
    page.once("dialog", lambda dialog: dialog.accept())  # 确定核发吗？
    page.click("button:has-text('核发证书')")
    page.wait_for_url("**/issuance/")
    shot(page, "journey-real-worker-1-progress-desktop")

    # The page polls while the worker numbers, signs and renders; the bar reaches the end.
    bar = page.locator("#p-bar")
    for _ in range(300):  # the page's own polling moves the bar (the CSP allows no injected script)
        if "width: 100%" in (bar.get_attribute("style") or ""):
            break
        page.wait_for_timeout(1000)
    assert "width: 100%" in (bar.get_attribute("style") or ""), worker.output()[-2000:]
    batch = IssuanceBatch.objects.get(plan=plan)
    for _ in range(120):  # the print file comes after the last PDF
        batch.refresh_from_db()
        if batch.status != IssuanceBatch.Status.RUNNING:
            break
        page.wait_for_timeout(1000)
    assert batch.status == IssuanceBatch.Status.DONE, (batch.error, worker.output()[-2000:])
    page.reload()
    assert page.locator("a:has-text('下载合并打印文件')").is_visible()
    shot(page, "journey-real-worker-2-done-desktop")

    certificates = list(Certificate.objects.filter(plan=plan).order_by("number"))
    assert len(certificates) == CANDIDATES
    assert {c.pdf_status for c in certificates} == {Certificate.PdfStatus.DONE}
    assert "Traceback" not in worker.output()

    certificate = certificates[0]
    phone.goto(live_server.url + verify_url(certificate).removeprefix(settings.SITE_URL))
    assert phone.locator(".vf-banner h1").inner_text() == "证书有效"
    phone.click("summary:has-text('持证人下载电子证书')")
    phone.fill("#id_check_code", format_check_code(check_code_of(certificate)))
    phone.fill("#id_copy_name", certificate.holder_name)
    with phone.expect_download() as download:
        phone.click("button:has-text('下载电子证书')")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as copy:
        assert copy.read(5) == b"%PDF-"
    shot(phone, "journey-real-worker-3-copy-375")
