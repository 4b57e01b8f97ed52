"""Issue 9, findings 6 and 8: sign-in throttling.

The key is the normalised username (NFKC, stripped, case-folded, as the sign-in form reads it);
lock-outs are per (username, address) plus a coarser per-address limit; only failures count; the
counts live in the database every process shares; the admin's login goes through the same gate.
"""

import importlib

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


def _login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


# --- finding 6 ------------------------------------------------------------------------------------
def test_login_throttle_key_is_normalised_so_spelling_variants_share_one_count(world):
    client = Client(REMOTE_ADDR="198.51.100.20")
    # each spelling signs in to the same account (the form applies NFKC and strips), so each must
    # count against the same limit
    variants = ["a_viewer ", " a_viewer", "ａ＿ｖｉｅｗｅｒ", "A_VIEWER", "a_viewer\t", "Ａ_Viewer"]
    for variant in variants * 2:
        _login(client, variant, "wrong")

    response = _login(client, "a_viewer", PASSWORD)

    assert response.status_code == 429
    assert "登录尝试次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_full_width_username_signs_in_to_the_same_account_and_the_same_count(world):
    client = Client(REMOTE_ADDR="198.51.100.21")
    assert _login(client, "ａ_ｖｉｅｗｅｒ", PASSWORD).status_code == 302  # Django's UsernameField: NFKC
    assert int(client.session["_auth_user_id"]) == world.a_viewer.pk

    other = Client(REMOTE_ADDR="198.51.100.21")
    for _ in range(5):
        _login(other, "ａ_ｖｉｅｗｅｒ", "wrong")
    assert _login(other, "a_viewer", PASSWORD).status_code == 429


def test_a_stranger_elsewhere_cannot_lock_a_known_user_out(world):
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(20):
        _login(stranger, "a_viewer", "wrong")
    assert _login(stranger, "a_viewer", PASSWORD).status_code == 429  # the stranger's pair is locked

    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = _login(owner, "a_viewer", PASSWORD)

    assert response.status_code == 302
    assert int(owner.session["_auth_user_id"]) == world.a_viewer.pk


def test_login_throttle_counts_failures_only(world):
    for _ in range(12):
        assert _login(Client(REMOTE_ADDR="198.51.100.8"), "a_viewer", PASSWORD).status_code == 302

    assert _login(Client(REMOTE_ADDR="198.51.100.8"), "a_viewer", PASSWORD).status_code == 302


def test_login_failures_live_in_storage_every_process_shares(world):
    client = Client(REMOTE_ADDR="198.51.100.9")
    for _ in range(10):
        _login(client, "a_viewer", "wrong")
    # Another worker process has its own memory (or this one restarted): nothing kept there counts.
    cache.clear()

    assert _login(client, "a_viewer", PASSWORD).status_code == 429


def test_a_successful_sign_in_clears_the_failures_of_its_own_pair(world):
    client = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(4):
        _login(client, "a_viewer", "wrong")
    assert _login(client, "a_viewer", PASSWORD).status_code == 302

    again = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(4):
        _login(again, "a_viewer", "wrong")
    assert _login(again, "a_viewer", PASSWORD).status_code == 302


def test_one_address_cannot_walk_through_many_usernames(world, settings):
    client = Client(REMOTE_ADDR="203.0.113.80")
    for i in range(settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT):
        _login(client, f"guess{i}", "wrong")

    assert _login(client, "a_viewer", PASSWORD).status_code == 429
    assert _login(Client(REMOTE_ADDR="203.0.113.81"), "a_viewer", PASSWORD).status_code == 302


def test_failures_and_the_start_of_a_lock_out_are_audited_once(world, audit_probe):
    probe = audit_probe()
    client = Client(REMOTE_ADDR="198.51.100.11")
    for _ in range(7):
        _login(client, "A_Viewer ", "wrong")

    kinds = [e.event_type for e in probe.events(include_auth=True)]
    assert kinds.count("auth.login_failed") == 7
    assert kinds.count("auth.locked_out") == 1
    locked = next(e for e in probe.events(include_auth=True) if e.event_type == "auth.locked_out")
    assert locked.data == {"username": "a_viewer", "scope": "username_and_address", "minutes": 15}
    assert locked.ip == "198.51.100.11"


# --- finding 8 ------------------------------------------------------------------------------------
@pytest.fixture
def root(db):
    from accounts.models import User

    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


def test_admin_login_is_throttled_like_the_site_login(root):
    client = Client(REMOTE_ADDR="198.51.100.12")
    statuses = [client.post("/admin/login/", {"username": "root", "password": "wrong"}).status_code for _ in range(5)]
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    assert statuses[:4] == [200] * 4 and statuses[4] == 429
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _reload_urls():
    import config.urls

    clear_url_caches()
    importlib.reload(config.urls)


def test_the_admin_is_not_routed_unless_the_installation_enables_it(root):
    try:
        with override_settings(SKILLCERT_ADMIN_ENABLED=False):
            _reload_urls()
            assert Client().get("/admin/login/").status_code == 404
            with pytest.raises(NoReverseMatch):
                reverse("admin:index")
    finally:
        _reload_urls()
    assert Client().get("/admin/login/").status_code == 200


# --- issue 11: "the login limit counts successful logins too" -----------------------------------
def test_many_successful_sign_ins_in_a_row_never_lock_or_throttle(world, settings):
    """A clerk signs in and out all day from the office's one address: far more sign-ins than
    either limit, none of them counted."""
    settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT = 8  # a small office limit, to reach it quickly
    client = Client(REMOTE_ADDR="198.51.100.30")
    rounds = settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT + settings.AXES_FAILURE_LIMIT + 5
    for _ in range(rounds):
        response = _login(client, "a_viewer", PASSWORD)
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == world.a_viewer.pk
        client.post("/logout/")

    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(ip_address="198.51.100.30").exists()
    # and the full limit of failures is still there to use: four typos do not lock
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "a_viewer", "wrong").status_code == 200
    assert _login(client, "a_viewer", PASSWORD).status_code == 302


def test_typos_followed_by_a_success_never_add_up_to_a_lock_out(world, settings):
    """Each success wipes its own pair's failures, so an office's users who each mistype a few
    times a day, then sign in, never reach the per-user or the per-address limit."""
    settings.SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT = 8  # below the sum of everyone's typos
    client = Client(REMOTE_ADDR="198.51.100.31")
    users = ["a_viewer", "a_operator", "a_org_admin", "b_operator", "b_org_admin"]
    for _round in range(3):
        for username in users:
            for _ in range(settings.AXES_FAILURE_LIMIT - 1):
                _login(client, username, "wrong")
            assert _login(client, username, PASSWORD).status_code == 302, username
            client.post("/logout/")
