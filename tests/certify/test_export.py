"""The provincial/national upload: the export itself (what goes out, once, audited) and its screens."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from audit.verify import verify_chain
from certify.models import Certificate, ExportBatch
from certify.selectors import upload_counts
from certify.services.certificates import certificate_correct
from certify.services.export import certificates_export
from certify.services.export_profiles import DEFAULT_PROFILE
from certify.services.payload import id_number_of
from certify.services.upload_results import upload_result_record
from tests.helpers import assert_one_event, assert_status, export_screen_guards


# --- the export ---------------------------------------------------------------------------------
def sheet_rows(data: bytes) -> tuple[list, list[dict]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def stored(batch: ExportBatch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def by_name(certificates) -> dict[str, Certificate]:
    return {c.holder_name: c for c in certificates}


@pytest.mark.django_db
def test_export_writes_the_file_marks_the_certificates_and_writes_one_event(world, issued, audit_probe):
    probe = audit_probe()
    batch = certificates_export(actor=world.a_operator, organization=world.org_a)
    assert batch.certificate_count == 3 and batch.profile == "default" and not batch.only_rejected
    data = stored(batch)
    assert hashlib.sha256(data).hexdigest() == batch.sha256
    headers, rows = sheet_rows(data)
    assert headers == DEFAULT_PROFILE.headers  # pinned column by column in test_export_profiles
    people = {row["姓名"]: row for row in rows}
    assert set(people) == {"张伟", "王芳", "刘洋"}
    zhang = people["张伟"]
    certificate = by_name(issued)["张伟"]
    assert zhang["证件号码"] == id_number_of(certificate.person) and isinstance(zhang["证件号码"], str)
    assert zhang["证书编号"] == certificate.number and zhang["评价计划编号"] == certificate.plan.number
    assert (zhang["性别"], people["王芳"]["性别"]) == ("1", "2")
    assert zhang["证件类型"] == "1" and zhang["职业技能等级"] == "4" and zhang["评定结果"] == "1"
    assert zhang["工种/职业方向"] == "数控车工" and zhang["上报类型"] == "新增"
    assert zhang["备案编号"] == "东人社评备〔2025〕001号" and zhang["评价机构名称"] == world.org_a.name
    assert zhang["理论知识成绩"] == 80 and zhang["操作技能成绩"] == 82
    for c in Certificate.objects.filter(pk__in=[c.pk for c in issued]):
        assert c.upload_status == "exported" and c.exported_at is not None
    event = assert_one_event(probe, event_type="certificate.exported", actor=world.a_operator, organization=world.org_a)
    assert event.data["sha256"] == batch.sha256 and event.data["certificates"] == 3
    assert event.data["profile"] == "default" and event.data["new"] == 3 and event.data["updates"] == 0
    text = str(event.data) + event.target_repr
    assert not any(id_number_of(c.person) in text for c in issued)
    bound = {entry["model"]: entry for entry in event.history}
    assert len(bound["certify.HistoricalCertificate"]["ids"]) == 3
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_second_export_finds_nothing_pending(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    probe = audit_probe()
    with pytest.raises(ValidationError, match="没有待上报的证书"):
        certificates_export(actor=world.a_operator, organization=world.org_a)
    assert probe.events() == [] and ExportBatch.objects.count() == 1


@pytest.mark.django_db
def test_only_roles_that_may_export_data_get_full_id_numbers(world, issued):
    for user in (world.a_viewer, world.a_reviewer, world.a_assessor, world.b_operator, world.bureau_auditor):
        with pytest.raises(PermissionDenied):
            certificates_export(actor=user, organization=world.org_a)
    assert certificates_export(actor=world.a_org_admin, organization=world.org_a).certificate_count == 3


@pytest.mark.django_db
def test_export_can_be_limited_to_chosen_certificates(world, issued):
    first = issued[0]
    batch = certificates_export(actor=world.a_operator, organization=world.org_a, certificate_ids=[first.pk])
    assert batch.certificate_count == 1
    with pytest.raises(ValidationError, match="不在待上报之列"):
        certificates_export(actor=world.a_operator, organization=world.org_a, certificate_ids=[first.pk, issued[1].pk])


@pytest.mark.django_db
def test_a_revoked_certificate_is_not_exported(world, issued):
    from tests.workflow import revoke_by_request

    revoke_by_request(world, certificate=issued[0], category="error", reason="评价结果有误")
    assert certificates_export(actor=world.a_operator, organization=world.org_a).certificate_count == 2


@pytest.mark.django_db
def test_rejected_then_corrected_then_only_the_rejected_are_exported_again(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    people = by_name(issued)
    upload_result_record(actor=world.a_operator, certificate=people["张伟"], accepted=True)
    upload_result_record(actor=world.a_operator, certificate=people["刘洋"], accepted=True)
    upload_result_record(actor=world.a_operator, certificate=people["王芳"], accepted=False, note="姓名与证件不符")
    counts = upload_counts(world.org_a)
    assert counts["accepted"] == 2 and counts["rejected"] == 1 and counts["rejected_ready"] == 1
    corrected = certificate_correct(
        actor=world.a_operator, certificate=people["王芳"], reason="按省级退回意见更正姓名", holder_name="王芳芳"
    )
    assert corrected.upload_status == "pending" and corrected.number == people["王芳"].number
    probe = audit_probe()
    batch = certificates_export(actor=world.a_operator, organization=world.org_a, only_rejected=True)
    assert batch.only_rejected and batch.certificate_count == 1
    _headers, rows = sheet_rows(stored(batch))
    assert [(r["证书编号"], r["姓名"], r["上报类型"]) for r in rows] == [(corrected.number, "王芳芳", "新增")]
    assert_one_event(probe, event_type="certificate.exported", actor=world.a_operator, organization=world.org_a)
    corrected.refresh_from_db()
    assert corrected.upload_status == "exported"
    assert Certificate.objects.get(pk=people["张伟"].pk).upload_status == "accepted"
    with pytest.raises(ValidationError, match="没有需要重新上报"):
        certificates_export(actor=world.a_operator, organization=world.org_a, only_rejected=True)


@pytest.mark.django_db
def test_a_rejected_certificate_can_be_resent_as_it_is(world, issued):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=False, note="系统繁忙，请重报")
    assert upload_counts(world.org_a)["rejected_ready"] == 1
    batch = certificates_export(actor=world.a_operator, organization=world.org_a, only_rejected=True)
    assert batch.certificate_count == 1
    issued[0].refresh_from_db()
    assert issued[0].upload_status == "exported" and issued[0].upload_note == ""


@pytest.mark.django_db
def test_a_corrected_certificate_goes_out_as_an_update_of_the_same_number(world, issued):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    for certificate in issued:
        upload_result_record(actor=world.a_operator, certificate=certificate, accepted=True)
    original = by_name(issued)["刘洋"]
    corrected = certificate_correct(
        actor=world.a_operator, certificate=original, reason="该职业不分工种", work_type_name=""
    )
    batch = certificates_export(actor=world.a_operator, organization=world.org_a)
    _headers, rows = sheet_rows(stored(batch))
    assert [(r["证书编号"], r["上报类型"], r["工种/职业方向"]) for r in rows] == [(original.number, "更新", "--")]
    assert corrected.version == 2
    event = AuditEvent.objects.filter(event_type="certificate.exported").order_by("-seq").first()
    assert event.data["updates"] == 1 and event.data["new"] == 0


# --- screens -------------------------------------------------------------------------------------
def url(name: str, org, *args) -> str:
    return reverse(f"certify_export:{name}", args=[org.pk, *args])


@pytest.mark.django_db
def test_the_export_page_shows_counts_and_past_exports(world, issued, as_user, audit_probe):
    page = url("export_page", world.org_a)
    export_screen_guards(world, as_user, method="get", url=page, wrong_method="post")
    text = assert_status(as_user(world.a_operator), "get", page, 200).content.decode()
    assert 'data-count="pending">3<' in text and "尚无导出记录" in text
    batch = certificates_export(actor=world.a_operator, organization=world.org_a)
    probe = audit_probe()
    text = assert_status(as_user(world.a_operator), "get", page, 200).content.decode()
    assert 'data-count="exported">3<' in text and url("export_download", world.org_a, batch.pk) in text
    assert probe.events() == []


@pytest.mark.django_db
def test_the_export_button_exports_with_one_event(world, issued, as_user, audit_probe):
    target = url("export_create", world.org_a)
    export_screen_guards(world, as_user, method="post", url=target, data={"profile": "default"}, wrong_method="get")
    assert not ExportBatch.objects.exists()
    probe = audit_probe()
    response = assert_status(as_user(world.a_operator), "post", target, 302, {"profile": "default"})
    assert response["Location"] == url("export_page", world.org_a)
    assert ExportBatch.objects.get().certificate_count == 3
    assert_one_event(probe, event_type="certificate.exported", actor=world.a_operator, organization=world.org_a)
    probe = audit_probe()
    client = as_user(world.a_operator)
    client.post(target, {"profile": "default"})
    text = client.get(url("export_page", world.org_a)).content.decode()
    assert "没有待上报的证书" in text and probe.events() == []


@pytest.mark.django_db
def test_the_resend_button_exports_only_the_rejected(world, issued, as_user):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=False, note="号码重复")
    assert_status(as_user(world.a_operator), "post", url("export_create", world.org_a), 302, {"only_rejected": "on"})
    batch = ExportBatch.objects.order_by("-pk").first()
    assert batch.only_rejected and batch.certificate_count == 1


@pytest.mark.django_db
def test_the_download_serves_the_stored_file_with_one_event(world, issued, as_user, audit_probe):
    batch = certificates_export(actor=world.a_operator, organization=world.org_a)
    target = url("export_download", world.org_a, batch.pk)
    export_screen_guards(world, as_user, method="get", url=target, wrong_method="post")
    assert_status(as_user(world.b_operator), "get", url("export_download", world.org_b, batch.pk), 404)
    probe = audit_probe()
    response = assert_status(as_user(world.a_operator), "get", target, 200)
    body = b"".join(response.streaming_content)
    assert body == stored(batch) and hashlib.sha256(body).hexdigest() == batch.sha256
    assert response["Cache-Control"] == "no-store" and "attachment" in response["Content-Disposition"]
    event = assert_one_event(probe, event_type="personal_data.viewed", actor=world.a_operator, organization=world.org_a)
    assert event.data["export"] == batch.pk and event.data["sha256"] == batch.sha256


@pytest.mark.django_db
def test_the_lists_take_the_same_number_of_queries_however_long_they_are(world, issued, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(world.a_operator)

    def queries(name: str) -> int:
        client.get(url(name, world.org_a))  # warm the session and permission caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(name, world.org_a)).status_code == 200
        return len(captured)

    certificates_export(actor=world.a_operator, organization=world.org_a, certificate_ids=[issued[0].pk])
    short = (queries("export_page"), queries("results_page"))
    certificates_export(actor=world.a_operator, organization=world.org_a)
    certificate_correct(actor=world.a_operator, certificate=issued[1], reason="更正姓名", holder_name="王芳芳")
    upload_result_record(actor=world.a_operator, certificate=issued[2], accepted=False, note="号码重复")
    assert (queries("export_page"), queries("results_page")) == short
