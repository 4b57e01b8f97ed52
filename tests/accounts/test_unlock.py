"""Lifting a sign-in lock-out (issue 9): an organisation's admins for their own members, the
bureau admin for anyone (and for a whole address); audited; a button on the members page and a
bureau page."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from tests.factories import PASSWORD
from tests.helpers import assert_one_event, assert_status, check_guards

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.40"


def _lock_out(username: str, address: str = ADDRESS, times: int = 5) -> Client:
    client = Client(REMOTE_ADDR=address)
    for _ in range(times):
        client.post("/login/", {"username": username, "password": "wrong"})
    return client


def _sign_in(username: str, address: str = ADDRESS) -> int:
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": PASSWORD}).status_code


def _unlock_url(world, user):
    membership = Membership.objects.get(organization=world.org_a, user=user)
    return reverse("accounts:member_unlock", args=[world.org_a.pk, membership.pk])


def test_an_org_admin_sees_a_locked_member_and_unlocks_them(world, as_user, audit_probe):
    _lock_out("a_viewer")
    assert _sign_in("a_viewer") == 429
    url = _unlock_url(world, world.a_viewer)
    page = assert_status(as_user(world.a_org_admin), "get", world.org_a.get_absolute_url(), 200).content.decode()
    assert "登录已锁定" in page and url in page
    probe = audit_probe()

    assert_status(as_user(world.a_org_admin), "post", url, 302)

    event = assert_one_event(probe, event_type="user.login_unlocked", actor=world.a_org_admin, organization=world.org_a)
    assert event.target_id == str(world.a_viewer.pk)
    assert _sign_in("a_viewer") == 302


def test_member_unlock_guards(world, as_user):
    _lock_out("a_viewer")
    check_guards(
        as_user,
        method="post",
        url=_unlock_url(world, world.a_viewer),
        outsiders=[world.b_org_admin],
        wrong_roles=[world.a_operator, world.a_viewer, world.bureau_auditor],
        wrong_method="get",
        user=world.a_org_admin,
    )
    assert _sign_in("a_viewer") == 429


def test_the_bureau_admin_unlocks_anyone_from_the_bureau_page(world, as_user, audit_probe):
    _lock_out("bureau_auditor")
    page = assert_status(as_user(world.bureau_admin), "get", reverse("accounts:bureau_security"), 200)
    assert "bureau_auditor" in page.content.decode() and ADDRESS in page.content.decode()
    probe = audit_probe()

    assert_status(
        as_user(world.bureau_admin), "post", reverse("accounts:bureau_unlock_user"), 302, {"username": "bureau_auditor"}
    )

    assert_one_event(probe, event_type="user.login_unlocked", actor=world.bureau_admin)
    assert _sign_in("bureau_auditor") == 302


def test_the_bureau_page_is_read_only_for_the_auditor_and_closed_to_organisations(world, as_user):
    _lock_out("a_viewer")
    url = reverse("accounts:bureau_security")
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert "a_viewer" in text and "解除锁定" not in text
    assert_status(as_user(world.a_org_admin), "get", url, 403)
    assert_status(
        as_user(world.bureau_auditor), "post", reverse("accounts:bureau_unlock_user"), 403, {"username": "a_viewer"}
    )
    assert_status(
        as_user(world.a_org_admin), "post", reverse("accounts:bureau_unlock_user"), 403, {"username": "a_viewer"}
    )
    assert _sign_in("a_viewer") == 429


def test_the_bureau_admin_lifts_an_address_lock(world, as_user, settings, audit_probe):
    client = Client(REMOTE_ADDR="203.0.113.90")
    for i in range(settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT):
        client.post("/login/", {"username": f"guess{i}", "password": "wrong"})
    assert _sign_in("a_viewer", "203.0.113.90") == 429
    probe = audit_probe()

    assert_status(
        as_user(world.bureau_admin),
        "post",
        reverse("accounts:bureau_unlock_address"),
        302,
        {"ip_address": "203.0.113.90"},
    )

    event = assert_one_event(probe, event_type="user.login_unlocked", actor=world.bureau_admin)
    assert event.data["ip_address"] == "203.0.113.90"
    assert _sign_in("a_viewer", "203.0.113.90") == 302


def test_unlocking_a_member_with_no_failures_changes_nothing(world, as_user, audit_probe):
    probe = audit_probe()
    response = as_user(world.a_org_admin).post(_unlock_url(world, world.a_viewer), follow=True)

    assert "无需解除锁定" in response.content.decode()
    assert probe.events() == []


def test_the_bureau_unlocks_a_lock_listed_under_the_case_folded_name(world, as_user):
    from accounts.models import User

    User.objects.create_user("Li_Ming", password=PASSWORD)
    _lock_out("LI_MING")
    assert _sign_in("Li_Ming") == 429
    assert "li_ming" in as_user(world.bureau_admin).get(reverse("accounts:bureau_security")).content.decode()

    assert_status(
        as_user(world.bureau_admin), "post", reverse("accounts:bureau_unlock_user"), 302, {"username": "li_ming"}
    )

    assert _sign_in("Li_Ming") == 302
