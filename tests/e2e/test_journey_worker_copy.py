"""Browser journey (issue 11): a worker opens the QR link of their certificate on a 375-px phone in
WeChat's browser, mistypes the 查验码 once — the error is where they are looking, what they typed
is still there, the address survives a refresh — then downloads their copy."""

from __future__ import annotations

import pytest

from certify.services.payload import check_code_of, verify_url
from lib.checkcode import format_check_code
from tests.browser import requires_chromium, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def test_a_worker_checks_the_qr_and_downloads_the_copy_on_a_phone(live_server, issued, phone, settings):
    certificate = issued[0]
    page = phone
    page.goto(live_server.url + verify_url(certificate).removeprefix(settings.SITE_URL))
    assert page.locator(".vf-banner h1").inner_text() == "证书有效"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "journey-worker-1-verified-375")

    page.click("summary:has-text('持证人下载电子证书')")
    page.fill("#id_check_code", "0000-0000-0000-0000")
    page.fill("#id_copy_name", certificate.holder_name)
    page.click("button:has-text('下载电子证书')")
    page.wait_for_load_state("networkidle")

    error = page.locator(".vf-error").first
    assert error.is_visible() and "查验码或姓名与证书不一致" in error.inner_text()
    assert error.bounding_box()["y"] < 812, "the error shows on the first screen"
    assert page.input_value("#id_check_code") == "0000-0000-0000-0000"
    assert "/copy?" in page.url
    shot(page, "journey-worker-2-wrong-code-375")
    page.reload()
    assert page.locator("#id_check_code").is_visible(), "a refreshed copy address shows the form again"

    page.fill("#id_check_code", format_check_code(check_code_of(certificate)).lower())
    page.fill("#id_copy_name", certificate.holder_name)
    with page.expect_download() as download:
        page.click("button:has-text('下载电子证书')")
    assert download.value.suggested_filename.endswith(".pdf")
    shot(page, "journey-worker-3-downloaded-375")
