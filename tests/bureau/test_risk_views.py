"""The risk screens: bureau readers see flags and thresholds, only the bureau admin scans, handles
flags and edits thresholds; organisation users and supervisors are refused; each change is one
audit event by the person who made it.

The flags here come from the real scan, fed by stand-in rules (the rules themselves are tested in
test_risk.py), so each test stays cheap.
"""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.actors import system_actor
from audit.models import RiskFlag
from bureau import risk
from bureau.risk import Finding, Link, risk_scan
from tests.helpers import assert_one_event, assert_status, check_guards, page_queries

pytestmark = pytest.mark.django_db

R = RiskFlag.Rule


def finding(org, rule=R.REPEATED_REVOCATIONS, n: int = 5) -> Finding:
    return Finding(
        rule=rule,
        organization_id=org.pk,
        target_type="accounts.organization",
        target_id=str(org.pk),
        target_repr=org.name,
        summary=f"{org.name} 近 365 天撤销证书 {n} 张",
        evidence={"revoked": n},
        link=Link("certify:certificate_list", (org.pk,), f"{org.name} 已撤销的证书", query="status=revoked"),
        links=(Link("no-such-page", (), "已删除的页面"),),
        facts=(("撤销证书", n),),
        signature=str(n),
    )


@pytest.fixture
def stand_in(monkeypatch):
    """``stand_in(rule, findings)``: the scan's rule ``rule`` returns these findings."""

    def install(rule, findings):
        monkeypatch.setitem(risk.RULES, rule, lambda ctx: list(findings))

    return install


@pytest.fixture
def flag(world, stand_in):
    stand_in(R.REPEATED_REVOCATIONS, [finding(world.org_a)])
    risk_scan(actor=system_actor("risk"), rules=[R.REPEATED_REVOCATIONS])
    return RiskFlag.objects.get()


def outsiders(world):
    return [world.a_org_admin, world.a_viewer, world.b_operator, world.supervisor]


# --- list -------------------------------------------------------------------------------------------
def test_the_list_shows_flags_counts_and_filters_to_bureau_readers(world, as_user, stand_in):
    stand_in(R.REPEATED_REVOCATIONS, [finding(world.org_a)])
    stand_in(R.FULL_PASS, [finding(world.org_b, R.FULL_PASS, 7)])
    risk_scan(actor=system_actor("risk"), rules=[R.REPEATED_REVOCATIONS, R.FULL_PASS])
    url = reverse("bureau:risk_flag_list")
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert world.org_a.name in text and world.org_b.name in text
    assert "频繁撤销证书" in text and "大批次全员合格" in text
    assert "立即扫描" not in text  # the auditor reads only
    assert "立即扫描" in assert_status(as_user(world.bureau_admin), "get", url, 200).content.decode()
    only_b = assert_status(as_user(world.bureau_auditor), "get", f"{url}?organization={world.org_b.pk}", 200)
    assert "撤销证书 7 张" in only_b.content.decode() and "撤销证书 5 张" not in only_b.content.decode()
    by_rule = assert_status(as_user(world.bureau_auditor), "get", f"{url}?rule=full_pass&status=open", 200)
    assert "撤销证书 7 张" in by_rule.content.decode() and "撤销证书 5 张" not in by_rule.content.decode()
    none = assert_status(as_user(world.bureau_auditor), "get", f"{url}?status=resolved", 200)
    assert "没有符合条件的风险提示" in none.content.decode()
    check_guards(
        as_user, method="get", url=url, wrong_roles=outsiders(world), wrong_method="post", user=world.bureau_auditor
    )


def test_the_list_costs_the_same_queries_for_more_flags(world, as_user, stand_in):
    client = as_user(world.bureau_auditor)
    url = reverse("bureau:risk_flag_list")
    stand_in(R.FULL_PASS, [finding(org, R.FULL_PASS) for org in (world.org_a, world.org_b)])
    risk_scan(actor=system_actor("risk"), rules=[R.FULL_PASS])
    assert RiskFlag.objects.count() == 2
    at_n = page_queries(client, url)
    stand_in(R.DIRECT_SHARE, [finding(org, R.DIRECT_SHARE) for org in (world.org_a, world.org_b)])
    risk_scan(actor=system_actor("risk"), rules=[R.FULL_PASS, R.DIRECT_SHARE])
    assert RiskFlag.objects.count() == 4
    assert page_queries(client, url) == at_n


# --- export -----------------------------------------------------------------------------------------
def test_the_export_is_the_filtered_list_and_one_console_event(world, as_user, flag, audit_probe):
    url = reverse("bureau:risk_flag_export")
    check_guards(
        as_user, method="get", url=url, wrong_roles=outsiders(world), wrong_method="post", user=world.bureau_auditor
    )
    probe = audit_probe()
    response = assert_status(as_user(world.bureau_auditor), "get", f"{url}?rule=repeated_revocations", 200)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "规则", "评价机构", "对象", "摘要", "状态")
    assert rows[1][:3] == (flag.pk, "频繁撤销证书", world.org_a.name) and rows[1][5] == "待核查"
    event = assert_one_event(probe, event_type="console.exported", actor=world.bureau_auditor)
    assert event.data["rows"] == 1 and event.data["filters"]["rule"] == "repeated_revocations"


