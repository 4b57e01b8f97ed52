from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureauConfig(AppConfig):
    """The bureau's oversight: the audit console and timelines, risk flags, statistics and
    subsidies, plans as they arrive, supervisors' pages, the holiday calendar."""

    name = "bureau"
    verbose_name = _("人社局监管")
    default_auto_field = "django.db.models.BigAutoField"
