"""SM2 with SM3 (GB/T 32918): the standard's published example on the recommended curve
(GB/T 32918.5 / GM/T 0003.5 Annex A), a verifier written from the standard (not from GmSSL),
round trips and refusals."""

from __future__ import annotations

from lib import sm2

D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
PUBLIC = bytes.fromhex(
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
MESSAGE = b"message digest"
Z = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"
K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA


# --- the standard's arithmetic, written out (affine, not constant time: for tests only) -----------
def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % sm2.P == 0:
        return None
    if p1 == p2:
        slope = (3 * p1[0] * p1[0] + sm2.A) * pow(2 * p1[1], -1, sm2.P)
    else:
        slope = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, sm2.P)
    slope %= sm2.P
    x = (slope * slope - p1[0] - p2[0]) % sm2.P
    return x, (slope * (p1[0] - x) - p1[1]) % sm2.P


def _mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _point(public: bytes):
    return int.from_bytes(public[:32], "big"), int.from_bytes(public[32:], "big")


def reference_sign(d: int, message: bytes, k: int) -> tuple[int, int]:
    x, y = _mul(d, (sm2.GX, sm2.GY))
    e = int.from_bytes(sm2.digest(x.to_bytes(32, "big") + y.to_bytes(32, "big"), message), "big")
    r = (e + _mul(k, (sm2.GX, sm2.GY))[0]) % sm2.N
    s = pow(1 + d, -1, sm2.N) * (k - r * d) % sm2.N
    return r, s


def reference_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (1 <= r < sm2.N and 1 <= s < sm2.N) or (r + s) % sm2.N == 0:
        return False
    e = int.from_bytes(sm2.digest(public, message), "big")
    return (e + _add(_mul(s, (sm2.GX, sm2.GY)), _mul((r + s) % sm2.N, _point(public)))[0]) % sm2.N == r


def raw(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def test_the_published_example_z_e_and_signature():
    assert sm2.z_value(PUBLIC).hex().upper() == Z
    assert sm2.digest(PUBLIC, MESSAGE).hex().upper() == E
    assert _mul(D, (sm2.GX, sm2.GY)) == _point(PUBLIC)
    assert reference_sign(D, MESSAGE, K) == (R, S)
    assert sm2.verify(PUBLIC, MESSAGE, raw(R, S))  # GmSSL accepts the standard's signature


def test_signatures_cross_verify_between_gmssl_and_the_reference():
    private, public = sm2.generate()
    signature = sm2.sign(private, public, "证书载荷".encode())
    mine = raw(*reference_sign(int.from_bytes(private, "big"), b"payload", 0x1234567))

    assert reference_verify(public, "证书载荷".encode(), signature)
    assert sm2.verify(public, b"payload", mine)


def test_a_changed_message_a_changed_key_and_malformed_signatures_are_refused():
    private, public = sm2.generate()
    _other_private, other_public = sm2.generate()
    signature = sm2.sign(private, public, b"payload")

    assert sm2.verify(public, b"payload", signature)
    assert not sm2.verify(public, b"payloaD", signature)
    assert not sm2.verify(other_public, b"payload", signature)
    assert not sm2.verify(public, b"payload", bytes(64))
    assert not sm2.verify(public, b"payload", raw(sm2.N, 1))
    assert not sm2.verify(public, b"payload", signature[:63])
    assert not sm2.verify(b"\x00" * 64, b"payload", signature)


def test_der_and_raw_signatures_convert_both_ways():
    signature = raw(R, S)

    assert sm2.der_to_raw(sm2.raw_to_der(signature)) == signature
    assert sm2.der_to_raw(sm2.raw_to_der(raw(1, 2))) == raw(1, 2)
