"""Issuing certificates: numbers, signatures, the batch job and the PDFs.

The operator asks once (``issuance_request``); a Celery job allocates numbers and signs every
certificate in ONE transaction (``issuance_allocate``), then one idempotent task per certificate
renders its PDF after commit (``certificate_render``). A double click, a re-run of the batch or a
task delivered twice never creates a second certificate or number: the batch row is locked while
allocating, the database allows one certificate per enrolment, and a PDF is recorded once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.permissions import has_org_perm, require
from accounts.roles import OrgPerm
from accounts.validators import mask_id_number
from audit.events import EventType
from audit.services import audit_append
from certify import numbering, pii
from certify.checkcode import format_check_code, new_check_code
from certify.models import AssessmentPlan, Certificate, Enrolment, IssuanceBatch, NumberCounter, Person, Result
from certify.pdf import missing_glyphs, render_certificate_pdf, render_certificates_pdf
from certify.services.filings import filing_coverage
from certify.signing import PAYLOAD_VERSION, certificate_keyring, certificate_payload
from config.files import private_dir

logger = logging.getLogger(__name__)
EMPTY_WORK_TYPE = "--"
CHECK_CODE_PURPOSE = "check_code"


# --- numbers ----------------------------------------------------------------------------------
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


# --- signing ------------------------------------------------------------------------------------
def id_number_of(person: Person) -> str:
    return pii.decrypt(person.id_number_token)


def check_code_of(certificate: Certificate) -> str:
    """The 查验码 in canonical form ("" for a version-1 certificate). Personal to the paper: never
    shown on a page, in JSON or in a log."""
    if not certificate.check_code_token:
        return ""
    return pii.decrypt(certificate.check_code_token, purpose=CHECK_CODE_PURPOSE)


def payload_of(certificate: Certificate, *, version: int = PAYLOAD_VERSION) -> bytes:
    """The canonical bytes of the printed fields that never change after issue: with the 查验码
    (version 2) when the certificate has one, or the version-1 bytes of its legacy signature."""
    return certificate_payload(
        number=certificate.number,
        holder_name=certificate.holder_name,
        id_type=certificate.id_type_label,
        id_number=id_number_of(certificate.person),
        occupation=certificate.occupation_name,
        work_type=certificate.work_type_name,
        level_wording=certificate.level_wording,
        organization_name=certificate.organization_name,
        issue_date=certificate.issue_date,
        check_code=check_code_of(certificate) if version >= 2 else "",
    )


def sign(certificate: Certificate) -> None:
    """Sign the version-2 payload, giving the certificate a fresh 查验码 first if it has none."""
    if not certificate.check_code_token:
        certificate.check_code_token = pii.encrypt(new_check_code(), purpose=CHECK_CODE_PURPOSE)
    ring = certificate_keyring()
    ring.ensure_active()
    certificate.key_id, certificate.signature = ring.sign(payload_of(certificate))


def verify_url(certificate: Certificate) -> str:
    return f"{settings.SITE_URL}/v/{certificate.number}?s={certificate.signature}&k={certificate.key_id}"


# --- who gets a certificate ---------------------------------------------------------------------
def held_elsewhere(person: Person, *, occupation, work_type, level: int, exclude_enrolment=None):
    """A current, valid certificate of this person for the same occupation, 工种 and level."""
    qs = Certificate.objects.filter(
        person=person,
        occupation=occupation,
        level=level,
        status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
    ).filter(Q(work_type=work_type) if work_type else Q(work_type__isnull=True))
    if exclude_enrolment is not None:
        qs = qs.exclude(enrolment=exclude_enrolment)
    return qs.first()


def held_reason(other: Certificate, plan: AssessmentPlan) -> str:
    """Why a candidate gets no certificate: the number only when this organisation issued it —
    another organisation's certificate is never named to a clerk (the bureau sees such duplicates)."""
    if other.organization_id == plan.organization_id:
        return _("已持有本机构颁发的同职业同等级证书 %(n)s") % {"n": other.number}
    return _("已持有其他评价机构颁发的同职业同等级有效证书，不能重复发证；如有疑问请联系人社局")


def issuance_candidates(plan: AssessmentPlan) -> tuple[list[Enrolment], list[dict]]:
    """Passing candidates still without a certificate, and those passed over (with the reason)."""
    passing = (
        Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED, result__outcome=Result.Outcome.PASS)
        .exclude(certificates__version=1)
        .select_related("person")
        .order_by("pk")
    )
    to_issue, skipped = [], []
    for enrolment in passing:
        other = held_elsewhere(
            enrolment.person,
            occupation=plan.occupation,
            work_type=plan.work_type,
            level=plan.level,
            exclude_enrolment=enrolment,
        )
        if other is not None:
            skipped.append(
                {"enrolment": enrolment.pk, "name": enrolment.person.name, "reason": held_reason(other, plan)}
            )
        else:
            to_issue.append(enrolment)
    return to_issue, skipped


