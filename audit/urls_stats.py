"""The bureau's statistics and subsidy screens. Included from ``config/urls.py`` at the root:
``path("", include("audit.urls_stats"))``."""

from django.urls import path

from audit.views import stats

app_name = "audit_stats"

urlpatterns = [
    path("bureau/stats/", stats.stats_dashboard, name="stats"),
    path("bureau/stats/export.xlsx", stats.stats_export, name="stats_export"),
    path("bureau/subsidies/", stats.subsidy_page, name="subsidies"),
    path("bureau/subsidies/export.xlsx", stats.subsidy_export, name="subsidy_export"),
]
