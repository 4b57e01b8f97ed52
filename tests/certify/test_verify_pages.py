"""Issue 11, items 5, 8 and 9: the public lookup keeps what was typed and takes the number from the
link; the national lookup is offered only for certificates the national database has accepted; the
organisation's certificate page keeps the signing key and the file hash under 技术信息; the login
page leads to the public lookup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from certify.services.certificates import certificate_correct
from certify.services.export import certificates_export
from certify.services.upload_results import upload_result_record
from tests.helpers import html, path_of

pytestmark = pytest.mark.django_db

NATIONAL_LINK = '<a href="http://jndj.osta.org.cn" rel="noopener">到全国查询'
NOT_YET = "本证书尚未上报全国职业技能等级证书查询系统，上报后可在该系统查询"


def _value(page: str, field: str) -> str | None:
    found = re.search(rf'name="{field}" id="id_{field}" value="([^"]*)"', page)
    return found.group(1) if found else None


# --- the lookup form keeps what was typed (item 5) -------------------------------------------------
def test_a_wrong_name_keeps_the_number_and_the_name_in_the_form(client, cert):
    response = client.post("/v/", {"number": cert.number, "name": "王小明"})

    page = html(response)
    assert "未查询到该证书或校验未通过" in page
    assert _value(page, "number") == cert.number
    assert _value(page, "name") == "王小明"


def test_a_missing_name_keeps_the_number(client, cert):
    page = html(client.post("/v/", {"number": cert.number, "name": ""}))

    assert "请填写持证人姓名" in page and _value(page, "number") == cert.number


def test_the_number_of_a_link_without_its_signature_is_filled_in(client, cert):
    page = html(client.get(f"/v/{cert.number}"))

    assert "未查询到该证书或校验未通过" in page
    assert _value(page, "number") == cert.number
    assert _value(page, "name") is None


def test_a_copy_link_without_its_signature_also_fills_in_the_number(client, cert):
    assert _value(html(client.get(f"/v/{cert.number}/copy")), "number") == cert.number


def test_a_long_number_in_the_link_is_filled_in_only_as_far_as_the_field_takes(client):
    assert _value(html(client.get("/v/" + "Y" * 90)), "number") == "Y" * 40


def test_the_empty_lookup_page_fills_in_nothing(client):
    page = html(client.get("/v/"))
    assert _value(page, "number") is None and _value(page, "name") is None


# --- the national lookup only for accepted certificates (item 8) ----------------------------------
def test_a_certificate_not_yet_reported_has_no_national_link_and_says_why(client, cert):
    page = html(client.get(path_of(cert)))

    assert NOT_YET in page
    assert "到全国查询" not in page and 'href="http://jndj' not in page
    assert client.get(path_of(cert), HTTP_ACCEPT="application/json").json()["certificate"]["national_lookup"] == (
        "pending"
    )


def test_an_exported_certificate_is_not_listed_until_the_province_accepts_it(client, world, cert):
    certificates_export(actor=world.a_operator, organization=world.org_a)

    assert NOT_YET in html(client.get(path_of(cert)))


def test_an_accepted_certificate_links_to_the_national_lookup(client, world, cert):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=cert, accepted=True)

    page = html(client.get(path_of(cert)))
    assert NATIONAL_LINK in page and NOT_YET not in page
    by_name = html(client.post("/v/", {"number": cert.number, "name": cert.holder_name}))
    assert NATIONAL_LINK in by_name
    assert client.get(path_of(cert), HTTP_ACCEPT="application/json").json()["certificate"]["national_lookup"] == (
        "listed"
    )


def test_a_rejected_certificate_is_not_listed(client, world, cert):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=cert, accepted=False, note="姓名有误")

    page = html(client.get(path_of(cert)))
    assert NOT_YET in page and "到全国查询" not in page


def test_a_correction_of_an_accepted_certificate_warns_the_national_copy_may_be_the_old_one(client, world, cert):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=cert, accepted=True)
    corrected = certificate_correct(
        actor=world.a_operator, certificate=cert, reason="姓名录入错误", holder_name="张伟强"
    )

    page = html(client.get(path_of(corrected)))
    assert "本证书更正后的内容尚未上报全国职业技能等级证书查询系统" in page
    assert NATIONAL_LINK in page


def test_the_lookup_and_not_found_pages_name_the_national_system_without_sending_anyone_there(client, cert):
    for page in (html(client.get("/v/")), html(client.get(f"/v/{cert.number}"))):
        assert "新发的证书上报前在该系统查不到" in page
        assert 'href="http://jndj' not in page and "到全国查询" not in page


# --- the organisation's certificate page and the login page (item 9 part, smaller) ----------------
def test_the_certificate_page_keeps_the_key_and_file_hash_under_technical_information(world, as_user, issued):
    certificate = issued[0]
    certificate.refresh_from_db()
    assert len(certificate.pdf_sha256) == 64
    page = html(as_user(world.a_operator).get(certificate.get_absolute_url()))

    main, _sep, tech = page.partition('<details class="tech-info">')
    assert tech, "no 技术信息 disclosure"
    shown_key = f'<dd class="mono">{certificate.key_id}</dd>'  # (the 查验页面 link carries it in its address)
    assert shown_key not in main and certificate.pdf_sha256 not in main
    tech = tech.split("</details>")[0]
    assert "技术信息" in tech and shown_key in tech and certificate.pdf_sha256 in tech


def test_the_login_page_leads_to_the_public_lookup(client):
    page = html(client.get(reverse("accounts:login")))

    assert f'href="{reverse("verify:lookup")}"' in page
    assert "按证书编号和姓名查询" in page
