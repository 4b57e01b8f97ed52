"""Subsidy rules and the subsidy report: the arithmetic alone, the service, the report from issued
certificates (uplift and a cap that bites), and the screens."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.events import EventType
from audit.models import SubsidyRule
from bureau.subsidies import (
    RuleTerms,
    SubsidyGroup,
    amounts_from_json,
    compute_subsidies,
    subsidy_report,
    subsidy_rule_set,
)
from certify.models import Certificate
from tests.builders import build_dataset
from tests.helpers import assert_login_redirect, assert_one_event, assert_status, page_queries

PAGE_URL = "/bureau/subsidies/"
EXPORT_URL = "/bureau/subsidies/export.xlsx"
AMOUNTS = {5: Decimal("500"), 4: Decimal("1000"), 3: Decimal("2000"), 2: Decimal("3000"), 1: Decimal("4000")}


def terms(**changes) -> RuleTerms:
    values = {"amounts": dict(AMOUNTS), "uplift_percent": 30, "max_level": 3, "cap": Decimal("850000.00")}
    values.update(changes)
    return RuleTerms(**values)


def group(level: int, count: int, *, shortage: bool = False, org: int = 1, name: str = "甲机械") -> SubsidyGroup:
    return SubsidyGroup(organization_id=org, organization_name=name, level=level, shortage=shortage, count=count)


# --- the arithmetic (no database) -----------------------------------------------------------
def test_each_level_is_paid_count_times_its_amount():
    [org] = compute_subsidies(groups=[group(5, 10), group(4, 3)], terms=terms())
    assert [(line.level, line.count, line.subtotal) for line in org.lines] == [
        (5, 10, Decimal("5000.00")),
        (4, 3, Decimal("3000.00")),
    ]
    assert org.uncapped == org.capped == Decimal("8000.00") and not org.cap_applied


def test_the_uplift_applies_only_to_shortage_occupations_at_or_above_the_configured_level():
    groups = [
        group(4, 2, shortage=True),  # level 4 is below level 3: no uplift even in a shortage occupation
        group(3, 1, shortage=True),  # uplifted
        group(3, 2),  # same level, other occupation: no uplift
        group(2, 1, shortage=True),  # higher level: uplifted
    ]
    [org] = compute_subsidies(groups=groups, terms=terms())
    lines = {line.level: line for line in org.lines}
    assert lines[4].uplifted_amount is None and lines[4].subtotal == Decimal("2000.00")
    assert lines[3].uplifted_amount == Decimal("2600.00")
    assert (lines[3].count, lines[3].shortage_count, lines[3].subtotal) == (3, 1, Decimal("6600.00"))
    assert lines[2].subtotal == Decimal("3900.00")
    assert org.uplifted_count == 2  # the level-4 shortage certificates are not uplifted
    assert org.uncapped == Decimal("12500.00")


def test_no_uplift_when_the_rule_sets_it_to_zero():
    [org] = compute_subsidies(groups=[group(1, 1, shortage=True)], terms=terms(uplift_percent=0))
    assert org.lines[0].uplifted_amount is None and org.capped == Decimal("4000.00")


def test_the_cap_is_applied_per_organisation_and_the_uncapped_total_is_kept():
    groups = [group(3, 3, shortage=True, org=1, name="甲"), group(3, 1, org=2, name="乙")]
    big, small = compute_subsidies(groups=groups, terms=terms(cap=Decimal("5000")))
    assert (big.organization_name, big.uncapped, big.capped, big.reduction) == (
        "甲",
        Decimal("7800.00"),
        Decimal("5000"),
        Decimal("2800.00"),
    )
    assert big.cap_applied and not small.cap_applied
    assert small.capped == Decimal("2000.00")


def test_organisations_are_listed_with_the_largest_payment_first():
    groups = [group(5, 1, org=1, name="甲"), group(5, 9, org=2, name="乙"), group(5, 1, org=3, name="丙")]
    assert [o.organization_name for o in compute_subsidies(groups=groups, terms=terms())] == ["乙", "丙", "甲"]


def test_an_uplift_is_rounded_to_the_cent():
    amounts = {**AMOUNTS, 3: Decimal("333.33")}
    [org] = compute_subsidies(groups=[group(3, 3, shortage=True)], terms=terms(amounts=amounts, uplift_percent=15))
    assert org.lines[0].uplifted_amount == Decimal("383.33")
    assert org.lines[0].subtotal == Decimal("1149.99")


def test_a_level_the_rule_does_not_price_counts_at_zero_and_is_named():
    amounts = {k: v for k, v in AMOUNTS.items() if k != 2}
    [org] = compute_subsidies(groups=[group(2, 4)], terms=terms(amounts=amounts))
    assert org.lines[0].priced is False and org.lines[0].subtotal == Decimal("0.00")


def test_stored_amounts_are_read_as_decimals_and_junk_is_skipped():
    assert amounts_from_json({"3": "2000.5", 4: 1000, "x": "1", "5": "abc"}) == {
        3: Decimal("2000.50"),
        4: Decimal("1000.00"),
    }
    assert amounts_from_json(None) == {} and amounts_from_json(["3"]) == {}


# --- the rule (service) ---------------------------------------------------------------------
def rule_args(**changes) -> dict:
    values = {
        "year": 2026,
        "amounts": {str(k): v for k, v in AMOUNTS.items()},
        "shortage_uplift_percent": 30,
        "shortage_max_level": 3,
        "organization_annual_cap": Decimal("850000"),
    }
    values.update(changes)
    return values


def test_only_the_bureau_admin_sets_a_subsidy_rule(world):
    for user in (world.bureau_auditor, world.supervisor, world.a_org_admin, world.b_operator):
        with pytest.raises(PermissionDenied):
            subsidy_rule_set(actor=user, **rule_args())
    assert not SubsidyRule.objects.exists()


def test_setting_and_changing_a_rule_writes_one_event_each_with_the_changes(world, audit_probe):
    probe = audit_probe()
    rule = subsidy_rule_set(actor=world.bureau_admin, **rule_args())
    event = assert_one_event(probe, event_type=EventType.SUBSIDY_RULE_UPDATED, actor=world.bureau_admin)
    assert event.data["created"] is True and event.data["year"] == 2026
    assert rule.amounts == {"5": "500.00", "4": "1000.00", "3": "2000.00", "2": "3000.00", "1": "4000.00"}
    assert rule.organization_annual_cap == Decimal("850000.00")

    probe = audit_probe()
    subsidy_rule_set(
        actor=world.bureau_admin,
        **rule_args(amounts={**rule_args()["amounts"], "3": "2500"}, organization_annual_cap="600000"),
    )
    event = assert_one_event(probe, event_type=EventType.SUBSIDY_RULE_UPDATED, actor=world.bureau_admin)
    assert event.data["created"] is False
    assert set(event.data["changes"]) == {"amounts", "organization_annual_cap"}
    assert event.data["changes"]["organization_annual_cap"] == ["850000.00", "600000.00"]
    assert SubsidyRule.objects.get(year=2026).history.count() == 2


def test_saving_the_same_rule_again_changes_nothing_and_says_so(world, audit_probe):
    subsidy_rule_set(actor=world.bureau_admin, **rule_args())
    probe = audit_probe()
    with pytest.raises(ValidationError, match="没有变化"):
        subsidy_rule_set(actor=world.bureau_admin, **rule_args(organization_annual_cap="850000.00"))
    assert probe.events() == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"amounts": {**{str(k): v for k, v in AMOUNTS.items()}, "2": "-1"}}, "amount_2", "不能小于 0"),
        ({"amounts": {"5": "500", "4": "1000", "3": "2000", "2": "3000"}}, "amount_1", "请填写「一级/高级技师"),
        ({"amounts": {**{str(k): v for k, v in AMOUNTS.items()}, "4": "abc"}}, "amount_4", "应填写金额"),
        ({"amounts": {**{str(k): v for k, v in AMOUNTS.items()}, "4": "10.005"}}, "amount_4", "两位小数"),
        (
            {"amounts": {**{str(k): v for k, v in AMOUNTS.items()}, "9": "10"}},
            "__all__",
            "不是本平台配置的职业技能等级",
        ),
        ({"shortage_uplift_percent": 101}, "shortage_uplift_percent", "0 到 100"),
        ({"shortage_max_level": 7}, "shortage_max_level", "请从列表中选择"),
        ({"organization_annual_cap": "0"}, "organization_annual_cap", "应大于 0"),
        ({"year": 1999}, "year", "2000 到 2100"),
    ],
)
def test_every_wrong_value_is_explained_in_chinese_on_its_field(world, audit_probe, changes, field, words):
    probe = audit_probe()
    with pytest.raises(ValidationError) as caught:
        subsidy_rule_set(actor=world.bureau_admin, **rule_args(**changes))
    messages = caught.value.message_dict[field]
    assert any(words in m for m in messages), messages
    assert probe.events() == [] and not SubsidyRule.objects.exists()


def test_a_zero_amount_is_allowed_for_a_level_without_subsidy(world):
    rule = subsidy_rule_set(actor=world.bureau_admin, **rule_args(amounts={**rule_args()["amounts"], "5": 0}))
    assert rule.amounts["5"] == "0.00"


# --- the report from issued certificates ----------------------------------------------------
def test_a_year_without_a_rule_gets_a_clear_message(world):
    with pytest.raises(ValidationError) as caught:
        subsidy_report(year=2031)
    assert "2031 年度尚未设置补贴标准" in caught.value.messages[0]


def test_the_report_pays_valid_certificates_with_the_shortage_uplift_and_a_cap_that_bites(
    world, issued, today, audit_probe
):
    ds = build_dataset(world, issued, today)
    subsidy_rule_set(
        actor=world.bureau_admin,
        **rule_args(year=today.year, organization_annual_cap=Decimal("5000")),
    )
    report = subsidy_report(year=today.year, organization=world.org_a)
    [org] = report.organizations
    lines = {line.level: line for line in org.lines}
    # level 4 (车工, shortage, but below level 3): the revoked one is left out, the corrected one counts once
    assert (lines[4].count, lines[4].uplifted_amount, lines[4].subtotal) == (2, None, Decimal("2000.00"))
    # level 3 in a shortage occupation: 2 × 2000 × 1.3
    assert (lines[3].count, lines[3].shortage_count, lines[3].uplifted_amount) == (2, 2, Decimal("2600.00"))
    assert lines[3].subtotal == Decimal("5200.00")
    assert (org.uncapped, org.capped, org.cap_applied) == (Decimal("7200.00"), Decimal("5000.00"), True)
    assert report.revoked_excluded == 1 and report.suspended_excluded == 0
    assert report.certificate_count == 4 and report.capped_total == Decimal("5000.00")
    assert ds.revoked.status == Certificate.Status.REVOKED

    everyone = subsidy_report(year=today.year)
    welders_this_year = 2 if ds.earlier.year == today.year else 0
    assert everyone.certificate_count == 4 + welders_this_year
    assert everyone.uncapped_total == Decimal("7200.00") + 500 * welders_this_year
    assert everyone.capped_total == Decimal("5000.00") + 500 * welders_this_year


def test_a_suspended_certificate_is_left_out_until_it_is_reinstated(world, issued, today):
    from certify.services.certificates import certificate_reinstate, certificate_suspend

    subsidy_rule_set(actor=world.bureau_admin, **rule_args(year=today.year))
    certificate_suspend(actor=world.a_operator, certificate=issued[0], reason="核查中")
    report = subsidy_report(year=today.year)
    assert (report.certificate_count, report.suspended_excluded) == (2, 1)
    certificate_reinstate(actor=world.a_operator, certificate=issued[0], reason="核查无误")
    assert subsidy_report(year=today.year).certificate_count == 3


# --- the screens ----------------------------------------------------------------------------
def admin_form(year: int, **changes) -> dict:
    data = {
        "year": year,
        "amount_5": "500",
        "amount_4": "1000",
        "amount_3": "2000",
        "amount_2": "3000",
        "amount_1": "4000",
        "shortage_uplift_percent": "30",
        "shortage_max_level": "3",
        "organization_annual_cap": "850000",
    }
    data.update(changes)
    return data


def test_the_subsidy_screens_are_for_the_bureau_and_only_the_admin_changes_the_rule(world, as_user, audit_probe):
    probe = audit_probe()
    for url in (PAGE_URL, EXPORT_URL):
        assert_login_redirect(as_user(None), "get", url)
        for user in (world.a_org_admin, world.a_operator, world.b_operator, world.supervisor):
            assert_status(as_user(user), "get", url, 403)
        assert_status(as_user(world.bureau_admin), "put", url, 405)
    assert_login_redirect(as_user(None), "post", PAGE_URL, admin_form(2026))
    for user in (world.bureau_auditor, world.a_org_admin, world.supervisor):
        assert_status(as_user(user), "post", PAGE_URL, 403, admin_form(2026))
    assert_status(as_user(world.bureau_auditor), "post", EXPORT_URL, 405)
    assert probe.events() == [] and not SubsidyRule.objects.exists()


def test_the_auditor_reads_the_page_without_the_rule_form_and_sees_the_missing_rule(world, as_user):
    response = assert_status(as_user(world.bureau_auditor), "get", PAGE_URL, 200, {"year": 2026})
    html = response.content.decode()
    assert "2026 年度尚未设置补贴标准" in html
    assert "已撤销的证书不计入补贴" in html
    assert 'name="amount_3"' not in html


def test_the_admin_saves_a_rule_from_the_page_with_one_event(world, as_user, audit_probe):
    client = as_user(world.bureau_admin)
    assert 'name="amount_3"' in client.get(PAGE_URL, {"year": 2026}).content.decode()
    probe = audit_probe()
    response = client.post(f"{PAGE_URL}?year=2026", admin_form(2026))
    assert response.status_code == 302 and response["Location"].endswith("?year=2026")
    assert_one_event(probe, event_type=EventType.SUBSIDY_RULE_UPDATED, actor=world.bureau_admin)
    assert SubsidyRule.objects.get(year=2026).shortage_uplift_percent == 30
    html = client.get(response["Location"]).content.decode()
    assert "已保存 2026 年度补贴标准" in html and "850,000.00" in html


def test_a_wrong_rule_is_shown_again_with_the_reason_and_nothing_is_saved(world, as_user, audit_probe):
    probe = audit_probe()
    response = as_user(world.bureau_admin).post(PAGE_URL, admin_form(2026, amount_2="-5", organization_annual_cap=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "每证补贴不能小于 0，不补贴的等级请填 0" in html
    assert "请填写每家机构年度上限" in html
    assert probe.events() == [] and not SubsidyRule.objects.exists()


def test_the_report_page_and_its_export_show_the_capped_totals_and_the_export_is_audited(
    world, as_user, issued, today, audit_probe
):
    subsidy_rule_set(actor=world.bureau_admin, **rule_args(year=today.year, organization_annual_cap=Decimal("2500")))
    client = as_user(world.bureau_auditor)
    at_n = page_queries(client, PAGE_URL, {"year": today.year})
    assert at_n <= 9
    response = client.get(PAGE_URL, {"year": today.year})
    html = response.content.decode()
    assert response.status_code == 200 and html.count("<svg") == 1
    assert world.org_a.name in html and "已达上限" in html
    assert "3,000.00" in html and "2,500.00" in html  # 3 × 1000 before the cap, 2500 after

    probe = audit_probe()
    response = client.get(EXPORT_URL, {"year": today.year})
    assert response.status_code == 200
    event = assert_one_event(probe, event_type=EventType.CONSOLE_EXPORTED, actor=world.bureau_auditor)
    assert event.data["report"] == "subsidies" and event.data["capped_total"] == "2500.00"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    assert summary[0][0] == "评价机构"
    assert summary[1][0] == world.org_a.name and summary[1][1] == 3
    assert summary[1][3] == 3000 and summary[1][5] == 2500 and summary[1][6] == "是"
    assert book.sheetnames[1:] == ["机构分等级明细", "补贴标准", "说明"]
    # 2n: a second plan of the organisation, another organisation, a revocation and a correction
    build_dataset(world, issued, today)
    assert page_queries(client, PAGE_URL, {"year": today.year}) == at_n


def test_an_export_for_a_year_without_a_rule_goes_back_with_the_message_and_no_event(world, as_user, audit_probe):
    probe = audit_probe()
    client = as_user(world.bureau_auditor)
    response = client.get(EXPORT_URL, {"year": 2026})
    assert response.status_code == 302 and response["Location"].startswith(PAGE_URL)
    assert probe.events() == []
    assert "2026 年度尚未设置补贴标准" in client.get(response["Location"]).content.decode()
