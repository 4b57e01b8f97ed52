"""The typed env readers refuse bad values and read secrets from files."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_bool_reader_accepts_the_usual_spellings_and_refuses_others(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env.env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.env_bool("X_FLAG", False)


def test_int_reader_refuses_non_numbers_and_out_of_range(monkeypatch):
    monkeypatch.setenv("X_INT", "12a")
    with pytest.raises(ImproperlyConfigured):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "5")
    with pytest.raises(ImproperlyConfigured):
        env.env_int("X_INT", 1, minimum=10)
    assert env.env_int("X_INT", 1, maximum=10) == 5


def test_decimal_reader_reads_a_pass_mark_and_refuses_text_infinity_and_out_of_range(monkeypatch):
    from decimal import Decimal

    monkeypatch.delenv("X_MARK", raising=False)
    assert env.env_decimal("X_MARK", Decimal("60")) == Decimal("60")
    monkeypatch.setenv("X_MARK", "62.5")
    assert env.env_decimal("X_MARK", Decimal("60"), minimum=Decimal(0), maximum=Decimal(100)) == Decimal("62.5")
    for bad in ("sixty", "Infinity", "NaN"):
        monkeypatch.setenv("X_MARK", bad)
        with pytest.raises(ImproperlyConfigured, match="X_MARK"):
            env.env_decimal("X_MARK", Decimal("60"))
    monkeypatch.setenv("X_MARK", "101")
    with pytest.raises(ImproperlyConfigured, match="maximum"):
        env.env_decimal("X_MARK", Decimal("60"), maximum=Decimal(100))


def test_every_domain_default_is_declared_in_settings():
    """certify.conf has no defaults of its own: every name it is asked for is a declared setting."""
    from django.conf import settings

    from certify.conf import conf, default_pass_mark, default_review_subscores

    for name in (
        "PLAN_LEAD_WORKING_DAYS",
        "PUBLICITY_WORKING_DAYS",
        "RENEWAL_WINDOW_MONTHS",
        "THEORY_MINUTES",
        "PRACTICAL_MINUTES",
        "MIN_PRACTICAL_ASSESSORS",
        "CANDIDATES_PER_ASSESSOR",
        "CANDIDATES_PER_INVIGILATOR",
        "MIN_INVIGILATORS_PER_ROOM",
        "MIN_REVIEW_PANEL",
    ):
        assert conf(name) == getattr(settings, f"SKILLCERT_{name}")
    assert str(default_pass_mark()) == "60"
    assert [s["weight"] for s in default_review_subscores()] == [30, 40, 30]
    with pytest.raises(AttributeError):
        conf("NOT_DECLARED")


def test_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env.env_str("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET", "other")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.env_str("X_SECRET")


def test_missing_required_variable_is_named(monkeypatch):
    monkeypatch.delenv("X_REQUIRED", raising=False)
    monkeypatch.delenv("X_REQUIRED_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED"):
        env.env_str("X_REQUIRED")


def test_database_urls():
    pg = env.parse_database_url("postgres://app:p%40ss@db.local:5433/skillcert")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "app",
        "p@ss",
        "db.local",
        "5433",
        "skillcert",
    )
    lite = env.parse_database_url("sqlite:////srv/skillcert/x.sqlite3")
    assert lite["NAME"] == "/srv/skillcert/x.sqlite3"
    with pytest.raises(ImproperlyConfigured):
        env.parse_database_url("mysql://x@y/z")


def test_production_settings_refuse_to_start_without_a_secret_key():
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "DEBUG"))}
    environment["DEBUG"] = "0"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()",
        ],
        env=environment,
        capture_output=True,
        text=True,
        cwd=os.getcwd(),
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def _settings_in_a_fresh_process(names: list[str], **env) -> dict:
    """Read settings as a production process would, from these environment variables only."""
    import json
    import os
    import subprocess
    import sys

    keep = ("PATH", "HOME", "SECRET_KEY", "SECRET_KEY_FILE", "SKILLCERT_VAR_DIR", "LANG")
    environment = {k: v for k, v in os.environ.items() if k in keep}
    environment.update({"DEBUG": "0", **env})
    code = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, cwd=os.getcwd()
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_defaults_for_sign_in_protection():
    values = _settings_in_a_fresh_process(
        [
            "SKILLCERT_TRUSTED_PROXIES",
            "SKILLCERT_ADMIN_ENABLED",
            "SKILLCERT_SESSION_IDLE_MINUTES",
            "SESSION_COOKIE_AGE",
            "SKILLCERT_LOGIN_FAILURE_LIMIT",
            "SKILLCERT_REQUIRE_2FA_ROLES",
            "WEB_CONCURRENCY",
        ]
    )

    assert values == {
        "SKILLCERT_TRUSTED_PROXIES": 0,
        "SKILLCERT_ADMIN_ENABLED": False,
        "SKILLCERT_SESSION_IDLE_MINUTES": 30,
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SKILLCERT_LOGIN_FAILURE_LIMIT": 5,
        "SKILLCERT_REQUIRE_2FA_ROLES": [],
        "WEB_CONCURRENCY": 1,
    }


def test_the_old_forwarded_for_switch_means_one_trusted_proxy():
    assert _settings_in_a_fresh_process(["SKILLCERT_TRUSTED_PROXIES"], USE_X_FORWARDED_FOR="1") == {
        "SKILLCERT_TRUSTED_PROXIES": 1
    }
    assert _settings_in_a_fresh_process(
        ["SKILLCERT_TRUSTED_PROXIES"], USE_X_FORWARDED_FOR="1", SKILLCERT_TRUSTED_PROXIES="2"
    ) == {"SKILLCERT_TRUSTED_PROXIES": 2}
