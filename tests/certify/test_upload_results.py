"""The province's answers to an upload: one by one and from its feedback file, and their screens."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from audit.history import history_group
from audit.verify import verify_chain
from certify.errors import ImportRejected
from certify.models import Certificate
from certify.services.export import certificates_export
from certify.services.upload_results import upload_feedback_import, upload_result_record
from tests.helpers import assert_one_event, assert_status, export_screen_guards


def feedback_xlsx(rows: list[list], headers=("证书编号", "结果", "退回原因")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the province's answers ---------------------------------------------------------------------
@pytest.mark.django_db
def test_recording_a_result_changes_the_status_with_one_event(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    probe = audit_probe()
    upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=False, note="证件号码校验不通过")
    issued[0].refresh_from_db()
    assert issued[0].upload_status == "rejected" and issued[0].upload_note == "证件号码校验不通过"
    event = assert_one_event(
        probe, event_type="certificate.upload_status", actor=world.a_operator, organization=world.org_a
    )
    assert event.data["changes"] == {"upload_status": ["exported", "rejected"]}
    assert event.reason == "证件号码校验不通过"


@pytest.mark.django_db
def test_a_rejection_needs_its_reason(world, issued):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    with pytest.raises(ValidationError, match="退回原因"):
        upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=False, note="  ")
    issued[0].refresh_from_db()
    assert issued[0].upload_status == "exported"


@pytest.mark.django_db
def test_only_an_exported_certificate_can_get_a_result(world, issued):
    with pytest.raises(ValidationError, match="只有已导出的证书"):
        upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=True)
    certificates_export(actor=world.a_operator, organization=world.org_a)
    upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=True)
    with pytest.raises(ValidationError, match="已接收"):
        upload_result_record(actor=world.a_operator, certificate=issued[0], accepted=False, note="重复")
    with pytest.raises(PermissionDenied):
        upload_result_record(actor=world.a_viewer, certificate=issued[1], accepted=True)


@pytest.mark.django_db
def test_a_feedback_file_with_one_bad_row_writes_nothing(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    a, b, c = issued
    data = feedback_xlsx(
        [
            [a.number, "接收", ""],
            [b.number, "退回", ""],  # no reason
            ["Y000044001234269999999", "接收", ""],  # not ours
            [a.number, "接收", ""],  # twice
            [c.number, "作废", ""],  # unknown answer
        ]
    )
    probe = audit_probe()
    with pytest.raises(ImportRejected) as caught:
        upload_feedback_import(
            actor=world.a_operator, organization=world.org_a, file=io.BytesIO(data), filename="fb.xlsx"
        )
    rows = sorted((e.row, e.column) for e in caught.value.errors)
    assert rows == [(3, "退回原因"), (4, "证书编号"), (5, "证书编号"), (6, "结果")]
    assert probe.events() == []
    assert set(Certificate.objects.values_list("upload_status", flat=True)) == {"exported"}


@pytest.mark.django_db
def test_a_feedback_file_records_every_answer_with_one_event(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    a, b, c = issued
    csv = "证书编号,结果,退回原因\n" + f"{a.number},接收,\n{b.number},退回,出生日期与证件号码不符\n"
    probe = audit_probe()
    result = upload_feedback_import(
        actor=world.a_operator, organization=world.org_a, file=io.BytesIO(csv.encode("gbk")), filename="fb.csv"
    )
    assert (result.rows, result.accepted, result.rejected) == (2, 1, 1)
    statuses = dict(Certificate.objects.values_list("pk", "upload_status"))
    assert (statuses[a.pk], statuses[b.pk], statuses[c.pk]) == ("accepted", "rejected", "exported")
    assert Certificate.objects.get(pk=b.pk).upload_note == "出生日期与证件号码不符"
    event = assert_one_event(
        probe, event_type="certificate.upload_status", actor=world.a_operator, organization=world.org_a
    )
    assert event.data["accepted"] == 1 and event.data["rejected"] == 1
    bound = {entry["model"]: entry for entry in event.history}
    ids, _hash = history_group(Certificate.history.model, bound["certify.HistoricalCertificate"]["ids"])
    assert len(ids) == 2
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_feedback_file_cannot_answer_for_a_certificate_not_exported(world, issued):
    data = feedback_xlsx([[issued[0].number, "接收", ""]])
    with pytest.raises(ImportRejected) as caught:
        upload_feedback_import(
            actor=world.a_operator, organization=world.org_a, file=io.BytesIO(data), filename="f.xlsx"
        )
    assert "只有已导出的证书" in caught.value.errors[0].message


@pytest.mark.django_db
def test_another_organisation_cannot_answer_for_our_certificates(world, issued):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    data = feedback_xlsx([[issued[0].number, "接收", ""]])
    with pytest.raises(ImportRejected) as caught:
        upload_feedback_import(
            actor=world.b_operator, organization=world.org_b, file=io.BytesIO(data), filename="f.xlsx"
        )
    assert "本机构没有证书编号" in caught.value.errors[0].message


# --- screens -------------------------------------------------------------------------------------
def url(name: str, org, *args) -> str:
    return reverse(f"certify_export:{name}", args=[org.pk, *args])


@pytest.mark.django_db
def test_the_results_page_lists_what_awaits_an_answer(world, issued, as_user, audit_probe):
    page = url("results_page", world.org_a)
    export_screen_guards(world, as_user, method="get", url=page, wrong_method="post")
    assert "没有等待反馈的证书" in assert_status(as_user(world.a_operator), "get", page, 200).content.decode()
    certificates_export(actor=world.a_operator, organization=world.org_a)
    probe = audit_probe()
    text = assert_status(as_user(world.a_operator), "get", page, 200).content.decode()
    assert all(c.number in text for c in issued) and probe.events() == []


@pytest.mark.django_db
def test_recording_a_result_on_screen_writes_one_event(world, issued, as_user, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    certificate = issued[0]
    target = url("result_record", world.org_a, certificate.pk)
    data = {"result": "rejected", "note": "姓名有误"}
    export_screen_guards(world, as_user, method="post", url=target, data=data, wrong_method="get")
    assert_status(as_user(world.b_operator), "post", url("result_record", world.org_b, certificate.pk), 404, data)
    probe = audit_probe()
    client = as_user(world.a_operator)
    client.post(target, {"result": "rejected", "note": ""})
    assert probe.events() == []
    assert_status(client, "post", target, 302, data)
    certificate.refresh_from_db()
    assert certificate.upload_status == "rejected" and certificate.upload_note == "姓名有误"
    assert_one_event(probe, event_type="certificate.upload_status", actor=world.a_operator, organization=world.org_a)


@pytest.mark.django_db
def test_importing_the_feedback_file_on_screen(world, issued, as_user, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    target = url("feedback_import", world.org_a)

    def upload(rows):
        return {"file": SimpleUploadedFile("feedback.xlsx", feedback_xlsx(rows))}

    export_screen_guards(world, as_user, method="post", url=target, wrong_method="get")
    probe = audit_probe()
    bad = assert_status(as_user(world.a_operator), "post", target, 400, upload([[issued[0].number, "退回", ""]]))
    assert "没有导入任何数据" in bad.content.decode() and probe.events() == []
    good = upload([[c.number, "接收", ""] for c in issued])
    assert_status(as_user(world.a_operator), "post", target, 302, good)
    assert set(Certificate.objects.values_list("upload_status", flat=True)) == {"accepted"}
    assert_one_event(probe, event_type="certificate.upload_status", actor=world.a_operator, organization=world.org_a)