# --- scan -------------------------------------------------------------------------------------------
def test_the_scan_button_runs_the_scan_as_the_system_actor(
    world, as_user, stand_in, audit_probe, django_capture_on_commit_callbacks
):
    for rule in R.values:
        stand_in(rule, [])
    stand_in(R.SHORT_LEAD, [finding(world.org_a, R.SHORT_LEAD)])
    url = reverse("bureau:risk_scan")
    check_guards(
        as_user,
        method="post",
        url=url,
        wrong_roles=[world.bureau_auditor, *outsiders(world)],
        wrong_method="get",
        user=world.bureau_admin,
    )
    assert not RiskFlag.objects.exists()
    probe = audit_probe()
    with django_capture_on_commit_callbacks(execute=True):  # the scan is queued after the request commits
        response = assert_status(as_user(world.bureau_admin), "post", url, 302)
    assert response["Location"] == reverse("bureau:risk_flag_list")
    assert_one_event(probe, event_type="risk.flag_raised", actor=system_actor("risk"), organization=world.org_a)
    assert RiskFlag.objects.get().rule == R.SHORT_LEAD


# --- detail and handling ------------------------------------------------------------------------------
def test_the_detail_shows_evidence_links_and_history(world, as_user, flag):
    url = reverse("bureau:risk_flag_detail", args=[flag.pk])
    text = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    evidence = reverse("certify:certificate_list", args=[world.org_a.pk]) + "?status=revoked"
    assert f'href="{evidence}"' in text and "已撤销的证书" in text
    assert "已删除的页面" not in text  # a link that no longer resolves is left out
    assert "撤销证书" in text and "发现风险提示" in text and "风险扫描" in text
    assert "system:risk" not in text  # the scan is named by what it does, not by its account
    assert "已知悉" not in text  # no handling form for the auditor
    assert "已知悉" in assert_status(as_user(world.bureau_admin), "get", url, 200).content.decode()
    assert_status(as_user(world.bureau_auditor), "get", reverse("bureau:risk_flag_detail", args=[flag.pk + 99]), 404)
    check_guards(
        as_user, method="get", url=url, wrong_roles=outsiders(world), wrong_method="post", user=world.bureau_auditor
    )


def test_acknowledging_a_flag_is_one_event_by_the_bureau_admin(world, as_user, flag, audit_probe):
    url = reverse("bureau:risk_flag_acknowledge", args=[flag.pk])
    data = {"note": "已通知机构说明情况"}
    check_guards(
        as_user,
        method="post",
        url=url,
        data=data,
        wrong_roles=[world.bureau_auditor, *outsiders(world)],
        wrong_method="get",
        user=world.bureau_admin,
    )
    probe = audit_probe()
    response = assert_status(as_user(world.bureau_admin), "post", url, 302, data)
    assert response["Location"] == reverse("bureau:risk_flag_detail", args=[flag.pk])
    event = assert_one_event(
        probe, event_type="risk.flag_acknowledged", actor=world.bureau_admin, organization=world.org_a
    )
    assert event.reason == "已通知机构说明情况"
    flag.refresh_from_db()
    assert (flag.status, flag.handled_by) == ("acknowledged", world.bureau_admin)


def test_resolving_a_flag_needs_a_note_and_is_one_event(world, as_user, flag, audit_probe):
    url = reverse("bureau:risk_flag_resolve", args=[flag.pk])
    check_guards(
        as_user,
        method="post",
        url=url,
        data={"note": "已核查"},
        wrong_roles=[world.bureau_auditor, *outsiders(world)],
        wrong_method="get",
        user=world.bureau_admin,
    )
    admin = as_user(world.bureau_admin)
    probe = audit_probe()
    refused = admin.post(url, {"note": " "}, follow=True)
    assert "请写明核查情况和处理结果" in refused.content.decode()
    assert probe.events() == []
    assert_status(admin, "post", url, 302, {"note": "撤销均因录入错误，已整改"})
    assert_one_event(probe, event_type="risk.flag_resolved", actor=world.bureau_admin, organization=world.org_a)
    flag.refresh_from_db()
    assert (flag.status, flag.note) == ("resolved", "撤销均因录入错误，已整改")
    page = assert_status(admin, "get", reverse("bureau:risk_flag_detail", args=[flag.pk]), 200).content.decode()
    assert "撤销均因录入错误，已整改" in page and 'formaction="' not in page


# --- thresholds ---------------------------------------------------------------------------------------
def test_the_thresholds_are_read_by_the_auditor_and_edited_by_the_admin(world, as_user, audit_probe):
    url = reverse("bureau:risk_settings")
    page = assert_status(as_user(world.bureau_auditor), "get", url, 200).content.decode()
    assert "考评员单日评分人数上限" in page and "disabled" in page and "保存" not in page
    check_guards(
        as_user, method="get", url=url, wrong_roles=outsiders(world), wrong_method="put", user=world.bureau_auditor
    )
    data = {name: getattr(risk.risk_settings_get(), name) for name in risk.THRESHOLDS}
    data["assessor_daily_limit"] = 45
    check_guards(as_user, method="post", url=url, data=data, wrong_roles=[world.bureau_auditor, *outsiders(world)])
    admin = as_user(world.bureau_admin)
    invalid = assert_status(admin, "post", url, 200, {**data, "direct_share_percent": 101})
    assert "direct_share_percent" in invalid.context["form"].errors
    unchanged = assert_status(admin, "post", url, 200, {**data, "assessor_daily_limit": 60})
    assert "没有需要保存的修改" in unchanged.content.decode()
    probe = audit_probe()
    assert_status(admin, "post", url, 302, data)
    event = assert_one_event(probe, event_type="risk.settings_updated", actor=world.bureau_admin)
    assert event.data["changes"] == {"assessor_daily_limit": [60, 45]}
    assert risk.risk_settings_get().assessor_daily_limit == 45
