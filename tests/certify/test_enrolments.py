"""People and registration: ID numbers checked, derived, encrypted and masked; one Person across
organisations; duplicates; 晋级 eligibility; 定级 with a second person's approval; 一人多证."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from PIL import Image

from audit.models import AuditEvent
from certify.models import AssessmentPlan, Enrolment, Person
from certify.services import calendar
from certify.services.enrolments import (
    PriorInput,
    direct_grading_decide,
    enrolment_register,
    enrolment_set_photo,
    enrolment_withdraw,
    person_id_number,
)
from certify.services.plans import (
    plan_approve_results,
    plan_cancel,
    plan_close,
    plan_create,
    plan_file,
    plan_start_publicity,
)
from certify.services.standards import standard_draft_create, standard_publish
from tests.builders import make_plan, messages, publish_with_direct_grading
from tests.helpers import assert_one_event
from tests.workflow import candidate, candidate_ids, occ, score_everyone, valid_id

pytestmark = pytest.mark.django_db

# Born 1985-01-03, sequence 123 (odd: male), check character 4 → masked 441900********1234.
MALE_ID = "441900198501031234"
# Born 1985-03-01, sequence 004 (even: female), check character X.
FEMALE_ID = "44190019850301004X"


def register(world, plan, name, number, *, actor=None, **extra) -> Enrolment:
    return enrolment_register(actor=actor or world.a_operator, plan=plan, data=candidate(name, number, **extra))


def refused(world, plan, name, number, *, actor=None, **extra):
    with pytest.raises(ValidationError) as caught:
        register(world, plan, name, number, actor=actor, **extra)
    return caught.value


def messages_of(error: ValidationError) -> str:
    return "\n".join(error.messages)


def org_b_plan(world, today) -> AssessmentPlan:
    """A draft plan of org B (焊工 level 4), built by org B's operator."""
    draft = standard_draft_create(
        actor=world.b_operator,
        organization=world.org_b,
        occupation=occ("6-18-02-04"),
        work_type=None,
        title="乙电子焊工企业评价规范",
        levels=[4],
    )
    version = standard_publish(actor=world.b_operator, version=draft)
    return plan_create(
        actor=world.b_operator,
        organization=world.org_b,
        standard_version=version,
        level=4,
        exam_date=calendar.add_working_days(today, 10),
        venue="乙电子实训楼",
    )


