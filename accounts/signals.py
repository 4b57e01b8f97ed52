"""Sign-in events go into the audit trail; a sign-in starts the session's clocks and, for a user
with two-factor sign-in, leaves the session waiting for a code."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.events import EventType


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    from accounts import twofactor
    from accounts.middleware import start_session_clock
    from accounts.services import audit_auth_event

    data = {}
    if request is not None and hasattr(request, "session"):
        start_session_clock(request.session)
        if twofactor.mark_signed_in(request, user):
            data["second_factor"] = "pending"
    audit_auth_event(event_type=EventType.AUTH_LOGIN, user=user, username=user.username, data=data)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    from accounts.services import audit_auth_event

    audit_auth_event(event_type=EventType.AUTH_LOGOUT, user=user, username=user.username)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    from accounts.services import audit_auth_event

    audit_auth_event(event_type=EventType.AUTH_LOGIN_FAILED, user=None, username=str(credentials.get("username", "")))
