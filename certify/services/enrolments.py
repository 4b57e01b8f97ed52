"""Candidates: the global Person (ID encrypted, looked up by keyed hash) and the organisation's
Enrolment in a plan, registered one by one or from an Excel roster, all or nothing."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import can_view_personal_data, require
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.actions import APPROVED_STATES, OPEN_STATES, Act, require_action
from certify.models import AssessmentPlan, Certificate, Enrolment, Person, PriorCertificate, Result
from certify.permissions import can_register_in_plan
from certify.services.plan_base import lock_plan
from certify.services.plan_panel import assessor_names, roster_changed
from certify.services.registry import name_mismatch_message, registry_watch
from lib import pii
from lib.eligibility import CandidateFacts, CertificateKind, Diploma, evaluate, ruleset_from_data
from lib.eligibility import PriorCertificate as PriorFact
from lib.identifiers import check_id_number, id_number_birth_date, id_number_sex, mask_id_number
from lib.images import ImageRejected, normalise_photo
from lib.levels import is_valid_level, level_wording


@dataclass
class PriorInput:
    level: int
    obtained_on: dt.date
    kind: str = CertificateKind.SKILL_LEVEL
    number: str = ""
    occupation_name: str = ""


@dataclass
class CandidateInput:
    name: str
    id_number: str
    id_type: str = Person.IdType.RESIDENT
    employee_number: str = ""
    hire_date: dt.date | None = None
    dispatched: bool = False
    phone: str = ""
    education: str = ""
    diploma: str = ""
    diploma_in_field: bool = True
    final_year_student: bool = False
    apprenticeship_completed: bool = False
    years_in_occupation: Decimal = Decimal("0")
    route: str = Enrolment.Route.PROMOTION
    direct_justification: str = ""
    prior_certificates: list[PriorInput] = field(default_factory=list)


@dataclass
class Checked:
    """A validated candidate: what to write, or the problems (field → message) that stop it."""

    data: CandidateInput
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    person: Person | None = None
    id_hash: str = ""
    eligibility: dict = field(default_factory=dict)
    eligible: bool = False
    mismatch: bool = False  # the ID number is known with another name: a failed registry match


def normalise_id_number(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def _facts(plan: AssessmentPlan, data: CandidateInput) -> CandidateFacts:
    return CandidateFacts(
        as_of=plan.exam_date,
        years_in_occupation=Decimal(str(data.years_in_occupation or 0)),
        prior_certificates=tuple(
            PriorFact(level=p.level, obtained_on=p.obtained_on, kind=p.kind, number=p.number)
            for p in data.prior_certificates
        ),
        diploma=data.diploma or None,
        diploma_in_field=data.diploma_in_field,
        final_year_student=data.final_year_student,
        apprenticeship_completed=data.apprenticeship_completed,
    )


def facts_of(plan: AssessmentPlan, enrolment: Enrolment) -> CandidateFacts:
    """The facts of a registered candidate, for judging eligibility again (e.g. a new exam date)."""
    return CandidateFacts(
        as_of=plan.exam_date,
        years_in_occupation=enrolment.years_in_occupation,
        prior_certificates=tuple(
            PriorFact(level=p.level, obtained_on=p.obtained_on, kind=p.kind, number=p.number)
            for p in enrolment.prior_certificates.all()
        ),
        diploma=enrolment.diploma or None,
        diploma_in_field=enrolment.diploma_in_field,
        final_year_student=enrolment.final_year_student,
        apprenticeship_completed=enrolment.apprenticeship_completed,
    )


def check_candidate(plan: AssessmentPlan, data: CandidateInput) -> Checked:
    """Every rule for one candidate; errors name the field. Used by single registration and import."""
    checked = Checked(data=data)
    err = checked.errors.append
    data.name = " ".join((data.name or "").split())
    data.id_number = normalise_id_number(data.id_number)
    if not data.name:
        err(("name", _("请填写姓名")))
    elif len(data.name) > 60:
        err(("name", _("姓名不能超过 60 个字")))
    if data.id_type not in Person.IdType.values:
        err(("id_type", _("未知的证件类型")))
    elif not data.id_number:
        err(("id_number", _("请填写证件号码")))
    elif data.id_type == Person.IdType.RESIDENT:
        problem = check_id_number(data.id_number)
        if problem:
            err(("id_number", problem))
    elif not (4 <= len(data.id_number) <= 30 and data.id_number.isalnum()):
        err(("id_number", _("证件号码应为 4–30 位字母或数字")))
    if not Decimal("0") <= Decimal(str(data.years_in_occupation or 0)) <= Decimal("60"):
        err(("years_in_occupation", _("从事本职业年限应在 0–60 年之间")))
    if data.diploma and data.diploma not in Diploma.values:
        err(("diploma", _("未知的毕业证书类型")))
    if data.education and data.education not in Enrolment.Education.values:
        err(("education", _("未知的文化程度")))
    for prior in data.prior_certificates:
        if not is_valid_level(prior.level):
            err(("prior_certificates", _("已有证书的等级不正确")))
        elif prior.obtained_on > plan.exam_date:
            err(("prior_certificates", _("已有证书的取得日期晚于考核日期")))
    if data.route not in Enrolment.Route.values:
        err(("route", _("未知的申报方式")))
    elif data.route == Enrolment.Route.DIRECT:
        if not plan.allow_direct_grading:
            err(("route", _("本计划不接受定级申报")))
        if not (data.direct_justification or "").strip():
            err(("direct_justification", _("定级申报须写明理由（如技能水平、工作业绩）")))
    if checked.errors:
        return checked

    _check_person(plan, checked)
    if data.route == Enrolment.Route.PROMOTION and not checked.errors:
        rules = ruleset_from_data(plan.standard_level.eligibility_rules or [])
        result = evaluate(facts=_facts(plan, data), rules=rules)
        checked.eligible = result.eligible
        checked.eligibility = result.to_dict()
        checked.eligibility["summary"] = result.summary()
        if not result.eligible:
            err(
                (
                    "route",
                    _("申报%(level)s：%(why)s") % {"level": plan.level_wording, "why": result.summary()},
                )
            )
    return checked


def _check_person(plan: AssessmentPlan, checked: Checked) -> None:
    """The person behind the ID number, if known: the same name, not already in a running plan of
    this occupation and level, and what they already hold (warnings)."""
    data, err = checked.data, checked.errors.append
    checked.id_hash = pii.lookup_hash(id_type=data.id_type, number=data.id_number)
    hashes = pii.lookup_hashes(id_type=data.id_type, number=data.id_number)
    person = Person.objects.filter(id_type=data.id_type, id_number_hash__in=hashes).first()
    checked.person = person
    if person is not None:
        if person.name != data.name:
            checked.mismatch = True
            err(("name", name_mismatch_message(person, plan.organization, data.name)))
        existing = (
            Enrolment.objects.filter(
                person=person, organization=plan.organization, plan__status__in=sorted(OPEN_STATES)
            )
            .filter(plan__occupation=plan.occupation, plan__level=plan.level)
            .exclude(status=Enrolment.Status.WITHDRAWN)
            .select_related("plan")
            .first()
        )
        if existing is not None:
            if existing.plan_id == plan.pk:
                err(("id_number", _("该人员已在本计划中报名，不能重复报名")))
            else:
                err(
                    (
                        "id_number",
                        _("该人员已在评价计划 %(n)s 中报名同一职业等级，不能重复报名") % {"n": existing.plan.number},
                    )
                )
        elif Enrolment.objects.filter(person=person, plan=plan).exists():
            err(("id_number", _("该人员曾在本计划报名后撤回，不能再次报名")))
        checked.warnings += multi_certificate_warnings(person, plan)


def multi_certificate_warnings(person: Person, plan: AssessmentPlan) -> list[str]:
    """一人多证 / 重复考证 inside the organisation: the person already holds this occupation and level
    from it, has passed it in one of its approved plans, or is applying for it in another of its
    plans. Warnings, not refusals: the province warns; the issuing step refuses a second
    certificate. What other organisations hold is never said here (it would make the shared
    registry an oracle): the bureau sees those duplicates as risk flags (rule cross_org_duplicate)."""
    warnings = []
    organization = plan.organization
    subject, level = plan.occupation.name, level_wording(plan.level)
    held = (
        Certificate.objects.filter(
            person=person, organization=organization, occupation=plan.occupation, level=plan.level
        )
        .filter(status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED])
        .first()
    )
    if held is not None:
        warnings.append(
            _("一人多证提示：该人员已持有本机构颁发的%(subject)s%(level)s证书 %(number)s")
            % {"subject": subject, "level": level, "number": held.number}
        )
    passed = (
        Result.objects.filter(
            enrolment__person=person,
            enrolment__organization=organization,
            outcome=Result.Outcome.PASS,
            plan__occupation=plan.occupation,
            plan__level=plan.level,
            plan__status__in=sorted(APPROVED_STATES),
        )
        .exclude(plan=plan)
        .select_related("plan")
        .first()
    )
    if passed is not None and held is None:
        warnings.append(
            _("一人多证提示：该人员已在本机构通过%(subject)s%(level)s评价（计划 %(n)s）")
            % {"subject": subject, "level": level, "n": passed.plan.number}
        )
    return warnings


def errors_to_validation(errors: list[tuple[str, str]]) -> ValidationError:
    grouped: dict[str, list[str]] = {}
    for key, message in errors:
        grouped.setdefault(key, []).append(message)
    return ValidationError(grouped)


def new_person_row(data: CandidateInput, id_hash: str) -> Person:
    person = Person(
        id_type=data.id_type,
        id_number_token=pii.encrypt(data.id_number),
        id_number_hash=id_hash,
        id_number_masked=mask_id_number(data.id_number),
        name=data.name,
    )
    if data.id_type == Person.IdType.RESIDENT:
        person.sex = id_number_sex(data.id_number)
        person.birth_date = id_number_birth_date(data.id_number)
    return person


def new_enrolment_row(plan: AssessmentPlan, checked: Checked, person: Person, actor: User) -> Enrolment:
    data = checked.data
    direct = data.route == Enrolment.Route.DIRECT
    return Enrolment(
        organization=plan.organization,
        plan=plan,
        person=person,
        employee_number=(data.employee_number or "").strip(),
        hire_date=data.hire_date,
        dispatched=data.dispatched,
        phone=(data.phone or "").strip(),
        education=data.education or "",
        diploma=data.diploma or "",
        diploma_in_field=data.diploma_in_field,
        final_year_student=data.final_year_student,
        apprenticeship_completed=data.apprenticeship_completed,
        years_in_occupation=Decimal(str(data.years_in_occupation or 0)),
        route=data.route,
        eligible=checked.eligible,
        eligibility=checked.eligibility,
        direct_justification=(data.direct_justification or "").strip() if direct else "",
        direct_status=Enrolment.DirectStatus.PENDING if direct else Enrolment.DirectStatus.NOT_NEEDED,
        warnings=checked.warnings,
        registered_by=actor,
    )


def prior_certificate_rows(enrolment: Enrolment, data: CandidateInput) -> list[PriorCertificate]:
    return [
        PriorCertificate(
            enrolment=enrolment,
            level=p.level,
            kind=p.kind,
            number=(p.number or "").strip(),
            obtained_on=p.obtained_on,
            occupation_name=(p.occupation_name or "").strip(),
        )
        for p in data.prior_certificates
    ]


def require_registration_open(actor: User, plan: AssessmentPlan) -> None:
    """Registration one by one and by roster import alike: the registrar's right, a draft plan."""
    require_action(Act.REGISTER, plan=plan, actor=actor)


