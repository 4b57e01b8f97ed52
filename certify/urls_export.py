"""The upload screens of an organisation (上报省级/全国数据库): exports and the province's answers.

A namespace of their own: ``certify`` is taken by ``certify.urls``, and two includes under one
namespace would hide each other's names.
"""

from django.urls import path

from certify.views import export

app_name = "certify_export"

urlpatterns = [
    path("orgs/<int:org_id>/certificates/export/", export.export_page, name="export_page"),
    path("orgs/<int:org_id>/certificates/export/new/", export.export_create, name="export_create"),
    path(
        "orgs/<int:org_id>/certificates/export/<int:batch_id>/download/",
        export.export_download,
        name="export_download",
    ),
    path("orgs/<int:org_id>/certificates/export/results/", export.results_page, name="results_page"),
    path(
        "orgs/<int:org_id>/certificates/export/results/<int:certificate_id>/",
        export.result_record,
        name="result_record",
    ),
    path("orgs/<int:org_id>/certificates/export/results/import/", export.feedback_import, name="feedback_import"),
]