def issuance_problems(plan: AssessmentPlan, issue_date: dt.date) -> list[str]:
    """Everything that blocks issuing this plan's certificates, in words a clerk acts on."""
    if plan.status != AssessmentPlan.Status.CLOSED:
        return [
            _("评价计划尚未结束：公示期满且异议处理完毕后方可发证（当前：%(s)s）") % {"s": plan.get_status_display()}
        ]
    problems = []
    if plan.publicity_end and issue_date <= plan.publicity_end:
        problems.append(_("发证日期须在公示期满之后（公示截止 %(end)s）") % {"end": plan.publicity_end.isoformat()})
    coverage = filing_coverage(
        organization=plan.organization,
        occupation=plan.occupation,
        work_type=plan.work_type,
        level=plan.level,
        on=issue_date,
    )
    if not coverage.ok:
        problems.append(coverage.message)
    to_issue, _skipped = issuance_candidates(plan)
    if not to_issue:
        problems.append(_("没有待发证的合格考生"))
    missing = [e.person.name for e in to_issue if not e.photo]
    if missing:
        problems.append(_("以下考生尚未上传证件照，不能发证：%(names)s") % {"names": "、".join(missing)})
    return problems


def can_issue(user, organization: Organization) -> bool:
    return has_org_perm(user, OrgPerm.ISSUE_CERTIFICATES, organization)


# --- the batch ----------------------------------------------------------------------------------
@transaction.atomic
def issuance_request(*, actor: User, plan: AssessmentPlan, issue_date: dt.date | None = None) -> IssuanceBatch:
    """The operator's one action. Refused with every reason; on success the job runs after commit."""
    plan = AssessmentPlan.objects.select_for_update(of=("self",)).select_related("organization").get(pk=plan.pk)
    require(can_issue(actor, plan.organization), _("您没有核发本机构证书的权限"))
    batch = IssuanceBatch.objects.select_for_update(of=("self",)).filter(plan=plan).first()
    if batch is not None and batch.status in (IssuanceBatch.Status.PENDING, IssuanceBatch.Status.RUNNING):
        pending = batch.certificates.filter(pdf_status=Certificate.PdfStatus.PENDING).exists()
        if batch.status == IssuanceBatch.Status.PENDING or pending:
            raise ValidationError(_("本计划的证书正在核发中，请在进度页面查看，不要重复提交"))
    issue_date = batch.issue_date if batch is not None else (issue_date or timezone.localdate())
    problems = issuance_problems(plan, issue_date)
    if problems:
        raise ValidationError(problems)
    if batch is None:
        batch = IssuanceBatch(organization=plan.organization, plan=plan, issue_date=issue_date, requested_by=actor)
    batch.status, batch.error = IssuanceBatch.Status.PENDING, ""
    batch._history_user = actor
    batch.save()
    to_issue, skipped = issuance_candidates(plan)
    audit_append(
        actor=actor,
        event_type=EventType.ISSUANCE_REQUESTED,
        target=batch,
        organization=plan.organization,
        data={"plan": plan.number, "issue_date": issue_date, "candidates": len(to_issue), "skipped": skipped},
    )
    batch_id = batch.pk
    transaction.on_commit(lambda: _dispatch_batch(batch_id))
    return batch


def _dispatch_batch(batch_id: int) -> None:
    from certify.tasks import issue_batch

    issue_batch.delay(batch_id)


def _copy_photo(enrolment: Enrolment, number: str) -> str:
    with enrolment.photo.open("rb") as handle:
        data = handle.read()
    return default_storage.save(f"certificates/photos/{number}.jpg", ContentFile(data))


def _snapshot(certificate: Certificate, enrolment: Enrolment, plan: AssessmentPlan) -> None:
    certificate.holder_name = enrolment.person.name
    certificate.id_type_label = str(Person.IdType(enrolment.person.id_type).label)
    certificate.occupation_name = plan.occupation.name
    certificate.occupation_code = plan.occupation.code
    certificate.work_type_name = plan.work_type.name if plan.work_type_id else EMPTY_WORK_TYPE
    certificate.level_wording = plan.level_wording
    certificate.organization_name = plan.organization.name


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
    certificate._history_user = actor
    try:
        with transaction.atomic():
            certificate.save()
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
            batch._history_user = batch.requested_by
            batch.save(update_fields=["status", "error"])
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
            batch._history_user = batch.requested_by
            batch.save(update_fields=["status", "skipped", "allocated_at"])
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
        transaction.on_commit(lambda: _dispatch_renders(ids, batch.pk))
    return [c.pk for c in issued]


