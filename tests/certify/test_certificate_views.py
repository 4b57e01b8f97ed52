"""Certificate views: issuing with progress, the certificate page, its life, PDFs, the seal.
Each: outsider 404, wrong role 403, anonymous → login, wrong method 405, success → change + event."""

import io
import re
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageDraw

from certify.models import Certificate, IssuanceBatch, Seal
from certify.services.payload import check_code_of, id_number_of
from lib.checkcode import format_check_code
from tests.helpers import assert_one_event, assert_status, check_guards, page_queries

pytestmark = pytest.mark.django_db


def plan_url(name, plan, *args):
    return reverse(f"certify:{name}", args=[plan.organization_id, plan.pk, *args])


def cert_url(name, certificate):
    return reverse(f"certify:{name}", args=[certificate.organization_id, certificate.pk])


def test_issuing_through_the_view_shows_progress(
    world, as_user, closed_plan, audit_probe, django_capture_on_commit_callbacks
):
    start = plan_url("issuance_start", closed_plan)
    check_guards(
        as_user,
        method="post",
        url=start,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_reviewer, world.a_assessor, world.bureau_admin],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(world.a_operator).post(start)
    assert response.status_code == 302 and response["Location"] == plan_url("issuance_progress", closed_plan)
    kinds = [e.event_type for e in probe.events()]
    assert kinds[0] == "issuance.requested" and kinds.count("certificate.issued") == 3
    request_event = probe.events()[0]
    assert (request_event.actor_id, request_event.organization_id) == (world.a_operator.pk, world.org_a.pk)
    progress = plan_url("issuance_progress", closed_plan)
    text = assert_status(as_user(world.a_viewer), "get", progress, 200).content.decode()
    assert "已完成 3 / 3，失败 0，剩余 0" in text
    check_guards(
        as_user, method="get", url=progress, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer
    )
    data = assert_status(as_user(world.a_viewer), "get", plan_url("issuance_progress_json", closed_plan), 200).json()
    assert (data["done"], data["failed"], data["remaining"], data["combined_ready"]) == (3, 0, 0, True)
    assert data["counts_text"] == "已完成 3 / 3，失败 0，剩余 0"  # the live update's line, in the reader's language
    english = as_user(world.a_viewer)
    english.cookies["django_language"] = "en"
    assert "已完成" not in english.get(plan_url("issuance_progress_json", closed_plan)).json()["counts_text"]


def test_a_refused_issue_shows_every_reason(world, as_user, scoring_plan):
    response = as_user(world.a_operator).post(plan_url("issuance_start", scoring_plan), follow=True)
    assert "评价计划尚未结束" in response.content.decode()
    assert not IssuanceBatch.objects.exists()


def test_combined_print_file(world, as_user, issued, closed_plan, audit_probe, tmp_path):
    combined = plan_url("issuance_combined_pdf", closed_plan)
    check_guards(
        as_user,
        method="get",
        url=combined,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor],
        wrong_method="post",
        user=world.a_operator,
    )
    probe = audit_probe()
    response = assert_status(as_user(world.a_operator), "get", combined, 200)
    body = b"".join(response.streaming_content)
    pdf = tmp_path / "batch.pdf"
    pdf.write_bytes(body)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M), info  # one page per certificate of the batch
    # every holder's full ID number: audited as a look at personal data (issue 9)
    event = assert_one_event(probe, event_type="personal_data.viewed", actor=world.a_operator, organization=world.org_a)
    assert event.data["field"] == "combined_pdf"


