"""Helpers every accounts service shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.history import save_tracked


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _save_validated(obj, *, actor, reason: str = "", exclude=None) -> None:
    obj.full_clean(exclude=exclude)
    try:
        with transaction.atomic():
            save_tracked(obj, actor=actor, reason=reason)
    except IntegrityError as exc:  # a concurrent insert won the unique race
        raise ValidationError(_("记录与已有数据重复，请刷新后重试")) from exc
