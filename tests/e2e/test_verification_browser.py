"""Acceptance: the verification page in headless Chromium at a phone's size (375×812), with the
shared browser fixtures of tests/browser.py (the phone there is WeChat's in-app browser)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from certify.services.payload import verify_url
from tests.browser import requires_chromium
from tests.workflow import revoke_by_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def _check_page(page, *, banner: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    heading = page.locator(".vf-banner h1")
    assert heading.is_visible()
    assert heading.inner_text() == banner
    sizes = page.eval_on_selector_all(
        ".vf-facts dt, .vf-facts dd", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert sizes and min(sizes) >= 14


def test_the_verification_page_reads_well_on_a_phone(live_server, world, issued, phone, settings):
    certificate = issued[0]
    path = verify_url(certificate).removeprefix(settings.SITE_URL)
    shots = Path(tempfile.mkdtemp(prefix="verify-shots-"))

    response = phone.goto(live_server.url + path)
    assert response.status == 200
    _check_page(phone, banner="证书有效")
    assert phone.locator(".vf-check").count() == 3
    assert phone.get_by_text("持证人下载电子证书").is_visible()
    phone.screenshot(path=str(shots / "valid.png"), full_page=True)

    phone.goto(live_server.url + f"/v/Y000044900004269999999?s={certificate.signature}&k={certificate.key_id}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.locator(".vf-banner h1").inner_text() == "未查询到该证书或校验未通过"
    phone.screenshot(path=str(shots / "not_found.png"), full_page=True)

    # The lookup form, filled in and posted by the browser itself (CSRF cookie and all).
    phone.fill("#id_number", certificate.number)
    phone.fill("#id_name", certificate.holder_name)
    phone.click("button[type=submit]")
    _check_page(phone, banner="证书有效")
    assert certificate.holder_name not in phone.content()

    revoke_by_request(world, certificate=certificate, category="fraud", reason="冒名顶替参加考核")
    phone.goto(live_server.url + path)
    _check_page(phone, banner="证书已撤销")
    assert "以欺骗等不正当手段取得" in phone.locator(".vf-banner").inner_text()
    phone.screenshot(path=str(shots / "revoked.png"), full_page=True)

    print(f"\nverification page screenshots in {shots}: valid.png, not_found.png, revoked.png")
