"""Writes for users, organisations and memberships. Each checks permission, writes, and appends
one audit event in the same transaction."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Organization, OrganizationUserObjectPermission, User
from accounts.permissions import (
    SYSTEM_USERNAME,
    can_manage_members,
    can_manage_organizations,
    forget_cached_permissions,
    is_bureau,
    is_reserved_username,
    is_system_user,
    require,
)
from accounts.roles import ROLE_PERMISSIONS, BureauRole, Role
from audit.chain import diff
from audit.events import EventType
from audit.services import audit_append

# Also the fields of the bureau's organisation form, in the order it shows them.
ORGANIZATION_EDITABLE_FIELDS = (
    "name",
    "credit_code",
    "kind",
    "number_type",
    "region_code",
    "region_name",
    "ministry_code",
    "province_sequence",
    "contact_name",
    "contact_phone",
    "address",
)


def system_actor(name: str = "") -> User:
    """The named, inactive user that acts for commands and tasks: nothing in the trail is anonymous."""
    username = f"{SYSTEM_USERNAME}:{name}" if name else SYSTEM_USERNAME
    user = User.objects.filter(username=username).first()
    if user is None:
        # Two worker processes may both start with this actor missing: the unique username lets one
        # insert win, and the other (its savepoint rolled back) reads the winner's row.
        candidate = User(username=username, full_name=f"系统任务 {name}" if name else "系统", is_active=False)
        candidate.set_unusable_password()
        try:
            with transaction.atomic():
                candidate.save()
            user = candidate
        except IntegrityError:
            user = User.objects.get(username=username)
    if not is_system_user(user):
        # an account someone can sign in to must never act, or be recorded, as the system
        raise RuntimeError(f"{username!r} exists but is not a system actor (active or with a password)")
    return user


def _track(obj, actor, reason: str = "") -> None:
    """Tell django-simple-history who made this change and why."""
    obj._history_user = actor
    obj._change_reason = reason or None


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _save_validated(obj, *, actor, reason: str = "", exclude=None) -> None:
    obj.full_clean(exclude=exclude)
    _track(obj, actor, reason)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent insert won the unique race
        raise ValidationError(_("记录与已有数据重复，请刷新后重试")) from exc


# --- organisations ----------------------------------------------------------------------
@transaction.atomic
def organization_create(
    *,
    actor: User,
    name: str,
    credit_code: str,
    province_sequence: str,
    kind: str = Organization.Kind.ENTERPRISE,
    region_code: str = "",
    region_name: str = "",
    ministry_code: str = "0000",
    number_type: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    admin_username: str = "",
    admin_full_name: str = "",
    admin_password: str = "",
) -> Organization:
    require(can_manage_organizations(actor), _("只有人社局管理员可以新建评价机构"))
    org = Organization(
        name=name.strip(),
        credit_code=credit_code.strip().upper(),
        kind=kind,
        province_sequence=province_sequence.strip(),
        ministry_code=ministry_code.strip() or "0000",
        number_type=number_type
        or (
            Organization.NumberType.EMPLOYER if kind == Organization.Kind.ENTERPRISE else Organization.NumberType.SOCIAL
        ),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        address=address.strip(),
    )
    if region_code:
        org.region_code = region_code.strip()
    if region_name:
        org.region_name = region_name.strip()
    _save_validated(org, actor=actor)
    admin = None
    if admin_username:
        admin, _created = _user_for_membership(
            username=admin_username, full_name=admin_full_name, phone="", password=admin_password
        )
        _membership_create(actor=actor, organization=org, user=admin, role=Role.ORG_ADMIN)
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_CREATED,
        target=org,
        organization=org,
        data={"new": _snapshot(org, ORGANIZATION_EDITABLE_FIELDS), "org_admin": admin.username if admin else None},
    )
    return org


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, reason: str = "", **changes) -> Organization:
    require(can_manage_organizations(actor), _("只有人社局管理员可以修改评价机构信息"))
    unknown = set(changes) - set(ORGANIZATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    org = Organization.objects.select_for_update(of=("self",)).get(pk=organization.pk)
    before = _snapshot(org, ORGANIZATION_EDITABLE_FIELDS)
    for field, value in changes.items():
        setattr(org, field, value.strip() if isinstance(value, str) else value)
    org.credit_code = org.credit_code.upper()
    changed = diff(before, _snapshot(org, ORGANIZATION_EDITABLE_FIELDS))
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    _save_validated(org, actor=actor, reason=reason)
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_UPDATED,
        target=org,
        organization=org,
        data={"changes": changed},
        reason=reason,
    )
    return org


@transaction.atomic
def organization_set_status(*, actor: User, organization: Organization, status: str, reason: str) -> Organization:
    require(can_manage_organizations(actor), _("只有人社局管理员可以变更评价机构状态"))
    if status not in Organization.Status.values:
        raise ValidationError(_("未知的机构状态"))
    reason = (reason or "").strip()
    if status != Organization.Status.ACTIVE and not reason:
        raise ValidationError({"reason": _("暂停或注销评价机构须填写原因")})
    org = Organization.objects.select_for_update(of=("self",)).get(pk=organization.pk)
    if org.status == status:
        raise ValidationError(_("机构已处于该状态"))
    old = org.status
    org.status, org.status_reason = status, reason
    _track(org, actor, reason)
    org.save(update_fields=["status", "status_reason", "updated_at"])
    audit_append(
        actor=actor,
        event_type=EventType.ORGANIZATION_STATUS_CHANGED,
        target=org,
        organization=org,
        data={"changes": {"status": [old, status]}},
        reason=reason,
    )
    return org


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
    _track(membership, actor)
    try:
        with transaction.atomic():
            membership.save()
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
) -> Membership:
    _require_member_admin(actor, organization)
    _lock_members(organization)
    user, created = _user_for_membership(
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
        data={"user": user.username, "full_name": user.full_name, "role": role, "account_created": created},
    )
    return membership


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
    _track(membership, actor)
    membership.save(update_fields=["role"])
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
    _track(membership, actor)
    membership.delete()
    audit_append(
        actor=actor,
        event_type=EventType.MEMBERSHIP_REMOVED,
        target=target,
        organization=organization,
        data={"user": user.username, "role": role},
    )


# --- bureau roles and own account ---------------------------------------------------------
@transaction.atomic
def bureau_user_create(
    *, actor: User, username: str, full_name: str, password: str, role: str, must_change_password: bool = True
) -> User:
    """A bureau staff account with one bureau role."""
    require(is_system_user(actor) or is_bureau(actor, BureauRole.BUREAU_ADMIN), _("只有人社局管理员可以创建人社局账号"))
    if role not in BureauRole.values:
        raise ValidationError({"role": _("未知的人社局角色")})
    username = (username or "").strip()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("该账号已存在")})
    user = _new_user(
        username=username, full_name=full_name, phone="", password=password, must_change_password=must_change_password
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    audit_append(
        actor=actor, event_type=EventType.USER_CREATED, target=user, data={"username": username, "bureau_role": role}
    )
    return user


@transaction.atomic
def bureau_role_grant(*, actor: User, user: User, role: str) -> None:
    require(is_system_user(actor) or is_bureau(actor, BureauRole.BUREAU_ADMIN), _("只有人社局管理员可以授予人社局角色"))
    if role not in BureauRole.values:
        raise ValidationError(_("未知的人社局角色"))
    if user.memberships.exists():
        raise ValidationError(_("评价机构成员不能同时担任人社局角色"))
    group, _created = Group.objects.get_or_create(name=role)
    if user.groups.filter(pk=group.pk).exists():
        raise ValidationError(_("该用户已具有此角色"))
    user.groups.add(group)
    forget_cached_permissions(user)
    audit_append(actor=actor, event_type=EventType.BUREAU_ROLE_GRANTED, target=user, data={"role": role})


@transaction.atomic
def user_change_password(*, actor: User, user: User, old_password: str, new_password: str) -> None:
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能修改自己的密码"))
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("原密码不正确")})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_append(actor=actor, event_type=EventType.USER_PASSWORD_CHANGED, target=user)


def audit_auth_event(*, event_type: EventType, user: User | None, username: str = "") -> None:
    """Sign-in, sign-out and failed sign-in go into the trail too."""
    with transaction.atomic():
        target = user if user is not None else ("accounts.user", "", username[:150])
        audit_append(actor=user, event_type=event_type, target=target, data={"username": username[:150]})
