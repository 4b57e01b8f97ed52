"""In the browser (issue 11): the operator's home page opens on the task inbox, and a finished
issuing batch's progress bar fills the whole bar, not part of the panel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser import requires_chromium, shot, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def test_the_inbox_then_a_finished_progress_bar_filling_the_panel(live_server, world, issued, desktop):
    page = desktop
    sign_in(page, live_server.url, world.a_operator.username, PASSWORD)
    page.goto(live_server.url + "/")
    inbox = page.locator("section.inbox")
    assert inbox.is_visible()
    assert "待上报全国联网数据库的证书" in inbox.inner_text()
    shot(page, "inbox-operator-1366")

    plan = issued[0].plan
    page.goto(live_server.url + reverse("certify:issuance_progress", args=[plan.organization_id, plan.pk]))
    assert "已完成 3 / 3" in page.locator("#p-counts").inner_text()
    bar = page.locator("#p-bar").bounding_box()
    panel = page.evaluate(
        "(() => { const p = document.getElementById('progress'); const s = getComputedStyle(p);"
        " return p.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); })()"
    )
    assert bar["width"] >= panel - 1, (bar["width"], panel)
    shot(page, "issuance-progress-finished-1366")
