"""Two-factor sign-in (django-otp): a TOTP app on the user's phone, and single-use recovery codes.

A password sign-in of a user with a confirmed device is half a sign-in: the session is marked
pending, and ``AccountGateMiddleware`` sends every request to the code page until a code is
accepted (whichever login view was used — the site's or the admin's). Writes are in
``accounts.services.security``; this module holds the reads and the session state.
"""

from __future__ import annotations

import re
import unicodedata
from binascii import unhexlify

import segno
from django.conf import settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.permissions import bureau_roles
from accounts.roles import BureauRole

PENDING_KEY = "skillcert_otp_pending"
SETUP_KEY = "skillcert_otp_setup_key"
FAILURES_KEY = "skillcert_otp_failures"

_BUREAU = "bureau"
_TOTP_DIGITS = 6
_TOTP_TOLERANCE = 1  # one 30-second step either side: a phone clock a little off still works


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def users_with_two_factor(users) -> set[int]:
    ids = [u.pk for u in users]
    return set(TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True))


# --- required by role -------------------------------------------------------------------------
def required_roles() -> frozenset[str]:
    roles = set(settings.SKILLCERT_REQUIRE_2FA_ROLES)
    if _BUREAU in roles:
        roles.discard(_BUREAU)
        roles.update(BureauRole.values)
    return frozenset(roles)


def two_factor_required(user) -> bool:
    """Whether one of the user's roles (organisation or bureau) requires two-factor sign-in."""
    required = required_roles()
    if not required or not getattr(user, "is_authenticated", False):
        return False
    if required & bureau_roles(user):
        return True
    return user.memberships.filter(role__in=required).exists()


# --- session state ---------------------------------------------------------------------------
def mark_signed_in(request, user) -> bool:
    """At a password sign-in: does this session still owe a code? Returns that."""
    pending = has_two_factor(user)
    request.session[PENDING_KEY] = pending
    request.session.pop(FAILURES_KEY, None)
    return pending


def _is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def verification_pending(request) -> bool:
    if not request.session.get(PENDING_KEY) or _is_verified(request.user):
        return False
    if not has_two_factor(request.user):  # reset by an administrator meanwhile: nothing to enter
        request.session.pop(PENDING_KEY, None)
        return False
    return True


def mark_verified(request) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(FAILURES_KEY, None)


def setup_required(request, user) -> bool:
    if not settings.SKILLCERT_REQUIRE_2FA_ROLES or _is_verified(user):
        return False
    return two_factor_required(user) and not has_two_factor(user)


# --- codes -----------------------------------------------------------------------------------
def new_secret() -> str:
    return random_hex(20)


def provisioning_uri(user, key: str) -> str:
    """The ``otpauth://`` link an authenticator app reads from the QR code (never saved)."""
    return TOTPDevice(user=user, key=key, digits=_TOTP_DIGITS).config_url


def secret_for_typing(key: str) -> str:
    """The secret in base32, in groups of four, for an app that cannot scan."""
    from base64 import b32encode

    text = b32encode(unhexlify(key)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(uri: str) -> str:
    """Inline SVG (segno): no image request, no third party ever sees the secret."""
    return segno.make(uri, error="M", micro=False).svg_inline(scale=4, border=2, dark="#000", light="#fff")


def clean_code(code: str) -> str:
    """Full-width digits, spaces and dashes as people type them; recovery codes are lower case."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", code or "")).lower()


def is_totp_code(code: str) -> bool:
    return len(code) == _TOTP_DIGITS and code.isdigit()


def totp_step(key: str, code: str, *, after: int = -1) -> int | None:
    """The time step at which ``code`` is valid for ``key`` (None if it is not)."""
    if not is_totp_code(code):
        return None
    import time

    totp = TOTP(unhexlify(key), digits=_TOTP_DIGITS)
    totp.time = time.time()
    if totp.verify(int(code), _TOTP_TOLERANCE, after + 1):
        return totp.t()
    return None
