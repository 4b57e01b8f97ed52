"""Sign-in security: lifting a lock-out, and two-factor sign-in (enable, disable, reset, verify)."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import Organization, User
from accounts.permissions import can_manage_account_security, is_bureau, require
from accounts.roles import BureauRole
from accounts.throttle import normalize_username
from audit.events import EventType
from audit.services import audit_append


def _require_security_admin(actor: User, user: User, organization: Organization | None, message: str) -> None:
    require(can_manage_account_security(actor, user, organization), message)


# --- lock-outs ---------------------------------------------------------------------------------
@transaction.atomic
def login_unlock_user(*, actor: User, user: User, organization: Organization | None = None) -> int:
    """Clear a user's failed sign-ins from every address; returns how many records were cleared."""
    _require_security_admin(actor, user, organization, _("只有机构管理员可以为本机构成员解除登录锁定"))
    attempts = AccessAttempt.objects.filter(username=normalize_username(user.username))
    cleared = attempts.count()
    if not cleared:
        raise ValidationError(_("该账号目前没有登录失败记录，无需解除锁定"))
    attempts.delete()
    audit_append(
        actor=actor,
        event_type=EventType.USER_LOGIN_UNLOCKED,
        target=user,
        organization=organization,
        data={"username": user.username, "cleared": cleared},
    )
    return cleared


@transaction.atomic
def login_unlock_address(*, actor: User, ip_address: str) -> int:
    """Clear every failed sign-in from one address (an office behind one address, say)."""
    require(is_bureau(actor, BureauRole.BUREAU_ADMIN), _("只有人社局管理员可以解除地址的登录锁定"))
    attempts = AccessAttempt.objects.filter(ip_address=ip_address or None)
    cleared = attempts.count()
    if not cleared:
        raise ValidationError(_("该地址目前没有登录失败记录，无需解除锁定"))
    attempts.delete()
    audit_append(
        actor=actor,
        event_type=EventType.USER_LOGIN_UNLOCKED,
        target=("axes.accessattempt", "", ip_address or "-"),
        data={"ip_address": ip_address, "cleared": cleared},
    )
    return cleared


# --- two-factor --------------------------------------------------------------------------------
def _new_recovery_codes(user: User) -> list[str]:
    device = StaticDevice.objects.create(user=user, name=_("恢复码"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(settings.SKILLCERT_OTP_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _remove_devices(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@transaction.atomic
def two_factor_enable(*, actor: User, key: str, code: str) -> list[str]:
    """Turn on two-factor sign-in for oneself with the secret shown as a QR code and a first code
    from the app. Returns the recovery codes, shown once."""
    if twofactor.has_two_factor(actor):
        raise ValidationError(_("您已启用两步验证"))
    step = twofactor.totp_step(key, twofactor.clean_code(code))
    if step is None:
        raise ValidationError({"code": _("验证码不正确：请输入手机验证器当前显示的 6 位数字，并核对手机时间是否准确")})
    _remove_devices(actor)
    TOTPDevice.objects.create(user=actor, name=_("手机验证器"), key=key, confirmed=True, last_t=step)
    codes = _new_recovery_codes(actor)
    audit_append(actor=actor, event_type=EventType.USER_OTP_ENABLED, target=actor, data={"recovery_codes": len(codes)})
    return codes


def two_factor_disable(*, actor: User, code: str) -> None:
    """Turn off one's own two-factor sign-in, proving it with a current code or a recovery code."""
    require(not twofactor.two_factor_required(actor), _("您的角色须使用两步验证，不能停用"))
    if two_factor_verify(user=actor, code=code) is None:
        raise ValidationError({"code": _("验证码不正确，未停用两步验证")})
    with transaction.atomic():
        _remove_devices(actor)
        audit_append(actor=actor, event_type=EventType.USER_OTP_DISABLED, target=actor)


@transaction.atomic
def two_factor_reset(*, actor: User, user: User, organization: Organization | None = None) -> None:
    """An administrator removes a user's two-factor devices (a lost phone); the user sets it up again."""
    _require_security_admin(actor, user, organization, _("只有机构管理员可以为本机构成员重置两步验证"))
    if actor.pk == user.pk:
        raise ValidationError(_("不能重置自己的两步验证，请在“两步验证”页面停用或请其他管理员重置"))
    if not twofactor.has_two_factor(user):
        raise ValidationError(_("该用户没有启用两步验证"))
    _remove_devices(user)
    audit_append(
        actor=actor,
        event_type=EventType.USER_OTP_RESET,
        target=user,
        organization=organization,
        data={"username": user.username},
    )


def two_factor_verify(*, user: User, code: str):
    """Check a code at sign-in: a 6-digit TOTP code or a recovery code (used up by this).

    Returns the device that accepted it, or None. django-otp's throttling (a doubling delay after
    each failure, kept on the device row) applies; a failure and a used recovery code are audited.
    """
    code = twofactor.clean_code(code)
    model = TOTPDevice if twofactor.is_totp_code(code) else StaticDevice
    accepted = None
    with transaction.atomic():
        for device in model.objects.filter(user=user, confirmed=True).select_for_update():
            if code and device.verify_token(code):
                accepted = device
                break
        if accepted is not None and model is StaticDevice:
            audit_append(
                actor=user,
                event_type=EventType.AUTH_OTP_RECOVERY_USED,
                target=user,
                data={"username": user.username, "left": accepted.token_set.count()},
            )
    if accepted is None:
        with transaction.atomic():
            audit_append(
                actor=user,
                event_type=EventType.AUTH_OTP_FAILED,
                target=user,
                data={"username": user.username, "kind": "totp" if model is TOTPDevice else "recovery"},
            )
    return accepted
