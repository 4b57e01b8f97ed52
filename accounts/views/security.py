"""Signing in: the sign-in page, the two-factor step and its set-up, one's own password, and the
bureau's page of current lock-outs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import selectors, services, twofactor
from accounts.forms import (
    AddressForm,
    LoginForm,
    PasswordChangeForm,
    TwoFactorCodeForm,
    TwoFactorEnableForm,
    UsernameForm,
)
from accounts.models import User
from accounts.permissions import BUREAU_ADMIN_ONLY, BUREAU_STAFF_ONLY, is_bureau, is_bureau_reader, require
from accounts.roles import BureauRole
from lib.web import apply_service_errors, error_text


class LoginView(auth_views.LoginView):
    """Throttling is not here: django-axes' backend refuses a locked-out authenticate() and its
    middleware answers with ``accounts.throttle.lockout_response``, for this page and the admin's."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_password(
                actor=request.user,
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form})


# --- two-factor sign-in ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request):
    """The second half of a sign-in. Too many wrong codes end the session: the password (and its
    lock-outs) comes first again."""
    if not twofactor.verification_pending(request):
        return redirect("home")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            twofactor.mark_verified(request)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _("您使用了一个恢复码，还剩 %(n)s 个。") % {"n": twofactor.recovery_codes_left(request.user)},
                )
            return redirect(settings.LOGIN_REDIRECT_URL)
        failures = request.session.get(twofactor.FAILURES_KEY, 0) + 1
        request.session[twofactor.FAILURES_KEY] = failures
        if failures >= settings.SKILLCERT_LOGIN_FAILURE_LIMIT:
            logout(request)
            messages.error(request, _("验证码错误次数过多，请重新登录。"))
            return redirect(settings.LOGIN_URL)
        form.add_error("code", _("验证码不正确或尝试过于频繁，请稍候再输入新的验证码。"))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request):
    """Set up (QR code and a first code) or, once on, see the state and turn it off."""
    user = request.user
    if twofactor.has_two_factor(user):
        return _two_factor_manage(request, user)
    key = request.session.get(twofactor.SETUP_KEY) or twofactor.new_secret()
    request.session[twofactor.SETUP_KEY] = key
    form = TwoFactorEnableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_enable(actor=user, key=key, code=form.cleaned_data["code"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            request.session.pop(twofactor.SETUP_KEY, None)
            otp_login(request, user.totpdevice_set.get(confirmed=True))
            twofactor.mark_verified(request)
            # Shown once, in this answer only: nothing keeps them readable afterwards.
            return render(request, "accounts/two_factor_codes.html", {"codes": codes})
    uri = twofactor.provisioning_uri(user, key)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            # segno's own markup, no user text inside: safe to insert as-is.
            "qr_svg": mark_safe(twofactor.qr_svg(uri)),
            "secret": twofactor.secret_for_typing(key),
            "required": twofactor.two_factor_required(user),
        },
    )


def _two_factor_manage(request, user):
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.two_factor_disable(actor=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已停用两步验证。"))
            return redirect("accounts:two_factor_setup")
    return render(
        request,
        "accounts/two_factor_manage.html",
        {
            "form": form,
            "codes_left": twofactor.recovery_codes_left(user),
            "required": twofactor.two_factor_required(user),
        },
    )


# --- the bureau's page of lock-outs ------------------------------------------------------------
@require_GET
@login_required
def bureau_security(request):
    require(is_bureau_reader(request.user), BUREAU_STAFF_ONLY)
    pairs, addresses = selectors.current_lockouts()
    return render(
        request,
        "accounts/bureau_security.html",
        {
            "pairs": pairs,
            "addresses": addresses,
            "can_act": is_bureau(request.user, BureauRole.BUREAU_ADMIN),
            "username_form": UsernameForm(),
            "cooloff_minutes": settings.SKILLCERT_LOGIN_COOLOFF_MINUTES,
        },
    )


def _bureau_user_action(request, action, done: str, *, any_case: bool = False):
    require(is_bureau(request.user, BureauRole.BUREAU_ADMIN), BUREAU_ADMIN_ONLY)
    form = UsernameForm(request.POST)
    user = None
    if form.is_valid():
        name = form.cleaned_data["username"].strip()
        # lock-outs are listed under the case-folded name; any spelling of it clears the same key
        user = User.objects.filter(**{"username__iexact" if any_case else "username": name}).first()
    if user is None:
        messages.error(request, _("没有这个账号，请核对登录账号。"))
        return redirect("accounts:bureau_security")
    try:
        action(actor=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done % {"user": user})
    return redirect("accounts:bureau_security")


@require_POST
@login_required
def bureau_unlock_user(request):
    return _bureau_user_action(request, services.login_unlock_user, _("已解除 %(user)s 的登录锁定。"), any_case=True)


@require_POST
@login_required
def bureau_two_factor_reset(request):
    return _bureau_user_action(
        request, services.two_factor_reset, _("已重置 %(user)s 的两步验证，对方下次登录时重新设置。")
    )


@require_POST
@login_required
def bureau_unlock_address(request):
    require(is_bureau(request.user, BureauRole.BUREAU_ADMIN), BUREAU_ADMIN_ONLY)
    form = AddressForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的 IP 地址。"))
        return redirect("accounts:bureau_security")
    try:
        services.login_unlock_address(actor=request.user, ip_address=form.cleaned_data["ip_address"])
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已解除地址 %(ip)s 的登录锁定。") % {"ip": form.cleaned_data["ip_address"]})
    return redirect("accounts:bureau_security")
