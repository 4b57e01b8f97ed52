"""Helpers every accounts service shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import SYSTEM_USERNAME, is_system_user


def system_actor(name: str = "") -> User:
    """The named, inactive user that acts for commands and tasks: nothing in the trail is anonymous."""
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


def _track(obj, actor, reason: str = "") -> None:
    """Tell django-simple-history who made this change and why."""
    obj._history_user = actor
    obj._change_reason = reason or None


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _save_validated(obj, *, actor, reason: str = "", exclude=None) -> None:
    obj.full_clean(exclude=exclude)
    _track(obj, actor, reason)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent insert won the unique race
        raise ValidationError(_("记录与已有数据重复，请刷新后重试")) from exc
