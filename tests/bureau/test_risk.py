"""Risk rules: each fires on the state it describes and stays quiet on the near miss; the scan keeps
one flag per finding; thresholds, acknowledging and resolving are audited.

State is built through the services. Where a service refuses to create the bad state (that is its
job), the test writes the one offending value with a raw ORM write and says why.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.actors import system_actor
from audit.models import AuditEvent, RiskFlag, RiskSettings
from bureau.risk import risk_flag_acknowledge, risk_flag_resolve, risk_scan, risk_settings_get, risk_settings_update
from certify.models import Certificate, Enrolment, Objection, PlanAssessor, Score
from certify.services import calendar
from certify.services.enrolments import direct_grading_decide, enrolment_register
from certify.services.filings import filing_suspend
from certify.services.issuing import issuance_request
from certify.services.plans import (
    assessor_add,
    plan_approve_results,
    plan_file,
    plan_start_publicity,
    plan_update,
    recusal_declare,
)
from certify.services.publicity import objection_record
from certify.services.scoring import score_correct
from tests.builders import make_plan, publish_with_direct_grading
from tests.helpers import assert_one_event
from tests.workflow import candidate, candidate_ids, revoke_by_request, score_everyone

pytestmark = pytest.mark.django_db

R = RiskFlag.Rule
ALL_PASS = {"张伟": (80, 82), "王芳": (75, 70.5), "李娜": (65, 61), "刘洋": (90, 88)}


def scan(*rules):
    return risk_scan(actor=system_actor("risk"), rules=list(rules) or None)


def flags(rule) -> list[RiskFlag]:
    return list(RiskFlag.objects.filter(rule=rule).order_by("pk"))


def thresholds(world, **values):
    risk_settings_update(actor=world.bureau_admin, **values)


def raw_write(obj, **values):
    """An ORM save that bypasses the services (no audit event): how an offending row gets written
    when someone goes around the application."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values))


def issue(world, plan, issue_date, capture):
    with capture(execute=True):
        issuance_request(actor=world.a_operator, plan=plan, issue_date=issue_date)
    return list(Certificate.objects.filter(plan=plan).order_by("number"))


def approved(world, plan, values):
    score_everyone(plan, values)
    return plan_approve_results(actor=world.a_reviewer, plan=plan)


# --- 1. issued outside the filed scope or under a lapsed filing -----------------------------------
def test_a_certificate_dated_after_its_filing_expired_is_flagged(world, issued, filings):
    late = filings[0].valid_until + dt.timedelta(days=1)
    # The issuing service refuses a date the filing does not cover; a certificate printed with a
    # later date than the system allowed is written here directly, bypassing the services.
    raw_write(issued[0], issue_date=late)
    report = scan(R.OUT_OF_SCOPE)
    [flag] = flags(R.OUT_OF_SCOPE)
    assert report.raised == 1
    assert (flag.target_type, flag.target_id) == ("certify.certificate", str(issued[0].pk))
    assert flag.evidence["reason"] == "expired" and flag.evidence["filing"] == filings[0].pk
    assert flag.evidence["link"] == {
        "name": "certify:certificate_detail",
        "args": [world.org_a.pk, issued[0].pk],
        "label": f"证书 {issued[0].number}",
        "query": "",
    }
    assert "备案已过期" in flag.summary and flag.organization == world.org_a


def test_a_certificate_created_while_its_filing_was_suspended_is_flagged(world, issued, filings):
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="年度检查发现问题")
    # The issuing service refuses a suspended filing, so no certificate can be created during the
    # suspension through it; this row is moved to a moment after the suspension, as one written by
    # a batch that skipped the check would be.
    raw_write(issued[1], issued_at=timezone.now() + dt.timedelta(minutes=1))
    scan(R.OUT_OF_SCOPE)
    [flag] = flags(R.OUT_OF_SCOPE)
    assert flag.target_id == str(issued[1].pk)
    assert flag.evidence["reason"] == "suspended"


