"""Signed checkpoints: made by beat and the command, listed and downloaded by the bureau only."""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from audit.actors import system_actor
from audit.checkpoints import (
    CheckpointFileError,
    checkpoint_create,
    checkpoint_payload,
    checkpoint_signature_ok,
    checkpoints_file_read,
)
from audit.events import EventType
from audit.models import AuditCheckpoint, AuditEvent
from audit.services import audit_append
from audit.tasks import audit_checkpoint
from tests.helpers import page_queries

pytestmark = pytest.mark.django_db

LIST = reverse("bureau:checkpoint_list")
DOWNLOAD = reverse("bureau:checkpoint_download")


@pytest.fixture(autouse=True)
def _status_file_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def append(n: int = 1) -> None:
    actor = system_actor("tests")
    for i in range(n):
        with transaction.atomic():
            audit_append(actor=actor, event_type=EventType.USER_CREATED, target=actor, data={"i": i})


def newest() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def offline_check(text: str) -> list[dict]:
    """The check a bureau clerk can run anywhere: JSON, base64url and Ed25519, nothing of this project."""
    header, *entries = [json.loads(line) for line in text.splitlines()]
    keys = {k["kid"]: k["public_key"] for k in header["keys"]}

    def b64(s: str) -> bytes:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

    for entry in entries:
        signed = {"created_at": entry["created_at"], "hash": entry["hash"], "seq": entry["seq"]}
        payload = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        Ed25519PublicKey.from_public_bytes(b64(keys[entry["key_id"]])).verify(b64(entry["signature"]), payload)
    return entries


# --- making them --------------------------------------------------------------------------------


def test_a_checkpoint_covers_the_chain_up_to_and_including_its_own_event(db):
    append(3)
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    event = newest()
    assert event.event_type == EventType.AUDIT_CHECKPOINT
    assert (checkpoint.seq, checkpoint.hash, checkpoint.created_at) == (event.seq, event.hash, event.created_at)
    assert event.data["previous_checkpoint_seq"] is None
    assert checkpoint_signature_ok(checkpoint)
    assert checkpoint_payload(seq=5, hash="ab", created_at="2026-01-01T00:00:00.000000+00:00") == (
        b'{"created_at":"2026-01-01T00:00:00.000000+00:00","hash":"ab","seq":5}'
    )


def test_nothing_new_since_the_last_checkpoint_makes_no_checkpoint_and_no_event(db):
    append(2)
    first = checkpoint_create(actor=system_actor("tests"))
    events = AuditEvent.objects.count()
    assert checkpoint_create(actor=system_actor("tests")) is None
    assert AuditEvent.objects.count() == events
    append(1)
    second = checkpoint_create(actor=system_actor("tests"))
    assert second.seq == first.seq + 2
    assert newest().data["previous_checkpoint_seq"] == first.seq
    assert AuditCheckpoint.objects.count() == 2


def test_the_beat_task_signs_as_the_beat_system_actor_and_is_safe_to_run_twice(db):
    append(1)
    audit_checkpoint.delay()
    audit_checkpoint.delay()
    assert AuditCheckpoint.objects.count() == 1
    event = AuditEvent.objects.get(event_type=EventType.AUDIT_CHECKPOINT)
    assert event.actor.username == "system:beat"
    assert AuditCheckpoint.objects.get().made_by == event.actor_repr


def test_the_command_signs_as_the_command_system_actor_and_says_when_nothing_is_new(db):
    append(1)
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "已生成检查点" in out.getvalue()
    assert AuditEvent.objects.get(event_type=EventType.AUDIT_CHECKPOINT).actor.username == "system:command"
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert "没有新事件" in out.getvalue()


# --- the page and the download ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_auditor"])
def test_bureau_admins_and_auditors_see_the_checkpoints_with_valid_signatures(world, as_user, who):
    checkpoint = checkpoint_create(actor=system_actor("tests"))
    response = as_user(getattr(world, who)).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert str(checkpoint.seq) in html and "有效" in html and checkpoint.key_id in html


@pytest.mark.parametrize("who", ["a_org_admin", "a_operator", "b_operator", "supervisor"])
@pytest.mark.parametrize("url", [LIST, DOWNLOAD])
def test_everyone_else_is_refused_and_nothing_is_logged(world, as_user, audit_probe, who, url):
    probe = audit_probe()
    assert as_user(getattr(world, who)).get(url).status_code == 403
    assert probe.events() == []


@pytest.mark.parametrize("url", [LIST, DOWNLOAD])
def test_anonymous_visitors_are_sent_to_the_login_page(db, as_user, url):
    response = as_user(None).get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("url", [LIST, DOWNLOAD])
def test_only_get_is_allowed(world, as_user, url):
    assert as_user(world.bureau_admin).post(url).status_code == 405


def test_the_list_page_makes_the_same_number_of_queries_for_many_checkpoints(world, as_user):

    client = as_user(world.bureau_auditor)
    for _ in range(2):
        append(1)
        checkpoint_create(actor=system_actor("tests"))
    at_n = page_queries(client, LIST)  # the first GET warms the session and the key ring
    for _ in range(2):
        append(1)
        checkpoint_create(actor=system_actor("tests"))
    assert AuditCheckpoint.objects.count() == 4
    assert page_queries(client, LIST) == at_n


def test_the_download_is_a_self_describing_file_that_checks_offline_and_is_audited(world, as_user, audit_probe):
    for _ in range(3):
        append(2)
        checkpoint_create(actor=system_actor("tests"))
    probe = audit_probe()
    response = as_user(world.bureau_auditor).get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-checkpoints-')
    assert response["Content-Type"].startswith("application/jsonl")
    text = b"".join(response.streaming_content).decode("utf-8")
    header = json.loads(text.splitlines()[0])
    assert header["format"] == "skillcert.audit_checkpoints" and header["count"] == 3
    assert header["keys"] and "public_key" in header["keys"][0]
    entries = offline_check(text)
    assert [e["seq"] for e in entries] == list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True))
    [event] = probe.events()
    assert event.event_type == EventType.AUDIT_CHECKPOINTS_DOWNLOADED
    assert event.actor == world.bureau_auditor
    assert event.data == {"count": 3, "newest_seq": entries[-1]["seq"]}


def test_a_file_that_is_not_a_checkpoints_file_is_rejected_with_a_reason(db):
    with pytest.raises(CheckpointFileError, match="不是本系统导出"):
        checkpoints_file_read(['{"format": "other"}\n'])
    with pytest.raises(CheckpointFileError, match="第 2 行"):
        checkpoints_file_read(['{"format": "skillcert.audit_checkpoints", "version": 1}\n', "{oops\n"])
    with pytest.raises(CheckpointFileError, match="空的"):
        checkpoints_file_read([])
