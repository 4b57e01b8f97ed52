"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C vc-di-eddsa, REC 2025).

hashData = SHA-256(JCS(proof configuration)) ‖ SHA-256(JCS(document)); the proof value is the
Ed25519 signature of hashData, ``"z" + base58btc``. JCS is RFC 8785 (package ``rfc8785``). The
signing itself is passed in (``sign(bytes) -> bytes``), so the key stays in its key ring.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lib.vc.multibase import b58decode, b58encode

CRYPTOSUITE = "eddsa-jcs-2022"


class ProofError(ValueError):
    """A proof that cannot be made or checked; the message says which rule failed."""


def proof_options(*, verification_method: str, created: str, context: list | None = None) -> dict:
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    if context is not None:
        options["@context"] = list(context)
    return options


def hash_data(document: dict, proof_config: dict) -> bytes:
    """The 64 bytes that are signed: config hash first, then document hash."""
    if proof_config.get("type") != "DataIntegrityProof" or proof_config.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("proof type or cryptosuite is not DataIntegrityProof / eddsa-jcs-2022")
    config_hash = hashlib.sha256(rfc8785.dumps(proof_config)).digest()
    document_hash = hashlib.sha256(rfc8785.dumps(document)).digest()
    return config_hash + document_hash


def add_proof(document: dict, *, sign: Callable[[bytes], bytes], verification_method: str, created: str) -> dict:
    """A copy of ``document`` with its proof (``proof`` as a one-element list, as Open Badges 3.0's
    schema asks)."""
    unsecured = {k: v for k, v in copy.deepcopy(document).items() if k != "proof"}
    proof = proof_options(verification_method=verification_method, created=created, context=unsecured.get("@context"))
    signature = sign(hash_data(unsecured, proof))
    if len(signature) != 64:
        raise ProofError("an Ed25519 signature has 64 bytes")
    proof["proofValue"] = "z" + b58encode(signature)
    return {**unsecured, "proof": [proof]}


def verify_proof(secured: dict, *, public_key: Callable[[str], bytes | None]) -> bool:
    """Does every proof of ``secured`` verify? ``public_key(verificationMethod)`` returns the raw
    Ed25519 key that method names, or None (an unknown or unauthorised method)."""
    proofs = secured.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    if not proofs or any(not isinstance(p, dict) for p in proofs):
        return False
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    return all(_verify_one(unsecured, proof, public_key) for proof in proofs)


def _verify_one(unsecured: dict, proof: dict, public_key) -> bool:
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or options.get("proofPurpose") != "assertionMethod":
        return False
    document = dict(unsecured)
    context = options.get("@context")
    if context is not None:
        have = document.get("@context") or []
        if list(have[: len(context)]) != list(context):
            return False
        document["@context"] = context
    key = public_key(options.get("verificationMethod", ""))
    if key is None:
        return False
    try:
        signature = b58decode(value[1:])
        Ed25519PublicKey.from_public_bytes(key).verify(signature, hash_data(document, options))
    except (InvalidSignature, ProofError, ValueError):
        return False
    return True
