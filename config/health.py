"""Probes for the load balancer and the orchestrator.

``/healthz`` — alive: the process answers. It touches nothing else, so a database outage does not
get every web process restarted (which would not bring the database back).

``/readyz`` — ready for traffic: the database answers, the cache (Redis, when configured) answers,
and the key files the app signs and decrypts with are readable and usable. Each check is named
with ok/failed only; what failed and why goes to the log, never to an anonymous caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key = "readyz:probe"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was stored")


def _signing_keys() -> None:
    from audit.keys import audit_keyring
    from certify.keys import certificate_keyring

    for ring in (certificate_keyring(), audit_keyring()):
        if ring.active_kid() is None:
            continue  # none yet: the first certificate or checkpoint creates one
        kid, signature = ring.sign(b"readyz")
        if not ring.verify(kid=kid, payload=b"readyz", signature=signature):
            raise RuntimeError(f"{ring!r} cannot verify its own signature")


def _personal_data_key() -> None:
    from lib import pii

    if pii.decrypt(pii.encrypt("readyz", purpose="readyz"), purpose="readyz") != "readyz":
        raise RuntimeError("personal-data key round trip failed")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "signing_keys": _signing_keys,
    "personal_data_key": _personal_data_key,
}


@never_cache
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:
            logger.exception("readiness check %s failed", name)
            results[name] = "failed"
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"ready": ready, "checks": results}, status=200 if ready else 503)
