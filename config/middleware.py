"""Response headers every page carries."""

from django.conf import settings
from django.utils.cache import patch_cache_control

# Every asset is served by the app itself: a CSP of 'self' turns an accidental CDN link into a
# visible failure in development instead of a silent dependency in production.
_CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        if getattr(settings, "HTTPS", False):
            response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class PrivateCacheMiddleware:
    """Signed-in pages carry names, masked ID numbers and PDFs: no browser or proxy may keep them.

    Only a request that came with a session cookie can belong to a signed-in user, so public pages
    (verification, publicity) are left alone and their session is never loaded. A response that
    already says no-store (a PDF, a revealed ID number) keeps its own header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES and "no-store" not in response.get("Cache-Control", ""):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                patch_cache_control(response, no_store=True, private=True)
                response.headers.pop("Expires", None)
        return response
