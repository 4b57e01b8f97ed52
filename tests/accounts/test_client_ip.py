"""Issue 9, finding 7: behind proxies, the client address is the entry the trusted proxy appended,
counted from the right of X-Forwarded-For; what the client wrote further left is never read."""

import pytest
from django.test import Client

from audit.middleware import client_ip
from tests.factories import PASSWORD


def _request(rf, forwarded=None, peer="10.0.0.1"):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_client_ip_takes_the_entry_the_trusted_proxy_appended_not_the_clients_leftmost(rf, settings):
    settings.USE_X_FORWARDED_FOR = True  # the old switch, which trusted the leftmost entry
    settings.SKILLCERT_TRUSTED_PROXIES = 1

    assert client_ip(_request(rf, "6.6.6.6, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(_request(rf, "203.0.113.7")) == "203.0.113.7"


def test_client_ip_counts_as_many_hops_from_the_right_as_there_are_trusted_proxies(rf, settings):
    settings.SKILLCERT_TRUSTED_PROXIES = 2

    assert client_ip(_request(rf, "6.6.6.6, 198.51.100.2, 10.1.1.1")) == "198.51.100.2"
    assert client_ip(_request(rf, "2001:db8::1, 10.1.1.1")) == "2001:db8::1"


@pytest.mark.parametrize(
    ("hops", "forwarded"),
    [
        (0, "6.6.6.6"),  # no trusted proxy: the header is the client's own words
        (2, "203.0.113.7"),  # shorter than the proxy chain: it did not come through every proxy
        (1, "6.6.6.6, not-an-address"),
        (1, ""),
    ],
)
def test_client_ip_falls_back_to_the_peer_when_the_header_cannot_be_trusted(rf, settings, hops, forwarded):
    settings.SKILLCERT_TRUSTED_PROXIES = hops

    assert client_ip(_request(rf, forwarded)) == "10.0.0.1"


@pytest.mark.django_db
def test_forged_forwarded_entries_neither_dodge_the_lock_out_nor_forge_the_audit_address(world, settings, audit_probe):
    settings.SKILLCERT_TRUSTED_PROXIES = 1
    probe = audit_probe()
    client = Client(REMOTE_ADDR="10.0.0.1")  # the proxy
    for i in range(5):
        client.post(
            "/login/",
            {"username": "a_viewer", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.18.0.{i}, 203.0.113.7",
        )

    response = client.post(
        "/login/",
        {"username": "a_viewer", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.18.0.99, 203.0.113.7",
    )

    assert response.status_code == 429
    assert {e.ip for e in probe.events(include_auth=True)} == {"203.0.113.7"}
