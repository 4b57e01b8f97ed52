from django.urls import include, path

from certify.views import catalogue, filings, standards

app_name = "certify"


def _version_routes(prefix: str) -> list:
    """The same version pages for an organisation's standards and for the bureau's templates."""
    name = "template" if prefix == "template" else "standard"
    return [
        path("", standards.standard_detail, name=f"{name}_detail"),
        path("edit/", standards.standard_edit, name=f"{name}_edit"),
        path("levels/add/", standards.standard_level_add, name=f"{name}_level_add"),
        path("levels/<int:level_id>/", standards.standard_level_edit, name=f"{name}_level_edit"),
        path("levels/<int:level_id>/remove/", standards.standard_level_remove, name=f"{name}_level_remove"),
        path("publish/", standards.standard_publish, name=f"{name}_publish"),
        path("new-version/", standards.standard_new_version, name=f"{name}_new_version"),
        path("retire/", standards.standard_retire, name=f"{name}_retire"),
        path("discard/", standards.standard_discard, name=f"{name}_discard"),
    ]


urlpatterns = [
    # bureau: catalogue
    path("bureau/catalogue/", catalogue.catalogue_list, name="catalogue_list"),
    path("bureau/catalogue/import/", catalogue.catalogue_import, name="catalogue_import"),
    path("bureau/catalogue/import-builtin/", catalogue.catalogue_import_builtin, name="catalogue_import_builtin"),
    path("bureau/catalogue/template.xlsx", catalogue.catalogue_template, name="catalogue_template"),
    path("bureau/catalogue/<int:occupation_id>/shortage/", catalogue.occupation_shortage, name="occupation_shortage"),
    # bureau: filings
    path("bureau/filings/", filings.bureau_filing_list, name="bureau_filing_list"),
    path("bureau/filings/new/", filings.bureau_filing_create, name="bureau_filing_create"),
    path("bureau/filings/<int:filing_id>/", filings.bureau_filing_detail, name="bureau_filing_detail"),
    path("bureau/filings/<int:filing_id>/scope/", filings.bureau_filing_add_scope, name="bureau_filing_add_scope"),
    path("bureau/filings/<int:filing_id>/renew/", filings.bureau_filing_renew, name="bureau_filing_renew"),
    path("bureau/filings/<int:filing_id>/suspend/", filings.bureau_filing_suspend, name="bureau_filing_suspend"),
    path("bureau/filings/<int:filing_id>/reinstate/", filings.bureau_filing_reinstate, name="bureau_filing_reinstate"),
    path("bureau/filings/<int:filing_id>/revoke/", filings.bureau_filing_revoke, name="bureau_filing_revoke"),
    # bureau: standards and templates
    path("bureau/standards/", standards.bureau_standard_list, name="bureau_standard_list"),
    path("bureau/standards/new/", standards.bureau_template_create, name="template_create"),
    path("bureau/standards/<int:version_id>/", include(_version_routes("template"))),
    # organisation
    path("orgs/<int:org_id>/filings/", filings.org_filing_list, name="org_filing_list"),
    path("orgs/<int:org_id>/filings/<int:filing_id>/", filings.org_filing_detail, name="org_filing_detail"),
    path("orgs/<int:org_id>/standards/", standards.org_standard_list, name="org_standard_list"),
    path("orgs/<int:org_id>/standards/new/", standards.org_standard_create, name="org_standard_create"),
    path(
        "orgs/<int:org_id>/standards/adopt/<int:template_id>/", standards.org_standard_adopt, name="org_standard_adopt"
    ),
    path("orgs/<int:org_id>/standards/<int:version_id>/", include(_version_routes("standard"))),
]
