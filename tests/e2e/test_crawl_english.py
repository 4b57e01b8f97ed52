"""Every page in English as every demo account shows no untranslated Chinese (issue 11).

The demo data is seeded and every account crawls its pages (``test_crawl.crawl``) with English
chosen. Chinese that comes from the database — names of people, organisations, occupations, plans,
standards, venues, reasons typed by users, audit data … — is data, not interface: every text value
stored in the database is gathered first and removed from each page's text. Whatever Chinese is
left on a page (in its text or in the attributes people read: title, placeholder, aria-label, alt,
data-confirm) is an interface string that was not translated.
"""

from __future__ import annotations

import html as htmllib
import re
from collections import defaultdict

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from accounts.models import User
from lib.identifiers import mask_name
from tests.e2e.test_crawl import crawl, demo, demo_accounts  # noqa: F401 - demo is a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A run of text around Chinese: the Chinese with the digits, punctuation and Latin words next to it.
_WIDE = r"\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_RUN = re.compile(rf"[{_WIDE}0-9A-Za-z·\-—/ ]*[\u3400-\u9fff][{_WIDE}0-9·\-—/]*")
CJK_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
ATTRIBUTES = re.compile(r'\s(?:title|placeholder|aria-label|alt|data-confirm)="([^"]*)"', re.I)
TAG = re.compile(r"<[^>]+>")
# The language switch names Chinese in Chinese, as every language menu does; the other words are the
# Chinese a file must contain, quoted in the English help: the national database's export and
# results files (新增/更新, 结果: 接收/退回, 证书编号, 退回原因) and the score sheet's 情况 column.
ALLOWED = {"中文", "简体中文", "新增", "更新", "结果", "接收", "退回", "证书编号", "退回原因", "情况"}


def _strings(value, out: set[str]) -> None:
    if isinstance(value, str):
        if CJK.search(value):
            out.add(value.strip())
            out.update(part.strip() for part in re.split(r"[\n\r]+", value) if CJK.search(part))
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings(item, out)


def data_strings() -> list[str]:
    """Every Chinese text value stored in the database, longest first."""
    found: set[str] = set()
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        for row in model._base_manager.values_list(*fields) if fields else []:
            _strings(list(row), found)
    # Names are shown masked on public pages (张*丰): the masked forms are data too.
    found |= {mask_name(s) for s in found if len(s) <= 4}
    return sorted((s for s in found if s), key=len, reverse=True)


def page_text(html: str) -> str:
    html = HIDDEN.sub(" ", html)
    attributes = " \n".join(ATTRIBUTES.findall(html))
    return htmllib.unescape(TAG.sub("\n", html) + "\n" + attributes)


def untranslated(html: str, data: list[str]) -> set[str]:
    text = page_text(html)
    if not CJK.search(text):
        return set()
    lines = [line.strip() for line in text.split("\n") if CJK.search(line)]
    left = set()
    for line in lines:
        for value in data:
            if value in line:
                line = line.replace(value, " ")
                if not CJK.search(line):
                    break
        for run in CJK_RUN.findall(line):
            if not set(CJK_WORD.findall(run)) <= ALLOWED:
                left.add(run.strip())
    return left


@pytest.mark.usefixtures("demo")
def test_every_english_page_every_demo_account_sees_has_no_untranslated_chinese(capsys):
    data = data_strings()
    found: dict[str, set[str]] = defaultdict(set)  # string → pages

    for username in demo_accounts():
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.cookies["django_language"] = "en"

        def visit(url: str, html: str, username=username) -> None:
            for string in untranslated(html, data):
                found[string].add(f"{username} {url}")

        crawl(client, visit=visit)
    with capsys.disabled():
        print(f"\nuntranslated on English pages: {len(found)} strings")
        for string, pages in sorted(found.items(), key=lambda kv: -len(kv[1])):
            print(f"  {string!r}  ({len(pages)} pages, e.g. {sorted(pages)[0]})")
    assert not found, sorted(found)
