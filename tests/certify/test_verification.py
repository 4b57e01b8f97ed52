"""Public certificate verification: the QR page, its JSON, the lookup form, the published keys and
old (version-1) certificates. Certificates are issued through the services; the fast fixture skips
the PDFs."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
import unicodedata
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from certify.models import Certificate
from certify.services import verification
from certify.services.certificates import (
    certificate_correct,
    certificate_reissue,
    certificate_suspend,
)
from certify.services.filings import filing_revoke
from certify.services.payload import check_code_of, id_number_of
from lib.checkcode import format_check_code
from tests.helpers import html, path_of
from tests.workflow import revoke_by_request

pytestmark = pytest.mark.django_db

CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
# The lookup form's typed values: <input … name="number" id="id_number" value="…">.
TYPED_RE = re.compile(rb'(name="(number|name)" id="id_(?:number|name)") value="([^"]*)"')


def _typed(content: bytes) -> dict[str, str]:
    return {m.group(2).decode(): html_lib.unescape(m.group(3).decode()) for m in TYPED_RE.finditer(content)}


ROOT = Path(__file__).resolve().parents[2]


def day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# --- the banner states --------------------------------------------------------------------------


def test_a_genuine_qr_link_shows_the_green_banner_three_passed_checks_and_masked_facts(client, cert):
    response = client.get(path_of(cert))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = html(response)
    assert "证书有效" in page and "vf-valid" in page
    for label in ("内容未被篡改", "发证机构已备案", "证书状态"):
        assert label in page
    assert "东人社评备〔2025〕001号" in page
    assert cert.holder_name[0] + "*" in page
    assert id_number_of(cert.person)[:6] + "********" + id_number_of(cert.person)[-4:] in page
    assert cert.number in page and cert.level_wording in page and cert.organization_name in page
    assert f"{cert.occupation_name}（{cert.work_type_name}）" in page
    assert day(cert.issue_date) in page
    # not yet accepted by the national database: no link there, and the page says so
    assert "本证书尚未上报全国职业技能等级证书查询系统，上报后可在该系统查询" in page
    assert "jndj.osta.org.cn" not in page and "pjjg.osta.org.cn" in page


def test_the_same_link_answers_json_with_stable_keys(client, cert):
    response = client.get(path_of(cert), HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-store" in response["Cache-Control"] and "Accept" in response["Vary"]
    body = response.json()
    assert body["result"] == "valid"
    assert set(body["checks"]) == {"integrity", "issuer", "status"}
    assert all(body["checks"][k]["ok"] for k in ("integrity", "issuer", "status"))
    assert {
        "number",
        "name_masked",
        "id_masked",
        "occupation",
        "work_type",
        "level",
        "organization",
        "issue_date",
        "revoked_at",
        "reason_category",
    } <= set(body["certificate"])
    assert body["certificate"]["number"] == cert.number
    assert body["certificate"]["issue_date"] == cert.issue_date.isoformat()
    assert body["certificate"]["revoked_at"] is None


def test_a_browser_accept_header_gets_html_not_json(client, cert):
    response = client.get(path_of(cert), HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response["Content-Type"].startswith("text/html")


def test_a_suspended_certificate_shows_the_amber_banner(client, world, cert):
    certificate_suspend(actor=world.a_operator, certificate=cert, reason="核查举报")

    page = html(client.get(path_of(cert)))
    body = client.get(path_of(cert), HTTP_ACCEPT="application/json").json()

    assert "证书已暂停" in page and "vf-suspended" in page
    assert day(timezone.localdate()) in page
    assert "核查举报" not in page  # the free-text reason stays inside
    assert body["result"] == "suspended"
    assert body["checks"]["status"]["ok"] is False and body["checks"]["integrity"]["ok"] is True


def test_a_revoked_certificate_shows_the_date_and_reason_category(client, world, cert):
    revoke_by_request(world, certificate=cert, category="fraud", reason="伪造工作年限证明材料")
    cert.refresh_from_db()

    page = html(client.get(path_of(cert)))
    body = client.get(path_of(cert), HTTP_ACCEPT="application/json").json()

    revoked_on = timezone.localtime(cert.revoked_at).date()
    assert "证书已撤销" in page and "vf-revoked" in page
    assert day(revoked_on) in page and "以欺骗等不正当手段取得" in page
    assert "伪造工作年限证明材料" not in page
    assert body["result"] == "revoked"
    assert body["certificate"]["reason_category"] == "fraud"
    assert body["certificate"]["revoked_at"].startswith(revoked_on.isoformat())


def test_the_old_qr_after_a_correction_reports_replaced_with_the_current_versions_facts(client, world, cert):
    old_path = path_of(cert)
    new = certificate_correct(actor=world.a_operator, certificate=cert, reason="姓名录入错误", holder_name="张伟强")

    page = html(client.get(old_path))
    body = client.get(old_path, HTTP_ACCEPT="application/json").json()

    assert "证书已更正" in page and "vf-replaced" in page
    assert "张*强" in page  # the current version's holder, masked
    assert "第 2 版" in page and "姓名" in page
    assert body["result"] == "replaced"
    assert body["replaced"] == {"version": 1, "current_version": 2}
    assert body["certificate"]["version"] == 2 and body["certificate"]["status"] == "valid"
    assert body["checks"]["integrity"]["ok"] is True
    assert client.get(path_of(new), HTTP_ACCEPT="application/json").json()["result"] == "valid"


def test_a_reissued_certificate_keeps_its_number_and_qr_and_stays_valid(client, world, cert):
    old_path = path_of(cert)
    reissued = certificate_reissue(actor=world.a_operator, certificate=cert, reason="原证书遗失")

    assert path_of(reissued) == old_path
    body = client.get(old_path, HTTP_ACCEPT="application/json").json()
    assert body["result"] == "valid"
    assert "补发" in body["checks"]["status"]["detail"]


# --- the three checks separately ----------------------------------------------------------------


def test_the_issuer_check_stands_on_the_issue_date_after_the_filing_is_revoked(client, world, filings, cert):
    filing_revoke(actor=world.bureau_admin, filing=filings[0], reason="一年内未开展评价")

    body = client.get(path_of(cert), HTTP_ACCEPT="application/json").json()

    assert body["result"] == "valid"
    issuer = body["checks"]["issuer"]
    assert issuer["ok"] is True
    assert "东人社评备〔2025〕001号" in issuer["detail"] and "撤销" in issuer["detail"]
    assert day(cert.issue_date) in issuer["detail"]
    # a version corrected after the revocation still counts from the first issue
    new = certificate_correct(
        actor=world.a_operator, certificate=cert, reason="工种录入错误", work_type_name="普通车工"
    )
    assert client.get(path_of(new), HTTP_ACCEPT="application/json").json()["checks"]["issuer"]["ok"] is True


def test_the_issuer_check_fails_when_no_filing_covered_the_issue_date(world, cert):
    # org B's filing covers 焊工 only: the same certificate under org B had no filing behind it.
    stray = Certificate.objects.get(pk=cert.pk)
    stray.organization = world.org_b

    check, filing_number = verification.certificate_issuer_check(stray)

    assert check.ok is False and filing_number == ""
    assert day(cert.issue_date) in check.detail


def test_stored_fields_that_no_longer_match_their_signature_fail_closed(client, cert, caplog):
    from django.db import connection

    with connection.cursor() as cursor:  # a row edited behind the application (the ORM refuses)
        cursor.execute("UPDATE certify_certificate SET level_wording = %s WHERE id = %s", ["三级/高级工", cert.pk])

    body = client.get(path_of(cert), HTTP_ACCEPT="application/json").json()

    assert body["result"] == "not_found"
    assert "do not match their signature" in caplog.text


def test_a_key_id_that_did_not_sign_is_not_genuine(client, cert):
    response = client.get(f"/v/{cert.number}?s={cert.signature}&k=c0000zzz", HTTP_ACCEPT="application/json")

    assert response.json()["result"] == "not_found"


# --- identical "not found" answers --------------------------------------------------------------


def _four_failures(client, cert, **headers):
    wrong_signature = cert.signature[:10] + ("A" if cert.signature[10] != "A" else "B") + cert.signature[11:]
    return [
        client.get(f"/v/{cert.number}?s={wrong_signature}&k={cert.key_id}", **headers),
        client.post("/v/", {"number": cert.number, "name": cert.holder_name + "明"}, **headers),
        client.get(f"/v/Y000044900004269999999?s={cert.signature}&k={cert.key_id}", **headers),
        client.get(f"/v/Y12-3?s={cert.signature}&k={cert.key_id}", **headers),
    ]


def test_a_wrong_signature_name_unknown_number_and_malformed_number_answer_byte_for_byte_the_same(cert):
    """The same bytes but for what the visitor typed or the link carried, kept in the lookup form."""
    client = Client()
    client.get("/v/")  # a CSRF cookie, as a browser would hold after opening the form

    responses = _four_failures(client, cert)

    typed = [_typed(r.content) for r in responses]
    assert typed == [
        {"number": cert.number},
        {"number": cert.number, "name": cert.holder_name + "明"},
        {"number": "Y000044900004269999999"},
        {"number": "Y12-3"},
    ]
    bodies = {TYPED_RE.sub(rb"\1", CSRF_RE.sub(b"", r.content)) for r in responses}
    assert {r.status_code for r in responses} == {200}
    assert {r["Content-Type"] for r in responses} == {"text/html; charset=utf-8"}
    assert len(bodies) == 1
    page = bodies.pop().decode("utf-8")
    assert "未查询到该证书或校验未通过" in page
    assert cert.number not in page and cert.holder_name not in page


def test_the_four_failures_answer_the_same_json(client, cert):
    responses = _four_failures(client, cert, HTTP_ACCEPT="application/json")

    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    body = responses[0].json()
    assert body["result"] == "not_found" and body["certificate"] is None
    assert not any(body["checks"][k]["ok"] for k in ("integrity", "issuer", "status"))


# --- the lookup form ----------------------------------------------------------------------------


def test_the_lookup_form_finds_a_certificate_by_number_and_exact_full_name(client, cert):
    form = client.get("/v/")
    response = client.post("/v/", {"number": cert.number.lower(), "name": f" {cert.holder_name} "})

    assert form.status_code == 200 and "csrfmiddlewaretoken" in html(form)
    assert "no-store" in form["Cache-Control"]
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = html(response)
    assert "证书有效" in page and "本平台保存的证书内容与发证时的电子签名一致" in page
    assert cert.holder_name not in page
    assert 'name="id_tail"' not in page  # the worker copy needs the QR's signature


def test_the_lookup_form_matches_only_the_current_versions_name(client, world, cert):
    old_name = cert.holder_name
    certificate_correct(actor=world.a_operator, certificate=cert, reason="姓名录入错误", holder_name="张伟强")

    old = client.post("/v/", {"number": cert.number, "name": old_name}, HTTP_ACCEPT="application/json")
    new = client.post("/v/", {"number": cert.number, "name": "张伟强"}, HTTP_ACCEPT="application/json")

    assert old.json()["result"] == "not_found"
    assert new.json()["result"] == "valid" and new.json()["certificate"]["version"] == 2


def test_the_lookup_form_posts_with_a_csrf_token(cert):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/v/", {"number": cert.number, "name": cert.holder_name})

    assert response.status_code == 403


def test_a_lookup_without_a_name_asks_for_it(client, cert):
    response = client.post("/v/", {"number": cert.number, "name": " "})

    assert response.status_code == 400
    assert "请填写持证人姓名" in html(response)


# --- masking and size -----------------------------------------------------------------------------


def test_no_full_name_or_id_number_appears_in_any_answer(client, world, certs):
    revoke_by_request(world, certificate=certs[1], category="error", reason="评分汇总错误")
    for cert in certs:
        full_id = id_number_of(cert.person)
        answers = [
            client.get(path_of(cert)).content,
            client.get(path_of(cert), HTTP_ACCEPT="application/json").content,
            client.post("/v/", {"number": cert.number, "name": cert.holder_name}).content,
        ]
        for raw in answers:
            text = raw.decode("utf-8")
            assert cert.holder_name not in text
            assert full_id not in text and full_id[6:14] not in text
            assert json.dumps(cert.holder_name) not in text


def test_the_page_and_its_css_weigh_under_30_kb(client, cert):
    page = client.get(path_of(cert)).content
    css = sum((ROOT / "static" / "css" / name).stat().st_size for name in ("public.css", "verify.css"))

    assert len(page) + css < 30_000


# --- rate limits ----------------------------------------------------------------------------------


def test_verification_allows_30_requests_a_minute_per_ip_then_answers_429_in_chinese(client, cert, frozen_clock):
    statuses = [client.get(path_of(cert)).status_code for _ in range(30)]
    limited = client.get(path_of(cert))
    limited_json = client.get(path_of(cert), HTTP_ACCEPT="application/json")
    elsewhere = client.get(path_of(cert), REMOTE_ADDR="10.0.0.9")

    assert set(statuses) == {200}
    assert limited.status_code == 429 and "查询过于频繁" in html(limited)
    assert limited_json.status_code == 429 and limited_json.json()["result"] == "rate_limited"
    assert elsewhere.status_code == 200


def test_the_rate_limit_follows_x_forwarded_for_when_the_proxy_is_trusted(client, cert, settings, frozen_clock):
    # One trusted proxy appends the address it saw: the rightmost entry; whatever the client put
    # further left is its own words and does not change whom the limit counts (issue 9, finding 7).
    settings.SKILLCERT_TRUSTED_PROXIES = 1
    for i in range(30):
        client.get(path_of(cert), HTTP_X_FORWARDED_FOR=f"198.18.0.{i}, 203.0.113.5")

    assert client.get(path_of(cert), HTTP_X_FORWARDED_FOR="198.18.1.1, 203.0.113.5").status_code == 429
    assert client.get(path_of(cert), HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6").status_code == 200


def test_the_lookup_form_allows_10_tries_a_minute_per_ip(client, cert, frozen_clock):
    statuses = [client.post("/v/", {"number": cert.number, "name": "王五"}).status_code for _ in range(10)]
    limited = client.post("/v/", {"number": cert.number, "name": cert.holder_name})

    assert set(statuses) == {200}
    assert limited.status_code == 429 and "请 1 分钟后再试" in html(limited)


def test_the_lookup_form_allows_20_tries_an_hour_per_certificate_number(client, cert, frozen_clock):
    for i in range(20):
        client.post("/v/", {"number": cert.number, "name": "王五"}, REMOTE_ADDR=f"10.0.1.{i}")

    limited = client.post("/v/", {"number": cert.number.lower(), "name": cert.holder_name}, REMOTE_ADDR="10.0.2.1")
    other = client.post("/v/", {"number": "Y000044900004269999999", "name": "王五"}, REMOTE_ADDR="10.0.2.1")

    assert limited.status_code == 429 and "1 小时" in html(limited)
    assert other.status_code == 200


# --- the published keys ---------------------------------------------------------------------------


def test_the_public_keys_are_published_for_five_minutes(client, cert):
    response = client.get("/.well-known/skillcert-keys.json")

    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    body = response.json()
    assert cert.key_id in [k["kid"] for k in body["keys"]]
    assert all(set(k) == {"kid", "alg", "public_key", "created_at", "status"} for k in body["keys"])
    assert body["payload"]["version"] == 2 and body["payload"]["versions"] == [1, 2]
    assert "check_code" in body["payload"]["fields"] and "check_code" not in body["payload"]["fields_v1"]


def test_a_third_party_verifies_the_qr_offline_with_only_the_published_key(client, cert):
    """The recipe of docs/verification.md, written out with nothing but the standard library and cryptography."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    def b64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    keys = {k["kid"]: k["public_key"] for k in client.get("/.well-known/skillcert-keys.json").json()["keys"]}
    printed = {
        "number": cert.number,
        "holder_name": cert.holder_name,
        "id_type": cert.id_type_label,
        "id_number": id_number_of(cert.person),
        "occupation": cert.occupation_name,
        "work_type": cert.work_type_name,
        "level_wording": cert.level_wording,
        "organization_name": cert.organization_name,
    }
    printed_code = format_check_code(check_code_of(cert))  # as printed under the QR: 7KQ2-M9XD-4TBN-HC3R
    fields = {k: unicodedata.normalize("NFC", v).strip() for k, v in printed.items()}
    fields["work_type"] = fields["work_type"] or "--"
    fields["issue_date"] = cert.issue_date.isoformat()
    fields["check_code"] = printed_code.replace("-", "").upper()
    fields["v"] = 2
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    Ed25519PublicKey.from_public_bytes(b64(keys[cert.key_id])).verify(b64(cert.signature), payload)


# --- methods ----------------------------------------------------------------------------------------


def test_wrong_methods_get_405(client, cert):
    assert client.post(path_of(cert)).status_code == 405
    # The copy address answers GET too (issue 11: a refreshed or shared copy link is not an empty 405).
    assert client.put(f"/v/{cert.number}/copy").status_code == 405
    assert client.put("/v/").status_code == 405
    assert client.post("/.well-known/skillcert-keys.json").status_code == 405
