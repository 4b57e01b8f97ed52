"""Fixed-window rate limits kept in the shared cache (Redis in production)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request; return True when this window's limit is exceeded."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{int(time.time() // window)}"
    if cache.add(cache_key, 1, timeout=window + 5):
        return limit < 1
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 5)
        count = 1
    return count > limit


def _failure_key(scope: str, key: str, window: int) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"rl-fail:{scope}:{digest}:{int(time.time() // window)}"


def failures(scope: str, key: str, *, window: int) -> int:
    """Failures counted in this window by ``record_failure`` (successes are never counted)."""
    return int(cache.get(_failure_key(scope, key, window)) or 0)


def record_failure(scope: str, key: str, *, window: int) -> int:
    """Count one failure; return the count of this window."""
    cache_key = _failure_key(scope, key, window)
    if cache.add(cache_key, 1, timeout=window + 5):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 5)
        return 1
