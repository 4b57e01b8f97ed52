"""Outbound webhooks, pure parts: Standard Webhooks signatures and the destination check that keeps
deliveries out of the server's own network (SSRF).

Signature (standard-webhooks spec): ``webhook-signature: v1,<base64 HMAC-SHA256(secret,
f"{id}.{timestamp}.{body}")>`` with headers ``webhook-id`` and ``webhook-timestamp``; secrets are
``whsec_`` + base64 of 32 random bytes. Destinations: https only, no user-info, no internal names;
every address the name resolves to must be public (IPv4-mapped, 6to4, Teredo and NAT64 forms
unwrapped first, multicast refused) unless an installation allows private targets. The check runs
at registration and again before every attempt; the caller connects to the vetted address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_INTERNAL_SUFFIXES = (".local", ".internal", ".localhost", ".localdomain", ".lan", ".home", ".corp")


class DestinationRefused(ValueError):
    """A webhook URL that may not be called; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def signature(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    if "." in message_id:
        raise ValueError("a message id may not contain '.'")
    signed = f"{message_id}.{int(timestamp)}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")


def headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature(secret, message_id=message_id, timestamp=timestamp, body=body),
        "content-type": "application/json",
    }


def verify(secret: str, *, message_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """What a receiver does: any ``v1,`` entry of the space-separated header matches."""
    expected = signature(secret, message_id=message_id, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, part) for part in header.split())


def _unwrap(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    if address.version == 6:
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address.teredo:
            return address.teredo[1]
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(text: str) -> bool:
    address = _unwrap(ipaddress.ip_address(text))
    internal = (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )
    return address.is_global and not internal


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted address to connect to (TLS still checks ``host``)


def check_destination(url: str, *, allow_private: bool = False, resolve=socket.getaddrinfo) -> Destination:
    """Refuse a URL that is not https, names an internal host, or resolves to any non-public
    address (a name that answers with one public and one private address is refused: DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise DestinationRefused("回调地址须以 https:// 开头")
    if parts.username or parts.password:
        raise DestinationRefused("回调地址中不能包含用户名或密码")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise DestinationRefused("回调地址缺少主机名")
    internal_name = host == "localhost" or host.endswith(_INTERNAL_SUFFIXES) or "." not in host
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    if internal_name and not literal and not allow_private:
        raise DestinationRefused("回调地址须是公网上可访问的域名")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        answers = {info[4][0] for info in resolve(host, port, type=socket.SOCK_STREAM)}
    except OSError as exc:
        raise DestinationRefused("回调地址的域名无法解析，请核对") from exc
    if not answers:
        raise DestinationRefused("回调地址的域名无法解析，请核对")
    if not allow_private and not all(is_public(a) for a in answers):
        raise DestinationRefused("回调地址指向内部网络地址，不允许使用")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Destination(scheme=parts.scheme, host=host, port=port, path=path, address=sorted(answers)[0])
