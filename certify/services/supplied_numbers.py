"""Certificate numbers supplied by the provincial system (Guangdong may assign them): uploaded
before issuing, each validated against its candidate, all or nothing."""

from __future__ import annotations

import hashlib
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.events import EventType
from audit.history import bulk_update_audited
from audit.services import audit_append
from certify.actions import Act, require_action
from certify.errors import ImportRejected
from certify.models import AssessmentPlan, Certificate, Enrolment, Result
from certify.services.issuing import check_supplied_number
from certify.services.plan_base import lock_plan
from lib import numbering, pii
from lib.excel import Column, read_table


def supplied_number_columns() -> list[Column]:
    return [
        Column(key="name", header="姓名", max_length=60),
        Column(key="id_number", header="证件号码", aliases=("身份证号码", "身份证号"), kind="id_number", max_length=30),
        Column(key="number", header="证书编号", aliases=("证书号", "省级证书编号"), max_length=30),
    ]


@transaction.atomic
def supplied_numbers_import(*, actor: User, plan: AssessmentPlan, file, filename: str = "") -> int:
    """Numbers the province assigned (Guangdong may supply them): one per passing candidate, each
    validated (format, level digit, year, organisation segment, unused), all or nothing."""
    plan = lock_plan(plan)
    require_action(Act.SUPPLIED_NUMBERS, plan=plan, actor=actor)
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
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return len(chosen)
