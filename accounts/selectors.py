"""Reads for accounts. Every query is scoped to what the user may see; not visible = 404."""

from __future__ import annotations

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import Membership, Organization
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
