"""Statistics of issued certificates and pass rates, and the dashboard and its export.

The known dataset, built through the services (``build_dataset``):

- org A, 车工 (made a shortage occupation), level 4: the ``issued`` fixture's plan — 4
  candidates, 3 passed and were issued today; one of them is then revoked and another corrected
  (a second version with the same number, the first marked replaced);
- org A, 车工, level 3: 3 candidates, 2 passed (issued today), 1 failed;
- org B, 焊工, level 5: 3 candidates, 2 passed (issued 40 days ago, so in another month), 1 absent.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from audit.events import EventType
from bureau.stats import (
    StatsFilter,
    certificates_by_level,
    certificates_by_month,
    certificates_by_occupation,
    certificates_by_organization,
    certificates_by_shortage,
    default_filter,
    month_range,
    pass_rates_by_organization,
    pass_rates_by_plan,
    stats_overview,
)
from certify.models import Certificate, Occupation
from tests.builders import Dataset, build_dataset
from tests.helpers import assert_login_redirect, assert_one_event, assert_status, page_queries, queries_of
from tests.workflow import occ

STATS_URL = "/bureau/stats/"
EXPORT_URL = "/bureau/stats/export.xlsx"


# --- the dataset ----------------------------------------------------------------------------


@pytest.fixture
def dataset(world, issued, today) -> Dataset:
    return build_dataset(world, issued, today)


def wide(ds: Dataset, **extra) -> StatsFilter:
    """Every certificate and every plan of the dataset (each exam lies about a month before its issue)."""
    return StatsFilter(date_from=ds.earlier - dt.timedelta(days=60), date_to=ds.today + dt.timedelta(days=120), **extra)


def counts(rows) -> dict:
    return {r.label: (r.total, r.valid, r.suspended, r.revoked) for r in rows}


# --- counting (database) --------------------------------------------------------------------
def test_it_counts_issued_certificates_by_month_occupation_level_organisation_and_shortage(world, dataset):
    ds = dataset
    assert len(ds.a4) == 3 and len(ds.a3) == 2 and len(ds.b5) == 2
    assert Certificate.objects.count() == 8  # seven numbers, one of them in two versions
    filters = wide(ds)

    this_month, other_month = f"{ds.today:%Y-%m}", f"{ds.earlier:%Y-%m}"
    months = counts(certificates_by_month(filters))
    assert months[this_month] == (5, 4, 0, 1)  # the corrected number counts once, the revoked one is shown
    assert months[other_month] == (2, 2, 0, 0)
    assert sum(total for total, *_rest in months.values()) == 7

    assert counts(certificates_by_level(filters)) == {
        "五级/初级工": (2, 2, 0, 0),
        "四级/中级工": (3, 2, 0, 1),
        "三级/高级工": (2, 2, 0, 0),
    }
    assert [r.key for r in certificates_by_level(filters)] == [5, 4, 3]

    occupations = certificates_by_occupation(filters)
    assert counts(occupations) == {"车工": (5, 4, 0, 1), "焊工": (2, 2, 0, 0)}
    assert [(r.code, r.is_shortage, r.share) for r in occupations] == [
        ("6-18-01-01", True, 71.4),
        ("6-18-02-04", False, 28.6),
    ]

    assert counts(certificates_by_organization(filters)) == {
        world.org_a.name: (5, 4, 0, 1),
        world.org_b.name: (2, 2, 0, 0),
    }
    assert counts(certificates_by_shortage(filters)) == {"急需紧缺职业": (5, 4, 0, 1), "其他职业": (2, 2, 0, 0)}


def test_a_replaced_version_is_never_counted_and_a_revoked_certificate_is_counted_as_revoked(world, dataset):
    ds = dataset
    replaced = Certificate.objects.get(number=ds.corrected.number, version=1)
    assert replaced.status == Certificate.Status.REPLACED
    levels = {r.key: r for r in certificates_by_level(wide(ds, level=4))}
    assert (levels[4].total, levels[4].valid, levels[4].revoked) == (3, 2, 1)


def test_the_filters_narrow_every_grouping(world, dataset):
    ds = dataset
    only_b = wide(ds, organization_id=world.org_b.pk)
    assert counts(certificates_by_organization(only_b)) == {world.org_b.name: (2, 2, 0, 0)}
    assert counts(certificates_by_occupation(only_b)) == {"焊工": (2, 2, 0, 0)}

    turners = wide(ds, occupation_id=occ("6-18-01-01").pk)
    assert counts(certificates_by_level(turners)) == {"四级/中级工": (3, 2, 0, 1), "三级/高级工": (2, 2, 0, 0)}

    level3 = wide(ds, level=3)
    assert counts(certificates_by_organization(level3)) == {world.org_a.name: (2, 2, 0, 0)}

    this_month_only = StatsFilter(date_from=ds.today.replace(day=1), date_to=ds.today)
    assert sum(r.total for r in certificates_by_level(this_month_only)) == 5
    months = certificates_by_month(this_month_only)
    assert [r.label for r in months] == [f"{ds.today:%Y-%m}"]

    nothing = StatsFilter(date_from=ds.today + dt.timedelta(days=1), date_to=ds.today + dt.timedelta(days=2))
    assert certificates_by_level(nothing) == [] and certificates_by_shortage(nothing) == []
    assert [r.total for r in certificates_by_month(nothing)] == [0]


def test_a_month_without_certificates_is_shown_as_zero(world, dataset):
    ds = dataset
    filters = wide(ds)
    months = certificates_by_month(filters)
    labels = [r.label for r in months]
    assert labels == [f"{m:%Y-%m}" for m in month_range(filters.date_from, filters.date_to)]
    assert sum(r.total for r in months) == 7
    assert all(r.total == 0 for r in months if r.label not in {f"{ds.today:%Y-%m}", f"{ds.earlier:%Y-%m}"})


def test_pass_rates_come_from_the_result_outcomes_of_approved_plans(world, dataset):
    ds = dataset
    a4_plan, a3_plan, b5_plan = ds.plans
    by_plan = {r.label: r for r in pass_rates_by_plan(wide(ds))}
    assert set(by_plan) == {a4_plan.number, a3_plan.number, b5_plan.number}
    a4, a3, b5 = by_plan[a4_plan.number], by_plan[a3_plan.number], by_plan[b5_plan.number]
    assert (a4.candidates, a4.passed, a4.failed, a4.rate) == (4, 3, 1, 75.0)
    assert (a3.candidates, a3.passed, a3.failed, a3.rate) == (3, 2, 1, 66.7)
    # the absent candidate is shown but is not part of the rate
    assert (b5.candidates, b5.passed, b5.absent, b5.sat, b5.rate) == (3, 2, 1, 2, 100.0)
    assert b5.extra["organization"] == world.org_b.name and b5.extra["level"] == "五级/初级工"

    by_org = {r.label: r for r in pass_rates_by_organization(wide(ds))}
    assert (by_org[world.org_a.name].passed, by_org[world.org_a.name].sat) == (5, 7)
    assert by_org[world.org_a.name].rate == 71.4
    assert pass_rates_by_plan(wide(ds), limit=1)[0].label in by_plan


def test_plans_whose_results_are_not_approved_have_no_pass_rate(world, scoring_plan):
    from tests.workflow import score_everyone

    score_everyone(scoring_plan, {"张伟": (80, 82), "王芳": (75, 70.5), "李娜": (65, 59.9), "刘洋": (90, 88)})
    assert pass_rates_by_plan(StatsFilter()) == []


# --- pure helpers ---------------------------------------------------------------------------
def test_the_month_range_includes_both_ends_and_crosses_the_year():
    months = month_range(dt.date(2025, 11, 30), dt.date(2026, 2, 1))
    assert months == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]


def test_the_dashboard_opens_on_the_last_twelve_months():
    default = default_filter(today=dt.date(2026, 3, 15))
    assert (default.date_from, default.date_to) == (dt.date(2025, 4, 1), dt.date(2026, 3, 15))
    assert len(month_range(default.date_from, default.date_to)) == 12


# --- the dashboard --------------------------------------------------------------------------
def test_the_dashboard_is_for_bureau_admins_and_auditors_only(world, as_user):
    for url in (STATS_URL, EXPORT_URL):
        assert_login_redirect(as_user(None), "get", url)
        for user in (world.a_org_admin, world.a_operator, world.a_viewer, world.b_operator, world.supervisor):
            assert_status(as_user(user), "get", url, 403)
        assert_status(as_user(world.bureau_auditor), "post", url, 405)
        assert_status(as_user(world.bureau_admin), "put", url, 405)
    assert_status(as_user(world.bureau_auditor), "get", STATS_URL, 200)
    assert_status(as_user(world.bureau_admin), "get", STATS_URL, 200)


def test_the_urls_are_named(world):
    assert reverse("bureau:stats") == STATS_URL
    assert reverse("bureau:stats_export") == EXPORT_URL


def test_the_dashboard_shows_the_numbers_and_charts_in_the_same_queries_at_n_and_2n(world, as_user, issued, today):
    client = as_user(world.bureau_auditor)
    day = issued[0].issue_date
    query = {
        "date_from": (day - dt.timedelta(days=100)).isoformat(),
        "date_to": (day + dt.timedelta(days=120)).isoformat(),
    }
    one_org = {**query, "organization": world.org_b.pk}
    # n: three certificates of one plan and one organisation
    at_n = (page_queries(client, STATS_URL, query), page_queries(client, STATS_URL, one_org))
    ds = build_dataset(world, issued, today)  # 2n and more: seven certificates, three plans, two organisations
    assert query == {"date_from": wide(ds).date_from.isoformat(), "date_to": wide(ds).date_to.isoformat()}
    assert (page_queries(client, STATS_URL, query), page_queries(client, STATS_URL, one_org)) == at_n
    assert at_n[0] <= 12 and at_n[1] <= 13
    response = client.get(STATS_URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 6
    for text in ("按月发证", "车工", "焊工", world.org_a.name, world.org_b.name, "急需紧缺职业", "71.4%", "统计口径"):
        assert text in html, text
    assert "已撤销、暂停的证书仍计入发证数" in html
    overview = response.context["overview"]
    assert (overview.total.total, overview.total.revoked) == (7, 1)
    assert response.context["shortage_total"] == 5


def test_wrong_filters_are_explained_and_the_default_range_is_shown(world, as_user):
    response = as_user(world.bureau_auditor).get(STATS_URL, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "结束日期不能早于开始日期" in html and "已按近十二个月显示" in html


def test_the_export_holds_every_list_and_is_audited_once(world, as_user, dataset, audit_probe):
    ds = dataset
    probe = audit_probe()
    query = {
        "date_from": wide(ds).date_from.isoformat(),
        "date_to": wide(ds).date_to.isoformat(),
        "occupation": "",
        "level": "",
    }
    response = as_user(world.bureau_auditor).get(EXPORT_URL, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    event = assert_one_event(probe, event_type=EventType.CONSOLE_EXPORTED, actor=world.bureau_auditor)
    assert event.data["report"] == "certificate_stats" and event.data["certificates"] == 7
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "说明",
        "按月份",
        "按等级",
        "按职业",
        "按评价机构",
        "急需紧缺职业",
        "合格率（按机构）",
        "合格率（按计划）",
    ]
    occupations = list(book["按职业"].iter_rows(values_only=True))
    assert occupations[0][:4] == ("职业编码", "职业名称", "急需紧缺", "证书数")
    assert occupations[1][:4] == ("6-18-01-01", "车工", "是", 5)
    plans = list(book["合格率（按计划）"].iter_rows(values_only=True))
    assert len(plans) == 4  # header and three plans
    notes = [row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True)]
    assert any("已撤销、暂停的证书仍计入发证数" in str(n) for n in notes)


def test_an_export_with_wrong_filters_is_refused_without_an_event(world, as_user, audit_probe):
    probe = audit_probe()
    response = as_user(world.bureau_auditor).get(EXPORT_URL, {"level": "9"})
    assert response.status_code == 302 and response["Location"].startswith(STATS_URL)
    assert probe.events() == []


def test_an_occupation_outside_the_catalogue_filter_is_refused(world, as_user, catalogue):
    missing = Occupation.objects.order_by("-pk").first().pk + 1
    response = as_user(world.bureau_admin).get(STATS_URL, {"occupation": missing})
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_the_overview_runs_seven_grouped_queries_at_n_and_2n(world, issued, today):
    day = issued[0].issue_date
    filters = StatsFilter(date_from=day - dt.timedelta(days=100), date_to=day + dt.timedelta(days=120))
    assert queries_of(lambda: stats_overview(filters)) == 7  # one plan's certificates
    ds = build_dataset(world, issued, today)
    assert filters == wide(ds)
    assert queries_of(lambda: stats_overview(filters)) == 7  # three plans, two organisations
    overview = stats_overview(filters)
    assert overview.total.total == 7 and len(overview.pass_by_plan) == 3
