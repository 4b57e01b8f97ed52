"""Issue 9, finding 13 (first half): a refused request (403) is logged as one line."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_refused_request_logs_one_line_without_a_traceback(world, as_user, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = as_user(world.a_viewer).get(reverse("accounts:member_add", args=[world.org_a.pk]))

    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert records[0].getMessage() == f"Forbidden (Permission denied): /orgs/{world.org_a.pk}/members/add/"
    assert "Traceback" not in caplog.text


def test_a_server_error_still_logs_its_traceback(world, as_user, caplog, monkeypatch):
    from accounts.views import orgs

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(orgs.selectors, "memberships_for_user", boom)
    client = as_user(world.a_viewer)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert client.get(reverse("home")).status_code == 500

    assert any(r.exc_info for r in caplog.records if r.name == "django.request")