def test_a_filing_suspended_after_the_issue_raises_nothing(world, issued, filings):
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="年度检查发现问题")
    assert scan(R.OUT_OF_SCOPE).findings == {R.OUT_OF_SCOPE: 0}
    assert flags(R.OUT_OF_SCOPE) == []


# --- 2. issued before publicity ended or with an objection open -----------------------------------
def date_inside_publicity(certificates, plan) -> None:
    """The issuing service refuses an issue date inside the publicity; a row dated so is what a
    bypass of the services would leave behind, so it is written directly (with its history row)."""
    for certificate in certificates:
        certificate.issue_date = plan.publicity_end
        certificate.save(update_fields=["issue_date"])


def test_certificates_dated_within_the_publicity_are_flagged_once_for_their_plan(world, issued, closed_plan):
    date_inside_publicity(issued, closed_plan)
    scan(R.EARLY_ISSUE)
    [flag] = flags(R.EARLY_ISSUE)
    assert (flag.target_type, flag.target_id) == ("certify.assessmentplan", str(closed_plan.pk))
    assert flag.evidence["early_certificates"] == 3
    assert sorted(flag.evidence["certificates"]) == sorted(c.pk for c in issued)
    assert flag.evidence["link"]["name"] == "certify:plan_detail"


def test_a_certificate_issued_while_an_objection_was_open_is_flagged(
    world, closed_plan, django_capture_on_commit_callbacks
):
    issued = issue(
        world, closed_plan, closed_plan.publicity_end + dt.timedelta(days=1), django_capture_on_commit_callbacks
    )
    # An objection received on the last day of publicity and never handled: the services refuse to
    # close a plan with one open, so it is written after the close, as a late entry would be.
    Objection.objects.create(
        organization=world.org_a,
        plan=closed_plan,
        raised_by="匿名",
        content="成绩有误",
        received_on=closed_plan.publicity_end,
        recorded_by=world.a_operator,
    )
    scan(R.EARLY_ISSUE)
    [flag] = flags(R.EARLY_ISSUE)
    assert flag.evidence["early_certificates"] == 0
    assert flag.evidence["certificates_with_open_objection"] == len(issued) == 3


def test_certificates_dated_after_publicity_with_no_open_objection_raise_nothing(
    world, closed_plan, django_capture_on_commit_callbacks
):
    issue(world, closed_plan, closed_plan.publicity_end + dt.timedelta(days=1), django_capture_on_commit_callbacks)
    scan(R.EARLY_ISSUE)
    assert flags(R.EARLY_ISSUE) == []


# --- 3. a score changed after approval ------------------------------------------------------------
def _practical(plan, name):
    return Score.objects.filter(plan=plan, enrolment__person__name=name, component="practical").first()


def test_a_score_corrected_after_approval_is_flagged(world, scoring_plan):
    plan = approved(world, scoring_plan, ALL_PASS)
    plan = plan_start_publicity(actor=world.a_operator, plan=plan, today=plan.exam_date)
    score = _practical(plan, "李娜")
    objection = objection_record(
        actor=world.a_operator,
        plan=plan,
        raised_by="李娜",
        content="操作技能成绩登记有误",
        received_on=plan.exam_date,
        enrolment=score.enrolment,
    )
    new = score_correct(actor=score.assessor, score=score, value=70, reason="复核评分表", objection=objection)
    scan(R.SCORE_AFTER_APPROVAL)
    [flag] = flags(R.SCORE_AFTER_APPROVAL)
    assert (flag.target_type, flag.target_id) == ("certify.score", str(new.pk))
    assert flag.evidence["replaces"] == score.pk and flag.evidence["objection"] == objection.pk
    assert flag.evidence["old_value"] == "61.0" and flag.evidence["new_value"] == "70.0"
    assert flag.evidence["link"]["name"] == "certify:enrolment_detail"


