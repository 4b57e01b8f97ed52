"""Assertions shared by the view tests: the isolation matrix of every view, and query counts."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext


def call(client, method: str, url: str, data=None, **extra):
    method = method.lower()
    if method in {"get", "head"}:
        return getattr(client, method)(url, data or {}, **extra)
    if method in {"put", "patch", "delete"}:
        return getattr(client, method)(url, **extra)
    return client.post(url, data or {}, **extra)


def assert_login_redirect(client, method: str, url: str, data=None) -> None:
    response = call(client, method, url, data)
    assert response.status_code == 302, response.status_code
    login = settings.LOGIN_URL if settings.LOGIN_URL.startswith("/") else "/login/"
    assert response["Location"].startswith(login), response["Location"]


def assert_status(client, method: str, url: str, status: int, data=None):
    response = call(client, method, url, data)
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:300])
    return response


def assert_one_event(probe, *, event_type: str, actor, organization=None):
    events = probe.events()
    assert len(events) == 1, [(e.event_type, e.target_repr) for e in events]
    event = events[0]
    assert event.event_type == event_type
    assert event.actor_id == actor.pk
    assert event.actor_uid == actor.pk
    if organization is not None:
        assert event.organization_id == organization.pk
    return event


def html(response) -> str:
    return response.content.decode("utf-8")


def path_of(certificate) -> str:
    """The path of a certificate's QR link (what a phone opens), without the site's address."""
    from certify.services.payload import verify_url

    return verify_url(certificate).removeprefix(settings.SITE_URL)


def export_screen_guards(world, as_user, *, method: str, url: str, data=None, wrong_method: str) -> None:
    """The upload screens need EXPORT_DATA: outsiders get 404, the other roles 403."""
    check_guards(
        as_user,
        method=method,
        url=url,
        data=data,
        outsiders=[world.b_operator, world.supervisor],
        wrong_roles=[world.a_viewer, world.a_assessor, world.a_reviewer, world.bureau_auditor],
        wrong_method=wrong_method,
        user=world.a_operator,
    )


def check_guards(
    as_user, *, method: str, url: str, data=None, outsiders=(), wrong_roles=(), wrong_method=None, user=None
):
    """The isolation matrix of one view: anonymous → login, outsider → 404, wrong role → 403,
    wrong method → 405. Returns nothing; each failure names the case."""
    assert_login_redirect(as_user(None), method, url, data)
    for outsider in outsiders:
        assert_status(as_user(outsider), method, url, 404, data)
    for wrong in wrong_roles:
        assert_status(as_user(wrong), method, url, 403, data)
    if wrong_method:
        assert_status(as_user(user), wrong_method, url, 405)


def queries_of(action) -> int:
    """How many SQL queries ``action()`` runs. An N+1 shows when the count is taken at n and at 2n
    rows and the two differ; a ceiling at one size lets it pass."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def page_queries(client, url: str, data=None) -> int:
    """The queries of one GET of a page, after a first GET has warmed the session and caches."""
    client.get(url, data or {})

    def get():
        response = client.get(url, data or {})
        assert response.status_code == 200, response.status_code

    return queries_of(get)
