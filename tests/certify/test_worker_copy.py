"""The holder's own copy of their PDF: the 查验码 and the full name from the paper, never the QR or
the public facts; every attempt audited without what was typed; wrong answers lock the copy. A
certificate issued before the 查验码 offers no copy until it is re-issued with one."""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.test import Client

from audit.events import EventType
from certify.models import Certificate
from certify.services import worker_copy
from certify.services.certificates import (
    certificate_reissue,
)
from certify.services.payload import check_code_of, id_number_of, payload_of, verify_url
from lib.checkcode import format_check_code, normalise_check_code
from tests.helpers import html, path_of
from tests.workflow import revoke_by_request

pytestmark = pytest.mark.django_db


def worker_copy_events():
    from audit.models import AuditEvent

    return list(AuditEvent.objects.filter(event_type=EventType.CERTIFICATE_WORKER_COPY).order_by("seq"))


# --- the worker's copy ----------------------------------------------------------------------------


def _copy(client, certificate, check_code, name=None, **extra):
    """POST the copy form as the page does: s and k in the address, 查验码 and name in the form."""
    query = urlencode({"s": certificate.signature, "k": certificate.key_id})
    data = {"check_code": check_code, "name": certificate.holder_name if name is None else name}
    return client.post(f"/v/{certificate.number}/copy?{query}", data, **extra)


def _wrong_code(certificate) -> str:
    real = check_code_of(certificate)
    return "0" * 16 if real != "0" * 16 else "1" * 16


def test_a_holder_downloads_their_pdf_with_the_check_code_and_full_name(client, issued):
    cert = issued[0]
    page = html(client.get(path_of(cert)))
    typed = format_check_code(check_code_of(cert)).lower()  # as a phone keyboard types it

    response = _copy(client, cert, typed)

    assert 'name="check_code"' in page and "持证人下载电子证书" in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    events = worker_copy_events()
    assert len(events) == 1
    event = events[0]
    assert event.data == {"ok": True, "outcome": "ok"}
    assert event.actor.username.endswith("public") and event.organization == cert.organization
    assert event.target_id == str(cert.pk)


def test_finding_1_the_qr_link_and_public_facts_never_yield_the_pdf(client, issued):
    """Finding 1: with the QR link, the masked ID and the holder's name, the old form needed only the
    birth day (01–31). The copy now needs the 80-bit 查验码 from the paper; ID digits open nothing."""
    cert = issued[0]
    full_id = id_number_of(cert.person)
    guesses = [full_id[-6:], full_id, full_id[-4:], full_id[6:14]]

    answers = [_copy(Client(), cert, guess, REMOTE_ADDR=f"10.9.0.{i}") for i, guess in enumerate(guesses)]
    old_form = Client().post(f"/v/{cert.number}/copy", {"s": cert.signature, "k": cert.key_id, "id_tail": full_id[-6:]})

    assert all(a.status_code in (400, 403) and a["Content-Type"].startswith("text/html") for a in answers)
    assert old_form.status_code == 400 and old_form["Content-Type"].startswith("text/html")
    assert not any(e.data["ok"] for e in worker_copy_events())


def test_the_check_code_is_never_in_the_qr_the_page_the_json_or_the_logs(client, issued, caplog):
    cert = issued[0]
    code = check_code_of(cert)
    caplog.set_level("DEBUG")

    page = html(client.get(path_of(cert)))
    body = client.get(path_of(cert), HTTP_ACCEPT="application/json").content.decode()
    _copy(client, cert, _wrong_code(cert))
    _copy(client, cert, code)
    events = worker_copy_events()

    assert len(code) == 16
    for text in (verify_url(cert), page, body, caplog.text, json.dumps([e.data for e in events])):
        assert code not in text and format_check_code(code) not in text


