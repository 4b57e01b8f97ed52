"""SM2 signatures with SM3 (GB/T 32918, the commercial-cryptography suite), beside Ed25519.

The curve is sm2p256v1 and the signer ID the default ``1234567812345678`` (GM/T 0009); the
digest signed is ``e = SM3(Z_A ‖ M)`` with ``Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)``,
computed here once per key. The elliptic-curve arithmetic is GmSSL 3.2 through ``gmssl-pyx``
(a wheel: no system library, no network). Signatures travel as raw ``r ‖ s`` (64 bytes, 86
base64url characters — the QR's signature field keeps its length); public keys as 64-byte
``x ‖ y`` (``04 ‖ x ‖ y`` where a standard format asks for it).
"""

from __future__ import annotations

import functools

import gmssl_pyx
from cryptography.hazmat.primitives import hashes

DEFAULT_ID = b"1234567812345678"
ALG = "SM2-SM3"
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = P - 3
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


@functools.lru_cache(maxsize=64)
def z_value(public_key: bytes, signer_id: bytes = DEFAULT_ID) -> bytes:
    """Z_A of a 64-byte ``x ‖ y`` public key."""
    if len(public_key) != 64:
        raise ValueError("an SM2 public key here is 64 bytes x ‖ y")
    entl = (len(signer_id) * 8).to_bytes(2, "big")
    return sm3(entl + signer_id + _b32(A) + _b32(B) + _b32(GX) + _b32(GY) + public_key)


def digest(public_key: bytes, message: bytes, signer_id: bytes = DEFAULT_ID) -> bytes:
    return sm3(z_value(public_key, signer_id) + message)


def generate() -> tuple[bytes, bytes]:
    """(private 32-byte d, public 64-byte x ‖ y)."""
    public, private = gmssl_pyx.sm2_key_generate()
    return private, public


def sign(private_key: bytes, public_key: bytes, message: bytes) -> bytes:
    """Raw ``r ‖ s`` (64 bytes). SM2 signatures are randomised: store them, never regenerate."""
    der = gmssl_pyx.sm2_sign_sm3_digest(private_key, digest(public_key, message))
    return der_to_raw(der)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid signature; any malformed input is False."""
    try:
        if len(signature) != 64 or len(public_key) != 64:
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (1 <= r < N and 1 <= s < N):
            return False
        return bool(gmssl_pyx.sm2_verify_sm3_digest(public_key, digest(public_key, message), raw_to_der(signature)))
    except (ValueError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError):
        return False


# --- DER SEQUENCE { INTEGER r, INTEGER s } ↔ raw r ‖ s --------------------------------------------
def _der_int(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + bytes([len(body)]) + body


def raw_to_der(signature: bytes) -> bytes:
    body = _der_int(int.from_bytes(signature[:32], "big")) + _der_int(int.from_bytes(signature[32:], "big"))
    return b"\x30" + bytes([len(body)]) + body


def der_to_raw(der: bytes) -> bytes:
    if len(der) < 8 or der[0] != 0x30 or der[1] != len(der) - 2:
        raise ValueError("not a DER SM2 signature")
    values, position = [], 2
    for _ in range(2):
        if der[position] != 0x02:
            raise ValueError("not a DER SM2 signature")
        length = der[position + 1]
        values.append(int.from_bytes(der[position + 2 : position + 2 + length], "big"))
        position += 2 + length
    if position != len(der):
        raise ValueError("not a DER SM2 signature")
    return _b32(values[0]) + _b32(values[1])
