"""Browser fixtures for the journeys in this folder (tests/browser.py)."""

from tests.browser import chromium, desktop, phone  # noqa: F401 - pytest finds fixtures by name here