def describe_enrolment(enrolment: Enrolment, checked: Checked) -> dict:
    return {
        "enrolment": enrolment.pk,
        "name": enrolment.person.name,
        "id_number": enrolment.person.id_number_masked,
        "route": enrolment.route,
        "eligible": checked.eligible,
        "matched": checked.eligibility.get("matched", ""),
        "warnings": checked.warnings,
    }


def enrolment_register(
    *, actor: User, plan: AssessmentPlan, data: CandidateInput, photo: bytes | None = None
) -> Enrolment:
    """Register one candidate, with their photo when one is given (both or neither). A name that
    does not match the registry is refused in words that say nothing of other organisations, and is
    audited and counted (``certify.services.registry``).

    The new roster voids the panel's recusal declarations: the returned enrolment carries
    ``declarations_voided``, the names of the assessors who must declare again."""
    if photo is not None:
        _photo_or_refusal(photo)  # a bad photo is refused before anything is written
    with registry_watch(actor=actor, plan=plan) as mismatches, transaction.atomic():
        enrolment = _register(actor=actor, plan=plan, data=data, mismatches=mismatches)
        if photo is not None:
            enrolment.photo = enrolment_set_photo(actor=actor, enrolment=enrolment, data=photo).photo
        return enrolment


def _photo_or_refusal(data: bytes) -> bytes:
    try:
        return normalise_photo(data)
    except ImageRejected as exc:
        raise ValidationError({"photo": exc.message}) from exc


