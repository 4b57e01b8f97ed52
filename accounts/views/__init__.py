"""Views of the accounts app: ``orgs`` (home, organisations, members, invitations) and
``security`` (sign-in, two-factor, password, lock-outs)."""

from accounts.views.orgs import home

__all__ = ["home"]
