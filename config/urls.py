from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as account_views
from config import health

handler403 = "lib.web.handler403"
handler404 = "lib.web.handler404"
handler500 = "lib.web.handler500"


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("", include("certify.urls")),
    path("", include("certify.urls_export")),
    path("", include("bureau.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # Routed only when asked for (SKILLCERT_ADMIN_ENABLED, on with DEBUG); its login goes through
    # the same authenticate() and so the same lock-outs and two-factor step as the site's.
    *([path("admin/", admin.site.urls)] if settings.SKILLCERT_ADMIN_ENABLED else []),
    path("", include("certify.urls_public")),
]
