"""The occupation catalogue: all-or-nothing import with row-level errors, idempotent re-import."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from certify.errors import ImportRejected
from certify.models import Occupation, WorkType
from certify.services.catalogue import catalogue_import, catalogue_import_builtin
from tests.helpers import assert_one_event, assert_status, check_guards

pytestmark = pytest.mark.django_db

HEADERS = ["职业编码", "职业名称", "工种/职业方向", "英文名称", "大典版本"]


def _rows(n: int) -> list[list]:
    """n distinct occupations with valid codes, every fifth with a 工种."""
    rows = []
    for i in range(n):
        code = f"9-{i // 10000 + 10:02d}-{i // 100 % 100:02d}-{i % 100:02d}"
        rows.append([code, f"测试职业{i}", f"测试工种{i}" if i % 5 == 0 else "", f"Test occupation {i}", "2022"])
    return rows


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_builtin_catalogue_loads_117_occupations(world):
    result = catalogue_import_builtin(actor=world.bureau_admin)
    assert result.occupations_created == 117
    assert Occupation.objects.get(code="6-18-01-01").name == "车工"


def test_a_thousand_rows_with_three_bad_ones_import_nothing_and_name_exactly_those_rows(world):
    rows = _rows(1000)
    rows[99][0] = "6-18-1-01"  # malformed code → Excel row 101
    rows[499][1] = ""  # missing name → row 501
    rows[899][4] = "22"  # bad edition → row 901
    before = AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as caught:
        catalogue_import(actor=world.bureau_admin, file=io.BytesIO(_xlsx(rows)), filename="目录.xlsx")
    errors = caught.value.errors
    assert [(e.row, e.column) for e in errors] == [(101, "职业编码"), (501, "职业名称"), (901, "大典版本")]
    assert str(errors[0]).startswith("第 101 行「职业编码」：")
    assert Occupation.objects.count() == 0
    assert WorkType.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_the_corrected_file_imports_all_rows_and_a_reimport_changes_nothing(world, audit_probe):
    content = _xlsx(_rows(1000))
    probe = audit_probe()
    result = catalogue_import(actor=world.bureau_admin, file=io.BytesIO(content), filename="目录.xlsx")
    assert (result.occupations_created, result.work_types_created) == (1000, 200)
    assert Occupation.objects.count() == 1000
    event = assert_one_event(probe, event_type="catalogue.imported", actor=world.bureau_admin)
    assert {g["model"] for g in event.history} == {"certify.HistoricalOccupation", "certify.HistoricalWorkType"}
    history_rows = Occupation.history.count()

    probe = audit_probe()
    again = catalogue_import(actor=world.bureau_admin, file=io.BytesIO(content), filename="目录.xlsx")
    assert not again.changed
    assert Occupation.objects.count() == 1000
    assert Occupation.history.count() == history_rows
    assert probe.events() == []


def test_two_rows_giving_one_code_different_names_are_refused(world):
    rows = [["6-18-01-01", "车工", "", "", "2022"], ["6-18-01-01", "铣工", "", "", "2022"]]
    with pytest.raises(ImportRejected) as caught:
        catalogue_import(actor=world.bureau_admin, file=io.BytesIO(_xlsx(rows)), filename="x.xlsx")
    assert "与第 2 行同一职业编码的名称「车工」不一致" in str(caught.value.errors[0])


def test_only_the_bureau_admin_imports(world):
    from django.core.exceptions import PermissionDenied

    for user in (world.bureau_auditor, world.a_org_admin):
        with pytest.raises(PermissionDenied):
            catalogue_import_builtin(actor=user)


# --- views --------------------------------------------------------------------------------
def test_catalogue_list_is_for_bureau_readers(world, as_user, catalogue):
    url = reverse("certify:catalogue_list")
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert "车工" in text and "校验并导入" not in text
    check_guards(
        as_user,
        method="get",
        url=url,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )


def test_catalogue_import_view_reports_rows_in_chinese_and_writes_nothing(world, as_user):
    rows = _rows(5)
    rows[2][0] = "bad"
    upload = SimpleUploadedFile("目录.xlsx", _xlsx(rows))
    response = as_user(world.bureau_admin).post(reverse("certify:catalogue_import"), {"file": upload})
    assert response.status_code == 400
    text = response.content.decode()
    assert "没有导入任何数据" in text and "职业编码" in text
    assert Occupation.objects.count() == 0


def test_catalogue_import_view_success_writes_one_event(world, as_user, audit_probe):
    probe = audit_probe()
    upload = SimpleUploadedFile("目录.xlsx", _xlsx(_rows(3)))
    assert_status(as_user(world.bureau_admin), "post", reverse("certify:catalogue_import"), 302, {"file": upload})
    assert Occupation.objects.count() == 3
    assert_one_event(probe, event_type="catalogue.imported", actor=world.bureau_admin)


def test_catalogue_import_view_guards(world, as_user):
    url = reverse("certify:catalogue_import")
    check_guards(
        as_user,
        method="post",
        url=url,
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="get",
        user=world.bureau_admin,
    )


def test_builtin_import_view(world, as_user, audit_probe):
    url = reverse("certify:catalogue_import_builtin")
    check_guards(
        as_user, method="post", url=url, wrong_roles=[world.bureau_auditor], wrong_method="get", user=world.bureau_admin
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302)
    assert Occupation.objects.count() == 117
    assert_one_event(probe, event_type="catalogue.imported", actor=world.bureau_admin)


def test_template_download(world, as_user):
    url = reverse("certify:catalogue_template")
    response = assert_status(as_user(world.bureau_admin), "get", url, 200)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "职业编码" in str(book.active["A1"].value)
    check_guards(
        as_user, method="get", url=url, wrong_roles=[world.a_operator], wrong_method="post", user=world.bureau_admin
    )


def test_shortage_flag(world, as_user, catalogue, audit_probe):
    occupation = Occupation.objects.get(code="6-31-01-03")
    url = reverse("certify:occupation_shortage", args=[occupation.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        data={"is_shortage": "1"},
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="get",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302, {"is_shortage": "1"})
    occupation.refresh_from_db()
    assert occupation.is_shortage
    assert_one_event(probe, event_type="occupation.updated", actor=world.bureau_admin)
