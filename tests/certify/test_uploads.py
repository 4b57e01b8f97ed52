"""Every import refuses a file that would cost too much to read and writes nothing (issue 9,
finding 5); the upload pages cap the bytes of a file before anything reads it."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from audit.models import AuditEvent
from certify.errors import ImportRejected
from certify.models import Enrolment, Occupation, Person, Score
from certify.views.uploads import CappedUploadHandler
from tests.lib.bombs import shared_strings_bomb

pytestmark = pytest.mark.django_db

BOMB_MESSAGE = "文件解压后有一部分超过 50 MB，请删除多余的工作表、图片或格式，或拆分后分批上传"


def _roster(world, request):
    from certify.services.imports import roster_import

    plan = request.getfixturevalue("plan_factory")()
    return lambda upload: roster_import(actor=world.a_operator, plan=plan, file=upload, filename=upload.name)


def _scores(world, request):
    from certify.services.imports import scores_import

    plan = request.getfixturevalue("scoring_plan")
    return lambda upload: scores_import(actor=world.a_assessor, plan=plan, file=upload, filename=upload.name)


def _supplied_numbers(world, request):
    from certify.services.supplied_numbers import supplied_numbers_import

    plan = request.getfixturevalue("closed_plan")
    return lambda upload: supplied_numbers_import(actor=world.a_operator, plan=plan, file=upload, filename=upload.name)


def _feedback(world, request):
    from certify.services.upload_results import upload_feedback_import

    return lambda upload: upload_feedback_import(
        actor=world.a_org_admin, organization=world.org_a, file=upload, filename=upload.name
    )


def _catalogue(world, request):
    from certify.services.catalogue import catalogue_import

    return lambda upload: catalogue_import(actor=world.bureau_admin, file=upload, filename=upload.name)


def _counts() -> tuple[int, ...]:
    """Rows written since the start: audit events (sign-ins aside) and the rows the imports make."""
    events = AuditEvent.objects.exclude(event_type__startswith="auth.")
    return (events.count(), *(model.objects.count() for model in (Person, Enrolment, Score, Occupation)))


@pytest.mark.parametrize("importer", [_roster, _scores, _supplied_numbers, _feedback, _catalogue])
def test_each_of_the_five_imports_refuses_the_shared_strings_bomb_and_writes_nothing(world, request, importer):
    do_import = importer(world, request)
    upload = SimpleUploadedFile("名单.xlsx", shared_strings_bomb(mib=237))
    before = _counts()

    with pytest.raises(ImportRejected) as caught:
        do_import(upload)

    assert [str(error) for error in caught.value.errors] == [BOMB_MESSAGE]
    assert _counts() == before


def test_the_roster_page_refuses_the_bomb_with_its_message_and_writes_nothing(world, as_user, plan_factory):
    plan = plan_factory()
    url = reverse("certify:roster_import", kwargs={"org_id": plan.organization_id, "plan_id": plan.pk})
    bomb = SimpleUploadedFile("名册.xlsx", shared_strings_bomb(mib=237))
    before = _counts()

    response = as_user(world.a_operator).post(url, {"file": bomb})

    assert response.status_code == 400
    assert BOMB_MESSAGE in response.content.decode()
    assert _counts() == before


def test_an_import_page_refuses_a_file_over_the_byte_cap_at_the_field_before_the_service_sees_it(
    world, as_user, plan_factory, settings, monkeypatch
):
    settings.SKILLCERT_UPLOAD_MAX_BYTES = 64 * 1024
    plan = plan_factory()
    url = reverse("certify:roster_import", kwargs={"org_id": plan.organization_id, "plan_id": plan.pk})
    monkeypatch.setattr("certify.services.imports.roster_import", lambda **kwargs: pytest.fail("the service ran"))
    before = _counts()

    response = as_user(world.a_operator).post(url, {"file": SimpleUploadedFile("名册.csv", b"x" * 200_000)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "文件超过 64 KB，请删除多余的工作表、图片和空行，或拆分后分批上传"
    ]
    assert _counts() == before


def _parse_upload(size: int, *, handlers) -> object:
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("名册.csv", b"x" * size)})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    _post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    return files["file"]


def test_the_upload_handler_keeps_one_byte_past_the_cap_and_drops_the_rest(settings):
    settings.SKILLCERT_UPLOAD_MAX_BYTES = 100_000
    handlers = [CappedUploadHandler(), MemoryFileUploadHandler()]

    upload = _parse_upload(3_000_000, handlers=handlers)

    assert upload.size == 100_001
    assert len(upload.read()) == 100_001


def test_the_upload_handler_passes_a_file_within_the_cap_untouched(settings):
    settings.SKILLCERT_UPLOAD_MAX_BYTES = 100_000

    upload = _parse_upload(100_000, handlers=[CappedUploadHandler(), MemoryFileUploadHandler()])

    assert upload.read() == b"x" * 100_000


def test_the_capped_handler_is_the_first_upload_handler(settings):
    assert settings.FILE_UPLOAD_HANDLERS[0] == "certify.views.uploads.CappedUploadHandler"


@pytest.mark.django_db
def test_a_photo_bomb_sent_through_the_service_writes_nothing(world, plan_factory, audit_probe):
    from certify.services.enrolments import enrolment_register, enrolment_set_photo
    from tests.lib import bombs
    from tests.workflow import candidate, candidate_ids

    enrolment = enrolment_register(
        actor=world.a_operator, plan=plan_factory(), data=candidate("张伟", candidate_ids(1)[0])
    )
    probe = audit_probe()

    with pytest.raises(ValidationError) as caught:
        enrolment_set_photo(actor=world.a_operator, enrolment=enrolment, data=bombs.png(6400, 9000))

    assert "分辨率过高" in caught.value.message_dict["photo"][0]
    assert probe.events() == []
    enrolment.refresh_from_db()
    assert not enrolment.photo


@pytest.mark.django_db
def test_a_seal_bomb_sent_through_the_service_writes_nothing(world, audit_probe):
    from certify.models import Seal
    from certify.services.certificates import seal_upload
    from tests.lib import bombs

    probe = audit_probe()

    with pytest.raises(ValidationError) as caught:
        seal_upload(actor=world.a_org_admin, organization=world.org_a, data=bombs.png(7700, 7700))

    assert "分辨率过高" in caught.value.message_dict["image"][0]
    assert probe.events() == []
    assert not Seal.objects.filter(organization=world.org_a).exists()
