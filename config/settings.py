"""SkillCert settings: one file, read from the environment through ``config.env``.

Embedded default (nothing set): SQLite in ``var/``, Celery tasks run eagerly in-process, local
media, zh-hans, Asia/Shanghai. Production: ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL``/``REDIS_URL`` (Redis), ``SECRET_KEY`` (or ``SECRET_KEY_FILE``), HTTPS on.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    parse_database_url,
    sqlite_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("SKILLCERT_VAR_DIR", BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY", "")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off. "
            "`make run` and `make test` create var/secret_key for local use."
        )
    # Development only: a random key kept in var/ so sessions survive restarts.
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "config.web.csrf_failure"
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "accounts",
    "audit",
    "certify",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.MustChangePasswordMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": parse_database_url(_database_url)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": sqlite_config(VAR_DIR / "db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (rate limits and progress live here; Redis when shared by several processes) ----
REDIS_URL = env_str("REDIS_URL", "")
_cache_url = env_str("CACHE_URL", REDIS_URL)
if _cache_url:
    if not _cache_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis:// URL.")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "skillcert"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row (see stack notes)
GUARDIAN_RAISE_403 = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True

# --- HTTPS and headers ------------------------------------------------------------------
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_FOR = env_bool("USE_X_FORWARDED_FOR", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")  # private: served only through views
MEDIA_URL = "/media/"
_static_manifest = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _static_manifest
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (development, tests) WhiteNoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not _static_manifest
WHITENOISE_AUTOREFRESH = not _static_manifest

# --- uploads: what a request and a file may cost (certify.excel.limits, certify.images) ----
_MIB = 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * _MIB, minimum=0)  # larger: temp file
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * _MIB, minimum=_MIB)  # form fields
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 10, minimum=1)  # every form sends one
# The first handler keeps one byte past SKILLCERT_UPLOAD_MAX_BYTES of each file and drops the rest,
# so an oversized upload costs neither memory nor disk and every size check refuses it by name.
FILE_UPLOAD_HANDLERS = [
    "certify.views.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# The largest file any page takes (imports). At least the photo's 5 MB: a photo cut at this cap
# would otherwise be refused as damaged rather than as too large.
SKILLCERT_UPLOAD_MAX_BYTES = env_int("SKILLCERT_UPLOAD_MAX_BYTES", 10 * _MIB, minimum=5 * _MIB)
# An .xlsx, checked from its zip directory and streamed parts before openpyxl reads it. A 20,000-row
# roster on the system's template (bench/uploads.py): 1.4 MB, a 16 MB sheet, 380,000 cells, 6 s.
SKILLCERT_UPLOAD_XLSX_PART_MAX_BYTES = env_int("SKILLCERT_UPLOAD_XLSX_PART_MAX_BYTES", 50 * _MIB, minimum=_MIB)
SKILLCERT_UPLOAD_XLSX_UNPACKED_MAX_BYTES = env_int("SKILLCERT_UPLOAD_XLSX_UNPACKED_MAX_BYTES", 100 * _MIB, minimum=_MIB)
SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_BYTES = env_int(
    "SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_BYTES", 32 * _MIB, minimum=_MIB
)
SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_ITEMS = env_int("SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_ITEMS", 400_000, minimum=1000)
# Rows and cells of a sheet as openpyxl returns them (empty rows and padding included), or of a CSV.
SKILLCERT_UPLOAD_SHEET_MAX_ROWS = env_int("SKILLCERT_UPLOAD_SHEET_MAX_ROWS", 100_000, minimum=1000)
SKILLCERT_UPLOAD_SHEET_MAX_CELLS = env_int("SKILLCERT_UPLOAD_SHEET_MAX_CELLS", 1_000_000, minimum=10_000)
# openpyxl runs in a child process that may grow by this much (that 20,000-row roster needs 32 MB
# more) and run this long (gunicorn kills a worker at 60 s).
SKILLCERT_UPLOAD_PARSE_MAX_MEMORY_BYTES = env_int(
    "SKILLCERT_UPLOAD_PARSE_MAX_MEMORY_BYTES", 256 * _MIB, minimum=64 * _MIB
)
SKILLCERT_UPLOAD_PARSE_TIMEOUT_SECONDS = env_int("SKILLCERT_UPLOAD_PARSE_TIMEOUT_SECONDS", 20, minimum=1, maximum=600)
# Pixels of a photo or seal, read from the image header before any pixel is decoded.
SKILLCERT_UPLOAD_PHOTO_MAX_PIXELS = env_int("SKILLCERT_UPLOAD_PHOTO_MAX_PIXELS", 12_000_000, minimum=200 * 280)
SKILLCERT_UPLOAD_SEAL_MAX_PIXELS = env_int("SKILLCERT_UPLOAD_SEAL_MAX_PIXELS", 4_000_000, minimum=200 * 200)

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", 400_000, minimum=50_000)  # KiB
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # a signed checkpoint of the audit chain every hour, a full verification every night
    "audit-checkpoint": {"task": "audit.tasks.audit_checkpoint", "schedule": crontab(minute=5)},
    "audit-verify-nightly": {"task": "audit.tasks.audit_verify", "schedule": crontab(hour=2, minute=30)},
    "risk-scan": {"task": "audit.risk.scan_risks", "schedule": crontab(hour=3, minute=0)},
    "filings-expire": {"task": "certify.tasks.expire_filings", "schedule": crontab(hour=0, minute=10)},
}

# --- history ----------------------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- SkillCert domain defaults ([D] in the domain reference: configuration, never code) ---
SKILLCERT_REGION_CODE = env_str("SKILLCERT_REGION_CODE", "441900")
SKILLCERT_PROVINCE_CODE = env_str("SKILLCERT_PROVINCE_CODE", "44")
SKILLCERT_PLAN_LEAD_WORKING_DAYS = env_int("SKILLCERT_PLAN_LEAD_WORKING_DAYS", 5, minimum=0, maximum=60)
SKILLCERT_PUBLICITY_WORKING_DAYS = env_int("SKILLCERT_PUBLICITY_WORKING_DAYS", 5, minimum=1, maximum=60)
SKILLCERT_RENEWAL_WINDOW_MONTHS = env_int("SKILLCERT_RENEWAL_WINDOW_MONTHS", 3, minimum=1, maximum=24)
SKILLCERT_RENEWAL_MIN_PLANS = env_int("SKILLCERT_RENEWAL_MIN_PLANS", 6, minimum=0)

# --- signing keys and personal-data encryption (certify.signing, certify.pii) ------------
# Private keys live in files outside the database and the repository; back them up separately.
SKILLCERT_CERT_KEYS_DIR = env_path("SKILLCERT_CERT_KEYS_DIR", VAR_DIR / "keys" / "certificate")
SKILLCERT_AUDIT_KEYS_DIR = env_path("SKILLCERT_AUDIT_KEYS_DIR", VAR_DIR / "keys" / "audit")


def _pii_keys() -> dict[str, str] | None:
    """SKILLCERT_PII_KEYS="kid1:base64key,kid2:base64key" (32-byte keys); unset → var/keys/pii.json."""
    items = env_list("SKILLCERT_PII_KEYS", [])
    if not items:
        return None
    keys = {}
    for item in items:
        kid, sep, value = item.partition(":")
        if not sep or not kid.strip() or not value.strip():
            raise ImproperlyConfigured("SKILLCERT_PII_KEYS must look like kid1:base64key,kid2:base64key.")
        keys[kid.strip()] = value.strip()
    return keys


SKILLCERT_PII_KEYS = _pii_keys()
SKILLCERT_PII_ACTIVE_KID = env_str("SKILLCERT_PII_ACTIVE_KID", "") or None
SKILLCERT_PII_HMAC_KEY = env_str("SKILLCERT_PII_HMAC_KEY", "") or None  # base64, at least 32 bytes

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        "celery.app.trace": {"level": env_str("CELERY_TRACE_LOG_LEVEL", "WARNING")},
    },
}
