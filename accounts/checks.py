"""System checks for settings that would silently weaken sign-in protection."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from accounts.roles import BureauRole, Role

# Caches every process of an installation sees alike.
_SHARED_CACHES = ("django.core.cache.backends.redis.RedisCache", "django.core.cache.backends.db.DatabaseCache")


def process_count_reason() -> str:
    """Why this installation runs more than one process, or "" when it runs one.

    Known from the settings: ``WEB_CONCURRENCY`` (the number of gunicorn workers, which gunicorn
    reads too) above 1, or Celery tasks not run eagerly (a worker process beside the web).
    """
    if settings.WEB_CONCURRENCY > 1:
        return f"WEB_CONCURRENCY={settings.WEB_CONCURRENCY}"
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return "Celery tasks run in a separate worker (CELERY_TASK_ALWAYS_EAGER is off)"
    return ""


@register("security")
def check_shared_limits(app_configs, **kwargs):
    """Rate limits, the password-check counter and task progress live in the cache: a cache per
    process would give every process its own count (two workers, twice the tries)."""
    reason = process_count_reason()
    backend = settings.CACHES["default"]["BACKEND"]
    if reason and backend not in _SHARED_CACHES:
        return [
            Error(
                f"More than one process ({reason}) but the cache is {backend.rsplit('.', 1)[-1]}, "
                "private to each process: rate limits would count separately in each.",
                hint="Set REDIS_URL (or CACHE_URL) to a Redis shared by every process, or run one process "
                "(WEB_CONCURRENCY=1 and CELERY_TASK_ALWAYS_EAGER=1).",
                id="skillcert.E001",
            )
        ]
    return []


@register("security")
def check_two_factor_roles(app_configs, **kwargs):
    known = {*Role.values, *BureauRole.values, "bureau"}
    unknown = sorted(set(settings.SKILLCERT_REQUIRE_2FA_ROLES) - known)
    if unknown:
        return [
            Error(
                f"SKILLCERT_REQUIRE_2FA_ROLES names unknown roles: {', '.join(unknown)}.",
                hint=f"Use any of: {', '.join(sorted(known))}.",
                id="skillcert.E002",
            )
        ]
    return []
