"""Webhook signatures (Standard Webhooks) and the SSRF destination check."""

from __future__ import annotations

import pytest

from lib import webhooks


def fake_resolver(*addresses):
    def resolve(host, port, type=None):
        return [(None, None, None, "", (a, port)) for a in addresses]

    return resolve


def test_the_signature_follows_standard_webhooks_and_a_receiver_verifies_it():
    secret = webhooks.new_secret()
    body = b'{"type":"certificate.revoked"}'
    sent = webhooks.headers(secret, message_id="msg_1", timestamp=1_800_000_000, body=body)

    assert sent["webhook-signature"].startswith("v1,")
    assert webhooks.verify(
        secret, message_id="msg_1", timestamp=1_800_000_000, body=body, header=sent["webhook-signature"]
    )
    assert not webhooks.verify(
        secret, message_id="msg_1", timestamp=1_800_000_001, body=body, header=sent["webhook-signature"]
    )
    assert not webhooks.verify(
        secret, message_id="msg_1", timestamp=1_800_000_000, body=body + b" ", header=sent["webhook-signature"]
    )


def test_the_standard_webhooks_published_example_verifies():
    # standard-webhooks spec example: secret, id, timestamp, payload → signature
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    header = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert webhooks.verify(
        secret, message_id="msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp=1614265330, body=body, header=header
    )


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",  # noqa: S104
     "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "ff02::1"],
)  # fmt: skip
def test_internal_addresses_are_refused_in_every_disguise(address):
    with pytest.raises(webhooks.DestinationRefused):
        webhooks.check_destination("https://hooks.example.com/in", resolve=fake_resolver(address))


def test_a_name_answering_with_one_public_and_one_private_address_is_refused():
    with pytest.raises(webhooks.DestinationRefused):
        webhooks.check_destination("https://hooks.example.com/in", resolve=fake_resolver("8.8.8.8", "10.0.0.1"))


def test_a_public_https_destination_is_accepted_and_pinned_to_its_address():
    destination = webhooks.check_destination("https://hooks.example.com/in?x=1", resolve=fake_resolver("8.8.8.8"))

    assert (destination.host, destination.port, destination.path, destination.address) == (
        "hooks.example.com", 443, "/in?x=1", "8.8.8.8",
    )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/", "https://user:pw@hooks.example.com/", "https://localhost/", "https://svc.internal/"],
)
def test_plain_http_credentials_and_internal_names_are_refused(url):
    with pytest.raises(webhooks.DestinationRefused):
        webhooks.check_destination(url, resolve=fake_resolver("8.8.8.8"))


def test_an_installation_may_allow_private_targets():
    destination = webhooks.check_destination(
        "http://127.0.0.1:8099/hook", allow_private=True, resolve=fake_resolver("127.0.0.1")
    )
    assert destination.address == "127.0.0.1"
