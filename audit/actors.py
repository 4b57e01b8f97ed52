"""Who an audit event names. Nothing in the trail is anonymous: commands and tasks act as named
system actors, and every event snapshots the actor's role at that moment.

The user model is Django's configured one (``get_user_model``), and the role comes from the
function named by the ``AUDIT_ACTOR_ROLE`` setting (the accounts app supplies it), so the log
knows no app above it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

SYSTEM_USERNAME = "system"
SYSTEM_ROLE = "system"


def is_reserved_username(username: str) -> bool:
    """``system`` and ``system:<name>`` belong to the system actors; no person may take them."""
    return username == SYSTEM_USERNAME or username.startswith(f"{SYSTEM_USERNAME}:")


def is_system_user(user) -> bool:
    """The named inactive users that act for commands and tasks (``system``, ``system:<name>``).

    The name alone is not enough: an account someone can sign in to (active, or with a password)
    is never a system actor, so it cannot borrow the system's rights or its label in the trail.
    """
    if not is_reserved_username(getattr(user, "username", "") or ""):
        return False
    return not user.is_active and not user.has_usable_password()


def system_actor(name: str = ""):
    """The named, inactive user that acts for commands and tasks: nothing in the trail is anonymous."""
    User = get_user_model()
    username = f"{SYSTEM_USERNAME}:{name}" if name else SYSTEM_USERNAME
    user = User.objects.filter(username=username).first()
    if user is None:
        # Two worker processes may both start with this actor missing: the unique username lets one
        # insert win, and the other (its savepoint rolled back) reads the winner's row.
        candidate = User(username=username, full_name=f"系统任务 {name}" if name else "系统", is_active=False)
        candidate.set_unusable_password()
        try:
            with transaction.atomic():
                candidate.save()
            user = candidate
        except IntegrityError:
            user = User.objects.get(username=username)
    if not is_system_user(user):
        # an account someone can sign in to must never act, or be recorded, as the system
        raise RuntimeError(f"{username!r} exists but is not a system actor (active or with a password)")
    return user


def actor_role(actor, organization) -> str:
    """The actor's role for the event: ``system`` for a system actor, else what the configured
    resolver says (the role in ``organization``, or a bureau role)."""
    if is_system_user(actor):
        return SYSTEM_ROLE
    return import_string(settings.AUDIT_ACTOR_ROLE)(actor, organization) or ""
