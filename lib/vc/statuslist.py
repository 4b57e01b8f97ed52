"""Bitstring Status List v1.0 (W3C REC 2025): a list of at least 131,072 one-bit entries, index 0
the most significant bit of the first byte, GZIP-compressed and written ``"u" + base64url``
without padding. ``mtime=0`` keeps an unchanged list byte for byte the same (stable caches)."""

from __future__ import annotations

import gzip

from lib.vc.multibase import multibase_b64url, multibase_b64url_decode

MIN_ENTRIES = 131_072


def empty(size: int = MIN_ENTRIES) -> bytearray:
    if size < MIN_ENTRIES or size % 8:
        raise ValueError(f"a status list holds at least {MIN_ENTRIES} entries, a multiple of 8")
    return bytearray(size // 8)


def set_bit(bits: bytearray, index: int, on: bool = True) -> None:
    mask = 0x80 >> (index & 7)
    if on:
        bits[index >> 3] |= mask
    else:
        bits[index >> 3] &= ~mask & 0xFF


def get_bit(bits: bytes, index: int) -> int:
    if not 0 <= index < len(bits) * 8:
        raise IndexError("status list index out of range")
    return (bits[index >> 3] >> (7 - (index & 7))) & 1


def encode(bits: bytes) -> str:
    return multibase_b64url(gzip.compress(bytes(bits), mtime=0))


def decode(encoded: str) -> bytes:
    bits = gzip.decompress(multibase_b64url_decode(encoded))
    if len(bits) * 8 < MIN_ENTRIES:
        raise ValueError("status list shorter than 131,072 entries")
    return bits
