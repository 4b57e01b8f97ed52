"""Reads for accounts. Every query is scoped to what the user may see; not visible = 404."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from accounts import throttle, twofactor
from accounts.models import Membership, MembershipInvitation, Organization
from accounts.permissions import is_bureau_reader, organizations_visible_to
from accounts.roles import Role


def organization_get_for_user(user, pk: int) -> Organization:
    """The organisation if the user may see it; otherwise the same 404 as a missing one."""
    org = organizations_visible_to(user).filter(pk=pk).first()
    if org is None:
        raise Http404("评价机构不存在")
    return org


def memberships_for_user(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


def membership_list_for_org(organization: Organization) -> QuerySet[Membership]:
    role_rank = Case(*[When(role=role, then=Value(i)) for i, role in enumerate(Role.values)])
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by(role_rank, "user__username")
    )


def membership_get_for_org(organization: Organization, pk: int) -> Membership:
    membership = membership_list_for_org(organization).filter(pk=pk).first()
    if membership is None:
        raise Http404("成员不存在")
    return membership


def organization_list_for_bureau(user, *, query: str = "", status: str = "") -> QuerySet[Organization]:
    if not is_bureau_reader(user):
        return Organization.objects.none()
    qs = Organization.objects.annotate(member_count=Count("memberships"))
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()) | Q(province_sequence=query))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("name")


# --- invitations ------------------------------------------------------------------------------
def invitations_pending_for_user(user) -> QuerySet[MembershipInvitation]:
    """Invitations the user can still accept (pending and not expired)."""
    since = timezone.now() - timedelta(days=settings.SKILLCERT_INVITATION_DAYS)
    return MembershipInvitation.objects.filter(
        user=user, status=MembershipInvitation.Status.PENDING, created_at__gt=since
    ).select_related("organization", "invited_by")


def invitation_get_for_user(user, pk: int) -> MembershipInvitation:
    invitation = (
        MembershipInvitation.objects.filter(user=user, pk=pk).exclude(user=None).select_related("organization").first()
    )
    if invitation is None:
        raise Http404("邀请不存在")
    return invitation


def invitation_list_for_org(organization: Organization) -> QuerySet[MembershipInvitation]:
    """Every open invitation, reachable or not: the list must not tell which usernames exist."""
    return MembershipInvitation.objects.filter(
        organization=organization, status=MembershipInvitation.Status.PENDING
    ).select_related("invited_by")


def invitation_get_for_org(organization: Organization, pk: int) -> MembershipInvitation:
    invitation = invitation_list_for_org(organization).filter(pk=pk).first()
    if invitation is None:
        raise Http404("邀请不存在")
    return invitation


# --- sign-in security -------------------------------------------------------------------------
def annotate_sign_in_security(memberships: list[Membership]) -> None:
    """Set ``locked_addresses`` and ``two_factor`` on each membership (two queries in all)."""
    users = [m.user for m in memberships]
    locked = throttle.lockouts_for_usernames(u.username for u in users)
    with_2fa = twofactor.users_with_two_factor(users)
    for m in memberships:
        m.locked_addresses = locked.get(throttle.normalize_username(m.user.username), 0)
        m.two_factor = m.user.pk in with_2fa


def current_lockouts():
    return throttle.current_lockouts()
