"""Key rotation for personal data: every encrypted value under the active key, every lookup hash
under the current HMAC key, in short batches while the app runs.

Safe to stop and run again: a row already under the active key with a current hash is skipped
without a write, so a second run picks up where the first stopped (``after`` skips ahead too).
Each batch is one transaction: its rows' history and one audit event, by the system actor
``system:pii_rotate``. Lookups meanwhile try the current and the previous HMAC key
(``pii.lookup_hashes``), so registrations and searches keep finding people mid-rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from audit.actors import system_actor
from audit.events import EventType
from audit.history import bulk_update_audited
from audit.services import audit_append
from certify.models import Certificate, Person
from certify.services.payload import CHECK_CODE_PURPOSE
from lib import pii


@dataclass
class RotationReport:
    people_seen: int = 0
    people_changed: int = 0
    certificates_seen: int = 0
    certificates_changed: int = 0
    last_person: int = 0
    last_certificate: int = 0


def _batches(queryset, *, after: int, size: int) -> Iterator[list]:
    """Keyset batches by primary key: each query starts where the last one ended."""
    last = after
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _needs(token: str, *, purpose: str) -> tuple[str, bool]:
    """(plaintext, whether the token must be re-encrypted under the active key)."""
    return pii.decrypt(token, purpose=purpose), pii.token_kid(token) != pii.active_kid()


def _rotate_person(person: Person) -> bool:
    number, stale = _needs(person.id_number_token, purpose="id_number")
    digest = pii.lookup_hash(id_type=person.id_type, number=number)
    if not stale and person.id_number_hash == digest:
        return False
    if stale:
        person.id_number_token = pii.encrypt(number, purpose="id_number")
    person.id_number_hash = digest
    return True


def _rotate_certificate(certificate: Certificate) -> bool:
    code, stale = _needs(certificate.check_code_token, purpose=CHECK_CODE_PURPOSE)
    if stale:
        certificate.check_code_token = pii.encrypt(code, purpose=CHECK_CODE_PURPOSE)
    return stale


@transaction.atomic
def _write(model, rows: list, fields: list[str], *, actor, what: str) -> None:
    reason = _("个人信息密钥轮换")
    bulk_update_audited(model, rows, fields, actor=actor, reason=reason)
    audit_append(
        actor=actor,
        event_type=EventType.PII_REENCRYPTED,
        target=rows[0],
        data={"what": what, "rows": len(rows), "first": rows[0].pk, "last": rows[-1].pk, "kid": pii.active_kid()},
        reason=reason,
    )


def pii_rotate(
    *,
    batch_size: int = 500,
    after_person: int = 0,
    after_certificate: int = 0,
    dry_run: bool = False,
    progress: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt and re-hash everything that is not yet under the current keys."""
    actor = system_actor("pii_rotate")
    report = RotationReport(last_person=after_person, last_certificate=after_certificate)
    for rows in _batches(Person.objects.all(), after=after_person, size=batch_size):
        changed = [p for p in rows if _rotate_person(p)]
        if changed and not dry_run:
            _write(Person, changed, ["id_number_token", "id_number_hash"], actor=actor, what="person")
        report.people_seen += len(rows)
        report.people_changed += len(changed)
        report.last_person = rows[-1].pk
        if progress:
            progress(report)
    coded = Certificate.objects.exclude(check_code_token="")
    for rows in _batches(coded, after=after_certificate, size=batch_size):
        changed = [c for c in rows if _rotate_certificate(c)]
        if changed and not dry_run:
            _write(Certificate, changed, ["check_code_token"], actor=actor, what="certificate")
        report.certificates_seen += len(rows)
        report.certificates_changed += len(changed)
        report.last_certificate = rows[-1].pk
        if progress:
            progress(report)
    return report
