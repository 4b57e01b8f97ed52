"""Request-scoped facts the audit trail records without every service passing them along."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_request_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_request_ip", default=None)


def current_ip() -> str | None:
    return _request_ip.get()


@contextmanager
def request_context(*, ip: str | None):
    token = _request_ip.set(ip)
    try:
        yield
    finally:
        _request_ip.reset(token)
