"""Multibase (base58-btc ``z``, base64url ``u``) and Multikey encodings of public keys.

W3C Controlled Identifiers 1.0 (Multikey) and vc-di-eddsa §2.1.1: an Ed25519 public key is
``"z" + base58btc(0xed 0x01 ‖ 32-byte key)``; an SM2 key ``"z" + base58btc(0x86 0x24 ‖ 33-byte
compressed point)``.
"""

from __future__ import annotations

import base64

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: i for i, char in enumerate(B58_ALPHABET)}
ED25519_PUB = b"\xed\x01"
SM2_PUB = b"\x86\x24"


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(B58_ALPHABET[rest])
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise ValueError("not base58-btc text")
        number = number * 58 + _B58_INDEX[char]
    leading = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading + body


def multibase_b58(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_b58_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("not a base58-btc multibase value")
    return b58decode(text[1:])


def multibase_b64url(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def multibase_b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("u"):
        raise ValueError("not a base64url multibase value")
    body = text[1:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def ed25519_multikey(raw_public_key: bytes) -> str:
    if len(raw_public_key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return multibase_b58(ED25519_PUB + raw_public_key)


def ed25519_from_multikey(text: str) -> bytes:
    data = multibase_b58_decode(text)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return data[2:]
