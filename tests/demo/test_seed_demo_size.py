"""Issue 11: ``seed_demo --size`` fills the demo database with a generated city (the generator of
generate_scale, not a second one), puts the demo accounts on top and says how long it took."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization, User
from certify.models import Certificate

pytestmark = pytest.mark.slow


@pytest.mark.django_db(transaction=True)
def test_size_fills_a_generated_city_then_the_demo_on_top(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--size", "tiny", stdout=out)

    text = out.getvalue()
    assert "3 organisations" in text and "300 certificates" in text and "总用时 / total:" in text
    assert Organization.objects.count() == 3 + 2  # the city's and the demo's two
    assert Certificate.objects.filter(version=1).count() > 300  # the city's and the demo plan's
    assert User.objects.filter(username__in=["hk_operator", "bureau_admin", "city_bureau_admin"]).count() == 3


@pytest.mark.django_db
def test_size_refuses_outside_development_and_on_a_database_with_certificates(settings, issued):
    before = (Organization.objects.count(), Certificate.objects.count())
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("seed_demo", "--size", "tiny", stdout=io.StringIO())
    settings.DEBUG = True
    with pytest.raises(CommandError, match="already holds certificates"):
        call_command("seed_demo", "--size", "tiny", stdout=io.StringIO())
    assert (Organization.objects.count(), Certificate.objects.count()) == before