def test_retry_view(world, as_user, issued, closed_plan):
    certificate = issued[0]
    retry = plan_url("certificate_retry", closed_plan, certificate.pk)
    check_guards(
        as_user,
        method="post",
        url=retry,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    response = as_user(world.a_operator).post(retry, follow=True)
    assert "只有生成失败的证书可以重试" in response.content.decode()


def test_certificate_list_and_detail(world, as_user, issued):
    listing = reverse("certify:certificate_list", args=[world.org_a.pk])
    text = assert_status(as_user(world.a_viewer), "get", listing, 200).content.decode()
    assert all(c.number in text for c in issued)
    check_guards(
        as_user,
        method="get",
        url=listing,
        outsiders=[world.b_operator, world.supervisor],
        wrong_method="post",
        user=world.a_viewer,
    )
    detail = cert_url("certificate_detail", issued[0])
    text = assert_status(as_user(world.a_viewer), "get", detail, 200).content.decode()
    assert issued[0].number in text and "撤销证书" not in text  # a viewer cannot change certificates
    assert_status(as_user(world.bureau_auditor), "get", detail, 200)
    check_guards(
        as_user, method="get", url=detail, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer
    )
    assert_status(
        as_user(world.b_operator),
        "get",
        reverse("certify:certificate_detail", args=[world.org_b.pk, issued[0].pk]),
        404,
    )


def test_the_versions_list_shows_only_the_organisations_own_rows(world, as_user, issued):
    """The versions are looked up by number within the organisation: a row of another tenant that
    carries the same number (a forged or mistyped import) never appears on this page."""
    stray = Certificate.objects.get(pk=issued[0].pk)
    stray.pk, stray.organization, stray.version, stray.holder_name = None, world.org_b, 2, "外机构同号记录"
    stray.save()
    text = assert_status(as_user(world.a_viewer), "get", cert_url("certificate_detail", issued[0]), 200)
    assert "外机构同号记录" not in text.content.decode()


def _pdf_text(response, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(b"".join(response.streaming_content))
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_certificate_pdf_download_is_audited(world, as_user, issued, audit_probe):
    pdf = cert_url("certificate_pdf", issued[0])
    check_guards(as_user, method="get", url=pdf, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer)
    probe = audit_probe()
    response = assert_status(as_user(world.a_viewer), "get", pdf, 200)
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store"
    assert_one_event(probe, event_type="certificate.downloaded", actor=world.a_viewer, organization=world.org_a)


@pytest.mark.parametrize("role", ["a_viewer", "a_assessor"])
def test_finding_3_roles_without_the_personal_data_right_get_a_masked_view_only_pdf(
    world, as_user, issued, audit_probe, tmp_path, role
):
    """Finding 3: a viewer or assessor downloaded the PDF with the holder's full ID number."""
    certificate = issued[0]
    full_id = id_number_of(certificate.person)
    probe = audit_probe()

    response = assert_status(as_user(getattr(world, role)), "get", cert_url("certificate_pdf", certificate), 200)

    text = _pdf_text(response, tmp_path)
    assert full_id not in text.replace(" ", "")
    assert full_id[:6] + "********" + full_id[-4:] in text.replace(" ", "")
    assert "仅供查阅" in text and "查验码" not in text and check_code_of(certificate)[:4] not in text
    assert "仅供查阅" in response["Content-Disposition"] or "%E4%BB%85" in response["Content-Disposition"]
    event = assert_one_event(probe, event_type="certificate.downloaded", actor=getattr(world, role))
    assert event.data["view_only"] is True


def test_the_full_pdf_goes_to_the_personal_data_right_and_is_audited_as_such(
    world, as_user, issued, audit_probe, tmp_path
):
    certificate = issued[0]
    probe = audit_probe()

    response = assert_status(as_user(world.a_operator), "get", cert_url("certificate_pdf", certificate), 200)

    text = _pdf_text(response, tmp_path).replace(" ", "")
    assert id_number_of(certificate.person) in text and "仅供查阅" not in text
    assert format_check_code(check_code_of(certificate)) in text
    event = assert_one_event(probe, event_type="personal_data.viewed", actor=world.a_operator, organization=world.org_a)
    assert event.data["field"] == "certificate_pdf" and event.data["number"] == certificate.number


@pytest.mark.parametrize(
    ("name", "data", "event_type", "status"),
    [
        # an operator's revocation is a request for a second person (tests/certify/test_revocation.py)
        (
            "certificate_revoke",
            {"category": "fraud", "reason": "伪造工作年限"},
            "certificate.revocation_requested",
            "valid",
        ),
        ("certificate_suspend", {"reason": "核查举报"}, "certificate.suspended", "suspended"),
        ("certificate_reissue", {"reason": "证书遗失"}, "certificate.reissued", "valid"),
    ],
)
def test_lifecycle_views(
    world, as_user, issued, audit_probe, name, data, event_type, status, django_capture_on_commit_callbacks
):
    certificate = issued[0]
    target = cert_url(name, certificate)
    check_guards(
        as_user,
        method="post",
        url=target,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_reviewer, world.bureau_auditor],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    with django_capture_on_commit_callbacks(execute=True):
        assert_status(as_user(world.a_operator), "post", target, 302, data)
    certificate.refresh_from_db()
    assert certificate.status == status
    events = probe.events()
    assert events[0].event_type == event_type and events[0].actor_id == world.a_operator.pk
    # a re-issue renders the new print, and the batch's combined print file follows
    assert {e.event_type for e in events[1:]} <= {"certificate.pdf_rendered", "issuance.completed"}


def test_the_bureau_admin_may_revoke_any_certificate(world, as_user, issued, audit_probe):
    probe = audit_probe()
    target = cert_url("certificate_revoke", issued[1])
    assert_status(
        as_user(world.bureau_admin), "post", target, 302, {"category": "misconduct", "reason": "督导发现违规"}
    )
    assert_one_event(probe, event_type="certificate.revoked", actor=world.bureau_admin, organization=world.org_a)


def test_reinstate_view(world, as_user, issued, audit_probe):
    from certify.services.certificates import certificate_suspend

    certificate = certificate_suspend(actor=world.a_operator, certificate=issued[0], reason="核查")
    target = cert_url("certificate_reinstate", certificate)
    check_guards(
        as_user,
        method="post",
        url=target,
        data={"reason": "x"},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", target, 302, {"reason": "核查无误"})
    assert_one_event(probe, event_type="certificate.reinstated", actor=world.a_operator, organization=world.org_a)


def test_correct_view_makes_a_new_version(world, as_user, issued, audit_probe, django_capture_on_commit_callbacks):
    certificate = issued[0]
    target = cert_url("certificate_correct", certificate)
    data = {"holder_name": certificate.holder_name, "work_type_name": "普通车工", "reason": "工种填写错误"}
    check_guards(
        as_user,
        method="post",
        url=target,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    with django_capture_on_commit_callbacks(execute=True):
        assert_status(as_user(world.a_operator), "post", target, 302, data)
    certificate.refresh_from_db()
    new = Certificate.objects.get(number=certificate.number, version=2)
    assert (
        certificate.status == "replaced" and new.work_type_name == "普通车工" and new.signature != certificate.signature
    )
    assert probe.events()[0].event_type == "certificate.corrected"


def _seal_png() -> bytes:
    image = Image.new("RGBA", (400, 400), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((20, 20, 380, 380), outline=(200, 0, 0, 255), width=16)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_seal_upload_and_image(world, as_user, audit_probe):
    page = reverse("certify:seal_page", args=[world.org_a.pk])
    assert_status(as_user(world.a_viewer), "get", page, 200)
    data = {"image": SimpleUploadedFile("seal.png", _seal_png())}
    check_guards(
        as_user,
        method="post",
        url=page,
        data={"image": SimpleUploadedFile("s.png", _seal_png())},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator, world.a_viewer],
        wrong_method="put",
        user=world.a_org_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_org_admin), "post", page, 302, data)
    assert Seal.objects.filter(organization=world.org_a).exists()
    assert_one_event(probe, event_type="seal.uploaded", actor=world.a_org_admin, organization=world.org_a)
    image = reverse("certify:seal_image", args=[world.org_a.pk])
    response = assert_status(as_user(world.a_viewer), "get", image, 200)
    assert response["Content-Type"] == "image/png"
    check_guards(
        as_user, method="get", url=image, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer
    )


def test_bureau_certificate_list(world, as_user, issued):
    listing = reverse("certify:bureau_certificate_list")
    text = assert_status(as_user(world.bureau_auditor), "get", listing, 200).content.decode()
    assert issued[0].number in text
    check_guards(
        as_user,
        method="get",
        url=listing,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )


def test_the_certificate_list_query_count_does_not_grow(world, as_user, issued, django_capture_on_commit_callbacks):
    from certify.services.certificates import certificate_correct

    client = as_user(world.a_viewer)
    listing = reverse("certify:certificate_list", args=[world.org_a.pk])
    at_n = page_queries(client, listing)
    with django_capture_on_commit_callbacks(execute=True):
        for certificate in issued:  # each correction adds a version: the list doubles
            certificate_correct(
                actor=world.a_operator,
                certificate=certificate,
                reason="更正姓名",
                holder_name=certificate.holder_name + "某",
            )
    assert Certificate.objects.filter(organization=world.org_a).count() == 2 * len(issued)
    assert page_queries(client, listing) == at_n <= 12


def test_supplied_numbers_page(world, as_user, closed_plan, audit_probe):
    from certify.models import Enrolment
    from tests.builders import province_number, supplied_numbers_file
    from tests.workflow import candidate_ids

    page = plan_url("supplied_numbers", closed_plan)
    assert_status(as_user(world.a_operator), "get", page, 200)
    check_guards(
        as_user,
        method="get",
        url=page,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_reviewer],
        wrong_method="put",
        user=world.a_operator,
    )
    upload = SimpleUploadedFile(
        "n.xlsx", supplied_numbers_file([["张伟", candidate_ids(1)[0], province_number(world.org_a, 4, 77)]])
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", page, 302, {"file": upload})
    assert Enrolment.objects.get(plan=closed_plan, person__name="张伟").supplied_number.endswith("000077")
    assert_one_event(probe, event_type="certificate.supplied_numbers", actor=world.a_operator, organization=world.org_a)
