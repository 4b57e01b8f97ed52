"""Issue 11, photos up front: a zip of photos named by ID number or 工号, matched to the plan's
candidates, each checked and normalised like a single upload, with a line per file."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from certify.models import Enrolment
from certify.services.enrolments import person_id_number
from certify.services.photo_batch import REFUSED, SAVED, SKIPPED, UNMATCHED, photos_import_zip
from tests.workflow import candidate_ids, photo_bytes

pytestmark = pytest.mark.django_db


def zip_of(files: dict[str, bytes], *, gbk_names: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            if gbk_names:  # as Windows' "send to compressed folder" writes Chinese names
                info = zipfile.ZipInfo(name.encode("gbk").decode("cp437"))
                archive.writestr(info, data)
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def candidates(plan) -> dict[str, Enrolment]:
    return {e.person.name: e for e in Enrolment.objects.filter(plan=plan).select_related("person")}


def test_photos_named_by_id_number_and_employee_number_are_matched_checked_and_kept(world, ready_plan):
    people = candidates(ready_plan)
    zhang, wang = people["张伟"], people["王芳"]
    from audit.history import bulk_update_audited

    wang.employee_number = "GH-0042"  # 王芳 is matched by her 工号
    bulk_update_audited(Enrolment, [wang], ["employee_number"], actor=world.a_operator, reason="test setup")
    archive = zip_of(
        {
            f"照片/{person_id_number(zhang.person).lower()}.JPG": photo_bytes(),  # a lower-case x still matches
            "照片/gh-0042.jpg": photo_bytes(),
            "照片/110101199003077777.jpg": photo_bytes(),
            "照片/说明.txt": b"hello",
            "照片/.DS_Store": b"\0",
            "__MACOSX/照片/._x.jpg": b"\0",
        }
    )

    lines = photos_import_zip(actor=world.a_operator, plan=ready_plan, data=archive)

    assert [(line.filename, line.outcome, line.candidate) for line in lines] == [
        (f"{person_id_number(zhang.person).lower()}.JPG", SAVED, "张伟"),
        ("gh-0042.jpg", SAVED, "王芳"),
        ("110101199003077777.jpg", UNMATCHED, ""),
        ("说明.txt", SKIPPED, ""),
    ]
    zhang.refresh_from_db()
    wang.refresh_from_db()
    assert zhang.photo and wang.photo
    assert AuditEvent.objects.filter(event_type="enrolment.photo_set").count() == 2


def test_a_bad_photo_is_refused_with_its_reason_and_the_good_ones_are_kept(world, ready_plan):
    people = candidates(ready_plan)
    archive = zip_of(
        {
            f"{person_id_number(people['张伟'].person)}.jpg": photo_bytes(),
            f"{person_id_number(people['李娜'].person)}.png": b"not an image at all",
            f"{person_id_number(people['张伟'].person)}.png": photo_bytes(),
        }
    )

    lines = photos_import_zip(actor=world.a_operator, plan=ready_plan, data=archive)

    assert [line.outcome for line in lines] == [SAVED, REFUSED, SKIPPED]
    assert lines[1].candidate == "李娜" and lines[1].message
    assert "只保存了第一张" in lines[2].message
    people = candidates(ready_plan)
    assert people["张伟"].photo and not people["李娜"].photo


def test_chinese_file_names_from_a_windows_zip_are_read(world, ready_plan):
    people = candidates(ready_plan)
    number = person_id_number(people["刘洋"].person)
    lines = photos_import_zip(
        actor=world.a_operator, plan=ready_plan, data=zip_of({f"刘洋/{number}.jpg": photo_bytes()}, gbk_names=True)
    )
    assert [(line.outcome, line.candidate) for line in lines] == [(SAVED, "刘洋")]


def test_not_a_zip_and_another_organisations_clerk_are_refused(world, ready_plan):
    with pytest.raises(ValidationError, match="不是有效的 zip 压缩包"):
        photos_import_zip(actor=world.a_operator, plan=ready_plan, data=b"PK\x03\x04 broken")
    with pytest.raises(PermissionDenied):
        photos_import_zip(actor=world.b_operator, plan=ready_plan, data=zip_of({"x.jpg": photo_bytes()}))


def test_the_page_reports_every_file_and_keeps_the_form(world, ready_plan, as_user):
    people = candidates(ready_plan)
    url = reverse("certify:photos_upload", args=[world.org_a.pk, ready_plan.pk])
    client = as_user(world.a_operator)
    assert client.get(url).status_code == 200
    archive = zip_of({f"{person_id_number(people['张伟'].person)}.jpg": photo_bytes(), "nobody.jpg": photo_bytes()})

    response = client.post(url, {"file": SimpleUploadedFile("photos.zip", archive, content_type="application/zip")})

    page = response.content.decode()
    assert response.status_code == 200
    assert "已保存 1 张照片" in page and 'data-outcome="unmatched"' in page and "nobody.jpg" in page
    broken = client.post(url, {"file": SimpleUploadedFile("photos.zip", b"nope", content_type="application/zip")})
    assert broken.status_code == 400 and "不是有效的 zip 压缩包" in broken.content.decode()
    assert as_user(world.b_operator).get(url).status_code == 404
    plan_page = client.get(ready_plan.get_absolute_url()).content.decode()
    assert url in plan_page


# --- a photo at registration ----------------------------------------------------------------------
def _registration(number: str, **extra) -> dict:
    return {
        "name": "周杰",
        "id_type": "resident_id",
        "id_number": number,
        "years_in_occupation": "7",
        "route": "promotion",
        "diploma_in_field": "on",
        **extra,
    }


def test_a_photo_given_at_registration_is_kept_with_the_candidate(world, plan_factory, as_user):
    plan = plan_factory()
    number = candidate_ids(1, start=700)[0]
    url = reverse("certify:enrolment_create", args=[world.org_a.pk, plan.pk])
    photo = SimpleUploadedFile("周杰.jpg", photo_bytes(), content_type="image/jpeg")

    response = as_user(world.a_operator).post(url, {**_registration(number), "photo": photo})

    assert response.status_code == 302
    enrolment = Enrolment.objects.get(plan=plan, person__name="周杰")
    assert enrolment.photo
    assert AuditEvent.objects.filter(event_type="enrolment.photo_set", target_id=str(enrolment.pk)).count() == 1


def test_a_bad_photo_at_registration_registers_nothing_and_says_so_at_the_photo(world, plan_factory, as_user):
    plan = plan_factory()
    number = candidate_ids(1, start=701)[0]
    url = reverse("certify:enrolment_create", args=[world.org_a.pk, plan.pk])
    bad = SimpleUploadedFile("周杰.jpg", b"not a photo", content_type="image/jpeg")

    response = as_user(world.a_operator).post(url, {**_registration(number), "photo": bad})

    page = response.content.decode()
    assert response.status_code == 200
    assert not Enrolment.objects.filter(plan=plan).exists()
    assert 'id="id_photo"' in page and "errorlist" in page
    assert 'value="周杰"' in page and f'value="{number}"' in page  # what was typed is still there