def test_a_score_corrected_before_approval_raises_nothing(world, scoring_plan):
    score_everyone(scoring_plan, ALL_PASS)
    score = _practical(scoring_plan, "李娜")
    score_correct(actor=score.assessor, score=score, value=70, reason="录入错误")
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    scan(R.SCORE_AFTER_APPROVAL)
    assert flags(R.SCORE_AFTER_APPROVAL) == []


# --- 4. identical score patterns ------------------------------------------------------------------
def test_a_plan_where_everyone_got_the_same_marks_is_flagged(world, scoring_plan):
    thresholds(world, identical_min_candidates=4, identical_share_percent=50)
    approved(world, scoring_plan, dict.fromkeys(ALL_PASS, (80, 80)))
    scan(R.IDENTICAL_SCORES)
    [flag] = flags(R.IDENTICAL_SCORES)
    assert flag.target_id == str(scoring_plan.pk)
    assert (flag.evidence["candidates"], flag.evidence["sharing"], flag.evidence["percent"]) == (4, 4, 100)


def test_one_identical_pair_below_the_share_raises_nothing(world, scoring_plan):
    thresholds(world, identical_min_candidates=4, identical_share_percent=60)
    approved(world, scoring_plan, {**ALL_PASS, "王芳": ALL_PASS["张伟"]})  # 2 of 4 = 50 %
    scan(R.IDENTICAL_SCORES)
    assert flags(R.IDENTICAL_SCORES) == []


# --- 5. 100 % pass rate in a large plan -----------------------------------------------------------
def test_a_plan_above_the_size_where_everyone_passed_is_flagged(world, scoring_plan):
    thresholds(world, full_pass_min_candidates=3)
    approved(world, scoring_plan, ALL_PASS)
    scan(R.FULL_PASS)
    [flag] = flags(R.FULL_PASS)
    assert flag.target_id == str(scoring_plan.pk)
    assert (flag.evidence["assessed"], flag.evidence["passed"]) == (4, 4)


def test_a_full_pass_in_a_plan_not_above_the_size_raises_nothing(world, scoring_plan):
    thresholds(world, full_pass_min_candidates=4)
    approved(world, scoring_plan, ALL_PASS)
    scan(R.FULL_PASS)
    assert flags(R.FULL_PASS) == []


def test_a_large_plan_with_one_failure_raises_nothing(world, closed_plan):
    thresholds(world, full_pass_min_candidates=3)
    scan(R.FULL_PASS)
    assert flags(R.FULL_PASS) == []


# --- 6. an assessor scoring too many candidates in a day ------------------------------------------
def test_assessors_above_the_daily_limit_are_flagged_per_day(world, scoring_plan):
    thresholds(world, assessor_daily_limit=3)
    score_everyone(scoring_plan, ALL_PASS)
    scan(R.ASSESSOR_OVERLOAD)
    practical = set(PlanAssessor.objects.filter(plan=scoring_plan, duty="practical").values_list("user_id", flat=True))
    found = flags(R.ASSESSOR_OVERLOAD)
    today = timezone.localdate().isoformat()
    # Three practical assessors scored four candidates each; the theory marker does not count.
    assert {f.target_id for f in found} == {f"{uid}:{today}" for uid in practical}
    assert all(f.evidence["candidates"] == 4 and f.evidence["plans"] == [[scoring_plan.pk, 4]] for f in found)


def test_assessors_at_the_daily_limit_raise_nothing(world, scoring_plan):
    thresholds(world, assessor_daily_limit=4)
    score_everyone(scoring_plan, ALL_PASS)
    scan(R.ASSESSOR_OVERLOAD)
    assert flags(R.ASSESSOR_OVERLOAD) == []


