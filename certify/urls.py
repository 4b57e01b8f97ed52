from django.urls import include, path

from certify.views import catalogue, certificates, enrolments, filings, plans, public, scoring, standards

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


plan_routes = [
    path("", plans.plan_detail, name="plan_detail"),
    path("edit/", plans.plan_edit, name="plan_edit"),
    path("do/<slug:action>/", plans.plan_transition, name="plan_transition"),
    path("cancel/", plans.plan_cancel, name="plan_cancel"),
    path("assessors/add/", plans.assessor_add, name="assessor_add"),
    path("assessors/<int:assessor_id>/remove/", plans.assessor_remove, name="assessor_remove"),
    path("assessors/<int:assessor_id>/declare/", plans.recusal_declare, name="recusal_declare"),
    path("supervisor/", plans.supervisor_assign, name="supervisor_assign"),
    path("objections/add/", plans.objection_add, name="objection_add"),
    path("objections/<int:objection_id>/resolve/", plans.objection_decide, name="objection_resolve"),
    path("candidates/new/", enrolments.enrolment_create, name="enrolment_create"),
    path("candidates/import/", enrolments.roster_import, name="roster_import"),
    path("candidates/template.xlsx", enrolments.roster_template, name="roster_template"),
    path("candidates/photos/", enrolments.photos_upload, name="photos_upload"),
    path("candidates/<int:enrolment_id>/", enrolments.enrolment_detail, name="enrolment_detail"),
    path("candidates/<int:enrolment_id>/id/", enrolments.enrolment_reveal_id, name="enrolment_reveal_id"),
    path("candidates/<int:enrolment_id>/photo/", enrolments.enrolment_photo, name="enrolment_photo"),
    path("candidates/<int:enrolment_id>/photo.jpg", enrolments.enrolment_photo_image, name="enrolment_photo_image"),
    path("candidates/<int:enrolment_id>/decide/", enrolments.enrolment_decide, name="enrolment_decide"),
    path("candidates/<int:enrolment_id>/withdraw/", enrolments.enrolment_withdraw, name="enrolment_withdraw"),
    path("scores/", scoring.score_sheet, name="score_sheet"),
    path("scores/submit/", scoring.score_sheet_submit, name="score_sheet_submit"),
    path("scores/correct/<int:score_id>/", scoring.score_correct, name="score_correct"),
    path("scores/import/", scoring.scores_import, name="scores_import"),
    path("scores/template.xlsx", scoring.scores_template, name="scores_template"),
    path("issue/", certificates.issuance_start, name="issuance_start"),
    path("supplied-numbers/", certificates.supplied_numbers, name="supplied_numbers"),
    path("issuance/", certificates.issuance_progress, name="issuance_progress"),
    path("issuance.json", certificates.issuance_progress_json, name="issuance_progress_json"),
    path("issuance/combined.pdf", certificates.issuance_combined_pdf, name="issuance_combined_pdf"),
    path("issuance/retry/", certificates.issuance_retry, name="issuance_retry"),
    path("issuance/retry/<int:certificate_id>/", certificates.certificate_retry, name="certificate_retry"),
]

certificate_routes = [
    path("", certificates.certificate_detail, name="certificate_detail"),
    path("pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    path("revoke/", certificates.certificate_revoke, name="certificate_revoke"),
    path(
        "revocation/<int:request_id>/decide/",
        certificates.certificate_revocation_decide,
        name="certificate_revocation_decide",
    ),
    path("suspend/", certificates.certificate_suspend, name="certificate_suspend"),
    path("reinstate/", certificates.certificate_reinstate, name="certificate_reinstate"),
    path("reissue/", certificates.certificate_reissue, name="certificate_reissue"),
    path("correct/", certificates.certificate_correct, name="certificate_correct"),
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
    path("orgs/<int:org_id>/plans/", plans.plan_list, name="plan_list"),
    path("orgs/<int:org_id>/plans/new/", plans.plan_create, name="plan_create"),
    path("orgs/<int:org_id>/plans/<int:plan_id>/", include(plan_routes)),
    path("orgs/<int:org_id>/certificates/", certificates.certificate_list, name="certificate_list"),
    path("orgs/<int:org_id>/certificates/<int:certificate_id>/", include(certificate_routes)),
    path("orgs/<int:org_id>/seal/", certificates.seal_page, name="seal_page"),
    path("orgs/<int:org_id>/seal.png", certificates.seal_image, name="seal_image"),
    path("bureau/certificates/", certificates.bureau_certificate_list, name="bureau_certificate_list"),
    # public
    path("publicity/<str:number>/", public.publicity_page, name="publicity_page"),
]
