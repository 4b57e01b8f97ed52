"""Issuing: who gets a certificate, the refusals, numbers, signatures, idempotency of the job."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.models import AuditEvent
from certify import dispatch
from certify.keys import certificate_keyring
from certify.models import AssessmentPlan, Certificate, IssuanceBatch, NumberCounter
from certify.scenarios import plan_walk
from certify.services import issuing, payload, rendering, supplied_numbers
from certify.services.filings import filing_suspend
from lib import numbering
from tests.builders import province_number, supplied_numbers_file

pytestmark = pytest.mark.django_db


def test_only_passing_candidates_get_certificates_with_well_formed_numbers(world, issued, closed_plan):
    assert sorted(c.holder_name for c in issued) == ["刘洋", "张伟", "王芳"]  # 李娜 failed
    year = issued[0].issue_date.year
    for serial, certificate in enumerate(issued, start=1):
        parts = numbering.parse_number(certificate.number)
        assert (parts.org_sequence, parts.year, parts.level, parts.serial) == (
            world.org_a.province_sequence,
            year,
            4,
            serial,
        )
        assert numbering.validate_number(certificate.number, level=4, year=year, province_code="44") == []
        assert certificate.work_type_name == "数控车工" and certificate.level_wording == "四级/中级工"
        assert certificate.pdf_status == "done" and len(certificate.pdf_sha256) == 64


def test_every_certificate_is_signed_over_its_printed_fields(issued):
    ring = certificate_keyring()
    for certificate in issued:
        signed = payload.payload_of(certificate)
        assert ring.verify(kid=certificate.key_id, payload=signed, signature=certificate.signature)
        tampered = signed.replace(certificate.holder_name.encode(), "王五".encode())
        assert not ring.verify(kid=certificate.key_id, payload=tampered, signature=certificate.signature)


def test_issuance_writes_one_event_per_certificate_by_the_operator(world, issued):
    events = AuditEvent.objects.filter(event_type="certificate.issued")
    assert events.count() == 3
    assert {e.actor_id for e in events} == {world.a_operator.pk}
    assert {e.organization_id for e in events} == {world.org_a.pk}
    rendered = AuditEvent.objects.filter(event_type="certificate.pdf_rendered")
    assert sorted(e.data["sha256"] for e in rendered) == sorted(c.pdf_sha256 for c in issued)


# --- refusals --------------------------------------------------------------------------------------
def test_a_plan_that_is_not_closed_is_refused(world, scoring_plan):
    with pytest.raises(ValidationError, match="评价计划尚未结束"):
        issuing.issuance_request(actor=world.a_operator, plan=scoring_plan)
    assert not IssuanceBatch.objects.exists()


def test_a_filing_suspended_on_the_issue_date_is_refused(world, closed_plan, filings):
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="违规评价调查中")
    with pytest.raises(ValidationError, match="已被暂停"):
        issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    assert not Certificate.objects.exists()


def test_a_filing_expired_on_the_issue_date_is_refused(world, closed_plan, filings):
    with pytest.raises(ValidationError, match="到期"):
        issuing.issuance_request(
            actor=world.a_operator, plan=closed_plan, issue_date=filings[0].valid_until + dt.timedelta(days=1)
        )
    assert not Certificate.objects.exists()


def test_an_issue_date_inside_the_publicity_is_refused(world, closed_plan):
    with pytest.raises(ValidationError, match="发证日期须在公示期满之后"):
        issuing.issuance_request(actor=world.a_operator, plan=closed_plan, issue_date=closed_plan.publicity_end)
    assert not Certificate.objects.exists()


def test_a_missing_photo_blocks_issuance_with_the_names(world, ready_plan, today):
    from tests.workflow import score_everyone

    marks = {"张伟": (80, 82), "王芳": (75, 70), "李娜": (65, 61), "刘洋": (90, 88)}
    plan = plan_walk(
        ready_plan,
        operator=world.a_operator,
        reviewer=world.a_reviewer,
        until=AssessmentPlan.Status.CLOSED,
        filed_on=today,
        score=lambda p: score_everyone(p, marks),
    )  # no photos
    with pytest.raises(ValidationError) as caught:
        issuing.issuance_request(actor=world.a_operator, plan=plan)
    message = " ".join(caught.value.messages)
    assert "尚未上传证件照" in message and "张伟" in message
    assert not Certificate.objects.exists()


def test_a_failed_or_absent_candidate_is_refused(world, closed_plan):
    failed = closed_plan.enrolments.get(person__name="李娜")
    with transaction.atomic(), pytest.raises(ValidationError, match="不是“合格”"):
        issuing.issue_one(actor=world.a_operator, enrolment=failed, batch=None, issue_date=dt.date.today())
    assert not Certificate.objects.filter(enrolment=failed).exists()


def test_a_candidate_already_holding_the_certificate_is_refused(world, issued, closed_plan):
    enrolment = issued[0].enrolment
    with transaction.atomic(), pytest.raises(ValidationError, match="已领取"):
        issuing.issue_one(actor=world.a_operator, enrolment=enrolment, batch=None, issue_date=dt.date.today())
    assert Certificate.objects.filter(enrolment=enrolment).count() == 1


def test_a_holder_of_the_same_certificate_from_another_plan_is_passed_over(world, issued, plan_factory, assessors):
    from certify.services.enrolments import enrolment_register, enrolment_set_photo
    from certify.services.plans import assessor_add, recusal_declare
    from tests.workflow import candidate, photo_bytes, score_everyone

    holder = issued[0]
    from django.utils import timezone

    from certify.services import calendar

    plan = plan_factory(title="第二次申报同一等级", exam_date=calendar.add_working_days(timezone.localdate(), 10))
    number = payload.id_number_of(holder.person)
    again = enrolment_register(actor=world.a_operator, plan=plan, data=candidate(holder.holder_name, number))
    assert any("一人多证" in w for w in again.warnings)
    enrolment_set_photo(actor=world.a_operator, enrolment=again, data=photo_bytes())
    panel = [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="practical", grade="assessor")
        for u in assessors[:3]
    ]
    panel += [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="theory", grade="assessor") for u in assessors[3:5]
    ]
    for member in panel:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    plan = plan_walk(
        plan,
        operator=world.a_operator,
        reviewer=world.a_reviewer,
        until=AssessmentPlan.Status.CLOSED,
        filed_on=timezone.localdate(),
        score=lambda p: score_everyone(p, {holder.holder_name: (90, 90)}),
    )

    to_issue, skipped = issuing.issuance_candidates(plan)
    assert to_issue == []
    assert skipped == [
        {
            "enrolment": again.pk,
            "name": holder.holder_name,
            "reason": f"已持有本机构颁发的同职业同等级证书 {holder.number}",
        }
    ]
    with transaction.atomic(), pytest.raises(ValidationError, match="已持有本机构颁发的同职业同等级证书"):
        issuing.issue_one(actor=world.a_operator, enrolment=again, batch=None, issue_date=dt.date.today())


def test_only_issuers_may_request(world, closed_plan):
    for user in (world.a_viewer, world.a_assessor, world.a_reviewer, world.b_operator, world.bureau_admin):
        with pytest.raises(PermissionDenied):
            issuing.issuance_request(actor=user, plan=closed_plan)


# --- idempotency -------------------------------------------------------------------------------
def test_a_double_click_does_not_start_a_second_batch(world, closed_plan, monkeypatch):
    monkeypatch.setattr(dispatch, "issue_batch", lambda batch_id: None)  # the job has not run yet
    issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    with pytest.raises(ValidationError, match="正在核发中"):
        issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    assert IssuanceBatch.objects.count() == 1


def test_the_same_job_delivered_twice_gives_one_certificate_and_one_pdf_each(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(dispatch, "issue_batch", lambda batch_id: None)
    renders = []
    monkeypatch.setattr(dispatch, "render_certificates", lambda ids, batch_id: renders.append(list(ids)))
    batch = issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    with django_capture_on_commit_callbacks(execute=True):
        first = issuing.issuance_allocate(batch_id=batch.pk)
        second = issuing.issuance_allocate(batch_id=batch.pk)
    assert len(first) == 3 and second == []
    assert Certificate.objects.count() == 3
    assert NumberCounter.objects.get().last_serial == 3
    ids = renders[0]
    for pk in ids:  # every render task delivered twice
        assert rendering.certificate_render(certificate_id=pk) is True
        assert rendering.certificate_render(certificate_id=pk) is False
    assert AuditEvent.objects.filter(event_type="certificate.pdf_rendered").count() == 3
    assert Certificate.objects.filter(pdf_status="done").count() == 3


def test_rerunning_a_finished_batch_issues_nothing_new(world, issued, closed_plan):
    # the service asks the plan actions table, which says it as the plan page does (issue 10)
    with pytest.raises(ValidationError, match="本计划证书已全部核发"):
        issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    assert Certificate.objects.count() == 3


def test_a_failed_pdf_is_shown_with_its_reason_and_can_be_retried(
    world, closed_plan, monkeypatch, django_capture_on_commit_callbacks
):
    import certify.services.rendering as module

    def broken(context):
        raise RuntimeError("渲染服务暂时不可用")

    monkeypatch.setattr(module, "render_certificate_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        batch = issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    batch.refresh_from_db()
    progress = rendering.batch_progress(batch)
    assert (progress["failed"], progress["done"], progress["remaining"]) == (3, 0, 0)
    failed = Certificate.objects.filter(pdf_status="failed").first()
    # the reason in words, then what to do (issue 15)
    assert failed.pdf_error.startswith("渲染服务暂时不可用。可点击“重试”")
    assert batch.status == "failed" and progress["finished"]  # every certificate done or failed
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        rendering.certificate_pdf_retry(actor=world.a_operator, certificate=failed)
    failed.refresh_from_db()
    assert failed.pdf_status == "done"


# --- numbers -----------------------------------------------------------------------------------
def test_numbers_are_gap_free_when_issuing_transactions_roll_back(world):
    org = world.org_a
    kept = []
    for i in range(30):
        try:
            with transaction.atomic():
                number = issuing.allocate_number(organization=org, year=2026, level=3)
                if i % 3 == 0:
                    raise RuntimeError("the issue failed after numbering")
                kept.append(number)
        except RuntimeError:
            pass
    serials = [numbering.parse_number(n).serial for n in kept]
    assert serials == list(range(1, len(kept) + 1))


def test_a_number_supplied_by_the_province_is_validated(world):
    org = world.org_a
    good = numbering.format_number(
        type_letter="Y",
        ministry_code="0000",
        province_code="44",
        org_sequence=org.province_sequence,
        year=2026,
        level=4,
        serial=17,
    )
    assert issuing.check_supplied_number(number=good, organization=org, year=2026, level=4) == good
    with pytest.raises(ValidationError, match="等级"):
        issuing.check_supplied_number(number=good, organization=org, year=2026, level=3)
    with pytest.raises(ValidationError):
        issuing.check_supplied_number(number=good.replace("44", "45", 1), organization=org, year=2026, level=4)


def test_photos_are_normalised_copies_kept_with_the_certificate(issued):
    from django.core.files.storage import default_storage

    for certificate in issued:
        assert certificate.photo.name.startswith("certificates/photos/")
        assert default_storage.exists(certificate.photo.name)


# --- numbers supplied by the province ------------------------------------------------------------


def test_numbers_supplied_by_the_province_are_used_when_issuing(world, closed_plan, django_capture_on_commit_callbacks):
    from tests.workflow import candidate_ids

    ids = dict(zip(["张伟", "王芳", "李娜", "刘洋"], candidate_ids(4), strict=True))
    rows = [
        ["张伟", ids["张伟"], province_number(world.org_a, 4, 501)],
        ["刘洋", ids["刘洋"], province_number(world.org_a, 4, 502)],
    ]
    assert (
        supplied_numbers.supplied_numbers_import(
            actor=world.a_operator, plan=closed_plan, file=supplied_numbers_file(rows)
        )
        == 2
    )
    with django_capture_on_commit_callbacks(execute=True):
        issuing.issuance_request(actor=world.a_operator, plan=closed_plan)
    numbers = dict(Certificate.objects.values_list("holder_name", "number"))
    assert numbers["张伟"] == rows[0][2] and numbers["刘洋"] == rows[1][2]
    assert numbering.parse_number(numbers["王芳"]).serial == 1  # the rest numbered here


def test_supplied_numbers_are_checked_row_by_row_and_nothing_is_kept_on_error(world, closed_plan):
    from certify.errors import ImportRejected
    from certify.models import Enrolment
    from tests.workflow import candidate_ids

    ids = dict(zip(["张伟", "王芳", "李娜", "刘洋"], candidate_ids(4), strict=True))
    good = province_number(world.org_a, 4, 601)
    rows = [
        ["张伟", ids["张伟"], good],
        ["王芳", ids["王芳"], province_number(world.org_a, 3, 602)],  # wrong level digit
        ["李娜", ids["李娜"], province_number(world.org_a, 4, 603)],  # failed: not a passing candidate
        ["刘洋", ids["刘洋"], good],  # duplicate in the file
    ]
    with pytest.raises(ImportRejected) as caught:
        supplied_numbers.supplied_numbers_import(
            actor=world.a_operator, plan=closed_plan, file=supplied_numbers_file(rows)
        )
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "证书编号"), (4, "证件号码"), (5, "证书编号")]
    assert not Enrolment.objects.exclude(supplied_number="").exists()
