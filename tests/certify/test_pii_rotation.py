"""manage.py pii_rotate: every token under the active key, every lookup hash under the current HMAC
key, in batches, resumable, while registrations keep finding people (issue 9)."""

import base64
import io
import os

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from audit.verify import verify_all
from certify.models import Certificate, Person
from certify.services.enrolments import enrolment_register
from certify.services.payload import check_code_of, id_number_of
from certify.services.pii_rotation import pii_rotate
from lib import pii
from tests.workflow import candidate

pytestmark = pytest.mark.django_db


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def old_keys(settings):
    """Explicit keys for this test only (the session's key file stays untouched)."""
    keys = {"old": key(), "hmac": key()}
    settings.SKILLCERT_PII_KEYS = {"old": keys["old"]}
    settings.SKILLCERT_PII_ACTIVE_KID = "old"
    settings.SKILLCERT_PII_HMAC_KEY = keys["hmac"]
    return keys


def rotate_settings(settings, keys: dict) -> None:
    """What an operator does first: a new active key, a new HMAC key with the old one kept."""
    settings.SKILLCERT_PII_KEYS = {"old": keys["old"], "new": key()}
    settings.SKILLCERT_PII_ACTIVE_KID = "new"
    settings.SKILLCERT_PII_HMAC_KEY_PREVIOUS = keys["hmac"]
    settings.SKILLCERT_PII_HMAC_KEY = key()


def all_current() -> bool:
    people = all(
        pii.token_kid(p.id_number_token) == "new"
        and p.id_number_hash == pii.lookup_hash(id_type=p.id_type, number=pii.decrypt(p.id_number_token))
        for p in Person.objects.all()
    )
    codes = all(pii.token_kid(c.check_code_token) == "new" for c in Certificate.objects.exclude(check_code_token=""))
    return people and codes


def test_rotation_reencrypts_rehashes_and_keeps_every_value_and_the_chain(old_keys, settings, world, issued):
    before = {p.pk: id_number_of(p) for p in Person.objects.all()}
    codes = {c.pk: check_code_of(c) for c in issued}
    rotate_settings(settings, old_keys)

    report = pii_rotate(batch_size=2)
    again = pii_rotate(batch_size=2)

    assert report.people_changed == len(before) and report.certificates_changed == len(issued)
    assert (again.people_changed, again.certificates_changed) == (0, 0)  # a second run writes nothing
    assert all_current()
    assert {p.pk: id_number_of(p) for p in Person.objects.all()} == before
    assert {c.pk: check_code_of(c) for c in Certificate.objects.filter(pk__in=codes)} == codes
    events = AuditEvent.objects.filter(event_type="personal_data.reencrypted")
    assert events.count() >= 2 and all(e.actor.username == "system:pii_rotate" for e in events)
    assert verify_all(record=False).ok


def test_people_are_found_in_the_middle_of_a_rotation(old_keys, settings, world, issued, plan_factory):
    holder = issued[0]
    number = id_number_of(holder.person)
    rotate_settings(settings, old_keys)  # new HMAC key, nothing rebuilt yet

    enrolment = enrolment_register(
        actor=world.a_operator, plan=plan_factory(), data=candidate(holder.holder_name, number)
    )

    assert enrolment.person_id == holder.person_id
    assert Person.objects.count() == len({c.person_id for c in issued}) + 1  # 李娜 (failed) has no certificate


def test_an_interrupted_rotation_resumes_where_it_stopped(old_keys, settings, world, issued):
    rotate_settings(settings, old_keys)

    class Stop(Exception):
        pass

    def stop_after_first_batch(report):
        raise Stop

    with pytest.raises(Stop):
        pii_rotate(batch_size=1, progress=stop_after_first_batch)
    first_done = sum(pii.token_kid(p.id_number_token) == "new" for p in Person.objects.all())
    rest = pii_rotate(batch_size=1)

    assert first_done == 1
    assert rest.people_changed == Person.objects.count() - 1
    assert all_current()


def test_the_command_reports_and_the_previous_hmac_key_is_no_longer_needed(old_keys, settings, world, issued):
    rotate_settings(settings, old_keys)
    out = io.StringIO()

    call_command("pii_rotate", "--batch-size", "2", stdout=out)
    settings.SKILLCERT_PII_HMAC_KEY_PREVIOUS = None

    assert "done:" in out.getvalue() and "previous HMAC key can now be removed" in out.getvalue()
    holder = issued[0]
    hashes = pii.lookup_hashes(id_type=holder.person.id_type, number=id_number_of(holder.person))
    assert Person.objects.filter(id_number_hash__in=hashes).get().pk == holder.person_id
