"""Bulk paths on audited models: a queryset UPDATE or DELETE would change rows with no history row and
no audit event, so the model layer refuses it; the audited bulk helpers are the only bulk writers."""

import pytest
from django.apps import apps
from django.db import transaction

from audit.history import bulk_create_audited, bulk_update_audited
from audit.models import AuditEvent
from audit.models.chain import AppendOnlyError
from audit.models.history_base import BulkWriteRefused
from audit.services import audit_append
from certify.models import Occupation, ScoreFinalError

pytestmark = pytest.mark.django_db

REFUSALS = (BulkWriteRefused, ScoreFinalError, AppendOnlyError)


def audited_models():
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def test_every_audited_model_refuses_queryset_update_and_delete():
    models = audited_models()
    assert len(models) >= 25  # every domain model of accounts, certify and audit
    for model in models:
        with pytest.raises(REFUSALS):
            model._default_manager.all().update(pk=0)
        with pytest.raises(REFUSALS):
            model._default_manager.all().delete()


def test_history_tables_refuse_update_and_delete():
    for model in audited_models():
        history = model.history.model
        with pytest.raises(AppendOnlyError):
            history.objects.all().update(history_change_reason="rewritten")
        with pytest.raises(AppendOnlyError):
            history.objects.all().delete()


def test_the_audited_bulk_helpers_write_history_and_bind_it_into_the_event(world):
    from audit.events import EventType

    with transaction.atomic():
        created = bulk_create_audited(
            Occupation,
            [Occupation(code=f"9-99-99-{i:02d}", name=f"试验{i}") for i in range(5)],
            actor=world.bureau_admin,
        )
        for occupation in created:
            occupation.is_shortage = True
        bulk_update_audited(Occupation, created, ["is_shortage"], actor=world.bureau_admin, reason="批量标记")
        event = audit_append(
            actor=world.bureau_admin, event_type=EventType.CATALOGUE_IMPORTED, target=("certify.occupation", "x", "x")
        )
    assert Occupation.objects.filter(is_shortage=True).count() == 5
    (group,) = event.history
    assert group["model"] == "certify.HistoricalOccupation" and len(group["ids"]) == 10  # 5 created + 5 updated
    assert AuditEvent.objects.filter(pk=event.pk).exists()
