from django.urls import path

from audit.views import console

app_name = "audit"

urlpatterns = [
    path("bureau/console/", console.console_home, name="console"),
    path("bureau/console/certificate/<int:certificate_id>/", console.console_certificate, name="console_certificate"),
    path("bureau/console/person/<str:person_key>/", console.console_person, name="console_person"),
    path("bureau/console/plan/<int:plan_id>/", console.console_plan, name="console_plan"),
    path("bureau/console/organization/<int:org_id>/", console.console_organization, name="console_organization"),
]