def _dispatch_renders(ids: list[int], batch_id: int) -> None:
    from certify.tasks import render_batch_pdf, render_certificate

    for pk in ids:
        render_certificate.delay(pk)
    if not ids:
        render_batch_pdf.delay(batch_id)


# --- PDFs ---------------------------------------------------------------------------------------
def _media_path(name: str) -> str | None:
    if not name:
        return None
    try:
        return default_storage.path(name)
    except NotImplementedError:
        return None


def pdf_context(certificate: Certificate, *, view_only: bool = False) -> dict:
    """What the certificate template prints. ``view_only``: the copy for roles without the
    personal-data right — the ID number masked, no 查验码, marked 仅供查阅."""
    seal = getattr(certificate.organization, "seal", None)
    note = ""
    if certificate.print_serial > 1:
        note = _("补发（第 %(n)d 次打印）") % {"n": certificate.print_serial}
    id_number = id_number_of(certificate.person)
    code = "" if view_only else check_code_of(certificate)
    return {
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "id_type_label": certificate.id_type_label,
        "id_number": mask_id_number(id_number) if view_only else id_number,
        "check_code": format_check_code(code) if code else "",
        "view_only": view_only,
        "occupation_name": certificate.occupation_name,
        "occupation_code": certificate.occupation_code,
        "work_type": "" if certificate.work_type_name == EMPTY_WORK_TYPE else certificate.work_type_name,
        "level_wording": certificate.level_wording,
        "organization_name": certificate.organization_name,
        "issue_date": certificate.issue_date,
        "verify_url": verify_url(certificate),
        "photo_path": _media_path(certificate.photo.name),
        "seal_path": _media_path(seal.image.name) if seal else None,
        "print_note": note,
    }


def _printed_text(context: dict) -> str:
    return "".join(
        str(context[k] or "")
        for k in ("holder_name", "id_type_label", "occupation_name", "work_type", "level_wording", "organization_name")
    )


def certificate_render(*, certificate_id: int) -> bool:
    """Render and record one certificate's PDF. Idempotent: a done PDF is left alone, and when two
    deliveries of the task race, only the first records its file (the other discards its own)."""
    from accounts.services import system_actor

    certificate = Certificate.objects.select_related("person", "organization").get(pk=certificate_id)
    if (
        certificate.pdf_status == Certificate.PdfStatus.DONE
        and certificate.pdf
        and default_storage.exists(certificate.pdf.name)
    ):
        return False
    actor = system_actor("celery")
    try:
        context = pdf_context(certificate)
        if not context["photo_path"]:
            raise ValueError(_("证件照缺失"))
        data = render_certificate_pdf(context)
        missing = missing_glyphs(data, _printed_text(context))
        if missing:
            raise ValueError(_("字体缺少以下字符的字形：%(c)s") % {"c": "".join(sorted(missing))})
    except Exception as exc:  # recorded for the operator, who can retry
        logger.exception("certificate %s: PDF failed", certificate.number)
        _record_pdf_failure(certificate_id=certificate_id, actor=actor, error=str(exc) or exc.__class__.__name__)
        return False
    temp_name = default_storage.save(f"certificates/tmp/{uuid.uuid4().hex}.pdf", ContentFile(data))
    recorded = _record_pdf(certificate_id=certificate_id, actor=actor, temp_name=temp_name, data=data)
    if not recorded:
        default_storage.delete(temp_name)
    return recorded


def certificate_view_copy_pdf(certificate: Certificate) -> bytes:
    """The 仅供查阅 copy (ID masked, no 查验码), rendered on demand and never stored."""
    return render_certificate_pdf(pdf_context(certificate, view_only=True))


def _final_name(certificate: Certificate) -> str:
    c = certificate
    return f"certificates/{c.issue_date.year}/{c.organization_id}/{c.number}-v{c.version}-p{c.print_serial}.pdf"


