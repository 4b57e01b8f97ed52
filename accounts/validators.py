"""Validators Django looks up by path: the credit-code check of ``Organization.credit_code`` (named
in migrations) and the password rule of ``AUTH_PASSWORD_VALIDATORS``. The checks themselves are
pure and live in ``lib.identifiers``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lib.identifiers import validate_credit_code

__all__ = ["DifferentFromCurrentPasswordValidator", "validate_credit_code"]


class DifferentFromCurrentPasswordValidator:
    """A new password must differ from the one it replaces (a forced change is no change otherwise).

    Compares without the side effect of ``User.check_password`` (which re-saves an upgraded hash).
    """

    def validate(self, password, user=None):
        from django.contrib.auth.hashers import check_password

        current = getattr(user, "password", "") if user is not None and getattr(user, "pk", None) else ""
        if current and check_password(password, current):
            raise ValidationError(_("新密码不能与原密码相同，请换一个"), code="password_unchanged")

    def get_help_text(self):
        return _("新密码不能与原密码相同。")
