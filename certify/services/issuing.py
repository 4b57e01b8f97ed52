"""Issuing certificates: numbers, who gets one, and the batch job.

The operator asks once (``issuance_request``); a Celery job allocates numbers and signs every
certificate in ONE transaction (``issuance_allocate``), then one idempotent task per certificate
renders its PDF after commit (``certify.services.rendering``). A double click, a re-run of the
batch or a task delivered twice never creates a second certificate or number: the batch row is
locked while allocating, the database allows one certificate per enrolment, and a PDF is recorded
once. A job that fails is recorded on its batch (``certify.services.failures``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify import dispatch
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Certificate, Enrolment, IssuanceBatch, NumberCounter, Person, Result
from certify.permissions import ISSUE_REFUSED, can_issue
from certify.services.issue_rules import held_elsewhere, held_reason, issuance_candidates, issuance_problems
from certify.services.payload import EMPTY_WORK_TYPE, sign
from certify.services.plan_base import lock_plan
from lib import numbering


def allocate_number(*, organization: Organization, year: int, level: int) -> str:
    """The next number of (organisation, year, level). Must run inside the issuing transaction:
    the counter row stays locked until commit, and a rollback gives the serial back (no gaps)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number must run inside the issuing transaction")
    counter = (
        NumberCounter.objects.select_for_update(of=("self",))
        .filter(organization=organization, year=year, level=level)
        .first()
    )
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(organization=organization, year=year, level=level)
        except IntegrityError:
            pass  # created by a concurrent issuer; lock theirs
        counter = NumberCounter.objects.select_for_update(of=("self",)).get(
            organization=organization, year=year, level=level
        )
    counter.last_serial += 1
    if counter.last_serial > numbering.MAX_SERIAL:
        raise ValidationError(_("本年度该等级的证书编号已用完（999999），请联系人社局"))
    counter.save(update_fields=["last_serial"])
    return numbering.format_number(
        type_letter=organization.number_type,
        ministry_code=organization.ministry_code,
        province_code=settings.SKILLCERT_PROVINCE_CODE,
        org_sequence=organization.province_sequence,
        year=year,
        level=level,
        serial=counter.last_serial,
    )


def check_supplied_number(*, number: str, organization: Organization, year: int, level: int) -> str:
    """A number supplied by the provincial system: validated against this certificate, and unused."""
    number = numbering.normalise_number(number)
    problems = numbering.validate_number(
        number,
        level=level,
        year=year,
        org_sequence=organization.province_sequence,
        type_letter=organization.number_type,
        ministry_code=organization.ministry_code,
        province_code=settings.SKILLCERT_PROVINCE_CODE,
    )
    if problems:
        raise ValidationError(problems)
    if Certificate.objects.filter(number=number).exists():
        raise ValidationError(_("证书编号 %(n)s 已被使用") % {"n": number})
    return number


@transaction.atomic
def issuance_request(*, actor: User, plan: AssessmentPlan, issue_date: dt.date | None = None) -> IssuanceBatch:
    """The operator's one action. Refused with every reason; on success the job runs after commit."""
    plan = lock_plan(plan)
    require(can_issue(actor, plan.organization), ISSUE_REFUSED)
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).filter(plan=plan).first()
    if batch is not None and batch.status in (IssuanceBatch.Status.PENDING, IssuanceBatch.Status.RUNNING):
        pending = batch.certificates.filter(pdf_status=Certificate.PdfStatus.PENDING).exists()
        if batch.status == IssuanceBatch.Status.PENDING or pending:
            raise ValidationError(_("本计划的证书正在核发中，请在进度页面查看，不要重复提交"))
    issue_date = batch.issue_date if batch is not None else (issue_date or timezone.localdate())
    require_action(Act.ISSUE, plan=plan, actor=actor, today=issue_date)
    if batch is None:
        batch = IssuanceBatch(organization=plan.organization, plan=plan, issue_date=issue_date, requested_by=actor)
    batch.status, batch.error = IssuanceBatch.Status.PENDING, ""
    save_tracked(batch, actor=actor)
    to_issue, skipped = issuance_candidates(plan)
    audit_append(
        actor=actor,
        event_type=EventType.ISSUANCE_REQUESTED,
        target=batch,
        organization=plan.organization,
        data={"plan": plan.number, "issue_date": issue_date, "candidates": len(to_issue), "skipped": skipped},
    )
    dispatch.issue_batch(batch.pk)
    return batch


def _copy_photo(enrolment: Enrolment, number: str) -> str:
    with enrolment.photo.open("rb") as handle:
        data = handle.read()
    return default_storage.save(f"certificates/photos/{number}.jpg", ContentFile(data))


def _snapshot(certificate: Certificate, enrolment: Enrolment, plan: AssessmentPlan) -> None:
    certificate.holder_name = enrolment.person.name
    with translation.override(settings.LANGUAGE_CODE):  # printed and signed in Chinese, whoever clicks 核发
        certificate.id_type_label = str(Person.IdType(enrolment.person.id_type).label)
    certificate.occupation_name = plan.occupation.name
    certificate.occupation_code = plan.occupation.code
    certificate.work_type_name = plan.work_type.name if plan.work_type_id else EMPTY_WORK_TYPE
    certificate.level_wording = plan.level_wording
    certificate.organization_name = organization_name_on(plan.organization, certificate.issue_date)


