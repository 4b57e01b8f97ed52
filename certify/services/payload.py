"""What a certificate says and how it is sealed: the holder's ID number and 查验码 (decrypted only
here), the canonical payload of the printed fields, its signature and the QR link."""

from __future__ import annotations

from django.conf import settings

from certify.keys import certificate_keyring
from certify.models import Certificate, Person
from lib import pii
from lib.checkcode import new_check_code
from lib.payload import PAYLOAD_VERSION, certificate_payload

EMPTY_WORK_TYPE = "--"
CHECK_CODE_PURPOSE = "check_code"


def id_number_of(person: Person) -> str:
    return pii.decrypt(person.id_number_token)


def check_code_of(certificate: Certificate) -> str:
    """The 查验码 in canonical form ("" for a version-1 certificate). Personal to the paper: never
    shown on a page, in JSON or in a log."""
    if not certificate.check_code_token:
        return ""
    return pii.decrypt(certificate.check_code_token, purpose=CHECK_CODE_PURPOSE)


def payload_of(certificate: Certificate, *, version: int = PAYLOAD_VERSION) -> bytes:
    """The canonical bytes of the printed fields that never change after issue: with the 查验码
    (version 2) when the certificate has one, or the version-1 bytes of its legacy signature."""
    return certificate_payload(
        number=certificate.number,
        holder_name=certificate.holder_name,
        id_type=certificate.id_type_label,
        id_number=id_number_of(certificate.person),
        occupation=certificate.occupation_name,
        work_type=certificate.work_type_name,
        level_wording=certificate.level_wording,
        organization_name=certificate.organization_name,
        issue_date=certificate.issue_date,
        check_code=check_code_of(certificate) if version >= 2 else "",
    )


def sign(certificate: Certificate) -> None:
    """Sign the version-2 payload, giving the certificate a fresh 查验码 first if it has none."""
    if not certificate.check_code_token:
        certificate.check_code_token = pii.encrypt(new_check_code(), purpose=CHECK_CODE_PURPOSE)
    ring = certificate_keyring()
    ring.ensure_active()
    certificate.key_id, certificate.signature = ring.sign(payload_of(certificate))


def verify_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL}/v/{certificate.number}?s={certificate.signature}&k={certificate.key_id}"
