"""Issue 9, finding 10: an organisation admin cannot add another organisation's user; existing
accounts join by an invitation their owner accepts, and every taken or unknown username gets the
same answer, so the form tells nobody who has an account."""

import re

import pytest
from django.urls import reverse

from accounts.models import Membership, MembershipInvitation, OrganizationUserObjectPermission
from accounts.roles import ROLE_PERMISSIONS, Role
from audit.actors import system_actor
from tests.helpers import assert_one_event, assert_status, check_guards

pytestmark = pytest.mark.django_db


def _add_url(world):
    return reverse("accounts:member_add", args=[world.org_a.pk])


def _invite(world, as_user, username, role=Role.VIEWER, password=""):
    data = {"username": username, "role": role, "full_name": "", "phone": "", "password": password}
    return as_user(world.a_org_admin).post(_add_url(world), data, follow=True)


def _notices(response) -> list[str]:
    """The messages and form errors a page shows."""
    html = response.content.decode()
    return re.findall(r'<(?:div class="msg [^"]*"|li)[^>]*>([^<]+)</', html.split("<main", 1)[1])


def test_an_org_admin_cannot_add_another_organisations_user_by_username(world, as_user):
    _invite(world, as_user, world.b_operator.username, password="Xq7!kdPz2")

    assert not Membership.objects.filter(organization=world.org_a, user=world.b_operator).exists()
    invitation = MembershipInvitation.objects.get(organization=world.org_a, username="b_operator")
    assert invitation.user == world.b_operator and invitation.status == "pending"


def test_member_add_answers_every_taken_or_unknown_username_alike(world, as_user):
    system_actor("probe")
    answers = {
        case: _notices(_invite(world, as_user, username))
        for case, username in [
            ("unknown", "nobody_here"),
            ("bureau", world.bureau_admin.username),
            ("system", "system:probe"),
            ("other organisation", world.b_operator.username),
            ("already a member", world.a_viewer.username),
            ("case variant", "B_OPERATOR"),
        ]
    }

    assert len({tuple(a) for a in answers.values()}) == 1, answers
    assert answers["unknown"] == [next(iter(answers["unknown"]))]
    assert "已记录对该账号的邀请" in answers["unknown"][0]
    assert Membership.objects.filter(organization=world.org_a).count() == len(Role)


def test_a_taken_username_with_a_password_gets_the_same_answer_and_no_account(world, as_user):
    with_password = _notices(_invite(world, as_user, world.bureau_admin.username, password="Xq7!kdPz2"))
    without = _notices(_invite(world, as_user, "nobody_here"))

    assert with_password == without
    assert not world.bureau_admin.memberships.exists()


def test_only_an_account_that_may_join_ever_sees_an_invitation(world, as_user):
    for username in ("nobody_here", world.bureau_admin.username, world.a_viewer.username, world.b_operator.username):
        _invite(world, as_user, username)

    reachable = MembershipInvitation.objects.exclude(user=None)
    assert [i.user for i in reachable] == [world.b_operator]
    # the admin's list shows every invitation alike, reachable or not
    text = as_user(world.a_org_admin).get(world.org_a.get_absolute_url()).content.decode()
    assert "nobody_here" in text and "bureau_admin" in text and "b_operator" in text


def test_the_invited_user_accepts_and_gets_the_membership_and_the_roles_grants(world, as_user, audit_probe):
    _invite(world, as_user, world.b_operator.username, role=Role.REVIEWER)
    invitation = MembershipInvitation.objects.get(user=world.b_operator)
    client = as_user(world.b_operator)
    home = assert_status(client, "get", reverse("home"), 200).content.decode()
    assert world.org_a.name in home and "审核人" in home

    probe = audit_probe()
    assert_status(client, "post", reverse("accounts:invitation_accept", args=[invitation.pk]), 302)

    membership = Membership.objects.get(organization=world.org_a, user=world.b_operator)
    assert membership.role == Role.REVIEWER
    granted = set(
        OrganizationUserObjectPermission.objects.filter(user=world.b_operator, content_object=world.org_a).values_list(
            "permission__codename", flat=True
        )
    )
    assert granted == set(ROLE_PERMISSIONS[Role.REVIEWER])
    event = assert_one_event(probe, event_type="membership.added", actor=world.b_operator, organization=world.org_a)
    assert event.data["invitation"] == invitation.pk and event.data["invited_by"] == "a_org_admin"
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.decided_at is not None
    assert_status(client, "get", world.org_a.get_absolute_url(), 200)


