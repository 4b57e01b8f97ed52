"""Dates, levels and ID types follow the page's language (issue 11, item 12): 2026年12月3日 in Chinese, 3 Dec
2026 in English — on the back office's certificate page and on the public publicity notice."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from lib.dates import long_date

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 3)


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_date_in_words_follows_the_active_language():
    with translation.override("en"):
        assert long_date(DAY) == "3 Dec 2026"
        assert long_date(dt.datetime(2026, 12, 3, 9, 30)) == "3 Dec 2026"
    with translation.override("zh-hans"):
        assert long_date(DAY) == "2026年12月3日"
    assert long_date(None) == ""


def test_the_certificate_page_shows_the_issue_date_in_the_language_of_the_page(world, as_user, issued):
    certificate = issued[0]
    d = certificate.issue_date
    url = reverse("certify:certificate_detail", args=[world.org_a.pk, certificate.pk])
    chinese = as_user(world.a_viewer).get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert f"{d.year}年{d.month}月{d.day}日" in chinese
    page = english(as_user(world.a_viewer)).get(url).content.decode()
    assert 'lang="en"' in page and f"{d.day} {d:%b} {d.year}" in page and f"{d.year}年{d.month}月" not in page


def test_the_public_publicity_notice_writes_its_dates_in_the_language_of_the_page(world, closed_plan):
    url = reverse("certify:publicity_page", args=[closed_plan.number])
    d = closed_plan.exam_date
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(url).content.decode()
    assert f"{d.year}年{d.month}月{d.day}日" in chinese
    page = english(Client()).get(url).content.decode()
    assert f"{d.day} {d:%b} {d.year}" in page and f"{d.year}年{d.month}月{d.day}日" not in page


def test_the_certificate_page_names_the_level_and_the_id_type_in_english(world, as_user, issued):
    from lib.levels import level

    certificate = issued[0]
    url = reverse("certify:certificate_detail", args=[world.org_a.pk, certificate.pk])
    page = english(as_user(world.a_viewer)).get(url).content.decode()
    assert level(certificate.level).english in page and certificate.level_wording not in page
    assert "Resident ID card" in page and "居民身份证" not in page
    chinese = as_user(world.a_viewer).get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert certificate.level_wording in chinese and "居民身份证" in chinese
    assert certificate.id_type_label == "居民身份证"  # the printed record stays Chinese


def test_the_plan_list_and_level_choices_follow_the_language(world, as_user, ready_plan):
    from lib.levels import level, level_choices

    with translation.override("en"):
        assert dict(level_choices())[ready_plan.level] == level(ready_plan.level).english
    with translation.override("zh-hans"):
        assert dict(level_choices())[ready_plan.level] == ready_plan.level_wording
    url = reverse("certify:plan_detail", args=[world.org_a.pk, ready_plan.pk])
    page = english(as_user(world.a_operator)).get(url).content.decode()
    assert level(ready_plan.level).english in page
