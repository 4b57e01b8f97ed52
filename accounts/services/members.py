"""Memberships: who holds which role in an organisation. Each write checks permission, writes,
and appends one audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, MembershipInvitation, Organization, OrganizationUserObjectPermission, User
from accounts.permissions import INVITATION_NOT_YOURS, can_manage_members, forget_cached_permissions, is_bureau, require
from accounts.roles import ROLE_PERMISSIONS, Role
from audit.actors import is_reserved_username, is_system_user
from audit.events import EventType
from audit.history import delete_tracked, save_tracked
from audit.services import audit_append


# --- memberships ------------------------------------------------------------------------
def _grant_role(user: User, organization: Organization, role: str) -> None:
    from django.contrib.auth.models import Permission

    content_type = ContentType.objects.get_for_model(Organization)
    perms = Permission.objects.filter(content_type=content_type, codename__in=ROLE_PERMISSIONS[role])
    OrganizationUserObjectPermission.objects.bulk_create(
        [OrganizationUserObjectPermission(user=user, permission=p, content_object=organization) for p in perms],
        ignore_conflicts=True,
    )
    forget_cached_permissions(user)


def _withdraw_role(user: User, organization: Organization) -> None:
    OrganizationUserObjectPermission.objects.filter(user=user, content_object=organization).delete()
    forget_cached_permissions(user)


def _new_user(*, username: str, full_name: str, phone: str, password: str, must_change_password: bool) -> User:
    if is_reserved_username(username):
        raise ValidationError({"username": _("该账号名为系统保留，请换一个")})
    if not password:
        raise ValidationError({"password": _("新账号须设置初始密码")})
    user = User(username=username, full_name=(full_name or "").strip(), phone=(phone or "").strip())
    user.must_change_password = must_change_password
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def _user_for_membership(
    *, username: str, full_name: str, phone: str, password: str, must_change_password: bool = True
) -> tuple[User, bool]:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("请填写登录账号")})
    user = User.objects.filter(username=username).first()
    if user is not None:
        if is_system_user(user) or is_bureau(user):
            raise ValidationError({"username": _("该账号不能加入评价机构")})
        return user, False
    user = _new_user(
        username=username,
        full_name=full_name,
        phone=phone,
        password=password,
        must_change_password=must_change_password,
    )
    return user, True


def _membership_create(*, actor: User, organization: Organization, user: User, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色")})
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError({"username": _("该用户已是本机构成员，如需调整请修改其角色")})
    membership = Membership(user=user, organization=organization, role=role)
    try:
        with transaction.atomic():
            save_tracked(membership, actor=actor)
    except IntegrityError as exc:
        raise ValidationError({"username": _("该用户已是本机构成员")}) from exc
    _grant_role(user, organization, role)
    return membership


def _require_member_admin(actor: User, organization: Organization) -> None:
    require(can_manage_members(actor, organization), _("只有机构管理员可以管理成员"))


def _lock_members(organization: Organization) -> None:
    """Serialise membership changes of one organisation (the organisation row's lock), so two
    concurrent removals cannot both pass the last-admin check."""
    Organization.objects.select_for_update(of=("self",)).filter(pk=organization.pk).first()


def _clean_username(username: str) -> str:
    return User.normalize_username((username or "").strip())


def _username_taken(username: str) -> bool:
    """Any account of that name in any letter case, or a name kept for the system."""
    return is_reserved_username(username) or User.objects.filter(username__iexact=username).exists()


@transaction.atomic
def membership_add(
    *,
    actor: User,
    organization: Organization,
    username: str,
    role: str,
    full_name: str = "",
    phone: str = "",
    password: str = "",
    must_change_password: bool = True,
) -> Membership | MembershipInvitation:
    """A new colleague gets a new account and the membership at once. A username that is taken
    (by anyone: a member here or elsewhere, the bureau, the system) or given without a password
    becomes an invitation its owner accepts — and the answer does not say which it was, so the
    form cannot be used to find out who has an account."""
    _require_member_admin(actor, organization)
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色")})
    username = _clean_username(username)
    if not username:
        raise ValidationError({"username": _("请填写登录账号")})
    _lock_members(organization)
    if not password or _username_taken(username):
        return _invite(actor=actor, organization=organization, username=username, role=role)
    user = _new_user(
        username=username,
        full_name=full_name,
        phone=phone,
        password=password,
        must_change_password=must_change_password,
    )
    membership = _membership_create(actor=actor, organization=organization, user=user, role=role)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_ADDED,
        target=membership,
        organization=organization,
        data={"user": user.username, "full_name": user.full_name, "role": role, "account_created": True},
    )
    return membership


# --- invitations --------------------------------------------------------------------------
def _invitable(username: str, organization: Organization) -> User | None:
    """The account an invitation reaches, or None (then nobody ever sees it)."""
    user = User.objects.filter(username=username).first()
    if user is None or not user.is_active or is_system_user(user) or is_reserved_username(user.username):
        return None
    if is_bureau(user) or Membership.objects.filter(user=user, organization=organization).exists():
        return None
    return user


def _invite(*, actor: User, organization: Organization, username: str, role: str) -> MembershipInvitation:
    replaced = None
    for old in MembershipInvitation.objects.select_for_update().filter(
        organization=organization, username=username, status=MembershipInvitation.Status.PENDING
    ):
        old.status, old.decided_at = MembershipInvitation.Status.CANCELLED, timezone.now()
        save_tracked(old, actor=actor, reason=_("重新邀请"), fields=["status", "decided_at"])
        replaced = old.pk
    user = _invitable(username, organization)
    invitation = MembershipInvitation(
        organization=organization, username=username, user=user, role=role, invited_by=actor
    )
    save_tracked(invitation, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_INVITED,
        target=invitation,
        organization=organization,
        # for the bureau's eyes only: the inviter is never told whether the invitation can arrive
        data={"username": username, "role": role, "deliverable": user is not None, "replaces": replaced},
    )
    return invitation


def _pending_invitation(invitation: MembershipInvitation) -> MembershipInvitation:
    invitation = MembershipInvitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
    if invitation.status != MembershipInvitation.Status.PENDING:
        raise ValidationError(_("该邀请已处理过"))
    return invitation


def _close(invitation: MembershipInvitation, *, actor: User, status: str) -> None:
    invitation.status, invitation.decided_at = status, timezone.now()
    save_tracked(invitation, actor=actor, fields=["status", "decided_at"])


@transaction.atomic
def membership_invitation_accept(*, actor: User, invitation: MembershipInvitation) -> Membership:
    """The invited user joins: the membership and the role's grants, as when an admin adds one."""
    require(invitation.user_id == actor.pk, INVITATION_NOT_YOURS)
    organization = invitation.organization
    _lock_members(organization)
    invitation = _pending_invitation(invitation)
    if invitation.is_expired:
        raise ValidationError(_("该邀请已过期，请联系机构管理员重新邀请"))
    if not organization.is_active:
        raise ValidationError(_("该机构目前不能接收新成员，请联系机构管理员"))
    if is_bureau(actor) or is_system_user(actor):
        raise ValidationError(_("该账号不能加入评价机构"))
    membership = _membership_create(actor=actor, organization=organization, user=actor, role=invitation.role)
    _close(invitation, actor=actor, status=MembershipInvitation.Status.ACCEPTED)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_ADDED,
        target=membership,
        organization=organization,
        data={
            "user": actor.username,
            "full_name": actor.full_name,
            "role": invitation.role,
            "account_created": False,
            "invitation": invitation.pk,
            "invited_by": invitation.invited_by.username if invitation.invited_by else None,
        },
    )
    return membership


