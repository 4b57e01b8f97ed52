"""Filings (备案): the coverage question, renewal, suspension, and the bureau/org screens."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from certify.models import Filing, WorkType
from certify.services.filings import (
    ScopeSpec,
    filing_add_scope,
    filing_coverage,
    filing_renew,
    filing_revoke,
    filing_suspend,
    filings_mark_expired,
)
from tests.helpers import assert_one_event, assert_status, check_guards
from tests.workflow import occ

pytestmark = pytest.mark.django_db


def _covers(org, code, level, on, work_type=None):
    return filing_coverage(organization=org, occupation=occ(code), work_type=work_type, level=level, on=on)


def test_a_scope_without_a_work_type_covers_every_work_type(world, filings, today):
    wt = WorkType.objects.create(occupation=occ("6-18-01-01"), name="数控车工")
    assert _covers(world.org_a, "6-18-01-01", 3, today).ok
    assert _covers(world.org_a, "6-18-01-01", 3, today, wt).ok


def test_a_scope_with_a_work_type_covers_only_that_work_type(world, filings, today):
    repair = WorkType.objects.get(name="维修电工")
    other = WorkType.objects.create(occupation=occ("6-31-01-03"), name="内线电工")
    assert _covers(world.org_a, "6-31-01-03", 4, today, repair).ok
    refused = _covers(world.org_a, "6-31-01-03", 4, today, other)
    assert not refused.ok and "不包括「电工（内线电工）」" in refused.message
    assert not _covers(world.org_a, "6-31-01-03", 4, today).ok


def test_coverage_refuses_a_level_outside_the_scope_in_words(world, filings, today):
    refused = _covers(world.org_a, "6-18-01-01", 2, today)
    assert not refused.ok
    assert refused.message == "备案范围内「车工」只包括五级/初级工、四级/中级工、三级/高级工，不包括二级/技师。"


def test_coverage_refuses_another_organisations_scope(world, filings, today):
    assert not _covers(world.org_b, "6-18-01-01", 5, today).ok
    assert _covers(world.org_b, "6-18-02-04", 5, today).ok


def test_coverage_on_the_last_day_and_the_day_after_expiry(world, filings, today):
    filing_a, _ = filings
    assert _covers(world.org_a, "6-18-01-01", 3, filing_a.valid_until).ok
    after = _covers(world.org_a, "6-18-01-01", 3, filing_a.valid_until + dt.timedelta(days=1))
    assert not after.ok and "已于" in after.message and "到期" in after.message


def test_a_suspended_filing_covers_nothing_and_says_why(world, filings, today):
    filing_a, _ = filings
    filing_suspend(actor=world.bureau_admin, filing=filing_a, reason="考评员资质核查")
    refused = _covers(world.org_a, "6-18-01-01", 3, today)
    assert not refused.ok and "已被暂停（考评员资质核查）" in refused.message


def test_suspend_and_revoke_need_a_reason(world, filings):
    filing_a, _ = filings
    with pytest.raises(ValidationError, match="须填写原因"):
        filing_suspend(actor=world.bureau_admin, filing=filing_a, reason="  ")
    with pytest.raises(ValidationError, match="须填写原因"):
        filing_revoke(actor=world.bureau_admin, filing=filing_a, reason="")


def test_adding_scope_does_not_move_the_expiry(world, filings, audit_probe):
    filing_a, _ = filings
    until = filing_a.valid_until
    probe = audit_probe()
    filing_add_scope(
        actor=world.bureau_admin,
        filing=filing_a,
        scope=ScopeSpec(occupation=occ("6-18-01-02"), work_type=None, levels=(5,)),
    )
    filing_a.refresh_from_db()
    assert filing_a.valid_until == until
    assert_one_event(probe, event_type="filing.scope_added", actor=world.bureau_admin, organization=world.org_a)


def test_adding_levels_to_an_existing_scope_row_merges_them(world, filings):
    filing_a, _ = filings
    scope = filing_add_scope(
        actor=world.bureau_admin,
        filing=filing_a,
        scope=ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(2,)),
    )
    assert scope.levels == "5432"
    with pytest.raises(ValidationError, match="已在备案范围内"):
        filing_add_scope(
            actor=world.bureau_admin,
            filing=filing_a,
            scope=ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(3,)),
        )


def test_renewal_opens_three_months_before_expiry(world, filings):
    filing_a, _ = filings
    until = filing_a.valid_until
    new_until = until + dt.timedelta(days=3 * 365)
    with pytest.raises(ValidationError, match="续期自"):
        filing_renew(
            actor=world.bureau_admin, filing=filing_a, valid_until=new_until, today=until - dt.timedelta(days=100)
        )
    with pytest.raises(ValidationError, match="不能续期"):
        filing_renew(
            actor=world.bureau_admin, filing=filing_a, valid_until=new_until, today=until + dt.timedelta(days=1)
        )
    renewed = filing_renew(
        actor=world.bureau_admin, filing=filing_a, valid_until=new_until, today=until - dt.timedelta(days=80)
    )
    assert renewed.valid_until == new_until and renewed.renewal_count == 1


def test_the_daily_job_marks_expired_filings_with_one_event_each(world, filings, system, audit_probe):
    filing_a, _filing_b = filings
    probe = audit_probe()
    assert filings_mark_expired(actor=system, today=filing_a.valid_until + dt.timedelta(days=1)) == 2
    filing_a.refresh_from_db()
    assert filing_a.status == Filing.Status.EXPIRED
    assert [e.event_type for e in probe.events()] == ["filing.expired", "filing.expired"]


def test_only_the_bureau_admin_changes_filings(world, filings):
    filing_a, _ = filings
    for user in (world.bureau_auditor, world.a_org_admin):
        with pytest.raises(PermissionDenied):
            filing_suspend(actor=user, filing=filing_a, reason="x")


# --- organisation views (read-only) ---------------------------------------------------------
def test_the_organisation_sees_its_filings_read_only(world, as_user, filings):
    filing_a, filing_b = filings
    url = reverse("certify:org_filing_list", args=[world.org_a.pk])
    text = assert_status(as_user(world.a_viewer), "get", url, 200).content.decode()
    assert filing_a.number in text and filing_b.number not in text
    assert "暂停" not in text.split("<main", 1)[1].split("</main>")[0] or "撤销" not in text
    check_guards(
        as_user,
        method="get",
        url=url,
        outsiders=[world.b_operator, world.supervisor],
        wrong_method="post",
        user=world.a_viewer,
    )


def test_org_filing_detail_isolation(world, as_user, filings):
    filing_a, filing_b = filings
    url = reverse("certify:org_filing_detail", args=[world.org_a.pk, filing_a.pk])
    assert_status(as_user(world.a_viewer), "get", url, 200)
    assert_status(as_user(world.bureau_auditor), "get", url, 200)
    check_guards(as_user, method="get", url=url, outsiders=[world.b_operator], wrong_method="post", user=world.a_viewer)
    # another organisation's filing through this organisation's URL
    assert_status(
        as_user(world.a_viewer), "get", reverse("certify:org_filing_detail", args=[world.org_a.pk, filing_b.pk]), 404
    )


# --- bureau views -------------------------------------------------------------------------
def test_bureau_filing_list_and_detail(world, as_user, filings):
    filing_a, _ = filings
    list_url = reverse("certify:bureau_filing_list")
    text = assert_status(as_user(world.bureau_auditor), "get", list_url, 200).content.decode()
    assert filing_a.number in text and "登记备案" not in text
    check_guards(
        as_user,
        method="get",
        url=list_url,
        wrong_roles=[world.a_org_admin, world.supervisor],
        wrong_method="post",
        user=world.bureau_auditor,
    )
    detail = reverse("certify:bureau_filing_detail", args=[filing_a.pk])
    text = assert_status(as_user(world.bureau_auditor), "get", detail, 200).content.decode()
    assert "增加备案范围" not in text
    check_guards(
        as_user,
        method="get",
        url=detail,
        wrong_roles=[world.a_org_admin],
        wrong_method="post",
        user=world.bureau_auditor,
    )
    assert_status(as_user(world.bureau_auditor), "get", reverse("certify:bureau_filing_detail", args=[99999]), 404)


def test_bureau_filing_create_view(world, as_user, catalogue, audit_probe, today):
    url = reverse("certify:bureau_filing_create")
    data = {
        "organization": world.org_a.pk,
        "number": "东人社评备〔2026〕099号",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=1000)).isoformat(),
        "notes": "",
        "scope-TOTAL_FORMS": "1",
        "scope-INITIAL_FORMS": "0",
        "scope-MIN_NUM_FORMS": "1",
        "scope-MAX_NUM_FORMS": "1000",
        "scope-0-occupation": occ("6-18-01-01").pk,
        "scope-0-work_type": "数控车工",
        "scope-0-levels": ["5", "4"],
    }
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="put",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302, data)
    filing = Filing.objects.get(number="东人社评备〔2026〕099号")
    assert filing.scopes.get().work_type.name == "数控车工"
    event = assert_one_event(probe, event_type="filing.created", actor=world.bureau_admin, organization=world.org_a)
    assert {g["model"] for g in event.history} >= {"certify.HistoricalFiling", "certify.HistoricalWorkType"}


def test_bureau_filing_create_refuses_inverted_dates_in_chinese(world, as_user, catalogue, today):
    data = {
        "organization": world.org_a.pk,
        "number": "X-1",
        "valid_from": today.isoformat(),
        "valid_until": (today - dt.timedelta(days=1)).isoformat(),
        "scope-TOTAL_FORMS": "1",
        "scope-INITIAL_FORMS": "0",
        "scope-MIN_NUM_FORMS": "1",
        "scope-MAX_NUM_FORMS": "1000",
        "scope-0-occupation": occ("6-18-01-01").pk,
        "scope-0-levels": ["5"],
    }
    text = assert_status(as_user(world.bureau_admin), "post", reverse("certify:bureau_filing_create"), 200, data)
    assert "有效期止不能早于有效期起" in text.content.decode()
    assert not Filing.objects.filter(number="X-1").exists()


@pytest.mark.parametrize(
    ("name", "data", "event_type"),
    [
        ("bureau_filing_suspend", {"reason": "整改"}, "filing.suspended"),
        ("bureau_filing_revoke", {"reason": "严重违规"}, "filing.revoked"),
        ("bureau_filing_add_scope", {"levels": ["5"], "work_type": ""}, "filing.scope_added"),
    ],
)
def test_bureau_filing_actions(world, as_user, filings, audit_probe, name, data, event_type):
    filing_a, _ = filings
    if name == "bureau_filing_add_scope":
        data = dict(data, occupation=occ("6-18-01-02").pk)
    url = reverse(f"certify:{name}", args=[filing_a.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        wrong_roles=[world.bureau_auditor, world.a_org_admin],
        wrong_method="get",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302, data)
    assert_one_event(probe, event_type=event_type, actor=world.bureau_admin, organization=world.org_a)


def test_bureau_filing_reinstate_and_renew_views(world, as_user, filings, audit_probe):
    filing_a, _ = filings
    filing_suspend(actor=world.bureau_admin, filing=filing_a, reason="整改")
    url = reverse("certify:bureau_filing_reinstate", args=[filing_a.pk])
    check_guards(
        as_user, method="post", url=url, wrong_roles=[world.bureau_auditor], wrong_method="get", user=world.bureau_admin
    )
    probe = audit_probe()
    assert_status(as_user(world.bureau_admin), "post", url, 302, {"reason": "整改完成"})
    assert_one_event(probe, event_type="filing.reinstated", actor=world.bureau_admin, organization=world.org_a)

    renew = reverse("certify:bureau_filing_renew", args=[filing_a.pk])
    check_guards(
        as_user,
        method="post",
        url=renew,
        wrong_roles=[world.bureau_auditor],
        wrong_method="get",
        user=world.bureau_admin,
    )
    # outside the renewal window the view explains and changes nothing
    response = as_user(world.bureau_admin).post(renew, {"valid_until": "2099-01-01"}, follow=True)
    assert "续期自" in response.content.decode()
    filing_a.refresh_from_db()
    assert filing_a.renewal_count == 0
