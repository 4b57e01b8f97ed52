"""Issue 12: a certificate prints the organisation's name as the bureau's records stood on the issue
date, not today's name after a rename."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.services import organization_update
from certify.services.issuing import organization_name_on
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_name_on_a_day_before_a_rename_is_the_old_name(world, monkeypatch):
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now - dt.timedelta(days=10))
    org = factories.organization(actor=world.bureau_admin, name="东莞市旧名精密有限公司")
    monkeypatch.undo()

    organization_update(actor=world.bureau_admin, organization=org, reason="更名", name="东莞市新名精密有限公司")

    today = timezone.localdate()
    assert organization_name_on(org, today - dt.timedelta(days=5)) == "东莞市旧名精密有限公司"
    assert organization_name_on(org, today) == "东莞市新名精密有限公司"


def test_a_certificate_prints_the_name_of_its_issue_date(world, issued):
    assert {c.organization_name for c in issued} == {organization_name_on(world.org_a, issued[0].issue_date)}