def test_finding_2_the_qr_signature_is_no_offline_oracle_for_the_id_number(cert):
    """Finding 2: version-1 signatures covered only printed facts, so the key, the public JSON and the
    name let anyone test birth dates offline. Version 2 covers the 查验码: even the TRUE ID number
    does not make a checkable payload without the paper."""
    from certify.keys import certificate_keyring
    from lib.payload import certificate_payload

    ring = certificate_keyring()
    guess = certificate_payload(
        number=cert.number,
        holder_name=cert.holder_name,
        id_type=cert.id_type_label,
        id_number=id_number_of(cert.person),  # the attacker's best case: every digit right
        occupation=cert.occupation_name,
        work_type=cert.work_type_name,
        level_wording=cert.level_wording,
        organization_name=cert.organization_name,
        issue_date=cert.issue_date,
    )

    assert not ring.verify(kid=cert.key_id, payload=guess, signature=cert.signature)
    assert ring.verify(kid=cert.key_id, payload=payload_of(cert), signature=cert.signature)


def test_a_wrong_check_code_is_refused_at_the_form_and_audited_without_what_was_typed(client, issued):
    cert = issued[0]
    wrong = _wrong_code(cert)

    response = _copy(client, cert, wrong, name="  " + cert.holder_name)

    assert response.status_code == 403
    page = html(response)
    assert "查验码或姓名与证书不一致" in page
    assert f'value="{wrong}"' in page  # what was typed is still there
    assert 'id="copy"' in page and page.index('id="copy"') < page.index("核验项目")  # the form comes first
    events = worker_copy_events()
    assert [e.data for e in events] == [{"ok": False, "outcome": "mismatch"}]
    assert wrong not in json.dumps(events[0].data) and wrong not in events[0].reason


def test_a_wrong_name_with_the_right_code_is_refused(client, issued):
    cert = issued[0]

    response = _copy(client, cert, check_code_of(cert), name=cert.holder_name + "某")

    assert response.status_code == 403
    assert [e.data["ok"] for e in worker_copy_events()] == [False]


def test_wrong_answers_lock_the_copy_of_that_certificate_for_longer_each_time(client, issued, settings, monkeypatch):
    settings.SKILLCERT_COPY_FAILURES_PER_LOCK = 3
    settings.SKILLCERT_COPY_LOCK_SECONDS = 600
    now = [1_800_000_000.0]
    monkeypatch.setattr(worker_copy, "time", SimpleNamespace(time=lambda: now[0]))
    cert = issued[0]

    first = [_copy(Client(), cert, _wrong_code(cert), REMOTE_ADDR=f"10.8.0.{i}") for i in range(3)]
    while_locked = _copy(Client(), cert, check_code_of(cert), REMOTE_ADDR="10.8.1.1")
    now[0] += 601
    after_first_lock = [_copy(Client(), cert, _wrong_code(cert), REMOTE_ADDR=f"10.8.2.{i}") for i in range(3)]
    lock_two = worker_copy.copy_lock_remaining(cert.number)
    now[0] += 1201
    opened = _copy(Client(), cert, check_code_of(cert), REMOTE_ADDR="10.8.3.1")

    assert [r.status_code for r in first] == [403, 403, 403] and "暂停 10 分钟" in html(first[-1])
    assert while_locked.status_code == 403 and "暂停" in html(while_locked)
    assert [r.status_code for r in after_first_lock] == [403] * 3
    assert 1100 < lock_two <= 1200  # doubled
    assert opened.status_code == 200
    outcomes = [e.data["outcome"] for e in worker_copy_events()]
    assert outcomes == ["mismatch"] * 3 + ["locked"] + ["mismatch"] * 3 + ["ok"]  # every attempt audited


def test_the_worker_copy_is_limited_per_ip(client, issued, frozen_clock):
    cert, other = issued[0], issued[1]
    statuses = [_copy(client, cert, "0" * 16, name="某某").status_code for _ in range(10)]
    same_ip = _copy(client, other, check_code_of(other))
    elsewhere = _copy(Client(), other, check_code_of(other), REMOTE_ADDR="10.0.3.3")

    assert set(statuses) == {403}
    assert same_ip.status_code == 429 and "15 分钟" in html(same_ip)
    assert elsewhere.status_code == 200


def test_a_badly_typed_code_is_asked_again_at_its_field_without_an_audit_event(client, issued):
    response = _copy(client, issued[0], "12-34")

    assert response.status_code == 400
    assert "查验码应为 16 位字母和数字" in html(response) and 'value="12-34"' in html(response)
    assert worker_copy_events() == []


