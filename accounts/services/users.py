"""Bureau accounts and a user's own account."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_bureau, require
from accounts.roles import BureauRole
from accounts.services.members import _new_user
from audit.actors import is_system_user
from audit.events import EventType
from audit.services import audit_append
from lib.ratelimit import failures, record_failure


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
def user_change_password(*, actor: User, user: User, old_password: str, new_password: str) -> None:
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能修改自己的密码"))
    # The old password is a password check like sign-in: counted per account, failures only.
    window = settings.SKILLCERT_LOGIN_COOLOFF_MINUTES * 60
    if failures("password-check", str(user.pk), window=window) >= settings.SKILLCERT_LOGIN_FAILURE_LIMIT:
        raise ValidationError(
            {
                "old_password": _("原密码输错次数过多，请 %(minutes)s 分钟后再试")
                % {"minutes": settings.SKILLCERT_LOGIN_COOLOFF_MINUTES}
            }
        )
    if not user.check_password(old_password):
        record_failure("password-check", str(user.pk), window=window)
        raise ValidationError({"old_password": _("原密码不正确")})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from exc
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit_append(actor=actor, event_type=EventType.USER_PASSWORD_CHANGED, target=user)


def audit_auth_event(*, event_type: EventType, user: User | None, username: str = "", data: dict | None = None) -> None:
    """Sign-in, sign-out, failed sign-in and lock-outs go into the trail too."""
    with transaction.atomic():
        target = user if user is not None else ("accounts.user", "", username[:150])
        audit_append(
            actor=user, event_type=event_type, target=target, data={"username": username[:150], **(data or {})}
        )
