"""Two-factor sign-in (issue 9): TOTP with recovery codes, set up from a page with an inline QR
code, asked for after the password (whichever login view), required by role when the
installation says so, reset by administrators; every step audited."""

from binascii import unhexlify

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from accounts import services
from accounts.twofactor import SETUP_KEY, new_secret
from tests.factories import PASSWORD
from tests.helpers import assert_one_event, assert_status, check_guards

pytestmark = pytest.mark.django_db

SETUP = "/account/two-factor/"
VERIFY = "/account/two-factor/verify/"


def _code(key: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or that many 30-second steps later)."""
    return f"{TOTP(unhexlify(key), drift=steps_ahead).token():06d}"


def _enable(user) -> tuple[str, list[str]]:
    key = new_secret()
    codes = services.two_factor_enable(actor=user, key=key, code=_code(key))
    return key, codes


def _verified(as_user, user) -> Client:
    """A signed-in client whose session has already passed the code step."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.twofactor import PENDING_KEY

    client = as_user(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    session.pop(PENDING_KEY)
    session.save()
    return client


def _password_sign_in(username: str) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.30")
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


# --- set-up --------------------------------------------------------------------------------------
def test_the_setup_page_shows_the_qr_code_inline_with_no_external_image(world, as_user):
    client = as_user(world.a_viewer)
    text = assert_status(client, "get", SETUP, 200).content.decode()

    assert "<svg" in text and "设置两步验证" in text
    assert "<img" not in text.split("<main", 1)[1]
    assert "otpauth" not in text  # the secret travels only inside the QR drawing and as typed text
    key = client.session[SETUP_KEY]
    assert len(key) == 40


def test_enabling_needs_a_valid_code_and_shows_recovery_codes_once(world, as_user, audit_probe):
    client = as_user(world.a_viewer)
    client.get(SETUP)
    key = client.session[SETUP_KEY]
    probe = audit_probe()

    wrong = client.post(SETUP, {"code": "000000" if _code(key) != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert probe.events() == []

    done = assert_status(client, "post", SETUP, 200, {"code": _code(key)})
    text = done.content.decode()
    assert "两步验证已启用" in text and "恢复码" in text
    assert_one_event(probe, event_type="user.otp_enabled", actor=world.a_viewer)
    # this session proved the code: it is not sent to the code page
    assert client.get(reverse("home")).status_code == 200
    assert "剩余恢复码" in client.get(SETUP).content.decode()


# --- sign-in -------------------------------------------------------------------------------------
def test_a_user_with_two_factor_must_enter_a_code_after_the_password(world, audit_probe):
    key, _codes = _enable(world.a_viewer)
    client = _password_sign_in("a_viewer")

    assert client.get(reverse("home"))["Location"] == VERIFY
    assert client.get(world.org_a.get_absolute_url())["Location"] == VERIFY

    response = client.post(VERIFY, {"code": _code(key, steps_ahead=1)})

    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_admin_login_does_not_skip_the_second_factor(world):
    from accounts.models import User

    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    _enable(root)
    client = Client()
    assert client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD}).status_code == 302

    assert client.get("/admin/")["Location"] == VERIFY


def test_a_wrong_code_is_audited_and_too_many_end_the_session(world, settings, audit_probe):
    key, _codes = _enable(world.a_viewer)
    client = _password_sign_in("a_viewer")
    probe = audit_probe()
    wrong = "123456" if _code(key, 1) != "123456" else "654321"
    for _ in range(settings.SKILLCERT_LOGIN_FAILURE_LIMIT - 1):
        assert "验证码不正确" in client.post(VERIFY, {"code": wrong}).content.decode()

    response = client.post(VERIFY, {"code": wrong})

    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    kinds = [e.event_type for e in probe.events(include_auth=True)]
    assert kinds.count("auth.otp_failed") == settings.SKILLCERT_LOGIN_FAILURE_LIMIT


def test_a_failed_code_makes_the_next_one_wait(world):
    """django-otp's throttle: after a failure even the right code is refused for a moment."""
    key, _codes = _enable(world.a_viewer)
    client = _password_sign_in("a_viewer")
    client.post(VERIFY, {"code": "999999" if _code(key, 1) != "999999" else "888888"})

    assert client.post(VERIFY, {"code": _code(key, 1)}).status_code == 200
    assert client.get(reverse("home"))["Location"] == VERIFY


def test_a_recovery_code_signs_in_once_and_is_audited(world, audit_probe):
    _key, codes = _enable(world.a_viewer)
    client = _password_sign_in("a_viewer")
    probe = audit_probe()

    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)

    assert "您使用了一个恢复码，还剩 9 个" in response.content.decode()
    event = next(e for e in probe.events(include_auth=True) if e.event_type == "auth.otp_recovery_used")
    assert event.actor_id == world.a_viewer.pk and event.data["left"] == 9
    again = _password_sign_in("a_viewer")
    again.post(VERIFY, {"code": codes[0]})
    assert again.get(reverse("home"))["Location"] == VERIFY