def test_the_copy_address_is_stable_a_get_shows_the_form_open(client, issued):
    cert = issued[0]
    query = urlencode({"s": cert.signature, "k": cert.key_id})

    response = client.get(f"/v/{cert.number}/copy?{query}")

    assert response.status_code == 200
    page = html(response)
    assert "证书有效" in page and 'name="check_code"' in page and '<details class="vf-copy" open>' in page
    assert f"/v/{cert.number}/copy?" in page and "#copy" in page


def test_the_copy_says_so_in_chinese_when_the_pdf_is_not_rendered(client, cert):
    page = html(client.get(path_of(cert)))
    response = _copy(client, cert, check_code_of(cert))

    assert "电子证书文件尚未生成" in page and 'name="check_code"' not in page
    assert response.status_code == 409 and "电子证书文件尚未生成" in html(response)
    assert worker_copy_events() == []


def test_no_copy_is_served_for_a_revoked_certificate(client, world, issued):
    cert = issued[0]
    revoke_by_request(world, certificate=cert, category="misconduct", reason="考场违纪")

    response = _copy(client, cert, check_code_of(cert))

    assert response["Content-Type"].startswith("text/html")
    assert "证书已撤销" in html(response) and 'name="check_code"' not in html(response)
    assert worker_copy_events() == []


def test_the_copy_of_a_forged_signature_gets_the_not_found_answer(client, issued):
    cert = issued[0]
    forged = SimpleNamespace(number=cert.number, signature="A" * 86, key_id=cert.key_id, holder_name=cert.holder_name)

    response = _copy(client, forged, check_code_of(cert))

    assert "未查询到该证书或校验未通过" in html(response)
    assert worker_copy_events() == []


def test_a_check_code_is_read_the_way_crockford_base32_is_typed():
    assert normalise_check_code(" 7kq2-m9xd-4tbn-hc3r ") == "7KQ2M9XD4TBNHC3R"
    assert normalise_check_code("７ＫＱ２　Ｍ９ＸＤ４ＴＢＮＨＣ３Ｒ") == "7KQ2M9XD4TBNHC3R"
    assert normalise_check_code("OIL0" * 4) == "0110" * 4
    assert normalise_check_code("7KQ2M9XD4TBNHC3") is None
    assert normalise_check_code("7KQ2M9XD4TBNHC3U") is None  # U is not in the alphabet


# --- certificates issued before the 查验码 -----------------------------------------------------------
def _make_version_1(certificate: Certificate) -> Certificate:
    """A certificate as issued before the 查验码: no code, a version-1 signature. No service makes
    one any more, so the row is rewritten the way such rows were stored."""
    from django.db import connection

    from certify.keys import certificate_keyring

    certificate.check_code_token = ""
    kid, signature = certificate_keyring().sign(payload_of(certificate, version=1))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE certify_certificate SET check_code_token = '', signature = %s, key_id = %s WHERE id = %s",
            [signature, kid, certificate.pk],
        )
    return Certificate.objects.get(pk=certificate.pk)


def test_a_version_1_certificate_still_verifies_and_offers_no_self_service_copy(client, issued):
    old = _make_version_1(issued[0])

    page = html(client.get(path_of(old)))
    response = _copy(client, old, "0" * 16)

    assert "证书有效" in page and "尚未使用查验码" in page and 'name="check_code"' not in page
    assert response.status_code == 409 and worker_copy_events() == []


def test_a_version_1_certificate_gets_a_check_code_on_reissue_and_its_first_qr_keeps_verifying(client, world, issued):
    old = _make_version_1(issued[0])
    first_qr = path_of(old)

    new = certificate_reissue(actor=world.a_operator, certificate=old, reason="原证书遗失")

    assert new.check_code_token and new.signature != old.signature
    assert new.legacy_signature == old.signature and new.legacy_key_id == old.key_id
    assert "证书有效" in html(client.get(first_qr))  # the lost paper's QR
    assert "证书有效" in html(client.get(path_of(new)))  # the new paper's QR, version 2
    legacy_page = html(client.get(first_qr))
    assert 'name="check_code"' not in legacy_page  # the old paper has no code to type
