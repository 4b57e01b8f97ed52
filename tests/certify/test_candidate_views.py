"""Candidate and score pages of a plan: registration, photos, the full-ID view, 定级, withdrawal,
imports, the score sheet, corrections, objections, the public 公示 page, the bureau's plan pages.
Each: outsider 404, wrong role 403, anonymous → login, wrong method 405, success → change + event."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from certify.models import CalendarDay, Enrolment, Objection, PlanAssessor, Score
from certify.services.plans import plan_approve_results, plan_start_publicity
from tests.helpers import assert_one_event, assert_status, check_guards
from tests.workflow import candidate_ids, score_everyone

pytestmark = pytest.mark.django_db


def url(name, plan, *args):
    return reverse(f"certify:{name}", args=[plan.organization_id, plan.pk, *args])


def _jpeg(width=600, height=840) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (230, 230, 230)).save(out, "JPEG")
    return out.getvalue()


# --- candidates ---------------------------------------------------------------------------------
def _candidate_data(number, **extra):
    data = {
        "name": "周杰",
        "id_type": "resident_id",
        "id_number": number,
        "years_in_occupation": "7",
        "route": "promotion",
        "diploma_in_field": "on",
    }
    data.update(extra)
    return data


def test_enrolment_create(world, as_user, plan_factory, audit_probe):
    plan = plan_factory()
    create = url("enrolment_create", plan)
    number = candidate_ids(1, start=500)[0]
    check_guards(
        as_user,
        method="post",
        url=create,
        data=_candidate_data(number),
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor, world.a_reviewer],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", create, 302, _candidate_data(number))
    enrolment = Enrolment.objects.get(plan=plan)
    assert enrolment.eligible
    event = assert_one_event(probe, event_type="enrolment.registered", actor=world.a_operator, organization=world.org_a)
    assert number not in str(event.data)


def test_enrolment_create_shows_the_checksum_error_in_chinese(world, as_user, plan_factory):
    plan = plan_factory()
    bad = candidate_ids(1, start=501)[0][:-1] + ("0" if candidate_ids(1, start=501)[0][-1] != "0" else "1")
    text = assert_status(
        as_user(world.a_operator), "post", url("enrolment_create", plan), 200, _candidate_data(bad)
    ).content.decode()
    assert "校验位错误" in text
    assert not Enrolment.objects.filter(plan=plan).exists()


def test_enrolment_detail_photo_and_reveal(world, as_user, ready_plan, audit_probe):
    enrolment = ready_plan.enrolments.first()
    detail = url("enrolment_detail", ready_plan, enrolment.pk)
    text = assert_status(as_user(world.a_viewer), "get", detail, 200).content.decode()
    assert enrolment.person.id_number_masked in text
    check_guards(
        as_user, method="get", url=detail, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer
    )
    # the full ID number: for roles that need it, audited
    reveal = url("enrolment_reveal_id", ready_plan, enrolment.pk)
    check_guards(
        as_user,
        method="post",
        url=reveal,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    response = assert_status(as_user(world.a_operator), "post", reveal, 200)
    assert candidate_ids(4)[0] in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert_one_event(probe, event_type="personal_data.viewed", actor=world.a_operator, organization=world.org_a)
    # the photo
    photo = url("enrolment_photo", ready_plan, enrolment.pk)
    data = {"photo": SimpleUploadedFile("p.jpg", _jpeg())}
    check_guards(
        as_user,
        method="post",
        url=photo,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", photo, 302, data)
    assert_one_event(probe, event_type="enrolment.photo_set", actor=world.a_operator, organization=world.org_a)
    image = url("enrolment_photo_image", ready_plan, enrolment.pk)
    assert assert_status(as_user(world.a_viewer), "get", image, 200)["Content-Type"] == "image/jpeg"
    check_guards(
        as_user, method="get", url=image, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer
    )


def test_photo_upload_refuses_a_text_file_in_chinese(world, as_user, ready_plan):
    enrolment = ready_plan.enrolments.first()
    response = as_user(world.a_operator).post(
        url("enrolment_photo", ready_plan, enrolment.pk),
        {"photo": SimpleUploadedFile("p.jpg", b"not an image")},
        follow=True,
    )
    assert "上传的文件不是 JPG 或 PNG 图片。" in response.content.decode()
    enrolment.refresh_from_db()
    assert not enrolment.photo


def test_direct_grading_needs_a_second_person(world, as_user, published, plan_factory, audit_probe):
    from certify.services.standards import standard_level_update, standard_new_version, standard_publish

    draft = standard_new_version(actor=world.a_operator, version=published)
    standard_level_update(actor=world.a_operator, level=draft.levels.get(level=4), direct_grading_allowed=True)
    version = standard_publish(actor=world.a_operator, version=draft)
    from certify.services.plans import plan_create

    plan = plan_create(
        actor=world.a_operator,
        organization=world.org_a,
        standard_version=version,
        level=4,
        exam_date=dt.date.today() + dt.timedelta(days=40),
        venue="x",
        allow_direct_grading=True,
    )
    data = _candidate_data(
        candidate_ids(1, start=600)[0], route="direct", direct_justification="技能突出", years_in_occupation="1"
    )
    assert_status(as_user(world.a_operator), "post", url("enrolment_create", plan), 302, data)
    enrolment = Enrolment.objects.get(plan=plan)
    decide = url("enrolment_decide", plan, enrolment.pk)
    body = {"decision": "approve", "note": ""}
    check_guards(
        as_user,
        method="post",
        url=decide,
        data=body,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_operator],
        wrong_method="get",
        user=world.a_reviewer,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_reviewer), "post", decide, 302, body)
    enrolment.refresh_from_db()
    assert enrolment.direct_status == "approved"
    assert_one_event(probe, event_type="enrolment.direct_decided", actor=world.a_reviewer, organization=world.org_a)


def test_withdraw_view(world, as_user, ready_plan, audit_probe):
    enrolment = ready_plan.enrolments.first()
    withdraw = url("enrolment_withdraw", ready_plan, enrolment.pk)
    check_guards(
        as_user,
        method="post",
        url=withdraw,
        data={"reason": "x"},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", withdraw, 302, {"reason": "离职"})
    enrolment.refresh_from_db()
    assert enrolment.status == "withdrawn"
    events = probe.events()
    assert [e.event_type for e in events] == ["enrolment.withdrawn"]


def test_roster_pages_guards(world, as_user, plan_factory):
    plan = plan_factory()
    check_guards(
        as_user,
        method="get",
        url=url("roster_import", plan),
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="put",
        user=world.a_operator,
    )
    template = url("roster_template", plan)
    response = assert_status(as_user(world.a_operator), "get", template, 200)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    check_guards(
        as_user,
        method="get",
        url=template,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="post",
        user=world.a_operator,
    )


# --- scores -------------------------------------------------------------------------------------
def test_score_sheet_and_submit(world, as_user, scoring_plan, audit_probe):
    sheet = url("score_sheet", scoring_plan)
    assert_status(as_user(world.a_assessor), "get", sheet, 200)
    check_guards(
        as_user,
        method="get",
        url=sheet,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator, world.a_reviewer, world.a_viewer],
        wrong_method="put",
        user=world.a_assessor,
    )
    enrolment = scoring_plan.enrolments.first()
    submit = url("score_sheet_submit", scoring_plan)
    data = {f"v_{enrolment.pk}_0": "85.5", f"o_{enrolment.pk}_0": "scored", f"pick_{enrolment.pk}": "on"}
    data["confirm"] = "yes"
    check_guards(
        as_user,
        method="post",
        url=submit,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator, world.a_reviewer],
        wrong_method="get",
        user=world.a_assessor,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_assessor), "post", submit, 302, data)
    score = Score.objects.get(enrolment=enrolment, assessor=world.a_assessor)
    assert str(score.value) == "85.5"
    assert_one_event(probe, event_type="score.submitted", actor=world.a_assessor, organization=world.org_a)
    # a second submission is refused and overwrites nothing: the submitted cell has no field any more
    response = as_user(world.a_assessor).post(submit, {**data, f"v_{enrolment.pk}_0": "99"}, follow=True)
    assert "已提交过，不能再次提交" in response.content.decode()
    assert Score.objects.filter(enrolment=enrolment, assessor=world.a_assessor).count() == 1
    # and the sheet's own guards for saving a draft
    check_guards(
        as_user,
        method="post",
        url=sheet,
        data={f"v_{enrolment.pk}_0": "80", "action": "save"},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator, world.a_reviewer],
        user=world.a_assessor,
    )


def test_score_correction_view(world, as_user, scoring_plan, audit_probe):
    from certify.services.scoring import score_submit

    enrolment = scoring_plan.enrolments.first()
    score = score_submit(actor=world.a_assessor, enrolment=enrolment, component="practical", value="70")
    correct = url("score_correct", scoring_plan, score.pk)
    data = {"outcome": "scored", "value": "75", "reason": "加总错误"}
    other = PlanAssessor.objects.filter(plan=scoring_plan, duty="practical").exclude(user=world.a_assessor).first().user
    check_guards(
        as_user,
        method="post",
        url=correct,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[other, world.a_operator],
        wrong_method="put",
        user=world.a_assessor,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_assessor), "post", correct, 302, data)
    new = Score.objects.get(replaces=score)
    assert (str(new.value), new.reason) == ("75.0", "加总错误")
    assert_one_event(probe, event_type="score.corrected", actor=world.a_assessor, organization=world.org_a)


def test_score_import_pages_guards(world, as_user, scoring_plan):
    check_guards(
        as_user,
        method="get",
        url=url("scores_import", scoring_plan),
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator],
        wrong_method="put",
        user=world.a_assessor,
    )
    check_guards(
        as_user,
        method="get",
        url=url("scores_template", scoring_plan),
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator],
        wrong_method="post",
        user=world.a_assessor,
    )


# --- publicity, objections, public page ----------------------------------------------------------
@pytest.fixture
def publicity_plan(world, scoring_plan):
    score_everyone(scoring_plan, {"张伟": (80, 80), "王芳": (70, 70), "李娜": (65, 61), "刘洋": (50, 90)})
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    return plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)


def test_objection_record_and_resolve(world, as_user, publicity_plan, audit_probe):
    add = url("objection_add", publicity_plan)
    data = {
        "raised_by": "张先生",
        "contact": "",
        "received_on": publicity_plan.publicity_start.isoformat(),
        "content": "刘洋理论成绩有误",
    }
    check_guards(
        as_user,
        method="post",
        url=add,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", add, 302, data)
    objection = Objection.objects.get(plan=publicity_plan)
    assert_one_event(probe, event_type="objection.recorded", actor=world.a_operator, organization=world.org_a)
    resolve = url("objection_resolve", publicity_plan, objection.pk)
    body = {"decision": "rejected", "resolution": "经复核，成绩无误"}
    check_guards(
        as_user,
        method="post",
        url=resolve,
        data=body,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", resolve, 302, body)
    objection.refresh_from_db()
    assert objection.status == "rejected"
    assert_one_event(probe, event_type="objection.resolved", actor=world.a_operator, organization=world.org_a)


def test_the_public_publicity_page_masks_names_and_ids(world, publicity_plan, client):
    page = reverse("certify:publicity_page", args=[publicity_plan.number])
    response = client.get(page)
    text = response.content.decode()
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    assert "张*" in text and "张伟" not in text
    assert "441900********" in text and candidate_ids(4)[0] not in text
    assert client.post(page).status_code == 405
    # a draft plan has no public page
    assert client.get(reverse("certify:publicity_page", args=["001234-2026-999"])).status_code == 404


# --- bureau -------------------------------------------------------------------------------------
def test_bureau_plan_list_shows_filed_plans_only(world, as_user, ready_plan, plan_factory):
    draft = plan_factory(title="仍是草稿的计划")
    from certify.services.plans import plan_file

    plan_file(actor=world.a_operator, plan=ready_plan)
    listing = reverse("bureau:plan_list")
    text = assert_status(as_user(world.bureau_auditor), "get", listing, 200).content.decode()
    assert ready_plan.number in text and draft.number not in text
    check_guards(
        as_user,
        method="get",
        url=listing,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )


def test_supervisor_assignment_and_report(world, as_user, ready_plan, audit_probe):
    from certify.services.plans import plan_file

    plan_file(actor=world.a_operator, plan=ready_plan)
    assign = url("supervisor_assign", ready_plan)
    data = {"supervisor": world.supervisor.pk}
    check_guards(
        as_user,
        method="post",
        url=assign,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="get",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", assign, 302, data)
    assert_one_event(probe, event_type="plan.supervisor_assigned", actor=world.bureau_admin, organization=world.org_a)
    listing = reverse("bureau:supervision_list")
    assert ready_plan.number in assert_status(as_user(world.supervisor), "get", listing, 200).content.decode()
    check_guards(
        as_user,
        method="get",
        url=listing,
        wrong_roles=[world.bureau_auditor, world.a_operator],
        wrong_method="post",
        user=world.supervisor,
    )
    report = reverse("bureau:supervision_report", args=[ready_plan.pk])
    body = {
        "visited_on": ready_plan.exam_date.isoformat(),
        "attended": "on",
        "attendance": "应到 4 人，实到 4 人",
        "observations": "考场秩序良好",
        "problems": "",
    }
    check_guards(
        as_user,
        method="post",
        url=report,
        data=body,
        wrong_roles=[world.bureau_auditor, world.a_operator],
        wrong_method="put",
        user=world.supervisor,
    )
    probe = audit_probe()
    assert_status(as_user(world.supervisor), "post", report, 302, body)
    assert ready_plan.supervision_reports.count() == 1
    assert_one_event(probe, event_type="plan.supervision_reported", actor=world.supervisor, organization=world.org_a)


def test_a_supervisor_sees_only_assigned_plans(world, as_user, ready_plan):
    from accounts.roles import BureauRole
    from tests import factories

    other = factories.bureau_user(BureauRole.SUPERVISOR, "supervisor_2")
    assert_status(as_user(other), "get", reverse("bureau:supervision_report", args=[ready_plan.pk]), 404)


def test_calendar_pages(world, as_user, audit_probe):
    listing = reverse("bureau:calendar_list")
    assert_status(as_user(world.bureau_auditor), "get", listing, 200)
    check_guards(
        as_user,
        method="get",
        url=listing,
        wrong_roles=[world.a_org_admin],
        wrong_method="post",
        user=world.bureau_auditor,
    )
    set_url = reverse("bureau:calendar_day_set")
    data = {"day": "2027-02-06", "is_working_day": "0", "note": "2027 年春节"}
    check_guards(
        as_user,
        method="post",
        url=set_url,
        data=data,
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="get",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", set_url, 302, data)
    assert CalendarDay.objects.get(day="2027-02-06").is_working_day is False
    assert_one_event(probe, event_type="calendar.day_set", actor=world.bureau_admin)
