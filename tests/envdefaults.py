"""Loaded by pytest before Django settings (``-p tests.envdefaults``): test-run defaults.

Settings stay env-driven; this only fills in what a developer's shell does not set. CI sets
DATABASE_URL and REDIS_URL itself, so the same suite runs on PostgreSQL and Redis there.
"""

import os
import secrets
import tempfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

if not os.environ.get("SECRET_KEY") and not os.environ.get("SECRET_KEY_FILE"):
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(64)
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
# Tests run tasks eagerly unless a test starts a real worker against the broker itself.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
# The admin is routed only when asked for (off in production); its tests need it routed.
os.environ.setdefault("SKILLCERT_ADMIN_ENABLED", "1")
# Media and keys of a test run never touch var/ of the developer's demo.
os.environ.setdefault("SKILLCERT_VAR_DIR", tempfile.mkdtemp(prefix="skillcert-test-"))