def test_the_invited_user_may_decline(world, as_user, audit_probe):
    _invite(world, as_user, world.b_operator.username)
    invitation = MembershipInvitation.objects.get(user=world.b_operator)
    probe = audit_probe()

    assert_status(as_user(world.b_operator), "post", reverse("accounts:invitation_decline", args=[invitation.pk]), 302)

    assert not Membership.objects.filter(organization=world.org_a, user=world.b_operator).exists()
    assert_one_event(
        probe, event_type="membership.invitation_declined", actor=world.b_operator, organization=world.org_a
    )
    assert world.org_a.name not in as_user(world.b_operator).get(reverse("home")).content.decode()


def test_nobody_else_can_answer_an_invitation(world, as_user):
    _invite(world, as_user, world.b_operator.username)
    invitation = MembershipInvitation.objects.get(user=world.b_operator)
    url = reverse("accounts:invitation_accept", args=[invitation.pk])

    assert_status(as_user(world.b_org_admin), "post", url, 404)
    assert_status(as_user(world.a_org_admin), "post", url, 404)
    assert_status(as_user(world.b_operator), "get", url, 405)
    assert not Membership.objects.filter(organization=world.org_a, user=world.b_operator).exists()


def test_an_expired_invitation_cannot_be_accepted(world, as_user, settings):
    _invite(world, as_user, world.b_operator.username)
    invitation = MembershipInvitation.objects.get(user=world.b_operator)
    settings.SKILLCERT_INVITATION_DAYS = 0

    response = as_user(world.b_operator).post(reverse("accounts:invitation_accept", args=[invitation.pk]), follow=True)

    assert "该邀请已过期" in response.content.decode()
    assert not Membership.objects.filter(organization=world.org_a, user=world.b_operator).exists()


def test_inviting_again_replaces_the_open_invitation(world, as_user):
    _invite(world, as_user, world.b_operator.username, role=Role.VIEWER)
    _invite(world, as_user, world.b_operator.username, role=Role.ASSESSOR)

    open_ = MembershipInvitation.objects.filter(username="b_operator", status="pending")
    assert [i.role for i in open_] == [Role.ASSESSOR]


def test_an_admin_cancels_an_invitation(world, as_user, audit_probe):
    _invite(world, as_user, world.b_operator.username)
    invitation = MembershipInvitation.objects.get(user=world.b_operator)
    url = reverse("accounts:invitation_cancel", args=[world.org_a.pk, invitation.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        outsiders=[world.b_org_admin],
        wrong_roles=[world.a_operator, world.a_viewer],
        wrong_method="get",
        user=world.a_org_admin,
    )
    probe = audit_probe()

    assert_status(as_user(world.a_org_admin), "post", url, 302)

    invitation.refresh_from_db()
    assert invitation.status == "cancelled"
    assert_one_event(
        probe, event_type="membership.invitation_cancelled", actor=world.a_org_admin, organization=world.org_a
    )
    assert world.org_a.name not in as_user(world.b_operator).get(reverse("home")).content.decode()


def test_a_new_username_with_a_password_still_creates_the_account_at_once(world, as_user):
    response = _invite(world, as_user, "new_clerk", role=Role.OPERATOR, password="Xq7!kdPz2")

    assert "已添加成员" in response.content.decode()
    assert Membership.objects.get(organization=world.org_a, user__username="new_clerk").role == Role.OPERATOR