def organization_name_on(organization: Organization, day: dt.date) -> str:
    """The organisation's name as the bureau's records stood at the end of ``day`` (its history):
    a certificate dated before a rename carries the name the organisation was filed under then."""
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    record = organization.history.filter(history_date__lt=end).order_by("-history_date").first()
    return record.name if record is not None else organization.name


def issue_one(
    *, actor: User, enrolment: Enrolment, batch: IssuanceBatch | None, issue_date: dt.date, number: str = ""
) -> Certificate:
    """One certificate inside the caller's transaction: number, snapshot, signature, one event."""
    plan = enrolment.plan
    result = Result.objects.filter(enrolment=enrolment).first()
    if result is None or result.outcome != Result.Outcome.PASS or enrolment.status != Enrolment.Status.REGISTERED:
        raise ValidationError(_("%(name)s 的评价结果不是“合格”，不能发证") % {"name": enrolment.person.name})
    if Certificate.objects.filter(enrolment=enrolment).exists():
        raise ValidationError(_("%(name)s 已领取本次评价的证书") % {"name": enrolment.person.name})
    other = held_elsewhere(enrolment.person, occupation=plan.occupation, work_type=plan.work_type, level=plan.level)
    if other is not None:
        raise ValidationError(
            _("%(name)s：%(reason)s") % {"name": enrolment.person.name, "reason": held_reason(other, plan)}
        )
    if not enrolment.photo:
        raise ValidationError(_("%(name)s 尚未上传证件照，不能发证") % {"name": enrolment.person.name})
    if number:
        number = check_supplied_number(
            number=number, organization=plan.organization, year=issue_date.year, level=plan.level
        )
    else:
        number = allocate_number(organization=plan.organization, year=issue_date.year, level=plan.level)
    certificate = Certificate(
        number=number,
        organization=plan.organization,
        person=enrolment.person,
        enrolment=enrolment,
        plan=plan,
        batch=batch,
        standard_version=plan.standard_version,
        occupation=plan.occupation,
        work_type=plan.work_type,
        level=plan.level,
        issue_date=issue_date,
        issued_by=actor,
    )
    _snapshot(certificate, enrolment, plan)
    sign(certificate)
    certificate.photo.name = _copy_photo(enrolment, number)
    try:
        with transaction.atomic():
            save_tracked(certificate, actor=actor)
    except IntegrityError as exc:
        raise ValidationError(_("%(name)s 的证书已核发，不能重复发证") % {"name": enrolment.person.name}) from exc
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_ISSUED,
        target=certificate,
        organization=plan.organization,
        data={
            "number": number,
            "plan": plan.number,
            "enrolment": enrolment.pk,
            "name": certificate.holder_name,
            "level": plan.level,
            "key_id": certificate.key_id,
        },
    )
    return certificate


def issuance_allocate(*, batch_id: int) -> list[int]:
    """The batch job: numbers and signatures for every remaining passing candidate, in one
    transaction. Safe to run twice: the second run finds nothing left to issue."""
    with transaction.atomic():
        batch = (
            IssuanceBatch.objects.select_for_update(of=("self",))
            .select_related("plan__organization", "requested_by")
            .get(pk=batch_id)
        )
        plan = AssessmentPlan.objects.select_related("organization", "occupation", "work_type", "standard_version").get(
            pk=batch.plan_id
        )
        problems = issuance_problems(plan, batch.issue_date) if batch.status == IssuanceBatch.Status.PENDING else []
        to_issue, skipped = issuance_candidates(plan)
        if problems and to_issue:
            batch.status, batch.error = IssuanceBatch.Status.FAILED, "；".join(problems)
            save_tracked(batch, actor=batch.requested_by, fields=["status", "error"])
            audit_append(
                actor=batch.requested_by,
                event_type=EventType.ISSUANCE_FAILED,
                target=batch,
                organization=plan.organization,
                data={"problems": problems},
            )
            return []
        if to_issue:
            # The batch row changes first, so its history row is bound into the first issue event.
            batch.status, batch.skipped = IssuanceBatch.Status.RUNNING, skipped
            batch.allocated_at = batch.allocated_at or timezone.now()
            save_tracked(batch, actor=batch.requested_by, fields=["status", "skipped", "allocated_at"])
        issued = [
            issue_one(
                actor=batch.requested_by,
                enrolment=e,
                batch=batch,
                issue_date=batch.issue_date,
                number=e.supplied_number,
            )
            for e in to_issue
        ]
        ids = [c.pk for c in issued] + list(
            batch.certificates.filter(pdf_status=Certificate.PdfStatus.PENDING)
            .exclude(pk__in=[c.pk for c in issued])
            .values_list("pk", flat=True)
        )
        dispatch.render_certificates(ids, batch.pk)
    return [c.pk for c in issued]
