"""Issue 13, operations: /healthz says the process is alive without touching anything else;
/readyz checks the database, the cache and the key files, naming each check ok or failed and
nothing more to an anonymous caller."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_alive_touches_no_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"
    assert len(queries) == 0


def test_ready_when_database_cache_and_keys_answer(client):
    response = client.get(reverse("readyz"))

    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "cache": "ok", "signing_keys": "ok", "personal_data_key": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


def test_not_ready_when_a_signing_key_file_is_damaged_and_the_answer_names_no_path(client, settings, tmp_path):
    from certify.keys import certificate_keyring

    settings.SKILLCERT_CERT_KEYS_DIR = str(tmp_path / "keys")
    ring = certificate_keyring()
    kid = ring.create()
    for path in ring.directory.iterdir():
        if path != ring.manifest_path:
            path.write_bytes(b"damaged")

    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["signing_keys"] == "failed"
    assert response.json()["checks"]["database"] == "ok"
    body = response.content.decode()
    assert str(tmp_path) not in body and kid not in body


def test_not_ready_when_the_cache_is_away(client, monkeypatch):
    from config import health

    class Away:
        def set(self, *args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(health, "cache", Away())
    response = client.get(reverse("readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed" and "6379" not in response.content.decode()
