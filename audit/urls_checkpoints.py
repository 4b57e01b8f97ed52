from django.urls import path

from audit.views import checkpoints

app_name = "audit_checkpoints"

urlpatterns = [
    path("bureau/audit/checkpoints/", checkpoints.checkpoint_list, name="list"),
    path("bureau/audit/checkpoints/download", checkpoints.checkpoint_download, name="download"),
]
