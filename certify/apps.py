from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertifyConfig(AppConfig):
    name = "certify"
    verbose_name = _("技能等级评价")
    default_auto_field = "django.db.models.BigAutoField"
