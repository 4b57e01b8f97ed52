"""The shared person registry, as one organisation may see it.

A ``Person`` is global: the same worker can be assessed by several employers. That makes the
registry an oracle unless every answer stays inside the asking organisation: what another
organisation holds — a name, its own name, a plan, a certificate — never appears in a message.
A registration whose name does not match the registry is refused in neutral words, written to
the audit trail (after the refused transaction rolls back, so the record survives it) and counted
against the organisation and the clerk; past the limit, registration pauses. Duplicates across
organisations become a risk flag for the bureau (``audit.risk`` rule ``cross_org_duplicate``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from audit.events import EventType
from audit.services import audit_append
from certify.models import AssessmentPlan, Enrolment, Person
from lib.identifiers import mask_name


def person_known_to(person: Person, organization: Organization) -> bool:
    """Has this organisation itself registered the person (so it may see its own record of them)?"""
    return Enrolment.objects.filter(person=person, organization=organization).exists()


def name_mismatch_message(person: Person, organization: Organization, typed: str) -> str:
    """Refusal for a name that differs from the registry: the organisation's own record of the
    person may be quoted (masked); another organisation's never is."""
    if person_known_to(person, organization):
        return _("该证件号码在本机构已登记的姓名为「%(known)s」，与填写的「%(given)s」不一致，请核对") % {
            "known": mask_name(person.name),
            "given": typed,
        }
    return _("证件号码与姓名不一致，请对照证件原件核对后重新填写；确属姓名变更的，请联系人社局更正")


def _counters(actor: User, organization: Organization) -> list[tuple[str, int]]:
    """(cache key, limit) for the clerk and for the organisation."""
    return [
        (f"registry-mismatch:user:{organization.pk}:{actor.pk}", settings.SKILLCERT_REGISTRY_MISMATCH_LIMIT),
        (f"registry-mismatch:org:{organization.pk}", settings.SKILLCERT_REGISTRY_MISMATCH_ORG_LIMIT),
    ]


def registry_guard(*, actor: User, organization: Organization) -> None:
    """Refuse registering while this clerk or organisation is past its limit of mismatches."""
    hours = max(1, settings.SKILLCERT_REGISTRY_MISMATCH_WINDOW_SECONDS // 3600)
    for key, limit in _counters(actor, organization):
        if (cache.get(key) or 0) >= limit:
            raise ValidationError(
                _(
                    "证件号码与姓名不一致的登记次数过多，为保护个人信息，登记已暂停（最长 %(h)d 小时）。"
                    "请核对名单后再试；如有疑问请联系人社局。"
                )
                % {"h": hours}
            )


@transaction.atomic
def registry_mismatch_record(*, actor: User, plan: AssessmentPlan, mismatches: int) -> None:
    """One audit event for a refused registration's failed matches, and the counters (a window
    that starts at the first failure, in the shared cache)."""
    window = settings.SKILLCERT_REGISTRY_MISMATCH_WINDOW_SECONDS
    for key, _limit in _counters(actor, plan.organization):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key, mismatches)
        except ValueError:  # expired between add and incr
            cache.add(key, mismatches, timeout=window)
    audit_append(
        actor=actor,
        event_type=EventType.REGISTRY_MISMATCH,
        target=plan,
        organization=plan.organization,
        data={"plan": plan.number, "mismatches": mismatches},
    )


@contextlib.contextmanager
def registry_watch(*, actor: User, plan: AssessmentPlan) -> Iterator[list]:
    """Guard a registration and record its failed matches whatever happens to its transaction.

    Use around the registering transaction: ``with registry_watch(...) as mismatches:``; the code
    inside appends one item per row whose name did not match the registry.
    """
    registry_guard(actor=actor, organization=plan.organization)
    mismatches: list = []
    try:
        yield mismatches
    finally:
        if mismatches:
            registry_mismatch_record(actor=actor, plan=plan, mismatches=len(mismatches))
