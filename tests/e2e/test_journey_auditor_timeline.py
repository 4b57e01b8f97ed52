"""Browser journey (issue 11): a bureau auditor follows a certificate's timeline.

The auditor signs in, searches the console for a certificate number, opens the certificate's
timeline and reads its entries in words: event names, roles and changed fields in Chinese, no
internal code (event types, status values, field names) and no English word apart from account
names, addresses and numbers.
"""

from __future__ import annotations

import re

import pytest

from audit.models import AuditEvent
from tests.browser import requires_chromium, shot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def test_an_auditor_finds_a_certificate_and_reads_its_timeline_in_words(live_server, world, certs, desktop):
    certificate = certs[0]
    page = desktop
    sign_in(page, live_server.url, world.bureau_auditor.username, PASSWORD)
    page.goto(live_server.url + "/bureau/console/")
    page.select_option("select[name=kind]", "certificate")
    page.fill("input[name=q]", certificate.number)
    page.click("form[method=get] button[type=submit]")
    page.wait_for_load_state("networkidle")
    link = page.locator(f"a:has-text('{certificate.number}')")
    assert link.count() == 1
    shot(page, "journey-auditor-1-search-1366")

    link.click()
    page.wait_for_load_state("networkidle")
    table = page.locator("table.timeline-table")
    rows = table.locator("tbody tr")
    assert rows.count() >= 2, "the certificate's issuing and its plan's steps are listed"
    text = table.inner_text()
    shot(page, "journey-auditor-2-timeline-1366")

    codes = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert not [code for code in codes if code in text], "no event type code is shown"
    usernames = {u for u in re.findall(r"[（(]([\w.@-]+)[）)]", text)}
    words = set(re.findall(r"[A-Za-z_]{3,}", text)) - usernames
    assert not words, words
