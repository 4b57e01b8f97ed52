"""Public URLs outside the signed-in app: certificate verification and the published keys.

Included at the site root (``/v/…`` is what the QR code on every certificate points at), so the
paths here must never change.
"""

from django.urls import path

from certify.views import verify

app_name = "verify"

urlpatterns = [
    path("v/", verify.verify_lookup, name="lookup"),
    # Any text: a malformed number must reach the view and get the same answer as an unknown one.
    path("v/<str:number>", verify.verify_certificate, name="certificate"),
    path("v/<str:number>/copy", verify.verify_copy, name="copy"),
    path(".well-known/skillcert-keys.json", verify.public_keys, name="keys"),
]
