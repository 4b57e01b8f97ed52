"""The shared person registry seen from another organisation (issue 9, finding 4): no name,
organisation, plan or certificate of another tenant in any message; failed matches audited and
throttled; duplicates across organisations flagged for the bureau instead."""

import pytest
from django.core.exceptions import ValidationError

from audit.actors import system_actor
from audit.models import AuditEvent, RiskFlag
from bureau.risk import risk_scan
from certify.models import Person
from certify.services import calendar
from certify.services.enrolments import enrolment_register
from certify.services.filings import ScopeSpec, filing_add_scope
from certify.services.imports import roster_import
from certify.services.plans import plan_create
from certify.services.standards import standard_draft_create, standard_publish
from tests.builders import ROSTER_HEADERS, xlsx
from tests.workflow import candidate, occ

pytestmark = pytest.mark.django_db


@pytest.fixture
def b_lathe_plan(world, filings, today):
    """A draft plan of org B for 车工 level 4 — the occupation and level org A certifies."""
    filing_add_scope(
        actor=world.bureau_admin,
        filing=filings[1],
        scope=ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(4,)),
    )
    draft = standard_draft_create(
        actor=world.b_operator,
        organization=world.org_b,
        occupation=occ("6-18-01-01"),
        work_type=None,
        title="乙电子车工企业评价规范",
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


def _secrets_of_org_a(certificate) -> list[str]:
    return [
        certificate.holder_name,
        certificate.holder_name[0] + "*",
        certificate.organization_name,
        certificate.plan.number,
        certificate.number,
    ]


def _id_of(certificate) -> str:
    from certify.services.payload import id_number_of

    return id_number_of(certificate.person)


def test_finding_4_a_probe_with_a_known_id_number_learns_nothing_of_the_other_organisation(world, issued, b_lathe_plan):
    """Finding 4: registering in 粤海 with an ID number known to 华科 showed the masked name, 华科's
    name, its plan number and the certificate number."""
    holder = issued[0]

    with pytest.raises(ValidationError) as caught:
        enrolment_register(actor=world.b_operator, plan=b_lathe_plan, data=candidate("王大锤", _id_of(holder)))
    same_name = enrolment_register(
        actor=world.b_operator, plan=b_lathe_plan, data=candidate(holder.holder_name, _id_of(holder))
    )

    said = "\n".join(caught.value.messages) + "\n".join(same_name.warnings)
    assert "证件号码与姓名不一致" in said
    for secret in _secrets_of_org_a(holder):
        assert secret not in said
    registered = AuditEvent.objects.filter(event_type="enrolment.registered").last()
    assert registered.organization == world.org_b
    for secret in _secrets_of_org_a(holder)[2:]:
        assert secret not in str(registered.data)


def test_a_failed_match_is_audited_even_though_the_registration_rolled_back(world, issued, b_lathe_plan):
    holder = issued[0]
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationError):
        enrolment_register(actor=world.b_operator, plan=b_lathe_plan, data=candidate("王大锤", _id_of(holder)))

    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.event_type for e in events] == ["enrolment.registry_mismatch"]
    assert events[0].actor == world.b_operator and events[0].organization == world.org_b
    assert events[0].data == {"plan": b_lathe_plan.number, "mismatches": 1}
    assert b_lathe_plan.enrolments.count() == 0


def test_failed_matches_are_throttled_per_clerk(world, issued, b_lathe_plan, settings):
    settings.SKILLCERT_REGISTRY_MISMATCH_LIMIT = 3
    ids = [_id_of(c) for c in issued]

    for number in ids:
        with pytest.raises(ValidationError, match="证件号码与姓名不一致"):
            enrolment_register(actor=world.b_operator, plan=b_lathe_plan, data=candidate("王大锤", number))
    with pytest.raises(ValidationError, match="登记已暂停"):
        enrolment_register(actor=world.b_operator, plan=b_lathe_plan, data=candidate(issued[0].holder_name, ids[0]))

    assert b_lathe_plan.enrolments.count() == 0
    assert AuditEvent.objects.filter(event_type="enrolment.registry_mismatch").count() == 3


def test_a_roster_probe_counts_every_row_and_names_no_other_organisation(world, issued, b_lathe_plan):

    rows = [["王大锤", _id_of(c), 7] for c in issued]

    with pytest.raises(Exception) as caught:  # ImportRejected: every row listed
        roster_import(actor=world.b_operator, plan=b_lathe_plan, file=xlsx(ROSTER_HEADERS, rows))

    said = "\n".join(str(e) for e in caught.value.errors)
    for certificate in issued:
        for secret in _secrets_of_org_a(certificate):
            assert secret not in said
    event = AuditEvent.objects.filter(event_type="enrolment.registry_mismatch").get()
    assert event.data["mismatches"] == 3


def test_the_own_organisation_still_sees_its_own_record_of_the_name(world, issued, plan_factory):
    holder = issued[0]

    with pytest.raises(ValidationError) as caught:
        enrolment_register(actor=world.a_operator, plan=plan_factory(), data=candidate("张卫", _id_of(holder)))

    assert "本机构已登记的姓名为「张*」" in "\n".join(caught.value.messages)


def test_a_duplicate_across_organisations_becomes_a_risk_flag_for_the_bureau(world, issued, b_lathe_plan):
    holder = issued[0]
    enrolment_register(actor=world.b_operator, plan=b_lathe_plan, data=candidate(holder.holder_name, _id_of(holder)))

    risk_scan(actor=system_actor("risk"), rules=[RiskFlag.Rule.CROSS_ORG_DUPLICATE])

    flag = RiskFlag.objects.get(rule=RiskFlag.Rule.CROSS_ORG_DUPLICATE)
    assert flag.organization == world.org_b
    assert holder.number in str(flag.evidence) and holder.organization_name in str(flag.evidence)
    assert Person.objects.filter(pk=holder.person_id).count() == 1
