"""The upload file's layout: the default export profile, its code tables, and other profiles as data
(no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from certify.services.export_profiles import (
    DEFAULT_PROFILE,
    EXPORT_PROFILES,
    UPDATE,
    ExportColumn,
    ExportProfile,
    ExportRecord,
    UnmappedCode,
    profile_choices,
    profile_get,
)

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
    assert as_dict(DEFAULT_PROFILE, record(action=UPDATE))["上报类型"] == "更新"


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
    assert ("legacy", "旧版") in profile_choices()
    with pytest.raises(ValidationError):
        profile_get("nonexistent")


def test_a_profile_refuses_a_code_table_it_does_not_carry_and_a_field_that_does_not_exist():
    with pytest.raises(ValueError):
        ExportProfile(name="x", label="x", columns=(ExportColumn("sex", "性别", codes="sex"),), code_tables={})
    with pytest.raises(ValueError):
        ExportColumn("salary", "工资")


def test_primary_school_and_other_education_have_their_own_codes():
    """Issue 12: 小学 was folded into 初中及以下 and 其他 was missing; GB/T 4658 codes them 80 and 90."""
    assert [as_dict(DEFAULT_PROFILE, record(education=code))["文化程度"] for code in ("70", "80", "90")] == [
        "70",
        "80",
        "90",
    ]