@transaction.atomic
def _register(*, actor: User, plan: AssessmentPlan, data: CandidateInput, mismatches: list) -> Enrolment:
    plan = lock_plan(plan)
    require_registration_open(actor, plan)
    checked = check_candidate(plan, data)
    if checked.errors:
        if checked.mismatch:
            mismatches.append(1)
        raise errors_to_validation(checked.errors)
    person = checked.person
    if person is None:
        person = new_person_row(checked.data, checked.id_hash)
        try:
            with transaction.atomic():
                save_tracked(person, actor=actor)
        except IntegrityError as exc:  # registered at the same moment elsewhere
            raise ValidationError(_("该证件号码正在被同时登记，请稍后重试")) from exc
    enrolment = new_enrolment_row(plan, checked, person, actor)
    save_tracked(enrolment, actor=actor)
    for row in prior_certificate_rows(enrolment, checked.data):
        save_tracked(row, actor=actor)
    enrolment.declarations_voided = assessor_names(roster_changed(plan, actor))
    audit_append(
        actor=actor,
        event_type=EventType.ENROLMENT_REGISTERED,
        target=enrolment,
        organization=plan.organization,
        data=describe_enrolment(enrolment, checked),
    )
    return enrolment


@transaction.atomic
def enrolment_withdraw(*, actor: User, enrolment: Enrolment, reason: str) -> Enrolment:
    """Withdraw a candidate before the exam. The panel's recusal declarations stand: a withdrawal
    only removes people, so no assessor has anyone new to declare about (``declarations_voided``
    is always empty; a new candidate, by contrast, voids them)."""
    plan = lock_plan(enrolment.plan)
    require_action(Act.WITHDRAW, plan=plan, actor=actor)
    enrolment = Enrolment.objects.select_related("person").get(pk=enrolment.pk, plan=plan)
    if enrolment.status == Enrolment.Status.WITHDRAWN:
        raise ValidationError(_("该报名已撤回"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("撤回报名须填写原因")})
    enrolment.status, enrolment.withdrawn_reason = Enrolment.Status.WITHDRAWN, reason
    save_tracked(enrolment, actor=actor, reason=reason, fields=["status", "withdrawn_reason"])
    enrolment.declarations_voided = []
    audit_append(
        actor=actor,
        event_type=EventType.ENROLMENT_WITHDRAWN,
        target=enrolment,
        organization=plan.organization,
        data={"name": enrolment.person.name},
        reason=reason,
    )
    return enrolment