# --- 7. 定级 share --------------------------------------------------------------------------------
def _filed_plan_with_direct(world, draft, assessors, today, direct: int):
    """A filed plan of four candidates, ``direct`` of them 定级 applications approved by the reviewer."""
    version = publish_with_direct_grading(world, draft)
    plan = make_plan(world, version, level=4, exam_date=calendar.add_working_days(today, 10), allow_direct_grading=True)
    for i, (name, number) in enumerate(zip(["张伟", "王芳", "李娜", "刘洋"], candidate_ids(4), strict=True)):
        extra = {"route": "direct", "direct_justification": "获市技能大赛一等奖", "years_in_occupation": Decimal("2")}
        enrolment = enrolment_register(
            actor=world.a_operator, plan=plan, data=candidate(name, number, **(extra if i < direct else {}))
        )
        if i < direct:
            direct_grading_decide(actor=world.a_reviewer, enrolment=enrolment, approve=True)
    panel = [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="practical", grade="assessor")
        for u in assessors[:3]
    ]
    panel += [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="theory", grade="assessor") for u in assessors[3:5]
    ]
    for member in panel:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    return plan_file(actor=world.a_operator, plan=plan, today=today)


def test_a_filed_plan_with_too_many_direct_gradings_is_flagged(world, draft, assessors, today):
    thresholds(world, direct_min_candidates=4, direct_share_percent=30)
    plan = _filed_plan_with_direct(world, draft, assessors, today, direct=2)
    scan(R.DIRECT_SHARE)
    [flag] = flags(R.DIRECT_SHARE)
    assert flag.target_id == str(plan.pk)
    assert (flag.evidence["candidates"], flag.evidence["direct"], flag.evidence["percent"]) == (4, 2, 50)


def test_a_direct_share_under_the_limit_raises_nothing(world, draft, assessors, today):
    thresholds(world, direct_min_candidates=4, direct_share_percent=30)
    _filed_plan_with_direct(world, draft, assessors, today, direct=1)  # 25 %
    scan(R.DIRECT_SHARE)
    assert flags(R.DIRECT_SHARE) == []
    assert Enrolment.objects.filter(route="direct").count() == 1


# --- 8. short lead time ---------------------------------------------------------------------------
def _filed_with_minimum_lead(world, ready_plan, today):
    plan_update(actor=world.a_operator, plan=ready_plan, exam_date=calendar.add_working_days(today, 5))
    return plan_file(actor=world.a_operator, plan=ready_plan, today=today)


def test_a_plan_whose_lead_falls_short_once_a_holiday_is_known_is_flagged(world, ready_plan, today):
    plan = _filed_with_minimum_lead(world, ready_plan, today)
    assert plan.filed_lead_days == 5
    # The bureau enters a holiday inside the lead period after the plan was filed (next year's
    # arrangement, say, was not yet known): the lead was really 4 working days.
    calendar.calendar_day_set(
        actor=world.bureau_admin, day=calendar.add_working_days(today, 1), is_working_day=False, note="临时调整"
    )
    scan(R.SHORT_LEAD)
    [flag] = flags(R.SHORT_LEAD)
    assert flag.target_id == str(plan.pk)
    assert (flag.evidence["recorded_lead"], flag.evidence["recounted_lead"], flag.evidence["required"]) == (5, 4, 5)


def test_a_plan_filed_with_exactly_the_required_lead_raises_nothing(world, ready_plan, today):
    plan = _filed_with_minimum_lead(world, ready_plan, today)
    calendar.calendar_day_set(
        actor=world.bureau_admin, day=plan.exam_date + dt.timedelta(days=1), is_working_day=False, note="考后放假"
    )
    scan(R.SHORT_LEAD)
    assert flags(R.SHORT_LEAD) == []


# --- 9. repeated revocations ----------------------------------------------------------------------
def revoke(world, certificates):
    for c in certificates:
        revoke_by_request(world, certificate=c, category="error", reason="评价结果有误")


