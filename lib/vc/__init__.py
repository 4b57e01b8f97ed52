"""Verifiable credentials, pure parts: multibase and Multikey encodings, Data Integrity proofs
(eddsa-jcs-2022), and Bitstring Status Lists. No Django models; the issuing side is certify.credentials."""
