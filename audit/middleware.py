import ipaddress

from django.conf import settings

from audit.context import request_context


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: the one place every rate limit, lock-out and audit event reads it.

    With ``SKILLCERT_TRUSTED_PROXIES = n`` the app sits behind n proxies that each append the
    address they saw to X-Forwarded-For, so the n-th entry from the right was written by the
    outermost trusted proxy; every entry left of it is whatever the client sent and is never read.
    A header shorter than n (a request that did not pass through every proxy) or an entry that is
    not an address falls back to the peer, which cannot be forged.
    """
    peer = _valid_ip(request.META.get("REMOTE_ADDR"))
    hops = settings.SKILLCERT_TRUSTED_PROXIES
    if hops > 0:
        entries = [e.strip() for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= hops:
            return _valid_ip(entries[-hops]) or peer
    return peer


class AuditContextMiddleware:
    """Makes the client's IP available to ``audit_append`` for the length of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_context(ip=client_ip(request)):
            return self.get_response(request)
