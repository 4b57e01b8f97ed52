"""Who may do what on the bureau's pages. Bureau roles are global (auth groups)."""

from __future__ import annotations

from accounts.permissions import is_bureau, is_bureau_reader
from accounts.roles import BureauRole


def can_view_console(user) -> bool:
    """The audit console, timelines, statistics, risk flags and checkpoints: bureau readers."""
    return is_bureau_reader(user)


def can_view_risk(user) -> bool:
    return is_bureau_reader(user)


def can_handle_risk(user) -> bool:
    """Edit thresholds, run a scan, acknowledge and resolve flags: the bureau admin only."""
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_edit_subsidy_rules(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_download_checkpoints(user) -> bool:
    """The bureau's admins and auditors (the bureau readers), nobody else."""
    return is_bureau_reader(user)
