"""Every accounts view: outsider 404, wrong role 403, anonymous → login, wrong method 405,
success → the change and exactly one audit event with the right actor and organisation."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Organization
from accounts.roles import Role
from tests.helpers import assert_login_redirect, assert_one_event, assert_status, page_queries

pytestmark = pytest.mark.django_db


# --- home -------------------------------------------------------------------------------
def test_home_lists_the_users_organisations_in_chinese(world, as_user):
    response = assert_status(as_user(world.a_viewer), "get", reverse("home"), 200)
    text = response.content.decode()
    assert world.org_a.name in text
    assert world.org_b.name not in text
    assert "我的评价机构" in text
    assert '<html lang="zh-CN">' in text


def test_home_shows_the_bureau_area_to_bureau_users(world, as_user):
    text = assert_status(as_user(world.bureau_auditor), "get", reverse("home"), 200).content.decode()
    assert reverse("accounts:bureau_home") in text


def test_home_guards(world, as_user):
    assert_login_redirect(as_user(None), "get", reverse("home"))
    assert_status(as_user(world.a_viewer), "post", reverse("home"), 405)


# --- organisation page --------------------------------------------------------------------
def test_org_detail_shows_members_to_a_member(world, as_user):
    text = assert_status(as_user(world.a_viewer), "get", world.org_a.get_absolute_url(), 200).content.decode()
    assert world.a_operator.username in text
    assert "添加成员" not in text  # a viewer cannot manage members


def test_org_detail_is_404_for_an_outsider_and_a_supervisor(world, as_user):
    url = world.org_a.get_absolute_url()
    assert_status(as_user(world.b_operator), "get", url, 404)
    assert_status(as_user(world.supervisor), "get", url, 404)
    assert_status(as_user(world.a_viewer), "get", reverse("accounts:org_detail", args=[999999]), 404)


def test_org_detail_is_readable_by_the_bureau_auditor(world, as_user):
    assert_status(as_user(world.bureau_auditor), "get", world.org_a.get_absolute_url(), 200)


def test_org_detail_guards(world, as_user):
    url = world.org_a.get_absolute_url()
    assert_login_redirect(as_user(None), "get", url)
    assert_status(as_user(world.a_org_admin), "post", url, 405)


# --- member add ---------------------------------------------------------------------------
def _member_add_url(world):
    return reverse("accounts:member_add", args=[world.org_a.pk])


NEW_MEMBER = {"username": "new_clerk", "full_name": "新同事", "role": Role.OPERATOR, "password": "Xq7!kdPz2"}


def test_member_add_creates_the_account_and_one_event(world, as_user, audit_probe):
    client = as_user(world.a_org_admin)
    probe = audit_probe()
    response = assert_status(client, "post", _member_add_url(world), 302, NEW_MEMBER)
    assert response["Location"] == world.org_a.get_absolute_url()
    membership = Membership.objects.get(organization=world.org_a, user__username="new_clerk")
    assert membership.role == Role.OPERATOR
    assert membership.user.must_change_password
    event = assert_one_event(probe, event_type="membership.added", actor=world.a_org_admin, organization=world.org_a)
    assert event.data["role"] == Role.OPERATOR


def test_member_add_grants_the_roles_permissions_through_guardian(world):
    from accounts.models import OrganizationUserObjectPermission
    from accounts.roles import ROLE_PERMISSIONS

    codenames = set(
        OrganizationUserObjectPermission.objects.filter(user=world.a_reviewer, content_object=world.org_a).values_list(
            "permission__codename", flat=True
        )
    )
    assert codenames == set(ROLE_PERMISSIONS[Role.REVIEWER])
    assert not OrganizationUserObjectPermission.objects.filter(user=world.a_reviewer, content_object=world.org_b)


def test_member_add_refuses_a_wrong_role(world, as_user):
    for user in (world.a_operator, world.a_viewer, world.bureau_auditor):
        assert_status(as_user(user), "post", _member_add_url(world), 403, NEW_MEMBER)
        assert_status(as_user(user), "get", _member_add_url(world), 403)
    assert not Membership.objects.filter(user__username="new_clerk").exists()


def test_member_add_is_404_for_an_outsider(world, as_user):
    assert_status(as_user(world.b_org_admin), "post", _member_add_url(world), 404, NEW_MEMBER)
    assert_status(as_user(world.b_org_admin), "get", _member_add_url(world), 404)


def test_member_add_guards(world, as_user):
    assert_login_redirect(as_user(None), "post", _member_add_url(world), NEW_MEMBER)
    assert_status(as_user(world.a_org_admin), "put", _member_add_url(world), 405)


def test_member_add_of_an_existing_member_records_an_inert_invitation_with_the_neutral_message(
    world, as_user, audit_probe
):
    # Changed deliberately (issue 9, finding 10): a taken username no longer answers "already a
    # member" (that told who has an account); it becomes an invitation that cannot arrive.
    probe = audit_probe()
    data = dict(NEW_MEMBER, username=world.a_viewer.username)
    response = as_user(world.a_org_admin).post(_member_add_url(world), data, follow=True)
    assert "已记录对该账号的邀请" in response.content.decode()
    assert Membership.objects.filter(organization=world.org_a, user=world.a_viewer).count() == 1
    event = assert_one_event(probe, event_type="membership.invited", actor=world.a_org_admin, organization=world.org_a)
    assert event.data["deliverable"] is False


def test_member_add_refuses_a_weak_password_in_chinese(world, as_user, audit_probe):
    probe = audit_probe()
    data = dict(NEW_MEMBER, password="12345678")
    text = assert_status(as_user(world.a_org_admin), "post", _member_add_url(world), 200, data).content.decode()
    assert "密码" in text
    assert not Membership.objects.filter(user__username="new_clerk").exists()
    assert probe.events() == []


# --- member role / remove -----------------------------------------------------------------
def _membership(world, user):
    return Membership.objects.get(organization=world.org_a, user=user)


def test_member_role_changes_role_and_permissions(world, as_user, audit_probe):
    m = _membership(world, world.a_viewer)
    url = reverse("accounts:member_role", args=[world.org_a.pk, m.pk])
    client = as_user(world.a_org_admin)
    probe = audit_probe()
    assert_status(client, "post", url, 302, {"role": Role.REVIEWER})
    m.refresh_from_db()
    assert m.role == Role.REVIEWER
    event = assert_one_event(
        probe, event_type="membership.role_changed", actor=world.a_org_admin, organization=world.org_a
    )
    assert event.data["changes"] == {"role": [Role.VIEWER, Role.REVIEWER]}
    from accounts.permissions import can_view_personal_data

    assert can_view_personal_data(world.a_viewer, world.org_a)


def test_member_role_guards(world, as_user):
    m = _membership(world, world.a_viewer)
    url = reverse("accounts:member_role", args=[world.org_a.pk, m.pk])
    assert_login_redirect(as_user(None), "post", url, {"role": Role.REVIEWER})
    assert_status(as_user(world.a_org_admin), "get", url, 405)
    assert_status(as_user(world.a_operator), "post", url, 403, {"role": Role.REVIEWER})
    assert_status(as_user(world.b_org_admin), "post", url, 404, {"role": Role.REVIEWER})
    # another organisation's membership through this organisation's URL is a 404 too
    other = Membership.objects.get(organization=world.org_b, user=world.b_operator)
    assert_status(
        as_user(world.a_org_admin),
        "post",
        reverse("accounts:member_role", args=[world.org_a.pk, other.pk]),
        404,
        {"role": Role.VIEWER},
    )
    m.refresh_from_db()
    assert m.role == Role.VIEWER


def test_member_role_refuses_to_demote_the_last_org_admin(world, as_user, audit_probe):
    m = _membership(world, world.a_org_admin)
    url = reverse("accounts:member_role", args=[world.org_a.pk, m.pk])
    probe = audit_probe()
    response = as_user(world.a_org_admin).post(url, {"role": Role.VIEWER}, follow=True)
    assert "机构至少需要保留一名机构管理员" in response.content.decode()
    m.refresh_from_db()
    assert m.role == Role.ORG_ADMIN
    assert probe.events() == []


def test_member_remove_removes_and_withdraws_permissions(world, as_user, audit_probe):
    from accounts.models import OrganizationUserObjectPermission

    m = _membership(world, world.a_viewer)
    url = reverse("accounts:member_remove", args=[world.org_a.pk, m.pk])
    probe = audit_probe()
    assert_status(as_user(world.a_org_admin), "post", url, 302)
    assert not Membership.objects.filter(pk=m.pk).exists()
    assert not OrganizationUserObjectPermission.objects.filter(user=world.a_viewer, content_object=world.org_a)
    assert_one_event(probe, event_type="membership.removed", actor=world.a_org_admin, organization=world.org_a)
    # the removed user no longer sees the organisation
    assert_status(as_user(world.a_viewer), "get", world.org_a.get_absolute_url(), 404)


def test_member_remove_guards(world, as_user):
    m = _membership(world, world.a_viewer)
    url = reverse("accounts:member_remove", args=[world.org_a.pk, m.pk])
    assert_login_redirect(as_user(None), "post", url)
    assert_status(as_user(world.a_org_admin), "get", url, 405)
    assert_status(as_user(world.a_reviewer), "post", url, 403)
    assert_status(as_user(world.b_org_admin), "post", url, 404)
    assert Membership.objects.filter(pk=m.pk).exists()


# --- bureau -------------------------------------------------------------------------------
def test_bureau_home_guards(world, as_user):
    url = reverse("accounts:bureau_home")
    assert_login_redirect(as_user(None), "get", url)
    assert_status(as_user(world.a_org_admin), "get", url, 403)
    assert_status(as_user(world.bureau_auditor), "post", url, 405)
    assert_status(as_user(world.bureau_auditor), "get", url, 200)
    assert_status(as_user(world.supervisor), "get", url, 200)


def test_bureau_org_list_lists_every_organisation_for_readers_only(world, as_user):
    url = reverse("accounts:bureau_org_list")
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert world.org_a.name in text and world.org_b.name in text
    assert "新建评价机构" not in text  # the auditor reads only
    assert_login_redirect(as_user(None), "get", url)
    assert_status(as_user(world.a_org_admin), "get", url, 403)
    assert_status(as_user(world.supervisor), "get", url, 403)
    assert_status(as_user(world.bureau_auditor), "post", url, 405)


def test_bureau_org_list_query_count_does_not_grow_with_organisations(world, as_user):
    from accounts.models import Organization
    from tests import factories

    client = as_user(world.bureau_auditor)
    url = reverse("accounts:bureau_org_list")
    for _ in range(3):
        factories.organization(actor=world.bureau_admin)
    n = Organization.objects.count()
    at_n = page_queries(client, url)
    for _ in range(n):
        factories.organization(actor=world.bureau_admin)
    assert Organization.objects.count() == 2 * n
    assert page_queries(client, url) == at_n <= 8


ORG_DATA = {
    "name": "东莞市丙模具有限公司",
    "credit_code": "91440300708461136T",
    "kind": "enterprise",
    "number_type": "Y",
    "region_code": "441900",
    "region_name": "东莞市",
    "ministry_code": "0000",
    "province_sequence": "004321",
    "contact_name": "",
    "contact_phone": "",
    "address": "",
    "admin_username": "bing_admin",
    "admin_full_name": "丙管理员",
    "admin_password": "Xq7!kdPz2",
}


def test_bureau_org_create_creates_the_org_with_its_admin_and_one_event(world, as_user, audit_probe):
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", reverse("accounts:bureau_org_create"), 302, ORG_DATA)
    org = Organization.objects.get(credit_code=ORG_DATA["credit_code"])
    assert Membership.objects.get(organization=org).user.username == "bing_admin"
    assert_one_event(probe, event_type="organization.created", actor=world.bureau_admin, organization=org)


def test_bureau_org_create_refuses_a_bad_credit_code_in_chinese(world, as_user, audit_probe):
    probe = audit_probe()
    data = dict(ORG_DATA, credit_code="91440300708461136U")
    text = assert_status(
        as_user(world.bureau_admin), "post", reverse("accounts:bureau_org_create"), 200, data
    ).content.decode()
    assert "校验位错误" in text
    assert not Organization.objects.filter(name=ORG_DATA["name"]).exists()
    assert probe.events() == []


def test_bureau_org_create_guards(world, as_user):
    url = reverse("accounts:bureau_org_create")
    assert_login_redirect(as_user(None), "post", url, ORG_DATA)
    for user in (world.bureau_auditor, world.supervisor, world.a_org_admin):
        assert_status(as_user(user), "post", url, 403, ORG_DATA)
        assert_status(as_user(user), "get", url, 403)
    assert_status(as_user(world.bureau_admin), "put", url, 405)
    assert not Organization.objects.filter(credit_code=ORG_DATA["credit_code"]).exists()


def _edit_data(org, **changes):
    data = {f: getattr(org, f) for f in ORG_DATA if not f.startswith("admin_")}
    data.update(changes)
    return data


def test_bureau_org_edit_saves_a_diff_in_one_event(world, as_user, audit_probe):
    url = reverse("accounts:bureau_org_edit", args=[world.org_a.pk])
    probe = audit_probe()
    data = _edit_data(world.org_a, contact_name="新联系人")
    assert_status(as_user(world.bureau_admin), "post", url, 302, data)
    world.org_a.refresh_from_db()
    assert world.org_a.contact_name == "新联系人"
    event = assert_one_event(
        probe, event_type="organization.updated", actor=world.bureau_admin, organization=world.org_a
    )
    assert event.data["changes"] == {"contact_name": ["", "新联系人"]}
    assert world.org_a.history.first().history_user == world.bureau_admin


def test_bureau_org_edit_guards(world, as_user):
    url = reverse("accounts:bureau_org_edit", args=[world.org_a.pk])
    data = _edit_data(world.org_a, contact_name="x")
    assert_login_redirect(as_user(None), "post", url, data)
    assert_status(as_user(world.bureau_auditor), "post", url, 403, data)
    assert_status(as_user(world.a_org_admin), "post", url, 403, data)
    assert_status(as_user(world.bureau_admin), "delete", url, 405)
    assert_status(as_user(world.bureau_admin), "get", reverse("accounts:bureau_org_edit", args=[999999]), 404)
    world.org_a.refresh_from_db()
    assert world.org_a.contact_name == ""


def test_bureau_org_status_suspends_with_a_reason(world, as_user, audit_probe):
    url = reverse("accounts:bureau_org_status", args=[world.org_a.pk])
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302, {"status": "suspended", "reason": "年度检查未通过"})
    world.org_a.refresh_from_db()
    assert world.org_a.status == "suspended"
    event = assert_one_event(
        probe, event_type="organization.status_changed", actor=world.bureau_admin, organization=world.org_a
    )
    assert event.reason == "年度检查未通过"
    # a suspended organisation keeps read access and loses writes
    assert_status(as_user(world.a_org_admin), "get", world.org_a.get_absolute_url(), 200)


def test_bureau_org_status_needs_a_reason(world, as_user, audit_probe):
    url = reverse("accounts:bureau_org_status", args=[world.org_a.pk])
    probe = audit_probe()
    response = as_user(world.bureau_admin).post(url, {"status": "suspended", "reason": ""}, follow=True)
    assert "须填写原因" in response.content.decode()
    world.org_a.refresh_from_db()
    assert world.org_a.status == "active"
    assert probe.events() == []


def test_bureau_org_status_guards(world, as_user):
    url = reverse("accounts:bureau_org_status", args=[world.org_a.pk])
    data = {"status": "suspended", "reason": "x"}
    assert_login_redirect(as_user(None), "post", url, data)
    assert_status(as_user(world.bureau_admin), "get", url, 405)
    assert_status(as_user(world.bureau_auditor), "post", url, 403, data)
    assert_status(as_user(world.a_org_admin), "post", url, 403, data)


# --- own account ----------------------------------------------------------------------------
def test_password_change_records_one_event(world, as_user, audit_probe):
    from tests.factories import PASSWORD

    client = as_user(world.a_viewer)
    url = reverse("accounts:password_change")
    probe = audit_probe()
    data = {"old_password": PASSWORD, "new_password1": "Nw9#plokm", "new_password2": "Nw9#plokm"}
    assert_status(client, "post", url, 302, data)
    world.a_viewer.refresh_from_db()
    assert world.a_viewer.check_password("Nw9#plokm")
    assert_one_event(probe, event_type="user.password_changed", actor=world.a_viewer)


def test_password_change_guards(world, as_user):
    url = reverse("accounts:password_change")
    assert_login_redirect(as_user(None), "get", url)
    assert_status(as_user(world.a_viewer), "put", url, 405)


def test_a_user_with_an_initial_password_must_change_it_first(world, as_user):
    client = as_user(world.a_org_admin)
    client.post(_member_add_url(world), NEW_MEMBER)
    from accounts.models import User

    newcomer = User.objects.get(username="new_clerk")
    response = as_user(newcomer).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")


def test_login_and_failed_login_are_audited(world, audit_probe):
    from django.test import Client

    from tests.factories import PASSWORD

    probe = audit_probe()
    client = Client()
    client.post(reverse("accounts:login"), {"username": "a_viewer", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "a_viewer", "password": PASSWORD})
    assert response.status_code == 302
    kinds = [e.event_type for e in probe.events(include_auth=True)]
    assert kinds == ["auth.login_failed", "auth.login"]


def test_login_is_rate_limited_per_account(world):
    from django.test import Client

    client = Client()
    for _ in range(10):
        client.post(reverse("accounts:login"), {"username": "a_viewer", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "a_viewer", "password": "wrong"})
    assert response.status_code == 429
    assert "登录尝试次数过多" in response.content.decode()
