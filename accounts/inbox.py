"""The task inbox of the home pages: what this person must do next, with counts and links.

The apps above accounts (certify, bureau) know the work; accounts knows only the person and their
organisations. So each app provides its items through a selector function named in the
``INBOX_PROVIDERS`` setting (``config/settings.py``), and this registry asks them in turn:

- an organisation provider is called as ``provider(user, organizations)`` with the organisations
  the user is a member of, and returns ``InboxItem`` rows, each naming its organisation;
- a bureau provider is called as ``provider(user)`` and returns the bureau's rows (no organisation),
  and the figures of the bureau home's tiles (``tile``).

Providers only read; each scopes its queries to the organisations it was given and counts with
aggregates, so the queries of a home page do not grow with the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.models import Organization


@dataclass(frozen=True)
class InboxItem:
    """One line of an inbox: ``count`` things to do, the page where they are done."""

    key: str  # stable name, e.g. "plan.file" (tests and tiles look items up by it)
    label: str
    count: int
    url: str
    unit: str = ""  # 个计划, 名考生 …
    note: str = ""  # a further word, e.g. 将于 12 天后到期
    organization_id: int | None = None
    tile: str = ""  # the bureau home tile that shows this count
    task: bool = True  # False: a figure for a tile only, not something to do


@dataclass
class InboxGroup:
    """The items of one organisation (or of the bureau, ``organization`` None)."""

    title: str
    organization: Organization | None = None
    items: list[InboxItem] = field(default_factory=list)

    def get(self, key: str) -> InboxItem | None:
        return next((item for item in self.items if item.key == key), None)


def _providers(kind: str) -> list:
    return [import_string(path) for path in settings.INBOX_PROVIDERS.get(kind, ())]


def organization_inbox(user, organizations: Iterable[Organization]) -> list[InboxGroup]:
    """One group per organisation that has something to do, in the order given."""
    organizations = list(organizations)
    if not organizations:
        return []
    by_org: dict[int, list[InboxItem]] = {org.pk: [] for org in organizations}
    for provider in _providers("organization"):
        for item in provider(user, organizations):
            if item.count and item.organization_id in by_org:
                by_org[item.organization_id].append(item)
    return [InboxGroup(org.name, org, by_org[org.pk]) for org in organizations if by_org[org.pk]]


def bureau_inbox(user) -> tuple[InboxGroup, dict[str, InboxItem]]:
    """The bureau's tasks (non-zero counts) and every tile figure, by tile name."""
    items: list[InboxItem] = []
    for provider in _providers("bureau"):
        items.extend(provider(user))
    tiles = {item.tile: item for item in items if item.tile}
    return InboxGroup("", None, [item for item in items if item.task and item.count]), tiles
