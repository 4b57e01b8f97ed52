"""The English catalogue: complete, compiled, and used when a visitor chooses English."""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _unquote(fragment: str) -> str:
    return ast.literal_eval(fragment)


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file as dicts (msgctxt, msgid, msgid_plural, msgstr list, flags).

    Enough of the format for a catalogue written by makemessages: keywords followed by quoted
    strings, continuation lines, ``#,`` flag lines, and ``#~`` obsolete entries (skipped).
    """
    entries: list[dict] = []
    current: dict = {}
    field = None

    def finish() -> None:
        if "msgid" in current:
            entries.append(current.copy())
        current.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                field = None
            continue
        if line.startswith("#,"):
            current.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            if field == "msgstr":
                current["msgstr"][-1] += value
            else:
                current[field] += value
            continue
        if keyword.startswith("msgstr"):
            if "msgid" in current and "msgstr" not in current:
                current["msgstr"] = []
            current["msgstr"].append(_unquote(rest))
            field = "msgstr"
        else:
            if keyword == "msgctxt" and "msgstr" in current:
                finish()
            current[keyword] = _unquote(rest)
            field = keyword
    finish()
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    entries = parse_po(PO_PATH)
    return [e for e in entries if e["msgid"]]  # the header entry has an empty msgid


def test_english_is_an_offered_language_and_the_locale_folder_is_configured():
    assert "en" in dict(settings.LANGUAGES)
    assert LOCALE_DIR in [Path(p) for p in settings.LOCALE_PATHS]


def test_the_catalogue_holds_the_strings_the_code_marks(catalogue):
    assert len(catalogue) > 1000
    assert any(e["msgid"] == "证书有效" for e in catalogue)


def test_every_msgid_has_a_non_empty_english_msgstr(catalogue):
    untranslated = [e["msgid"] for e in catalogue if not e["msgstr"] or not all(s.strip() for s in e["msgstr"])]
    assert untranslated == []


def test_no_entry_is_left_fuzzy(catalogue):
    assert [e["msgid"] for e in catalogue if "fuzzy" in e.get("flags", set())] == []


def test_every_translation_keeps_the_placeholders_of_its_source(catalogue):
    broken = [
        e["msgid"]
        for e in catalogue
        for s in e["msgstr"]
        if set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(e["msgid"]))
    ]
    assert broken == []


def test_plural_entries_carry_both_english_forms(catalogue):
    plurals = [e for e in catalogue if "msgid_plural" in e]
    assert plurals
    assert all(len(e["msgstr"]) == 2 for e in plurals)


def test_the_compiled_catalogue_matches_the_po_file(catalogue):
    with MO_PATH.open("rb") as handle:
        compiled = stdlib_gettext.GNUTranslations(handle)
    stale = []
    for e in catalogue:
        key = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            got = [compiled.ngettext(key, e["msgid_plural"], n) for n in (1, 2)]
        else:
            got = [compiled.gettext(key)]
        if got != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == [], "run: python manage.py compilemessages -l en --ignore=.venv"


@pytest.mark.parametrize(
    ("source", "english"),
    [
        ("证书有效", "Certificate valid"),
        ("评价计划", "Assessment plan"),
        ("登录", "Sign in"),
        ("定级", "Direct grading"),
        ("晋级", "Promotion"),
        ("质量督导员", "Quality supervisor"),
    ],
)
def test_key_strings_read_in_english_when_english_is_active(source, english):
    with translation.override("en"):
        assert translation.gettext(source) == english
    with translation.override("zh-hans"):
        assert translation.gettext(source) == source


def test_plural_forms_follow_the_count_in_english():
    with translation.override("en"):
        assert translation.ngettext("%(n)s 项", "%(n)s 项", 1) % {"n": 1} == "1 item"
        assert translation.ngettext("%(n)s 项", "%(n)s 项", 3) % {"n": 3} == "3 items"


@pytest.mark.django_db
def test_the_login_page_is_english_for_a_visitor_with_the_english_language_cookie():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in" in body
    assert "Username" in body
    assert 'lang="en"' in body
    assert "登录" not in body


@pytest.mark.django_db
def test_the_login_page_stays_chinese_without_a_language_choice():
    body = Client(HTTP_ACCEPT_LANGUAGE="zh-CN").get(reverse("accounts:login")).content.decode()
    assert "登录" in body
    assert "Sign in" not in body


@pytest.mark.django_db
def test_the_footer_switch_posts_to_set_language_and_the_next_page_is_english():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    login = reverse("accounts:login")
    response = client.post(reverse("set_language"), {"language": "en", "next": login})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = client.get(login).content.decode()
    assert "Sign in" in body
    assert "简体中文" in body  # the switch now offers the way back


@pytest.mark.django_db
def test_the_public_certificate_lookup_is_english_for_an_english_visitor():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("verify:lookup")).content.decode()
    assert "Scan the QR code on the certificate" in body
    assert "用手机扫描证书上的二维码" not in body