@transaction.atomic
def direct_grading_decide(*, actor: User, enrolment: Enrolment, approve: bool, note: str = "") -> Enrolment:
    """A second person approves (or refuses) a 定级 application: never the one who registered it."""
    plan = lock_plan(enrolment.plan)
    require_action(Act.DECIDE_DIRECT, plan=plan, actor=actor)
    enrolment = Enrolment.objects.select_related("person").get(pk=enrolment.pk, plan=plan)
    if enrolment.route != Enrolment.Route.DIRECT or enrolment.direct_status != Enrolment.DirectStatus.PENDING:
        raise ValidationError(_("该申报不是待审批的定级申报"))
    if enrolment.registered_by_id == actor.pk:
        raise ValidationError(_("定级申报须由登记人以外的第二人审批"))
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("不批准时须写明理由")})
    enrolment.direct_status = Enrolment.DirectStatus.APPROVED if approve else Enrolment.DirectStatus.REJECTED
    enrolment.direct_decided_by, enrolment.direct_decided_at = actor, timezone.now()
    enrolment.direct_decision_note = note
    save_tracked(
        enrolment,
        actor=actor,
        fields=["direct_status", "direct_decided_by", "direct_decided_at", "direct_decision_note"],
    )
    audit_append(
        actor=actor,
        event_type=EventType.DIRECT_GRADING_DECIDED,
        target=enrolment,
        organization=plan.organization,
        data={"approved": approve, "name": enrolment.person.name, "justification": enrolment.direct_justification},
        reason=note,
    )
    return enrolment


@transaction.atomic
def enrolment_set_photo(*, actor: User, enrolment: Enrolment, data: bytes) -> Enrolment:
    """The holder photo printed on the certificate: checked and normalised before it is kept (in
    any state: a photo missing at issuance is added then)."""
    plan = lock_plan(enrolment.plan)
    require(can_register_in_plan(actor, plan), _("您没有为本机构登记考生的权限"))
    enrolment = Enrolment.objects.select_related("person").get(pk=enrolment.pk, plan=plan)
    jpeg = _photo_or_refusal(data)
    old = enrolment.photo.name if enrolment.photo else ""
    enrolment.photo.save(f"enrolment-{enrolment.pk}.jpg", ContentFile(jpeg), save=False)
    save_tracked(enrolment, actor=actor, fields=["photo"])
    audit_append(
        actor=actor,
        event_type=EventType.ENROLMENT_PHOTO_SET,
        target=enrolment,
        organization=plan.organization,
        data={"changes": {"photo": [old, enrolment.photo.name]}, "bytes": len(jpeg)},
    )
    return enrolment


def person_id_number(person: Person) -> str:
    """The full ID number, decrypted for a role that needs it (callers check permission and log)."""
    return pii.decrypt(person.id_number_token)


def person_id_number_reveal(*, actor: User, enrolment: Enrolment) -> str:
    """The full ID number for a role that needs it; every look is written to the audit trail."""
    organization = enrolment.organization
    require(can_view_personal_data(actor, organization), _("您没有查看完整证件号码的权限"))
    with transaction.atomic():
        audit_append(
            actor=actor,
            event_type=EventType.PERSONAL_DATA_VIEWED,
            target=enrolment,
            organization=organization,
            data={"field": "id_number", "person": enrolment.person_id, "masked": enrolment.person.id_number_masked},
        )
    return person_id_number(enrolment.person)
