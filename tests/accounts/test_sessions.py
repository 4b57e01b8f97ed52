"""Issue 9, finding 12: sessions end after 30 idle minutes (configurable) and at an absolute
limit; signed-in pages are never stored by a browser or a proxy."""

import time

import pytest
from django.urls import reverse

from accounts.middleware import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def _age_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"seen": SEEN_AT, "signed_in": SIGNED_IN_AT}[key]] = now - ago
    session.save()


def test_an_idle_session_is_signed_out_after_30_minutes(world, as_user):
    client = as_user(world.a_viewer)
    assert client.get(reverse("home")).status_code == 200
    _age_session(client, seen=31 * 60)

    response = client.get(reverse("home"), follow=True)

    assert response.redirect_chain[0][0].startswith("/login/")
    assert "分钟没有操作" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_activity_within_the_idle_limit_keeps_the_session(world, as_user):
    client = as_user(world.a_viewer)
    _age_session(client, seen=29 * 60)

    assert client.get(reverse("home")).status_code == 200
    assert int(time.time()) - client.session[SEEN_AT] < 60


def test_the_idle_limit_is_a_setting(world, as_user, settings):
    settings.SKILLCERT_SESSION_IDLE_MINUTES = 5
    client = as_user(world.a_viewer)
    _age_session(client, seen=6 * 60)

    assert client.get(reverse("home")).status_code == 302


def test_an_active_session_still_ends_at_the_absolute_limit(world, as_user, settings):
    client = as_user(world.a_viewer)
    _age_session(client, signed_in=settings.SESSION_COOKIE_AGE + 1, seen=10)

    response = client.get(reverse("home"), follow=True)

    assert "登录已超过" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signed_in_pages_are_not_stored_by_browsers_or_proxies(world, as_user):
    client = as_user(world.a_org_admin)
    for url in (reverse("home"), world.org_a.get_absolute_url(), reverse("accounts:member_add", args=[world.org_a.pk])):
        response = client.get(url)
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, (url, cache_control)
    assert world.a_viewer.username in client.get(world.org_a.get_absolute_url()).content.decode()


def test_a_request_without_a_session_is_left_to_its_own_caching(client):
    response = client.get(reverse("healthz"))

    assert "Cache-Control" not in response
    assert "Cookie" not in response.get("Vary", "")
