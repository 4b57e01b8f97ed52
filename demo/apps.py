from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): built through every app's services, so it sits on top."""

    name = "demo"
    verbose_name = _("演示数据")
