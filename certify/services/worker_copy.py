"""The holder's own copy of their certificate PDF, behind the 查验码 printed on the paper and the full
name. Every attempt is audited with its outcome only; wrong answers lock that certificate's copy,
each time for longer, so the 80-bit code cannot be walked."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction

from audit.actors import system_actor
from audit.events import EventType
from audit.services import audit_append
from certify.models import Certificate
from certify.services.payload import check_code_of
from certify.services.verification import same_text
from lib.checkcode import normalise_check_code


def pdf_available(certificate: Certificate) -> bool:
    return (
        certificate.pdf_status == Certificate.PdfStatus.DONE
        and bool(certificate.pdf.name)
        and default_storage.exists(certificate.pdf.name)
    )


def copy_supported(certificate: Certificate) -> bool:
    """The holder's self-service copy needs the 查验码 printed on a version-2 certificate."""
    return bool(certificate.check_code_token)


def certificate_worker_copy(*, certificate: Certificate, check_code: str, name: str) -> CopyAnswer:
    """Do the 查验码 and the full name typed match the paper? Every attempt is audited with its
    outcome only (never what was typed). Failures are counted per certificate in the shared
    cache; after each run of failures the certificate's copy is locked, each time for longer, so
    the 80-bit code cannot be walked. Nobody is signed in, so the named system actor "public"
    stands in; the audit log records the client's IP from the request context."""
    locked_for = copy_lock_remaining(certificate.number)
    if locked_for:
        ok, outcome = False, "locked"
    else:
        code = normalise_check_code(check_code)
        expected_code = check_code_of(certificate)
        typed_name = unicodedata.normalize("NFC", name or "").strip()
        same_code = bool(code and expected_code) and same_text(code, expected_code)
        same_name = same_text(unicodedata.normalize("NFC", certificate.holder_name).strip(), typed_name)
        ok = same_code and same_name
        outcome = "ok" if ok else "mismatch"
        locked_for = 0 if ok else copy_failure(certificate.number)
    with transaction.atomic():
        audit_append(
            actor=system_actor("public"),
            event_type=EventType.CERTIFICATE_WORKER_COPY,
            target=certificate,
            organization=certificate.organization,
            data={"ok": ok, "outcome": outcome},
        )
    return CopyAnswer(ok=ok, locked_seconds=locked_for)


@dataclass(frozen=True)
class CopyAnswer:
    ok: bool
    locked_seconds: int = 0  # > 0: this certificate's copy is locked for that long


def _copy_key(number: str, what: str) -> str:
    return f"copy-lock:{what}:{hashlib.sha256(number.encode()).hexdigest()[:32]}"


def copy_lock_remaining(number: str) -> int:
    """Seconds this certificate's copy stays locked after too many wrong answers (0: open)."""
    until = cache.get(_copy_key(number, "until"))
    return max(0, int(until - time.time())) if until else 0


def copy_failure(number: str) -> int:
    """Count one wrong answer; returns the lock now in force in seconds (0 if none).

    Every ``COPY_FAILURES_PER_LOCK`` failures lock the copy, the first time for
    ``COPY_LOCK_SECONDS``, then twice as long each time, up to ``COPY_LOCK_MAX_SECONDS``; the
    count is forgotten after a day without failures.
    """
    conf = copy_limits()
    key = _copy_key(number, "failures")
    cache.add(key, 0, timeout=conf.memory_seconds)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=conf.memory_seconds)
        failures = 1
    cache.touch(key, conf.memory_seconds)
    if failures % conf.failures_per_lock:
        return 0
    rounds = failures // conf.failures_per_lock
    seconds = min(conf.lock_seconds * 2 ** (rounds - 1), conf.lock_max_seconds)
    cache.set(_copy_key(number, "until"), time.time() + seconds, timeout=seconds + 5)
    return seconds


@dataclass(frozen=True)
class CopyLimits:
    failures_per_lock: int
    lock_seconds: int
    lock_max_seconds: int
    memory_seconds: int


def copy_limits() -> CopyLimits:
    return CopyLimits(
        failures_per_lock=settings.SKILLCERT_COPY_FAILURES_PER_LOCK,
        lock_seconds=settings.SKILLCERT_COPY_LOCK_SECONDS,
        lock_max_seconds=settings.SKILLCERT_COPY_LOCK_MAX_SECONDS,
        memory_seconds=max(86_400, settings.SKILLCERT_COPY_LOCK_MAX_SECONDS * 2),
    )