def test_an_organisation_reaching_the_revocation_limit_is_flagged(world, issued):
    revoke(world, issued)  # the default limit is 3
    scan(R.REPEATED_REVOCATIONS)
    [flag] = flags(R.REPEATED_REVOCATIONS)
    assert (flag.target_type, flag.target_id) == ("accounts.organization", str(world.org_a.pk))
    assert flag.evidence["revoked"] == 3
    assert flag.evidence["link"] == {
        "name": "certify:certificate_list",
        "args": [world.org_a.pk],
        "label": f"{world.org_a.name} 已撤销的证书",
        "query": "status=revoked",
    }


def test_revocations_below_the_limit_raise_nothing(world, issued):
    revoke(world, issued[:2])
    scan(R.REPEATED_REVOCATIONS)
    assert flags(R.REPEATED_REVOCATIONS) == []


# --- the scan ---------------------------------------------------------------------------------------
def test_a_new_flag_is_one_event_by_the_system_actor(world, issued, audit_probe):
    revoke(world, issued)
    probe = audit_probe()
    scan(R.REPEATED_REVOCATIONS)
    event = assert_one_event(probe, event_type="risk.flag_raised", actor=system_actor("risk"), organization=world.org_a)
    assert event.target_type == "audit.riskflag"
    assert event.history and event.history[0]["model"] == "audit.HistoricalRiskFlag"


def test_a_second_scan_raises_nothing_new_and_writes_nothing(world, issued, closed_plan, audit_probe):
    date_inside_publicity(issued[:1], closed_plan)
    revoke(world, issued)
    first = scan()
    assert first.raised >= 2  # early issue and revocations at least
    flagged = {f.pk: f.last_seen for f in RiskFlag.objects.all()}
    probe = audit_probe()
    second = scan()
    assert (second.raised, second.refreshed, second.reopened) == (0, 0, 0)
    assert second.unchanged == len(flagged)
    assert probe.events() == []
    assert {f.pk: f.last_seen for f in RiskFlag.objects.all()} == flagged


def test_a_resolved_flag_stays_resolved_until_new_evidence_reopens_it(world, issued, audit_probe):
    thresholds(world, revocation_limit=2)
    revoke(world, issued[:2])
    scan(R.REPEATED_REVOCATIONS)
    [flag] = flags(R.REPEATED_REVOCATIONS)
    risk_flag_resolve(actor=world.bureau_admin, flag=flag, note="已约谈机构，系录入错误")
    probe = audit_probe()
    scan(R.REPEATED_REVOCATIONS)
    assert probe.events() == []
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.RESOLVED
    revoke(world, issued[2:])
    probe = audit_probe()
    report = scan(R.REPEATED_REVOCATIONS)
    assert report.reopened == 1
    event = assert_one_event(probe, event_type="risk.flag_raised", actor=system_actor("risk"))
    assert event.data["reopened"] is True and event.data["changes"]["status"] == ["resolved", "open"]
    flag.refresh_from_db()
    assert (flag.status, flag.note, flag.handled_by, flag.evidence["revoked"]) == ("open", "", None, 3)


def test_an_open_flag_takes_new_evidence_with_one_event(world, issued, audit_probe):
    thresholds(world, revocation_limit=2)
    revoke(world, issued[:2])
    scan(R.REPEATED_REVOCATIONS)
    revoke(world, issued[2:])
    probe = audit_probe()
    assert scan(R.REPEATED_REVOCATIONS).refreshed == 1
    event = assert_one_event(probe, event_type="risk.flag_raised", actor=system_actor("risk"))
    assert event.data["refreshed"] is True
    [flag] = flags(R.REPEATED_REVOCATIONS)
    assert flag.status == "open" and flag.evidence["revoked"] == 3


def test_the_row_rules_look_only_at_the_window_unless_told(world, issued, filings):
    raw_write(
        issued[0],
        issue_date=filings[0].valid_until + dt.timedelta(days=1),
        # Written long ago: older than the daily scan's window (see audit.risk docstring).
        issued_at=timezone.now() - dt.timedelta(days=400),
    )
    scan(R.OUT_OF_SCOPE)
    assert flags(R.OUT_OF_SCOPE) == []
    risk_scan(actor=system_actor("risk"), rules=[R.OUT_OF_SCOPE], since=timezone.now() - dt.timedelta(days=3650))
    assert len(flags(R.OUT_OF_SCOPE)) == 1


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown risk rules"):
        risk_scan(actor=None, rules=["no_such_rule"])


