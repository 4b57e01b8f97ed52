"""The bureau home (issue 11): its inbox — plans filed this week, open risk flags, filings
expiring, organisations without activity, supervision reports due — and numbers on its tiles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.inbox import bureau_inbox
from audit.actors import system_actor
from audit.models import RiskFlag
from bureau import risk
from bureau.risk import risk_scan
from certify.services.filings import ScopeSpec, filing_create
from certify.services.plan_supervision import plan_assign_supervisor
from certify.services.plans import plan_file
from tests.bureau.test_risk_views import finding
from tests.helpers import assert_status, html, page_queries
from tests.workflow import occ

pytestmark = pytest.mark.django_db
HOME = reverse("accounts:bureau_home")


def tasks(user) -> dict:
    group, _tiles = bureau_inbox(user)
    return {item.key: item for item in group.items}


def test_a_quiet_bureau_inbox_says_so_and_the_tiles_carry_numbers(world, as_user):
    page = html(assert_status(as_user(world.bureau_auditor), "get", HOME, 200))
    assert "目前没有需要您处理的事项。" in page
    _group, tiles = bureau_inbox(world.bureau_auditor)
    assert tiles["orgs"].count == 2  # the two active organisations
    assert '<p class="tile-figure"><strong>2</strong>家' in page


def test_plans_filed_this_week_and_open_risk_flags(world, as_user, ready_plan, today, monkeypatch):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    monkeypatch.setitem(risk.RULES, RiskFlag.Rule.REPEATED_REVOCATIONS, lambda ctx: [finding(world.org_a)])
    risk_scan(actor=system_actor("risk"), rules=[RiskFlag.Rule.REPEATED_REVOCATIONS])
    mine = tasks(world.bureau_admin)
    assert mine["plan.filed_week"].count == 1
    assert mine["plan.filed_week"].url == reverse("bureau:plan_list")
    assert mine["risk.open"].count == 1
    assert mine["risk.open"].url == reverse("bureau:risk_flag_list") + "?status=open"
    page = html(as_user(world.bureau_admin).get(HOME))
    assert "本周报备的评价计划" in page and "待核查的风险提示" in page
    # a plan filed last week is not this week's
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today + dt.timedelta(days=7))
    assert "plan.filed_week" not in tasks(world.bureau_admin)


def test_filings_expiring_and_organisations_without_activity(world, filings, today):
    filing_create(
        actor=world.bureau_admin,
        organization=world.org_b,
        number="东人社评备〔2025〕020号",
        valid_from=today - dt.timedelta(days=300),
        valid_until=today + dt.timedelta(days=45),
        scopes=[ScopeSpec(occupation=occ("6-18-02-04"), work_type=None, levels=(5,))],
    )
    item = tasks(world.bureau_auditor)["filing.expiring"]
    assert item.count == 1 and "将于 45 天后到期" in item.note
    assert "org.idle" not in tasks(world.bureau_auditor)  # both organisations are new
    for org in (world.org_a, world.org_b):
        org.created_at = timezone.now() - dt.timedelta(days=400)
        org.save(update_fields=["created_at"])
    assert tasks(world.bureau_auditor)["org.idle"].count == 2


def test_supervisor_sees_the_reports_due(world, as_user, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    plan_assign_supervisor(actor=world.bureau_admin, plan=ready_plan, supervisor=world.supervisor)
    item = tasks(world.supervisor)["supervision.due"]
    assert item.count == 1 and item.url == reverse("bureau:supervision_list")
    assert "待提交督导报告的计划" in html(as_user(world.supervisor).get(HOME))
    assert "supervision.due" not in tasks(world.bureau_auditor)


def test_bureau_home_queries_do_not_grow_with_data(world, as_user, ready_plan, plan_factory, today):
    client = as_user(world.bureau_admin)
    first = page_queries(client, HOME)
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    plan_factory()
    assert page_queries(client, HOME) == first
