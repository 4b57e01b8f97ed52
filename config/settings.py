"""SkillCert settings: one file, read from the environment through ``config.env``.

Embedded default (nothing set): SQLite in ``var/``, Celery tasks run eagerly in-process, local
media, zh-hans, Asia/Shanghai. Production: ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL``/``REDIS_URL`` (Redis), ``SECRET_KEY`` (or ``SECRET_KEY_FILE``), HTTPS on.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_decimal,
    env_int,
    env_list,
    env_path,
    env_str,
    parse_database_url,
    sqlite_config,
)
from lib.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, private_file
from lib.levels import DEFAULT_LEVELS

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
CSRF_FAILURE_VIEW = "lib.web.csrf_failure"
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
    # before accounts, whose admin module takes their editable device admins out
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    # after accounts, so a failed sign-in is recorded before the lock-out it may start
    "axes",
    "audit",
    "certify",
    "bureau",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # early, so sign-outs by the session timeout are recorded with the client's address too
    "audit.middleware.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.AccountGateMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # last: turns a lock-out flagged during authenticate() into the lock-out page
    "axes.middleware.AxesMiddleware",
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
    DATABASES = {"default": sqlite_config(private_file(VAR_DIR / "db.sqlite3"))}
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
    # first: refuses every authenticate() call (site login, admin login) while locked out
    "axes.backends.AxesStandaloneBackend",
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
    {"NAME": "accounts.validators.DifferentFromCurrentPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
# The absolute limit of a sign-in (accounts.middleware.SessionTimeoutMiddleware enforces it from
# the moment of sign-in, whatever the activity); the idle limit ends a session left unattended.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SKILLCERT_SESSION_IDLE_MINUTES = env_int("SKILLCERT_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)

# --- sign-in throttling (django-axes; accounts.throttle) ----------------------------------
# Failures are counted in the database, which every web process shares, per (normalised
# username, client address): a stranger elsewhere cannot lock a user out. A coarser limit per
# address stops one address from walking many usernames. Successful sign-ins are not counted.
SKILLCERT_LOGIN_FAILURE_LIMIT = env_int("SKILLCERT_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("SKILLCERT_LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
SKILLCERT_LOGIN_COOLOFF_MINUTES = env_int("SKILLCERT_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=24 * 60)
AXES_ENABLED = True
AXES_HANDLER = "accounts.throttle.LoginThrottleHandler"
AXES_FAILURE_LIMIT = SKILLCERT_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SKILLCERT_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.throttle.throttle_username"
AXES_CLIENT_IP_CALLABLE = "audit.middleware.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit chain already
AXES_ENABLE_ADMIN = False  # the admin could delete attempts without an audit event

# --- two-factor sign-in (django-otp: TOTP and recovery codes) ----------------------------
# Roles whose holders must set up two-factor sign-in before anything else: any of org_admin,
# operator, assessor, reviewer, viewer, bureau_admin, bureau_auditor, supervisor, or "bureau"
# for every bureau role. Empty: two-factor sign-in is each user's choice.
SKILLCERT_REQUIRE_2FA_ROLES = env_list("SKILLCERT_REQUIRE_2FA_ROLES", [])
OTP_TOTP_ISSUER = env_str("SKILLCERT_OTP_ISSUER", "SkillCert")
SKILLCERT_OTP_RECOVERY_CODES = 10

# --- membership invitations ---------------------------------------------------------------
SKILLCERT_INVITATION_DAYS = env_int("SKILLCERT_INVITATION_DAYS", 14, minimum=1, maximum=365)

# --- processes (accounts.checks: more than one process needs the shared Redis cache) ---------
# gunicorn reads the same variable as its default number of workers.
WEB_CONCURRENCY = env_int("WEB_CONCURRENCY", 1, minimum=1)

# The Django admin is an inspection tool; in production it is routed only when asked for.
SKILLCERT_ADMIN_ENABLED = env_bool("SKILLCERT_ADMIN_ENABLED", DEBUG)

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
# Reverse proxies in front of the app that append the address they saw to X-Forwarded-For: the
# client address is taken that many entries from the right (audit.middleware.client_ip); the
# entries further left are whatever the client sent. 0: REMOTE_ADDR only. The old
# USE_X_FORWARDED_FOR=1 means one proxy.
SKILLCERT_TRUSTED_PROXIES = env_int(
    "SKILLCERT_TRUSTED_PROXIES", 1 if env_bool("USE_X_FORWARDED_FOR", False) else 0, minimum=0, maximum=10
)
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
# Photos, seals and certificates are personal data: readable by the app's own user only.
FILE_UPLOAD_PERMISSIONS = PRIVATE_FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = PRIVATE_DIR_MODE

# --- uploads: what a request and a file may cost (lib.excel.limits, lib.images) ----
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
    "risk-scan": {"task": "bureau.tasks.scan_risks", "schedule": crontab(hour=3, minute=0)},
    "filings-expire": {"task": "certify.tasks.expire_filings", "schedule": crontab(hour=0, minute=10)},
    "issuance-reconcile": {"task": "certify.tasks.reconcile_issuance", "schedule": crontab(minute="*/5")},
}

# --- audit --------------------------------------------------------------------------------
# The role an audit event records for a person (the log itself knows no roles).
AUDIT_ACTOR_ROLE = "accounts.permissions.actor_role"

# --- history ----------------------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- SkillCert domain defaults ([D] in the domain reference: configuration, never code) ---
SKILLCERT_REGION_CODE = env_str("SKILLCERT_REGION_CODE", "441900")
SKILLCERT_PROVINCE_CODE = env_str("SKILLCERT_PROVINCE_CODE", "44")
SKILLCERT_PLAN_LEAD_WORKING_DAYS = env_int("SKILLCERT_PLAN_LEAD_WORKING_DAYS", 5, minimum=0, maximum=60)
SKILLCERT_PUBLICITY_WORKING_DAYS = env_int("SKILLCERT_PUBLICITY_WORKING_DAYS", 5, minimum=1, maximum=60)
SKILLCERT_RENEWAL_WINDOW_MONTHS = env_int("SKILLCERT_RENEWAL_WINDOW_MONTHS", 3, minimum=1, maximum=24)
# Results are published (公示 starts) within this many working days after the exam ends (domain.md
# §4, the Shenzhen rule); a later start is recorded and the bureau's risk scan flags it.
SKILLCERT_RESULTS_PUBLICITY_WORKING_DAYS = env_int(
    "SKILLCERT_RESULTS_PUBLICITY_WORKING_DAYS", 10, minimum=1, maximum=60
)
# After recusals every candidate keeps at least the standard's minimum practical panel; whether that
# remaining panel must also be odd. Panels are set per plan, so one recusal from an odd panel always
# leaves an even one: on, a single recusal must be matched by another or the panel re-formed.
SKILLCERT_RECUSAL_PANEL_MUST_BE_ODD = env_bool("SKILLCERT_RECUSAL_PANEL_MUST_BE_ODD", False)
# The skill levels an installation certifies: (code printed in the number, wording, English). The
# five national levels by default; a Python setting, not an environment variable (lib/levels.py).
SKILLCERT_LEVELS = DEFAULT_LEVELS

# What a new evaluation standard level starts with (copied into its row when drafted, so a later
# change never alters a published standard).
SKILLCERT_PASS_MARK = env_decimal("SKILLCERT_PASS_MARK", Decimal("60"), minimum=Decimal(0), maximum=Decimal(100))
SKILLCERT_MIN_PRACTICAL_ASSESSORS = env_int("SKILLCERT_MIN_PRACTICAL_ASSESSORS", 3, minimum=1, maximum=20)
SKILLCERT_CANDIDATES_PER_ASSESSOR = env_int("SKILLCERT_CANDIDATES_PER_ASSESSOR", 5, minimum=1, maximum=100)
SKILLCERT_CANDIDATES_PER_INVIGILATOR = env_int("SKILLCERT_CANDIDATES_PER_INVIGILATOR", 15, minimum=1, maximum=100)
SKILLCERT_MIN_INVIGILATORS_PER_ROOM = env_int("SKILLCERT_MIN_INVIGILATORS_PER_ROOM", 2, minimum=1, maximum=20)
SKILLCERT_MIN_REVIEW_PANEL = env_int("SKILLCERT_MIN_REVIEW_PANEL", 3, minimum=1, maximum=20)
SKILLCERT_THEORY_MINUTES = env_int("SKILLCERT_THEORY_MINUTES", 90, minimum=1, maximum=24 * 60)
SKILLCERT_PRACTICAL_MINUTES = env_int("SKILLCERT_PRACTICAL_MINUTES", 120, minimum=1, maximum=24 * 60)
# The comprehensive review's sub-scores and weights (a Python setting: names are Chinese text).
SKILLCERT_REVIEW_SUBSCORES = (("个人素质", 30), ("工作业绩", 40), ("创新能力", 30))

# Rows one roster or score file may carry; risk rules look this many days back.
SKILLCERT_IMPORT_MAX_ROWS = env_int("SKILLCERT_IMPORT_MAX_ROWS", 5000, minimum=1, maximum=100_000)
SKILLCERT_RISK_WINDOW_DAYS = env_int("SKILLCERT_RISK_WINDOW_DAYS", 35, minimum=1, maximum=3650)

# The holder's own copy (/v/<number>/copy): every COPY_FAILURES_PER_LOCK wrong 查验码/name answers
# lock that certificate's copy, for COPY_LOCK_SECONDS the first time, doubling up to the maximum.
SKILLCERT_COPY_FAILURES_PER_LOCK = env_int("SKILLCERT_COPY_FAILURES_PER_LOCK", 5, minimum=1, maximum=50)
SKILLCERT_COPY_LOCK_SECONDS = env_int("SKILLCERT_COPY_LOCK_SECONDS", 900, minimum=60)
SKILLCERT_COPY_LOCK_MAX_SECONDS = env_int("SKILLCERT_COPY_LOCK_MAX_SECONDS", 86_400, minimum=60)

# An organisation's revocation of a certificate (which cannot be undone) is a request that a second
# person — a reviewer or the organisation's admin — approves, as a 定级 application is; the bureau's
# own revocation stays one step. Off: whoever may change certificates revokes in one step.
SKILLCERT_REVOCATION_NEEDS_APPROVAL = env_bool("SKILLCERT_REVOCATION_NEEDS_APPROVAL", True)

# Issuing jobs left in progress this long (a worker killed, a message lost) are queued again by the
# reconciler (Celery beat); after this many re-queues without finishing they are recorded as failed.
SKILLCERT_STUCK_AFTER_MINUTES = env_int("SKILLCERT_STUCK_AFTER_MINUTES", 15, minimum=1)
SKILLCERT_STUCK_MAX_REQUEUES = env_int("SKILLCERT_STUCK_MAX_REQUEUES", 3, minimum=1)

# The shared person registry: registrations whose name does not match a known ID number are
# refused, audited and counted; past these limits (per clerk, per organisation) registering pauses.
SKILLCERT_REGISTRY_MISMATCH_LIMIT = env_int("SKILLCERT_REGISTRY_MISMATCH_LIMIT", 10, minimum=1)
SKILLCERT_REGISTRY_MISMATCH_ORG_LIMIT = env_int("SKILLCERT_REGISTRY_MISMATCH_ORG_LIMIT", 30, minimum=1)
SKILLCERT_REGISTRY_MISMATCH_WINDOW_SECONDS = env_int("SKILLCERT_REGISTRY_MISMATCH_WINDOW_SECONDS", 86_400, minimum=60)

# --- the task inbox of the home pages (accounts.inbox) ---------------------------------------
# Each app's inbox selector, asked by accounts (which may not import the apps above it).
INBOX_PROVIDERS = {"organization": ["certify.inbox.organization_items"], "bureau": ["bureau.inbox.bureau_items"]}
# A filing is shown as 将于 N 天后到期 (and put in the inbox to renew) this many days before it ends;
# an organisation that has created no plan for ORG_IDLE_DAYS is listed to the bureau as without activity.
SKILLCERT_FILING_EXPIRY_NOTICE_DAYS = env_int("SKILLCERT_FILING_EXPIRY_NOTICE_DAYS", 90, minimum=1, maximum=730)
SKILLCERT_ORG_IDLE_DAYS = env_int("SKILLCERT_ORG_IDLE_DAYS", 180, minimum=30, maximum=3650)

# --- signing keys and personal-data encryption (certify.signing, certify.pii) ------------
# Private keys live in files outside the database and the repository; back them up separately.
# The 仿宋 face of the certificate's fill-in text (scripts/setup.sh installs texlive-lang-chinese).
SKILLCERT_PDF_FANGSONG_FONT = env_path(
    "SKILLCERT_PDF_FANGSONG_FONT",
    Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf"),
)
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
# Only while `manage.py pii_rotate` rebuilds the lookup hashes after a new SKILLCERT_PII_HMAC_KEY.
SKILLCERT_PII_HMAC_KEY_PREVIOUS = env_str("SKILLCERT_PII_HMAC_KEY_PREVIOUS", "") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals_one_line": {"()": "lib.web.RefusalsOneLineFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # a refused request (403) is routine: one line, not a traceback
        "django.request": {"filters": ["refusals_one_line"]},
        "weasyprint": {"level": "ERROR"},
        "axes": {"level": "WARNING"},  # one line per failed sign-in is enough; successes are audited
        "fontTools": {"level": "WARNING"},
        "celery.app.trace": {"level": env_str("CELERY_TRACE_LOG_LEVEL", "WARNING")},
    },
}
