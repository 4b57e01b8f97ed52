"""Issue 9, finding 11: a new password must differ from the old one, and guessing the old
password on the change form is throttled like signing in."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/account/password/"


def _change(client, old, new):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.fixture
def newcomer(world, as_user):
    """A member given an initial password by the admin: the forced change comes first."""
    data = {"username": "new_clerk", "full_name": "新同事", "role": Role.OPERATOR, "password": "Xq7!kdPz2"}
    as_user(world.a_org_admin).post(reverse("accounts:member_add", args=[world.org_a.pk]), data)
    from accounts.models import User

    return User.objects.get(username="new_clerk")


def test_the_forced_password_change_refuses_the_same_password(newcomer, as_user):
    client = as_user(newcomer)
    assert client.get(reverse("home"))["Location"] == URL

    response = _change(client, "Xq7!kdPz2", "Xq7!kdPz2")

    assert response.status_code == 200
    assert "新密码不能与原密码相同" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.must_change_password
    assert client.get(reverse("home"))["Location"] == URL


def test_a_different_new_password_ends_the_forced_change(newcomer, as_user):
    client = as_user(newcomer)
    assert _change(client, "Xq7!kdPz2", "Nw9#plokm").status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_old_password_check_is_throttled(world, as_user, settings):
    client = as_user(world.a_viewer)
    for _ in range(settings.SKILLCERT_LOGIN_FAILURE_LIMIT):
        assert "原密码不正确" in _change(client, "guess-guess", "Nw9#plokm").content.decode()

    response = _change(client, PASSWORD, "Nw9#plokm")

    assert "原密码输错次数过多" in response.content.decode()
    world.a_viewer.refresh_from_db()
    assert world.a_viewer.check_password(PASSWORD)