# --- required by role ----------------------------------------------------------------------------
def test_required_roles_are_sent_to_set_up_two_factor_before_anything_else(world, as_user, settings):
    settings.SKILLCERT_REQUIRE_2FA_ROLES = ["org_admin", "bureau"]

    assert as_user(world.a_org_admin).get(reverse("home"))["Location"] == SETUP
    assert as_user(world.bureau_auditor).get(reverse("home"))["Location"] == SETUP
    assert as_user(world.a_viewer).get(reverse("home")).status_code == 200
    client = as_user(world.a_org_admin)
    assert "须启用两步验证" in assert_status(client, "get", SETUP, 200).content.decode()


def test_a_required_user_cannot_turn_two_factor_off(world, as_user, settings):
    key, _codes = _enable(world.a_org_admin)
    settings.SKILLCERT_REQUIRE_2FA_ROLES = ["org_admin"]

    response = _verified(as_user, world.a_org_admin).post(SETUP, {"code": _code(key, 1)})

    assert response.status_code == 403


def test_turning_two_factor_off_needs_a_code_and_is_audited(world, as_user, audit_probe):
    key, _codes = _enable(world.a_viewer)
    client = _verified(as_user, world.a_viewer)
    probe = audit_probe()

    assert "未停用两步验证" in client.post(SETUP, {"code": "abcdefgh"}).content.decode()
    client2 = _verified(as_user, world.a_viewer)
    assert_status(client2, "post", SETUP, 302, {"code": _code(key, 1)})

    assert [e.event_type for e in probe.events()] == ["user.otp_disabled"]
    assert "设置两步验证" in client2.get(SETUP).content.decode()


# --- reset by an administrator -------------------------------------------------------------------
def _membership(world, user):
    from accounts.models import Membership

    return Membership.objects.get(organization=world.org_a, user=user)


def test_an_org_admin_resets_a_members_two_factor(world, as_user, audit_probe):
    _enable(world.a_viewer)
    url = reverse("accounts:member_two_factor_reset", args=[world.org_a.pk, _membership(world, world.a_viewer).pk])
    page = as_user(world.a_org_admin).get(world.org_a.get_absolute_url()).content.decode()
    assert url in page
    check_guards(
        as_user,
        method="post",
        url=url,
        outsiders=[world.b_org_admin],
        wrong_roles=[world.a_operator, world.bureau_auditor],
        wrong_method="get",
        user=world.a_org_admin,
    )
    probe = audit_probe()

    assert_status(as_user(world.a_org_admin), "post", url, 302)

    assert_one_event(probe, event_type="user.otp_reset", actor=world.a_org_admin, organization=world.org_a)
    assert _password_sign_in("a_viewer").get(reverse("home")).status_code == 200


def test_the_bureau_admin_resets_anyones_two_factor(world, as_user, audit_probe):
    _enable(world.bureau_auditor)
    probe = audit_probe()
    url = reverse("accounts:bureau_two_factor_reset")

    assert_status(_verified(as_user, world.bureau_auditor), "post", url, 403, {"username": "bureau_auditor"})
    assert_status(as_user(world.bureau_admin), "post", url, 302, {"username": "bureau_auditor"})

    assert_one_event(probe, event_type="user.otp_reset", actor=world.bureau_admin)


def test_a_reset_while_the_code_step_is_pending_lets_the_user_through(world, as_user):
    _enable(world.a_viewer)
    client = _password_sign_in("a_viewer")
    assert client.get(reverse("home"))["Location"] == VERIFY

    services.two_factor_reset(actor=world.bureau_admin, user=world.a_viewer)

    assert client.get(reverse("home")).status_code == 200


def test_django_otps_own_admin_pages_for_devices_are_not_registered():
    from django.contrib import admin
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)