@transaction.atomic
def membership_invitation_decline(*, actor: User, invitation: MembershipInvitation) -> None:
    require(invitation.user_id == actor.pk, INVITATION_NOT_YOURS)
    invitation = _pending_invitation(invitation)
    _close(invitation, actor=actor, status=MembershipInvitation.Status.DECLINED)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_INVITATION_DECLINED,
        target=invitation,
        organization=invitation.organization,
        data={"role": invitation.role},
    )


@transaction.atomic
def membership_invitation_cancel(*, actor: User, invitation: MembershipInvitation) -> None:
    _require_member_admin(actor, invitation.organization)
    invitation = _pending_invitation(invitation)
    _close(invitation, actor=actor, status=MembershipInvitation.Status.CANCELLED)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_INVITATION_CANCELLED,
        target=invitation,
        organization=invitation.organization,
        data={"username": invitation.username, "role": invitation.role},
    )


def _refuse_losing_last_admin(membership: Membership) -> None:
    if membership.role != Role.ORG_ADMIN:
        return
    admins = Membership.objects.filter(organization_id=membership.organization_id, role=Role.ORG_ADMIN)
    if admins.count() <= 1:
        raise ValidationError(_("机构至少需要保留一名机构管理员"))


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    organization = membership.organization
    _require_member_admin(actor, organization)
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色")})
    _lock_members(organization)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    if membership.role == role:
        raise ValidationError({"role": _("角色没有变化")})
    if role != Role.ORG_ADMIN:
        _refuse_losing_last_admin(membership)
    old = membership.role
    membership.role = role
    save_tracked(membership, actor=actor, fields=["role"])
    _withdraw_role(membership.user, organization)
    _grant_role(membership.user, organization, role)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_ROLE_CHANGED,
        target=membership,
        organization=organization,
        data={"user": membership.user.username, "changes": {"role": [old, role]}},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    organization = membership.organization
    _require_member_admin(actor, organization)
    _lock_members(organization)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    _refuse_losing_last_admin(membership)
    user, role, target = membership.user, membership.role, ("accounts.membership", membership.pk, str(membership))
    _withdraw_role(user, organization)
    delete_tracked(membership, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_REMOVED,
        target=target,
        organization=organization,
        data={"user": user.username, "role": role},
    )