@transaction.atomic
def _record_pdf(*, certificate_id: int, actor: User, temp_name: str, data: bytes) -> bool:
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=certificate_id)
    if certificate.pdf_status == Certificate.PdfStatus.DONE and certificate.pdf:
        return False
    final = _final_name(certificate)
    if default_storage.exists(final):
        default_storage.delete(final)
    source = Path(default_storage.path(temp_name))
    target = Path(default_storage.path(final))
    private_dir(target.parent)
    source.replace(target)
    digest = hashlib.sha256(data).hexdigest()
    certificate.pdf.name, certificate.pdf_sha256 = final, digest
    certificate.pdf_status, certificate.pdf_error = Certificate.PdfStatus.DONE, ""
    certificate._history_user = actor
    certificate.save(update_fields=["pdf", "pdf_sha256", "pdf_status", "pdf_error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_RENDERED,
        target=certificate,
        organization=certificate.organization,
        data={
            "number": certificate.number,
            "sha256": digest,
            "bytes": len(data),
            "print_serial": certificate.print_serial,
        },
    )
    batch_id = certificate.batch_id
    if batch_id:
        transaction.on_commit(lambda: _maybe_finish_batch(batch_id))
    return True


@transaction.atomic
def _record_pdf_failure(*, certificate_id: int, actor: User, error: str) -> None:
    certificate = Certificate.objects.select_for_update(of=("self",)).get(pk=certificate_id)
    if certificate.pdf_status == Certificate.PdfStatus.DONE:
        return
    certificate.pdf_status, certificate.pdf_error = Certificate.PdfStatus.FAILED, error[:500]
    certificate._history_user = actor
    certificate.save(update_fields=["pdf_status", "pdf_error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_FAILED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number, "error": error[:500]},
    )


def _maybe_finish_batch(batch_id: int) -> None:
    if not Certificate.objects.filter(batch_id=batch_id, pdf_status=Certificate.PdfStatus.PENDING).exists():
        from certify.tasks import render_batch_pdf

        render_batch_pdf.delay(batch_id)


def batch_render(*, batch_id: int) -> bool:
    """The combined print file of a batch, once every PDF is done (re-made when the set changed)."""
    from accounts.services import system_actor

    batch = IssuanceBatch.objects.get(pk=batch_id)
    certificates = list(
        Certificate.objects.filter(batch=batch, status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED])
        .select_related("person", "organization")
        .order_by("number")
    )
    if any(c.pdf_status != Certificate.PdfStatus.DONE for c in certificates):
        return False
    fingerprint = hashlib.sha256("\n".join(c.pdf_sha256 for c in certificates).encode()).hexdigest()
    if batch.combined_pdf and batch.combined_pdf_sha256 == fingerprint and batch.status == IssuanceBatch.Status.DONE:
        return False
    data = render_certificates_pdf([pdf_context(c) for c in certificates]) if certificates else b""
    name = default_storage.save(f"batches/{batch.plan_id}/{uuid.uuid4().hex}.pdf", ContentFile(data)) if data else ""
    actor = system_actor("celery")
    with transaction.atomic():
        batch = IssuanceBatch.objects.select_for_update(of=("self",)).get(pk=batch_id)
        old = batch.combined_pdf.name
        batch.combined_pdf.name, batch.combined_pdf_sha256 = name, fingerprint
        batch.status = IssuanceBatch.Status.DONE
        batch._history_user = actor
        batch.save(update_fields=["combined_pdf", "combined_pdf_sha256", "status"])
        audit_append(
            actor=actor,
            event_type=EventType.ISSUANCE_COMPLETED,
            target=batch,
            organization=batch.organization,
            data={"certificates": len(certificates), "combined_sha256": hashlib.sha256(data).hexdigest()},
        )
    if old and old != name:
        default_storage.delete(old)
    return True


@transaction.atomic
def certificate_pdf_retry(*, actor: User, certificate: Certificate) -> Certificate:
    certificate = (
        Certificate.objects.select_for_update(of=("self",)).select_related("organization").get(pk=certificate.pk)
    )
    require(can_issue(actor, certificate.organization), _("您没有核发本机构证书的权限"))
    if certificate.pdf_status != Certificate.PdfStatus.FAILED:
        raise ValidationError(_("只有生成失败的证书可以重试"))
    certificate.pdf_status, certificate.pdf_error = Certificate.PdfStatus.PENDING, ""
    certificate._history_user = actor
    certificate.save(update_fields=["pdf_status", "pdf_error"])
    audit_append(
        actor=actor,
        event_type=EventType.CERTIFICATE_PDF_RETRIED,
        target=certificate,
        organization=certificate.organization,
        data={"number": certificate.number},
    )
    pk = certificate.pk
    transaction.on_commit(lambda: _dispatch_renders([pk], certificate.batch_id))
    return certificate


def batch_progress(batch: IssuanceBatch) -> dict:
    counts = {s: 0 for s in Certificate.PdfStatus.values}
    for status in Certificate.objects.filter(batch=batch).values_list("pdf_status", flat=True):
        counts[status] += 1
    total = sum(counts.values())
    stalled = counts[Certificate.PdfStatus.PENDING] == 0 and counts[Certificate.PdfStatus.FAILED] > 0
    return {
        "status": batch.status,
        "status_label": str(_("有失败，待重试") if stalled else batch.get_status_display()),
        "total": total,
        "done": counts[Certificate.PdfStatus.DONE],
        "failed": counts[Certificate.PdfStatus.FAILED],
        "remaining": counts[Certificate.PdfStatus.PENDING],
        "skipped": len(batch.skipped or []),
        "error": batch.error,
        "combined_ready": bool(batch.combined_pdf),
    }


# --- numbers supplied by the provincial system ------------------------------------------------------
def supplied_number_columns():
    from certify.excel import Column

    return [
        Column(key="name", header="姓名", max_length=60),
        Column(key="id_number", header="证件号码", aliases=("身份证号码", "身份证号"), kind="id_number", max_length=30),
        Column(key="number", header="证书编号", aliases=("证书号", "省级证书编号"), max_length=30),
    ]


@transaction.atomic
def supplied_numbers_import(*, actor: User, plan: AssessmentPlan, file, filename: str = "") -> int:
    """Numbers the province assigned (Guangdong may supply them): one per passing candidate, each
    validated (format, level digit, year, organisation segment, unused), all or nothing."""
    import hashlib as _hashlib
    import io

    from audit.history import bulk_update_audited
    from certify.errors import ImportRejected
    from certify.excel import read_table

    plan = AssessmentPlan.objects.select_for_update(of=("self",)).select_related("organization").get(pk=plan.pk)
    require(can_issue(actor, plan.organization), _("您没有核发本机构证书的权限"))
    if plan.status != AssessmentPlan.Status.CLOSED:
        raise ValidationError(_("评价计划结束后才能导入省级下发的证书编号"))
    content = file.read() if hasattr(file, "read") else file
    table = read_table(io.BytesIO(content), columns=supplied_number_columns(), filename=filename)
    passing = {}
    for enrolment in Enrolment.objects.filter(
        plan=plan, status=Enrolment.Status.REGISTERED, result__outcome=Result.Outcome.PASS
    ).select_related("person"):
        passing[(enrolment.person.id_type, enrolment.person.id_number_hash)] = enrolment
    year = timezone.localdate().year
    seen_numbers: dict[str, int] = {}
    chosen: list[Enrolment] = []
    id_types = {id_type for id_type, _digest in passing}
    for row_number, row in table.rows:
        number = numbering.normalise_number(row["number"])
        match = next(
            (
                passing[(t, digest)]
                for t in sorted(id_types)
                for digest in pii.lookup_hashes(id_type=t, number=row["id_number"])
                if (t, digest) in passing
            ),
            None,
        )
        if match is None:
            table.add_error(row_number, "证件号码", _("不是本计划的合格考生"))
            continue
        if match.person.name != row["name"]:
            table.add_error(row_number, "姓名", _("与该证件号码登记的姓名不一致"))
            continue
        if Certificate.objects.filter(enrolment=match).exists():
            table.add_error(row_number, "证件号码", _("该考生的证书已核发，编号不能再更改"))
            continue
        if number in seen_numbers:
            table.add_error(row_number, "证书编号", _("与第 %(r)d 行的证书编号重复") % {"r": seen_numbers[number]})
            continue
        seen_numbers[number] = row_number
        try:
            check_supplied_number(number=number, organization=plan.organization, year=year, level=plan.level)
        except ValidationError as exc:
            table.add_error(row_number, "证书编号", "；".join(exc.messages))
            continue
        match.supplied_number = number
        chosen.append(match)
    if not table.ok:
        raise ImportRejected(sorted(table.errors, key=lambda e: e.row))
    if not chosen:
        raise ValidationError(_("文件中没有可导入的证书编号"))
    bulk_update_audited(Enrolment, chosen, ["supplied_number"], actor=actor, reason=_("导入省级下发证书编号"))
    audit_append(
        actor=actor,
        event_type=EventType.SUPPLIED_NUMBERS_IMPORTED,
        target=plan,
        organization=plan.organization,
        data={
            "plan": plan.number,
            "count": len(chosen),
            "filename": filename,
            "sha256": _hashlib.sha256(content).hexdigest(),
        },
    )
    return len(chosen)
