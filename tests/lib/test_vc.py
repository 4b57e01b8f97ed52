"""eddsa-jcs-2022, Multikey and Bitstring Status List against the W3C specifications' own vectors
(w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022, w3c/vc-bitstring-status-list's example)."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lib.vc import integrity, multibase, statuslist

KEY_PAIR = {
    "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "privateKeyMultibase": "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
}
CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
UNSIGNED = {
    "@context": CONTEXT,
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
METHOD = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
CREATED = "2023-02-24T23:36:38Z"
PROOF_HASH = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
DOC_HASH = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19"
SIGNATURE = "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"


def private_key() -> Ed25519PrivateKey:
    decoded = multibase.multibase_b58_decode(KEY_PAIR["privateKeyMultibase"])
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def public_key(method: str) -> bytes | None:
    return multibase.ed25519_from_multikey(KEY_PAIR["publicKeyMultibase"]) if method == METHOD else None


def test_the_official_eddsa_jcs_2022_vector_reproduces_byte_for_byte():
    config = integrity.proof_options(verification_method=METHOD, created=CREATED, context=CONTEXT)

    data = integrity.hash_data(UNSIGNED, config)
    signed = integrity.add_proof(UNSIGNED, sign=private_key().sign, verification_method=METHOD, created=CREATED)

    assert data.hex() == PROOF_HASH + DOC_HASH
    assert signed["proof"][0]["proofValue"] == SIGNATURE
    assert integrity.verify_proof(signed, public_key=public_key)


def test_a_changed_field_an_unknown_method_or_a_foreign_context_fails_verification():
    signed = integrity.add_proof(UNSIGNED, sign=private_key().sign, verification_method=METHOD, created=CREATED)
    changed = copy.deepcopy(signed)
    changed["name"] = "Forged Credential"
    unknown = copy.deepcopy(signed)
    unknown["proof"][0]["verificationMethod"] = "did:web:evil.example#key"
    context = copy.deepcopy(signed)
    context["@context"] = context["@context"][::-1]

    assert not integrity.verify_proof(changed, public_key=public_key)
    assert not integrity.verify_proof(unknown, public_key=public_key)
    assert not integrity.verify_proof(context, public_key=public_key)


def test_the_multikey_of_the_vector_key_pair_round_trips():
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    assert multibase.ed25519_multikey(raw) == KEY_PAIR["publicKeyMultibase"]
    with pytest.raises(ValueError):
        multibase.ed25519_from_multikey(multibase.multibase_b58(b"\x86\x24" + raw + b"\x02"))


def test_the_specification_example_list_decodes_to_131072_clear_bits():
    bits = statuslist.decode("uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA")

    assert len(bits) * 8 == 131_072 and not any(bits)


def test_index_zero_is_the_leftmost_bit_and_an_unchanged_list_encodes_identically():
    bits = statuslist.empty()
    statuslist.set_bit(bits, 0)
    statuslist.set_bit(bits, 91234)

    assert bits[0] == 0x80
    again = statuslist.decode(statuslist.encode(bits))
    assert statuslist.get_bit(again, 0) == 1 and statuslist.get_bit(again, 91234) == 1
    assert statuslist.get_bit(again, 1) == 0
    assert statuslist.encode(bits) == statuslist.encode(bytearray(bits))
    statuslist.set_bit(bits, 91234, on=False)
    assert statuslist.get_bit(bits, 91234) == 0
    with pytest.raises(ValueError):
        statuslist.empty(1024)
