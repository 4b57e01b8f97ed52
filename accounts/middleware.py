"""What a signed-in session must satisfy before it reaches a page."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import twofactor

# Public pages a half-signed-in session may still open.
_ALLOWED_PREFIXES = ("/static/", "/v/", "/.well-known/", "/publicity/")

SIGNED_IN_AT = "skillcert_signed_in_at"
SEEN_AT = "skillcert_seen_at"
# Writing the session on every request would cost a query each; a minute is precise enough.
_SEEN_RESOLUTION = 60


def start_session_clock(session) -> None:
    """Called at sign-in: the absolute and the idle limit count from now."""
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Signs out a session idle for ``SKILLCERT_SESSION_IDLE_MINUTES``, and any session older than
    ``SESSION_COOKIE_AGE`` whatever its activity (the cookie's own expiry slides with activity)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if settings.SESSION_COOKIE_NAME in request.COOKIES and user is not None and user.is_authenticated:
            expired = self._expired(request.session)
            if expired:
                logout(request)
                messages.info(request, expired)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(session) -> str:
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        seen_at = session.get(SEEN_AT)
        if signed_in_at is None or seen_at is None:  # a session from before these limits
            start_session_clock(session)
            return ""
        if now - signed_in_at > settings.SESSION_COOKIE_AGE:
            return _("登录已超过 %(hours)s 小时，为保护数据已自动退出，请重新登录。") % {
                "hours": round(settings.SESSION_COOKIE_AGE / 3600, 1)
            }
        if now - seen_at > settings.SKILLCERT_SESSION_IDLE_MINUTES * 60:
            return _("您已 %(minutes)s 分钟没有操作，为保护数据已自动退出，请重新登录。") % {
                "minutes": settings.SKILLCERT_SESSION_IDLE_MINUTES
            }
        if now - seen_at >= _SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return ""


class AccountGateMiddleware:
    """Steps a signed-in user must take before anything else, in this order:

    1. a user with two-factor sign-in enters a code (the password alone is half a sign-in);
    2. a user given an initial password by an administrator chooses their own;
    3. a user whose role requires two-factor sign-in (``SKILLCERT_REQUIRE_2FA_ROLES``) sets it up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            target = self._pending_step(request, user)
            if target and request.path not in {target, reverse("accounts:logout")}:
                return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _pending_step(request, user) -> str:
        if twofactor.verification_pending(request):
            return reverse("accounts:two_factor_verify")
        if getattr(user, "must_change_password", False):
            return reverse("accounts:password_change")
        if twofactor.setup_required(request, user):
            return reverse("accounts:two_factor_setup")
        return ""