def columns_containing(text: str) -> list[str]:
    """Every column of every table whose text form contains ``text``."""
    qn = connection.ops.quote_name
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                cursor.execute(
                    f"SELECT COUNT(*) FROM {qn(table)} WHERE CAST({qn(column.name)} AS TEXT) LIKE %s",
                    [f"%{text}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{column.name}")
    return hits


# --- the ID number --------------------------------------------------------------------------------
def test_an_id_number_with_a_wrong_check_character_is_refused(world, plan_factory):
    plan = plan_factory()
    wrong = MALE_ID[:-1] + "5"
    error = refused(world, plan, "张伟", wrong)
    assert error.message_dict == {"id_number": ["身份证号码校验位错误，请核对后重新输入"]}
    assert not Person.objects.exists()


def test_an_id_number_with_an_impossible_birth_date_is_refused(world, plan_factory):
    plan = plan_factory()
    error = refused(world, plan, "张伟", valid_id("44190019900230123"))
    assert error.message_dict == {"id_number": ["身份证号码中的出生日期不存在"]}
    error = refused(world, plan, "张伟", valid_id("44190020990101123"))
    assert error.message_dict == {"id_number": ["身份证号码中的出生日期不合理"]}
    assert not Person.objects.exists()


def test_sex_and_birth_date_are_taken_from_the_id_number(world, plan_factory):
    plan = plan_factory()
    man = register(world, plan, "张伟", MALE_ID).person
    woman = register(world, plan, "王芳", FEMALE_ID).person
    assert (man.sex, man.get_sex_display(), man.birth_date) == ("1", "男", dt.date(1985, 1, 3))
    assert (woman.sex, woman.get_sex_display(), woman.birth_date) == ("2", "女", dt.date(1985, 3, 1))


def test_the_id_number_is_kept_only_encrypted_and_shown_masked(world, plan_factory, today):
    plan = plan_factory()
    enrolment = register(world, plan, "张伟", MALE_ID)
    # Other paths that write personal rows and events: a refused retry, an org B registration, a withdrawal.
    refused(world, plan, "张卫", MALE_ID)
    register(world, org_b_plan(world, today), "张伟", MALE_ID, actor=world.b_operator)
    enrolment_withdraw(actor=world.a_operator, enrolment=enrolment, reason="本人放弃")

    person = Person.objects.get()
    assert person.id_number_masked == "441900********1234"
    assert person.id_number_token.startswith("v1.")
    assert person_id_number(person) == MALE_ID
    assert person.history.exists() and Enrolment.history.exists()
    assert AuditEvent.objects.filter(event_type="enrolment.registered").count() == 2
    registered = AuditEvent.objects.filter(event_type="enrolment.registered").first()
    assert registered.data["id_number"] == "441900********1234"
    # The whole database: Person, its history, Enrolment and its history, audit events, everything.
    masked_in = columns_containing("441900********1234")
    assert {
        "certify_person.id_number_masked",
        "certify_historicalperson.id_number_masked",
        "audit_auditevent.data",
    } <= set(masked_in), masked_in
    assert columns_containing(MALE_ID) == []
    assert columns_containing(MALE_ID[6:17]) == [], "birth date and sequence together are the number"


def test_an_id_typed_in_full_width_or_lower_case_finds_the_same_person(world, plan_factory, today):
    register(world, plan_factory(), "王芳", FEMALE_ID)
    typed = " ４４１９００１９８５０３０１００４x "
    enrolment = register(world, org_b_plan(world, today), "王芳", typed, actor=world.b_operator)
    assert Person.objects.count() == 1
    assert enrolment.person.id_number_masked == "441900********004X"


# --- one person, no duplicates -------------------------------------------------------------------
def test_the_same_person_registered_by_two_organisations_is_one_person(world, plan_factory, today):
    first = register(world, plan_factory(), "张伟", MALE_ID)
    second = register(world, org_b_plan(world, today), "张伟", MALE_ID, actor=world.b_operator)
    assert Person.objects.count() == 1
    assert first.person_id == second.person_id
    assert (first.organization, second.organization) == (world.org_a, world.org_b)
    assert first.person.history.count() == 1, "org B's registration did not rewrite the person"


def test_a_different_name_for_a_known_id_number_is_refused(world, plan_factory, today):
    register(world, plan_factory(), "张伟", MALE_ID)
    error = refused(world, org_b_plan(world, today), "张卫", MALE_ID, actor=world.b_operator)
    # org B is not told what org A registered, not even masked (issue 9, finding 4)
    assert error.message_dict == {
        "name": ["证件号码与姓名不一致，请对照证件原件核对后重新填写；确属姓名变更的，请联系人社局更正"]
    }
    assert Person.objects.get().name == "张伟"


def test_a_person_cannot_enrol_twice_in_the_same_plan(world, plan_factory):
    plan = plan_factory()
    register(world, plan, "张伟", MALE_ID)
    error = refused(world, plan, "张伟", MALE_ID)
    assert error.message_dict == {"id_number": ["该人员已在本计划中报名，不能重复报名"]}
    assert plan.enrolments.count() == 1


def test_a_person_cannot_enrol_in_another_open_plan_of_the_same_occupation_and_level(world, plan_factory):
    first = plan_factory()
    register(world, first, "张伟", MALE_ID)
    second = plan_factory()
    error = refused(world, second, "张伟", MALE_ID)
    assert error.message_dict == {"id_number": [f"该人员已在评价计划 {first.number} 中报名同一职业等级，不能重复报名"]}


def test_a_person_withdrawn_or_in_a_cancelled_plan_may_enrol_elsewhere(world, plan_factory):
    first = plan_factory()
    enrolment = register(world, first, "张伟", MALE_ID)
    enrolment_withdraw(actor=world.a_operator, enrolment=enrolment, reason="本人调岗")
    register(world, plan_factory(), "张伟", MALE_ID)
    error = refused(world, first, "张伟", MALE_ID)
    assert "不能重复报名" in messages_of(error)

    cancelled = plan_factory()
    register(world, cancelled, "王芳", FEMALE_ID)
    plan_cancel(actor=world.a_operator, plan=cancelled, reason="设备检修，本批取消")
    assert register(world, plan_factory(), "王芳", FEMALE_ID).person.name == "王芳"


# --- 晋级: the rules of the standard --------------------------------------------------------------
def test_a_promotion_records_the_condition_it_met(world, plan_factory, audit_probe):
    plan = plan_factory()
    probe = audit_probe()
    enrolment = register(world, plan, "张伟", MALE_ID, years_in_occupation=Decimal("7"))
    event = assert_one_event(probe, event_type="enrolment.registered", actor=world.a_operator, organization=world.org_a)
    assert enrolment.eligible and enrolment.admitted
    assert enrolment.eligibility["matched_index"] == 1
    assert enrolment.eligibility["matched"] == "累计从事本职业工作满 6 年"
    assert event.data["matched"] == "累计从事本职业工作满 6 年"

    holder = register(
        world,
        plan,
        "王芳",
        FEMALE_ID,
        years_in_occupation=Decimal("4.5"),
        prior_certificates=[PriorInput(level=5, obtained_on=plan.exam_date - dt.timedelta(days=4 * 366))],
    )
    assert holder.eligibility["matched_index"] == 0
    assert holder.eligibility["matched"] == "取得五级证书后累计从事本职业工作满 4 年"
    assert holder.prior_certificates.get().level == 5


def test_an_ineligible_candidate_is_refused_with_what_is_missing(world, plan_factory, audit_probe):
    plan = plan_factory()
    probe = audit_probe()
    error = refused(world, plan, "张伟", MALE_ID, years_in_occupation=Decimal("5.5"))
    (message,) = error.message_dict["route"]
    assert message.startswith("申报四级/中级工：不符合申报条件。")
    assert "最接近第 2 项（累计从事本职业工作满 6 年）" in message
    assert "0.5 年" in message
    assert probe.events() == []
    assert not Person.objects.exists()


def test_registration_is_closed_once_the_plan_is_filed(world, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    error = refused(world, ready_plan, "周杰", MALE_ID)
    assert error.messages == ["评价计划已报备，考生名单已锁定，不能再登记考生"]


def test_only_members_who_register_candidates_may_do_so(world, plan_factory):
    plan = plan_factory()
    for outsider in (world.a_viewer, world.a_assessor, world.b_operator):
        with pytest.raises(PermissionDenied, match="您没有为本机构登记考生的权限"):
            register(world, plan, "张伟", MALE_ID, actor=outsider)


def test_withdrawing_needs_a_reason_and_writes_one_event(world, plan_factory, audit_probe):
    enrolment = register(world, plan_factory(), "张伟", MALE_ID)
    with pytest.raises(ValidationError) as caught:
        enrolment_withdraw(actor=world.a_operator, enrolment=enrolment, reason=" ")
    assert messages(caught) == "撤回报名须填写原因"
    probe = audit_probe()
    enrolment_withdraw(actor=world.a_operator, enrolment=enrolment, reason="本人调岗")
    event = assert_one_event(probe, event_type="enrolment.withdrawn", actor=world.a_operator, organization=world.org_a)
    assert event.reason == "本人调岗"
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN


def test_a_holder_photo_is_normalised_and_writes_one_event(world, plan_factory, audit_probe):
    enrolment = register(world, plan_factory(), "张伟", MALE_ID)
    out = io.BytesIO()
    Image.new("RGB", (300, 420), (235, 235, 235)).save(out, format="PNG")
    with pytest.raises(PermissionDenied):
        enrolment_set_photo(actor=world.a_viewer, enrolment=enrolment, data=out.getvalue())
    with pytest.raises(ValidationError) as caught:
        enrolment_set_photo(actor=world.a_operator, enrolment=enrolment, data=b"not an image")
    assert list(caught.value.message_dict) == ["photo"]
    probe = audit_probe()
    enrolment = enrolment_set_photo(actor=world.a_operator, enrolment=enrolment, data=out.getvalue())
    assert_one_event(probe, event_type="enrolment.photo_set", actor=world.a_operator, organization=world.org_a)
    assert enrolment.photo.name.endswith(".jpg")
    with enrolment.photo.open("rb") as stored:
        assert stored.read(3) == b"\xff\xd8\xff"


# --- 定级: direct grading -----------------------------------------------------------------------
@pytest.fixture
def direct_plan(world, draft, today):
    version = publish_with_direct_grading(world, draft)
    return make_plan(world, version, level=4, exam_date=calendar.add_working_days(today, 10), allow_direct_grading=True)


def direct(**extra) -> dict:
    extra.setdefault("direct_justification", "获市职业技能大赛数控车项目一等奖")
    return {"route": "direct", "years_in_occupation": Decimal("2"), **extra}


def test_direct_grading_needs_a_plan_that_allows_it(world, plan_factory, published, today):
    error = refused(world, plan_factory(), "张伟", MALE_ID, **direct())
    assert error.message_dict == {"route": ["本计划不接受定级申报"]}
    with pytest.raises(ValidationError) as caught:
        plan_factory(allow_direct_grading=True)
    assert caught.value.message_dict == {"allow_direct_grading": ["所依据的评价规范在该等级不允许定级"]}


def test_direct_grading_needs_a_justification(world, direct_plan):
    error = refused(world, direct_plan, "张伟", MALE_ID, **direct(direct_justification="  "))
    assert error.message_dict == {"direct_justification": ["定级申报须写明理由（如技能水平、工作业绩）"]}


def test_a_direct_grading_skips_the_rules_and_waits_for_a_second_person(world, direct_plan):
    enrolment = register(world, direct_plan, "张伟", MALE_ID, **direct())
    assert enrolment.route == Enrolment.Route.DIRECT
    assert enrolment.direct_status == Enrolment.DirectStatus.PENDING
    assert not enrolment.admitted
    assert enrolment.eligibility == {}


def test_the_person_who_registered_a_direct_grading_cannot_approve_it(world, direct_plan):
    enrolment = register(world, direct_plan, "张伟", MALE_ID, actor=world.a_org_admin, **direct())
    with pytest.raises(ValidationError) as caught:
        direct_grading_decide(actor=world.a_org_admin, enrolment=enrolment, approve=True)
    assert messages(caught) == "定级申报须由登记人以外的第二人审批"
    enrolment.refresh_from_db()
    assert enrolment.direct_status == Enrolment.DirectStatus.PENDING


@pytest.mark.parametrize("who", ["a_viewer", "a_operator", "a_assessor", "b_org_admin"])
def test_only_an_approver_of_the_organisation_decides_a_direct_grading(world, direct_plan, who):
    enrolment = register(world, direct_plan, "张伟", MALE_ID, **direct())
    with pytest.raises(PermissionDenied, match="只有审核人或机构管理员可以审批定级申报"):
        direct_grading_decide(actor=getattr(world, who), enrolment=enrolment, approve=True)


def test_rejecting_a_direct_grading_needs_a_note(world, direct_plan, audit_probe):
    enrolment = register(world, direct_plan, "张伟", MALE_ID, **direct())
    with pytest.raises(ValidationError) as caught:
        direct_grading_decide(actor=world.a_reviewer, enrolment=enrolment, approve=False, note=" ")
    assert caught.value.message_dict == {"note": ["不批准时须写明理由"]}
    probe = audit_probe()
    decided = direct_grading_decide(
        actor=world.a_reviewer, enrolment=enrolment, approve=False, note="获奖项目与本工种无关"
    )
    event = assert_one_event(
        probe, event_type="enrolment.direct_decided", actor=world.a_reviewer, organization=world.org_a
    )
    assert event.reason == "获奖项目与本工种无关" and event.data["approved"] is False
    assert decided.direct_status == Enrolment.DirectStatus.REJECTED and not decided.admitted
    with pytest.raises(ValidationError, match="不是待审批的定级申报"):
        direct_grading_decide(actor=world.a_org_admin, enrolment=enrolment, approve=True)


def test_an_approved_direct_grading_admits_the_candidate(world, direct_plan, audit_probe):
    enrolment = register(world, direct_plan, "张伟", MALE_ID, **direct())
    probe = audit_probe()
    decided = direct_grading_decide(actor=world.a_reviewer, enrolment=enrolment, approve=True)
    event = assert_one_event(
        probe, event_type="enrolment.direct_decided", actor=world.a_reviewer, organization=world.org_a
    )
    assert event.data["justification"] == "获市职业技能大赛数控车项目一等奖"
    assert decided.admitted
    assert decided.direct_status == Enrolment.DirectStatus.APPROVED
    assert decided.direct_decided_by == world.a_reviewer


# --- 一人多证 ----------------------------------------------------------------------------------------
def test_a_person_who_passed_the_same_occupation_and_level_elsewhere_is_flagged(world, scoring_plan, plan_factory):
    score_everyone(scoring_plan, {"张伟": (80, 85), "王芳": (50, 85), "李娜": (80, 85), "刘洋": (80, 85)})
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    plan = plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    plan_close(actor=world.a_operator, plan=plan, today=plan.publicity_end + dt.timedelta(days=1))
    passed_id, failed_id = candidate_ids(2)

    again = plan_factory()
    flagged = register(world, again, "张伟", passed_id)
    assert flagged.warnings == [f"一人多证提示：该人员已在本机构通过车工四级/中级工评价（计划 {scoring_plan.number}）"]
    assert AuditEvent.objects.filter(event_type="enrolment.registered").last().data["warnings"] == flagged.warnings
    assert register(world, again, "王芳", failed_id).warnings == [], "王芳 failed the theory and holds nothing"
