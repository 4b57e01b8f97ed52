"""Sign-in throttling on top of django-axes.

- The key is the username as the sign-in form reads it and then some: NFKC (Django's
  ``UsernameField``), stripped and case-folded, so ``a_viewer``, ``a_viewer `` and ``Ａ_VIEWER``
  share one counter.
- A lock-out is per (username, address) — someone elsewhere cannot lock a known user out — plus a
  coarser limit per address, so one address cannot walk through many usernames.
- Only failures are counted, in axes' database table (shared by every process), and a successful
  sign-in clears the failures of its own (username, address).
- axes' backend sits in front of every ``authenticate()`` call: the site's form and the admin's.
"""

from __future__ import annotations

import unicodedata

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

USERNAME_MAX = 150


def normalize_username(username: str | None) -> str:
    """The throttle key of a username: NFKC (as Django's ``UsernameField``), stripped, case-folded."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()[:USERNAME_MAX]


def throttle_username(request, credentials: dict | None) -> str:
    """``AXES_USERNAME_CALLABLE``: from the credentials passed to authenticate(), else the form."""
    if credentials and credentials.get("username") is not None:
        return normalize_username(str(credentials["username"]))
    data = getattr(request, "POST", None) or {}
    return normalize_username(data.get("username", ""))


def cooloff_threshold():
    return timezone.now() - settings.AXES_COOLOFF_TIME


def address_failures(ip_address: str | None) -> int:
    attempts = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=cooloff_threshold())
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a second, coarser limit per address and one audit event at the
    failure that starts a lock-out."""

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_failures(request.axes_ip_address) >= settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        from accounts.services import audit_auth_event
        from audit.events import EventType

        username = throttle_username(request, credentials)
        pair = request.axes_failures_since_start or 0
        at_address = address_failures(request.axes_ip_address)
        address_limit = settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT
        if not request.axes_locked_out and at_address >= address_limit:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)
        # Later failures during the lock-out extend it; only the one that starts it is recorded.
        scope = None
        if pair == settings.AXES_FAILURE_LIMIT:
            scope = "username_and_address"
        elif at_address == address_limit:
            scope = "address"
        if scope:
            audit_auth_event(
                event_type=EventType.AUTH_LOCKED_OUT,
                user=None,
                username=username,
                data={"scope": scope, "minutes": settings.SKILLCERT_LOGIN_COOLOFF_MINUTES},
            )


def lockout_message() -> str:
    return _("登录尝试次数过多，请 %(minutes)s 分钟后再试；如需立即解除，请联系机构管理员。") % {
        "minutes": settings.SKILLCERT_LOGIN_COOLOFF_MINUTES
    }


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page again, with the reason, status 429."""
    from accounts.forms import LoginForm

    context = {"form": LoginForm(request), "next": "", "lockout": lockout_message()}
    return render(request, "accounts/login.html", context, status=429)


def lockouts_for_usernames(usernames) -> dict[str, int]:
    """Normalised username → number of addresses it is locked out from now."""
    keys = {normalize_username(u) for u in usernames}
    rows = (
        AccessAttempt.objects.filter(username__in=keys, attempt_time__gte=cooloff_threshold())
        .order_by()
        .values("username", "ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
    )
    locked: dict[str, int] = {}
    for row in rows:
        locked[row["username"]] = locked.get(row["username"], 0) + 1
    return locked


def current_lockouts() -> tuple[list[dict], list[dict]]:
    """(locked (username, address) pairs, locked addresses) within the cool-off, newest first."""
    since = cooloff_threshold()
    pairs = list(
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("username", "ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("username", "ip_address")[:500]
    )
    addresses = list(
        AccessAttempt.objects.filter(attempt_time__gte=since)
        .values("ip_address")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT)
        .order_by("ip_address")[:500]
    )
    return pairs, addresses
