"""The bureau's risk screens (``risk:`` names), included from the project URLs at the root."""

from django.urls import path

from audit.views import risk as views

app_name = "risk"

urlpatterns = [
    path("bureau/risk/", views.risk_flag_list, name="flag_list"),
    path("bureau/risk/export.xlsx", views.risk_flag_export, name="flag_export"),
    path("bureau/risk/scan/", views.risk_scan_now, name="scan"),
    path("bureau/risk/settings/", views.risk_settings, name="settings"),
    path("bureau/risk/<int:flag_id>/", views.risk_flag_detail, name="flag_detail"),
    path("bureau/risk/<int:flag_id>/acknowledge/", views.risk_flag_acknowledge, name="flag_acknowledge"),
    path("bureau/risk/<int:flag_id>/resolve/", views.risk_flag_resolve, name="flag_resolve"),
]
