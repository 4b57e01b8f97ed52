"""Issue 9, finding 6: limits must live in storage every process shares. A system check refuses
more than one process (WEB_CONCURRENCY, or a Celery worker) with a per-process cache."""

from accounts.checks import check_shared_limits, check_two_factor_roles

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}}


def _ids(errors):
    return [e.id for e in errors]


def test_more_than_one_web_process_without_redis_is_refused(settings):
    settings.CACHES = LOCMEM
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.WEB_CONCURRENCY = 2

    assert _ids(check_shared_limits(None)) == ["skillcert.E001"]


def test_a_celery_worker_beside_the_web_without_redis_is_refused(settings):
    settings.CACHES = LOCMEM
    settings.WEB_CONCURRENCY = 1
    settings.CELERY_TASK_ALWAYS_EAGER = False

    assert _ids(check_shared_limits(None)) == ["skillcert.E001"]


def test_one_process_or_a_shared_cache_passes(settings):
    settings.CACHES = LOCMEM
    settings.WEB_CONCURRENCY = 1
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert check_shared_limits(None) == []

    settings.WEB_CONCURRENCY = 4
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CACHES = REDIS
    try:
        assert check_shared_limits(None) == []
    finally:
        settings.CACHES = LOCMEM  # nothing after this test may need a Redis that is not there


def test_unknown_two_factor_roles_are_refused(settings):
    settings.SKILLCERT_REQUIRE_2FA_ROLES = ["org_admin", "bureau", "admin"]

    assert _ids(check_two_factor_roles(None)) == ["skillcert.E002"]
    settings.SKILLCERT_REQUIRE_2FA_ROLES = ["org_admin", "reviewer", "bureau"]
    assert check_two_factor_roles(None) == []
