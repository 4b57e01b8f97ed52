from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("审计")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import (
            history,  # noqa: F401  (connects the history signal)
            triggers,  # noqa: F401  (re-installs the append-only triggers after migrate)
        )
