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