# --- thresholds and handling ------------------------------------------------------------------------
def test_thresholds_default_until_saved_then_change_with_one_event(world, audit_probe):
    assert not RiskSettings.objects.exists()
    assert risk_settings_get().assessor_daily_limit == 60
    probe = audit_probe()
    risk_settings_update(actor=world.bureau_admin, assessor_daily_limit="40", direct_share_percent=25)
    event = assert_one_event(probe, event_type="risk.settings_updated", actor=world.bureau_admin)
    assert event.data["changes"] == {"assessor_daily_limit": [60, 40], "direct_share_percent": [30, 25]}
    assert risk_settings_get().assessor_daily_limit == 40


def test_thresholds_out_of_range_or_unchanged_are_refused(world):
    with pytest.raises(ValidationError) as caught:
        risk_settings_update(actor=world.bureau_admin, direct_share_percent=120, revocation_limit="三")
    assert caught.value.message_dict == {
        "direct_share_percent": ["应在 0 到 100 之间"],
        "revocation_limit": ["请填写整数"],
    }
    with pytest.raises(ValidationError, match="没有需要保存的修改"):
        risk_settings_update(actor=world.bureau_admin, revocation_limit=3)


@pytest.mark.parametrize("who", ["bureau_auditor", "a_org_admin", "supervisor"])
def test_only_the_bureau_admin_changes_thresholds_or_handles_flags(world, issued, who):
    revoke(world, issued)
    scan(R.REPEATED_REVOCATIONS)
    [flag] = flags(R.REPEATED_REVOCATIONS)
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        risk_settings_update(actor=user, revocation_limit=5)
    with pytest.raises(PermissionDenied):
        risk_flag_acknowledge(actor=user, flag=flag)
    with pytest.raises(PermissionDenied):
        risk_flag_resolve(actor=user, flag=flag, note="已核查")


def test_acknowledging_then_resolving_are_one_event_each_with_the_note(world, issued, audit_probe):
    revoke(world, issued)
    scan(R.REPEATED_REVOCATIONS)
    [flag] = flags(R.REPEATED_REVOCATIONS)
    probe = audit_probe()
    risk_flag_acknowledge(actor=world.bureau_admin, flag=flag, note="已通知机构说明情况")
    event = assert_one_event(
        probe, event_type="risk.flag_acknowledged", actor=world.bureau_admin, organization=world.org_a
    )
    assert event.reason == "已通知机构说明情况" and event.data["changes"]["status"] == ["open", "acknowledged"]
    with pytest.raises(ValidationError, match="只有待核查的风险提示"):
        risk_flag_acknowledge(actor=world.bureau_admin, flag=flag)
    with pytest.raises(ValidationError) as caught:
        risk_flag_resolve(actor=world.bureau_admin, flag=flag, note="  ")
    assert caught.value.message_dict == {"note": ["请写明核查情况和处理结果"]}
    probe = audit_probe()
    risk_flag_resolve(actor=world.bureau_admin, flag=flag, note="撤销均因录入错误，已整改")
    event = assert_one_event(probe, event_type="risk.flag_resolved", actor=world.bureau_admin, organization=world.org_a)
    assert event.reason == "撤销均因录入错误，已整改"
    flag.refresh_from_db()
    assert (flag.status, flag.handled_by, flag.note) == ("resolved", world.bureau_admin, "撤销均因录入错误，已整改")
    with pytest.raises(ValidationError, match="该风险提示已处理"):
        risk_flag_resolve(actor=world.bureau_admin, flag=flag, note="再次处理")
    assert AuditEvent.objects.filter(target_type="audit.riskflag", target_id=str(flag.pk)).count() == 3
