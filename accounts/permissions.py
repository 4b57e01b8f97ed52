"""The one place that answers "may user U do action A on organisation O"."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from guardian.core import ObjectPermissionChecker

from accounts.models import Membership, Organization
from accounts.roles import READ_PERMS, BureauRole, OrgPerm

BUREAU_READERS = frozenset({BureauRole.BUREAU_ADMIN, BureauRole.BUREAU_AUDITOR})

# Refusals said in several places (services and views, the bureau's pages of every app), written once.
BUREAU_STAFF_ONLY = gettext_lazy("此页面仅供人社局工作人员使用")
BUREAU_ADMIN_ONLY = gettext_lazy("只有人社局管理员可以执行此操作")
ORGANIZATION_CREATE_REFUSED = gettext_lazy("只有人社局管理员可以新建评价机构")
ORGANIZATION_EDIT_REFUSED = gettext_lazy("只有人社局管理员可以修改评价机构信息")
ORGANIZATION_STATUS_REFUSED = gettext_lazy("只有人社局管理员可以变更评价机构状态")
INVITATION_NOT_YOURS = gettext_lazy("只能处理发给自己的邀请")


def bureau_roles(user) -> frozenset[str]:
    """The bureau groups a user belongs to (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_bureau_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(r.value for r in BureauRole if r.value in names)
        user._bureau_roles = cached
    return cached


def is_bureau(user, *roles: str) -> bool:
    held = bureau_roles(user)
    return bool(held & set(roles)) if roles else bool(held)


def is_bureau_reader(user) -> bool:
    return is_bureau(user, *BUREAU_READERS)


def _checker(user) -> ObjectPermissionChecker:
    checker = getattr(user, "_org_perm_checker", None)
    if checker is None:
        checker = ObjectPermissionChecker(user)
        user._org_perm_checker = checker
    return checker


def forget_cached_permissions(user) -> None:
    for attr in ("_org_perm_checker", "_bureau_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


def has_org_perm(user, perm: str, organization: Organization) -> bool:
    """A member's permission from their role (granted on the organisation through guardian).

    A suspended or closed organisation keeps read access and loses every write.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if perm not in READ_PERMS and not organization.is_active:
        return False
    return _checker(user).has_perm(f"accounts.{perm}", organization)


def organizations_with_perm(user, perm: str, organizations: list[Organization]) -> list[Organization]:
    """Those of ``organizations`` where the user holds ``perm`` (the grants of all of them read in
    one go, so a page listing several organisations asks the same few queries)."""
    if not organizations or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    checker = _checker(user)
    if any(checker.get_local_cache_key(org) not in checker._obj_perms_cache for org in organizations):
        checker.prefetch_perms(organizations)
    return [org for org in organizations if has_org_perm(user, perm, org)]


def has_object_perm(user, perm: str, obj) -> bool:
    """A guardian grant on any object (e.g. ``certify.score_plan`` on a plan)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return _checker(user).has_perm(perm, obj)


def can_view_org(user, organization: Organization) -> bool:
    return is_bureau_reader(user) or has_org_perm(user, OrgPerm.VIEW, organization)


def can_view_personal_data(user, organization: Organization) -> bool:
    return is_bureau_reader(user) or has_org_perm(user, OrgPerm.VIEW_PERSONAL_DATA, organization)


def can_manage_members(user, organization: Organization) -> bool:
    """The organisation's admins; the bureau admin too, so an organisation never locks itself out."""
    return is_bureau(user, BureauRole.BUREAU_ADMIN) or has_org_perm(user, OrgPerm.MANAGE_MEMBERS, organization)


def can_manage_account_security(user, account, organization: Organization | None = None) -> bool:
    """Lift a sign-in lock-out, reset two-factor sign-in: the bureau admin for anyone; an
    organisation's admins for that organisation's members only."""
    if is_bureau(user, BureauRole.BUREAU_ADMIN):
        return True
    if organization is None or not has_org_perm(user, OrgPerm.MANAGE_MEMBERS, organization):
        return False
    return Membership.objects.filter(user=account, organization=organization).exists()


def can_manage_organizations(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def require(allowed: bool, message: str = "") -> None:
    """Raise 403 with a message a clerk can read."""
    if not allowed:
        raise PermissionDenied(message or "您没有执行此操作的权限")


def organizations_visible_to(user) -> QuerySet[Organization]:
    """Bureau readers see every organisation; members see theirs. Scope every query with this."""
    if is_bureau_reader(user):
        return Organization.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user).distinct()


def actor_role(actor, organization) -> str:
    """The role an audit event records (``AUDIT_ACTOR_ROLE``): the actor's role in the
    organisation the event belongs to, else their bureau role."""
    role = ""
    if organization is not None:
        role = actor.memberships.filter(organization=organization).values_list("role", flat=True).first() or ""
    if not role:
        groups = set(actor.groups.values_list("name", flat=True))
        role = next((r.value for r in BureauRole if r.value in groups), "")
    return role
