"""Issue 11: each demo organisation's seal carries its own name, and its certificates print that seal."""

from __future__ import annotations

import pytest
from django.core.management import call_command

import lib.seal_art
from certify.models import Certificate, Seal
from certify.services.rendering import pdf_context
from demo.management.commands.seed_demo import ORGANIZATIONS

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_each_demo_organisation_gets_a_seal_drawn_with_its_own_name(monkeypatch, django_capture_on_commit_callbacks):
    drawn = []
    real = lib.seal_art.draw_seal

    def spy(name, **kwargs):
        drawn.append(name)
        return real(name, **kwargs)

    monkeypatch.setattr(lib.seal_art, "draw_seal", spy)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - discarded output

    names = [spec["name"] for spec in ORGANIZATIONS]
    assert sorted(drawn) == sorted(names)
    seals = {seal.organization.name: seal for seal in Seal.objects.select_related("organization")}
    assert sorted(seals) == sorted(names)
    images = {name: seal.image.open("rb").read() for name, seal in seals.items()}
    assert len(set(images.values())) == len(names)

    # The issued certificates print their issuer's seal and name.
    certificate = Certificate.objects.select_related("organization").first()
    assert certificate is not None
    context = pdf_context(certificate)
    assert context["organization_name"] == certificate.organization.name
    with open(context["seal_path"], "rb") as printed:
        assert printed.read() == images[certificate.organization.name]
