"""Every page as every demo account: the demo data is seeded, then each account follows every link
it is shown, from its home page, and no link leads to an error page (a link a user is shown must
work for that user). Downloads are fetched as far as their headers."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from demo.management.commands.seed_demo import BUREAU_USERS, ORGANIZATIONS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HREF = re.compile(r'href="([^"#]+)"')
# Links that end the session or change settings are not pages to visit.
NOT_PAGES = ("/logout", "/i18n/", "/admin/", "/static/")
MAX_PAGES = 400


def demo_accounts() -> list[str]:
    return [u for u, _n, _r in BUREAU_USERS] + [m[0] for spec in ORGANIZATIONS for m in spec["members"]]


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - discarded output


def crawl(client: Client, start: str = "/", visit=None) -> tuple[int, list[tuple[str, str, int]]]:
    """Visit every same-site link reachable from ``start``; (pages seen, [(from, url, status)]).
    ``visit(url, html)``, if given, is called with every HTML page."""
    seen, broken = {start}, []
    queue = deque([("", start)])
    while queue and len(seen) <= MAX_PAGES:
        origin, url = queue.popleft()
        response = client.get(url)
        if response.status_code in (301, 302):
            continue
        if response.status_code != 200:
            broken.append((origin, url, response.status_code))
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode("utf-8", "replace")
        if visit is not None:
            visit(url, html)
        for href in HREF.findall(html):
            link = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or link in seen:
                continue
            if any(marker in parts.path for marker in NOT_PAGES):
                continue
            seen.add(link)
            queue.append((url, link))
    return len(seen), broken


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_link_every_demo_account_is_shown_leads_to_a_page(demo, language, capsys):
    totals, broken = {}, []
    for username in demo_accounts():
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.cookies["django_language"] = language
        pages, bad = crawl(client)
        totals[username] = pages
        broken += [(username, *b) for b in bad]
    with capsys.disabled():
        print(f"\ncrawl ({language}): {sum(totals.values())} pages over {len(totals)} accounts, {len(broken)} broken")
    assert broken == []
    assert all(pages > 3 for pages in totals.values()), totals
