"""The provincial/national upload: the export profile and its code tables, the export, the
province's answers (one by one and from its feedback file), and the screens' guards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from audit.history import history_group
from audit.models import AuditEvent
from audit.verify import verify_chain
from certify.errors import ImportRejected
from certify.models import Certificate, ExportBatch
from certify.services import export as services
from certify.services.certificates import certificate_correct
from certify.services.export import (
    DEFAULT_PROFILE,
    EXPORT_PROFILES,
    ExportColumn,
    ExportProfile,
    ExportRecord,
    UnmappedCode,
    certificates_export,
    profile_get,
    upload_feedback_import,
    upload_result_record,
)
from certify.services.payload import id_number_of
from tests.helpers import assert_one_event, assert_status, check_guards

DEFAULT_HEADERS = [
    "评价计划编号",
    "姓名",
    "证件类型",
    "证件号码",
    "性别",
    "出生日期",
    "文化程度",
    "职业编码",
    "职业名称",
    "工种/职业方向",
    "职业技能等级",
    "理论知识成绩",
    "操作技能成绩",
    "综合评审成绩",
    "评定结果",
    "考核日期",
    "证书编号",
    "发证日期",
    "评价机构名称",
    "备案编号",
    "上报类型",
]


def record(**changes) -> ExportRecord:
    base = ExportRecord(
        plan_number="PJ2026-0001",
        holder_name="张伟",
        id_type="resident_id",
        id_number="44190019910202001X",
        sex="1",
        birth_date=dt.date(1991, 2, 2),
        education="40",
        occupation_code="6-18-01-01",
        occupation_name="车工",
        work_type_name="数控车工",
        level=4,
        theory=Decimal("80.0"),
        practical=Decimal("82.0"),
        review=None,
        outcome="pass",
        exam_date=dt.date(2026, 11, 20),
        number="Y000044001234264000017",
        issue_date=dt.date(2026, 11, 25),
        organization_name="东莞市甲机械有限公司",
        filing_number="东人社评备〔2025〕001号",
    )
    return dataclasses.replace(base, **changes)


def as_dict(profile: ExportProfile, rec: ExportRecord) -> dict:
    return dict(zip(profile.headers, profile.row(rec), strict=True))


# --- the profile (no database) ------------------------------------------------------------------
def test_the_default_profile_names_every_column_the_upload_matches_by_header():
    assert DEFAULT_PROFILE.headers == DEFAULT_HEADERS
    assert profile_get("default") is DEFAULT_PROFILE


def test_the_default_profile_codes_a_man_a_woman_and_a_foreign_passport_holder():
    man = as_dict(DEFAULT_PROFILE, record())
    woman = as_dict(DEFAULT_PROFILE, record(holder_name="王芳", sex="2", education="47"))
    foreigner = as_dict(
        DEFAULT_PROFILE,
        record(holder_name="JOHN SMITH", id_type="passport", id_number="E12345678", sex="9", birth_date=None),
    )
    assert (man["性别"], woman["性别"], foreigner["性别"]) == ("1", "2", "9")  # GB/T 2261.1, never 0/1
    assert (man["证件类型"], woman["证件类型"], foreigner["证件类型"]) == ("1", "1", "5")
    assert foreigner["证件号码"] == "E12345678" and foreigner["出生日期"] is None
    assert man["出生日期"] == "1991-02-02" and man["考核日期"] == "2026-11-20" and man["发证日期"] == "2026-11-25"
    assert man["证件号码"] == "44190019910202001X"  # text, the X kept
    assert (man["文化程度"], woman["文化程度"]) == ("40", "47")  # GB/T 4658-2006: 技工学校毕业 is 47
    assert man["职业技能等级"] == "4" and man["评定结果"] == "1" and man["上报类型"] == "新增"
    assert man["理论知识成绩"] == Decimal("80.0") and man["综合评审成绩"] is None
    assert man["证书编号"] == "Y000044001234264000017" and man["备案编号"] == "东人社评备〔2025〕001号"


def test_other_identity_documents_go_out_as_other_and_a_missing_education_stays_empty():
    for id_type in ("hkmotw_residence", "hkmo_permit", "tw_permit", "foreign_pr", "other"):
        assert as_dict(DEFAULT_PROFILE, record(id_type=id_type))["证件类型"] == "21"
    assert as_dict(DEFAULT_PROFILE, record(sex="0"))["性别"] == "0"
    assert as_dict(DEFAULT_PROFILE, record(education=""))["文化程度"] == ""


def test_a_certificate_without_work_type_shows_two_dashes_never_blank():
    assert as_dict(DEFAULT_PROFILE, record(work_type_name="--"))["工种/职业方向"] == "--"
    assert as_dict(DEFAULT_PROFILE, record(work_type_name=""))["工种/职业方向"] == "--"


def test_a_correction_goes_out_as_an_update():
    assert as_dict(DEFAULT_PROFILE, record(action=services.UPDATE))["上报类型"] == "更新"


def test_a_value_without_a_code_is_refused_rather_than_sent_blank():
    with pytest.raises(UnmappedCode) as caught:
        DEFAULT_PROFILE.row(record(sex="M"))
    assert caught.value.header == "性别" and caught.value.value == "M"
    with pytest.raises(UnmappedCode):
        DEFAULT_PROFILE.row(record(level=6))  # 特级技师 needs a code in a profile first


def test_another_profile_is_data_chosen_by_name(monkeypatch):
    legacy = dataclasses.replace(
        DEFAULT_PROFILE,
        name="legacy",
        label="旧版",
        columns=(
            ExportColumn("holder_name", "XM"),
            ExportColumn("sex", "XB", codes="sex"),
            ExportColumn("birth_date", "CSRQ"),
        ),
        code_tables={"sex": {"1": "M", "2": "F", "0": "U", "9": "U"}},
        date_format="%Y%m%d",
    )
    monkeypatch.setitem(EXPORT_PROFILES, "legacy", legacy)
    assert profile_get("legacy").row(record(sex="2")) == ["张伟", "F", "19910202"]
    assert ("legacy", "旧版") in services.profile_choices()
    with pytest.raises(ValidationError):
        profile_get("nonexistent")


def test_a_profile_refuses_a_code_table_it_does_not_carry_and_a_field_that_does_not_exist():
    with pytest.raises(ValueError):
        ExportProfile(name="x", label="x", columns=(ExportColumn("sex", "性别", codes="sex"),), code_tables={})
    with pytest.raises(ValueError):
        ExportColumn("salary", "工资")


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
    assert headers == DEFAULT_HEADERS
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
    from certify.services.certificates import certificate_revoke

    certificate_revoke(actor=world.a_operator, certificate=issued[0], category="error", reason="评价结果有误")
    assert certificates_export(actor=world.a_operator, organization=world.org_a).certificate_count == 2


@pytest.mark.django_db
def test_rejected_then_corrected_then_only_the_rejected_are_exported_again(world, issued, audit_probe):
    certificates_export(actor=world.a_operator, organization=world.org_a)
    people = by_name(issued)
    upload_result_record(actor=world.a_operator, certificate=people["张伟"], accepted=True)
    upload_result_record(actor=world.a_operator, certificate=people["刘洋"], accepted=True)
    upload_result_record(actor=world.a_operator, certificate=people["王芳"], accepted=False, note="姓名与证件不符")
    counts = services.upload_counts(world.org_a)
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
    assert services.upload_counts(world.org_a)["rejected_ready"] == 1
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


def feedback_xlsx(rows: list[list], headers=("证书编号", "结果", "退回原因")) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
WRONG_ROLES = ("a_viewer", "a_assessor", "a_reviewer", "bureau_auditor")
OUTSIDERS = ("b_operator", "supervisor")


def url(name: str, org, *args) -> str:
    return reverse(f"certify_export:{name}", args=[org.pk, *args])


def guards(world, as_user, *, method, target, data=None, wrong_method):
    check_guards(
        as_user,
        method=method,
        url=target,
        data=data,
        outsiders=[getattr(world, n) for n in OUTSIDERS],
        wrong_roles=[getattr(world, n) for n in WRONG_ROLES],
        wrong_method=wrong_method,
        user=world.a_operator,
    )


@pytest.mark.django_db
def test_the_export_page_shows_counts_and_past_exports(world, issued, as_user, audit_probe):
    page = url("export_page", world.org_a)
    guards(world, as_user, method="get", target=page, wrong_method="post")
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
    guards(world, as_user, method="post", target=target, data={"profile": "default"}, wrong_method="get")
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
    guards(world, as_user, method="get", target=target, wrong_method="post")
    assert_status(as_user(world.b_operator), "get", url("export_download", world.org_b, batch.pk), 404)
    probe = audit_probe()
    response = assert_status(as_user(world.a_operator), "get", target, 200)
    body = b"".join(response.streaming_content)
    assert body == stored(batch) and hashlib.sha256(body).hexdigest() == batch.sha256
    assert response["Cache-Control"] == "no-store" and "attachment" in response["Content-Disposition"]
    event = assert_one_event(probe, event_type="personal_data.viewed", actor=world.a_operator, organization=world.org_a)
    assert event.data["export"] == batch.pk and event.data["sha256"] == batch.sha256


@pytest.mark.django_db
def test_the_results_page_lists_what_awaits_an_answer(world, issued, as_user, audit_probe):
    page = url("results_page", world.org_a)
    guards(world, as_user, method="get", target=page, wrong_method="post")
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
    guards(world, as_user, method="post", target=target, data=data, wrong_method="get")
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

    check_guards(
        as_user,
        method="post",
        url=target,
        data=None,
        outsiders=[getattr(world, n) for n in OUTSIDERS],
        wrong_roles=[getattr(world, n) for n in WRONG_ROLES],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    bad = assert_status(as_user(world.a_operator), "post", target, 400, upload([[issued[0].number, "退回", ""]]))
    assert "没有导入任何数据" in bad.content.decode() and probe.events() == []
    good = upload([[c.number, "接收", ""] for c in issued])
    assert_status(as_user(world.a_operator), "post", target, 302, good)
    assert set(Certificate.objects.values_list("upload_status", flat=True)) == {"accepted"}
    assert_one_event(probe, event_type="certificate.upload_status", actor=world.a_operator, organization=world.org_a)


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
