"""Every page of the bureau's oversight, under one namespace (``bureau:``)."""

from django.urls import path

from bureau.views import checkpoints, console, oversight, risk, stats

app_name = "bureau"

urlpatterns = [
    # the audit console and timelines
    path("bureau/console/", console.console_home, name="console"),
    path("bureau/console/certificate/<int:certificate_id>/", console.console_certificate, name="console_certificate"),
    path("bureau/console/person/<str:person_key>/", console.console_person, name="console_person"),
    path("bureau/console/plan/<int:plan_id>/", console.console_plan, name="console_plan"),
    path("bureau/console/organization/<int:org_id>/", console.console_organization, name="console_organization"),
    path("bureau/audit/checkpoints/", checkpoints.checkpoint_list, name="checkpoint_list"),
    path("bureau/audit/checkpoints/download", checkpoints.checkpoint_download, name="checkpoint_download"),
    path("bureau/audit/check/", checkpoints.chain_check_start, name="chain_check_start"),
    path("bureau/audit/check/progress", checkpoints.chain_check_progress, name="chain_check_progress"),
    # risk flags
    path("bureau/risk/", risk.risk_flag_list, name="risk_flag_list"),
    path("bureau/risk/export.xlsx", risk.risk_flag_export, name="risk_flag_export"),
    path("bureau/risk/scan/", risk.risk_scan_now, name="risk_scan"),
    path("bureau/risk/settings/", risk.risk_settings, name="risk_settings"),
    path("bureau/risk/<int:flag_id>/", risk.risk_flag_detail, name="risk_flag_detail"),
    path("bureau/risk/<int:flag_id>/acknowledge/", risk.risk_flag_acknowledge, name="risk_flag_acknowledge"),
    path("bureau/risk/<int:flag_id>/resolve/", risk.risk_flag_resolve, name="risk_flag_resolve"),
    # statistics and subsidies
    path("bureau/stats/", stats.stats_dashboard, name="stats"),
    path("bureau/stats/export.xlsx", stats.stats_export, name="stats_export"),
    path("bureau/subsidies/", stats.subsidy_page, name="subsidies"),
    path("bureau/subsidies/export.xlsx", stats.subsidy_export, name="subsidy_export"),
    # plans as they arrive, supervision, the holiday calendar
    path("bureau/plans/", oversight.bureau_plan_list, name="plan_list"),
    path("bureau/supervision/", oversight.supervision_list, name="supervision_list"),
    path("bureau/supervision/<int:plan_id>/", oversight.supervision_report, name="supervision_report"),
    path("bureau/calendar/", oversight.calendar_list, name="calendar_list"),
    path("bureau/calendar/set/", oversight.calendar_day_set, name="calendar_day_set"),
]
