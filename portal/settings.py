"""Settings for the SkinTriage portal, read from environment variables (django-environ).

Development gets working defaults (SQLite, an embedded Celery transport, debug on); production
(`DJANGO_DEBUG=false`) requires a secret key and turns on every transport-security setting, so
`manage.py check --deploy` is clean. The same code runs everywhere; only the environment differs.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for developers; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Everything the running site writes (SQLite file, embedded broker queue, private media) lives in
# one folder that is easy to back up or wipe.
DATA_DIR = BASE_DIR / env.str("DATA_DIR", default="data")  # an absolute DATA_DIR stays absolute
DATA_DIR.mkdir(parents=True, exist_ok=True)

if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    # No default on purpose: a production process without a secret must refuse to start.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin: it adds the per-language fields (name_es, ...) of Disease and Faq.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "portal.accounts",
    "portal",
    "ml",
    "diagnosis",
    "triage",
    "chatbot",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
    "portal.middleware.ServiceUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not in-memory) test database, so a separate worker process can see the same rows.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})
    # Web and worker write concurrently; wait for the lock rather than fail at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # SQLite's default (DEFERRED) transaction reads first and asks for the write lock later; when
    # another connection already waits for it, SQLite answers "database is locked" at once rather
    # than wait out the timeout. IMMEDIATE takes the write lock at BEGIN, where the timeout applies,
    # and WAL lets readers go on while one connection writes.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django calls its password_changed() on every saved new password (web change,
    # reset, admin, changepassword), which revokes the user's API tokens.
    {"NAME": "portal.accounts.passwords.RevokeApiTokensOnPasswordChange"},
]
# A clinic shift, not Django's two weeks: a shared ward computer must not stay logged in for days.
SESSION_COOKIE_AGE = int(env.float("SESSION_HOURS", default=8) * 3600)
# Password-reset links name this host (and port), never the request's Host header.
SITE_DOMAIN = env.str("SITE_DOMAIN", default="127.0.0.1:8000")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Brute-force protection: lock a username from one address after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# PROXY_COUNT is how many reverse proxies stand in front of Django. Each appends the address it
# was reached from to X-Forwarded-For, so the client is the PROXY_COUNT-th entry from the right;
# entries further left are whatever the client sent and are ignored. django-ipware counts only
# the hops listed after the client, hence the minus one; non-strict so that a forged prefix
# does not drop the request back to the proxy's own address.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# --- E-mail (console by default; SMTP via EMAIL_URL, e.g. smtp+tls://user:pass@host:587) ------
_email = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SkinTriage <no-reply@skintriage.local>")
TRIAGE_ALERT_EMAIL = env.str("TRIAGE_ALERT_EMAIL", default="")
# The number the emergency message's tap-to-call button dials (112 works across Europe).
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="112")

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Disease and FAQ content per language (diagnosis/translation.py, chatbot/translation.py): an
# empty Spanish field reads as the English one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Day-first English dates ("12 Jan 2026"): portal/formats/en/formats.py.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Lesion photos are medical data: MEDIA_ROOT is never routed by urls.py nor by whitenoise; every
# image goes through an access-checked view.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": "/private-media-is-not-served/"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# Object storage for photos and heat maps, for more than one host: set S3_BUCKET (and the
# endpoint and keys of any S3-compatible server: SeaweedFS, MinIO, AWS). The bucket is private:
# objects get no ACL, and the app never hands out their URLs; every image is still served by the
# access-checked views, which read it through the storage API. Unset: the local MEDIA_ROOT.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    from botocore.config import Config as BotoConfig

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("S3_REGION", default="us-east-1"),
            "location": env.str("S3_PREFIX", default=""),
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            # Only signed, short-lived URLs if anything ever asks the storage for one.
            "querystring_auth": True,
            "querystring_expire": env.int("S3_URL_EXPIRE_SECONDS", default=60),
            "object_parameters": {"CacheControl": "private, no-store"},
            # Fail fast when the storage is down: the upload answers 503 and stores nothing.
            "client_config": BotoConfig(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
            ),
        },
    }

# Uploads: a hard byte cap enforced before the body is read (see diagnosis), and files over the
# memory threshold spool to disk instead of RAM.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=15 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
# A progressive JPEG from a camera or an editor has about 10 scans; each extra scan makes the
# decoder walk the whole picture again (20,000 of them cost a minute of CPU), so refuse beyond this.
UPLOAD_MAX_JPEG_SCANS = env.int("UPLOAD_MAX_JPEG_SCANS", default=100)
# The same photo sent again by the same patient within this many seconds (a double tap, a retry)
# answers with the submission it already made instead of opening another case; 0 turns it off.
DUPLICATE_UPLOAD_SECONDS = env.int("DUPLICATE_UPLOAD_SECONDS", default=60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Cache (throttling, shared by every process) --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _next_redis_db(url: str) -> str:
    """The same Redis server, the next database number: clearing the cache (FLUSHDB) must never
    wipe the Celery queue that lives in REDIS_URL's own database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=_next_redis_db(REDIS_URL)),
        }
    }
else:
    CACHES = {
        "default": {
            # Django's file cache with add and incr locked across processes: rate counters stay
            # exact with several web workers (portal.cache).
            "BACKEND": "portal.cache.LockedFileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------------------------
# With REDIS_URL the broker is Redis; without it an embedded file-system transport needs no
# server, yet the worker is still a separate process reading the same folder.
CELERY_FS_DIR = Path(env.str("CELERY_FS_DIR", default=str(DATA_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task taken by a worker that died is redelivered after this many seconds; the sweeper
        # (triage) re-queues stuck submissions sooner.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        # Publishing (the web process) gives up fast when Redis is down: the row is already
        # committed and the sweeper re-queues it, so a patient never waits on a dead broker.
        # Workers reconnect on their own schedule (broker_connection_max_retries).
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "socket_connect_timeout": 2,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    # kombu's file transport with atomic writes and a reader that survives a bad file (portal.broker).
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    # The worker refuses to start if the folders are missing (a fresh clone has none).
    for _folder in ("queue", "control"):
        (CELERY_FS_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_DIR / "queue"),
        "control_folder": str(CELERY_FS_DIR / "control"),
        "store_processed": False,
        # The file transport polls; 0.2 s keeps an embedded upload-to-result well under a second.
        "polling_interval": 0.2,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous API calls answer 401, not 403.
    # Tokens are django-rest-knox's: one per log-in (device), expiring, revocable.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api_common.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three defaults, with JSON parsed by a parser that answers 400 to deeply nested bodies.
    "DEFAULT_PARSER_CLASSES": [
        "portal.api_common.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api_common.Pagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=20),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# --- Rate limits (portal.ratelimits: django-ratelimit on the cache above, web and API alike) ---
RATE_LIMITS = {
    # Per user: uploads and chat messages, counted together across web pages and API.
    "upload": env.str("UPLOAD_RATE", default="30/h"),
    "chat": env.str("CHAT_RATE", default="120/h"),
    "conversation": env.str("CONVERSATION_RATE", default="30/h"),
    # Per client address, and per username or e-mail address: register, token, password reset.
    "auth": env.str("AUTH_RATE", default="30/m"),
    # Reset mails to one address: each is a real e-mail in someone's inbox.
    "reset_email": env.str("RESET_EMAIL_RATE", default="5/h"),
}
# API tokens: one per log-in, stored hashed, sent as `Authorization: Token <token>` (API.md).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("TOKEN_TTL_HOURS", default=10)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    # The schema maps every endpoint: for clinic staff and their integrators, not the public.
    "SERVE_PERMISSIONS": ["portal.api_common.CanTriage"],
    "TITLE": "SkinTriage API",
    "DESCRIPTION": "Skin-lesion decision support and triage. Results are not a diagnosis.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the sidecar package: no CDN, clinics may run on closed networks.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for the yes / no / unsure answers every question field shares.
    "ENUM_NAME_OVERRIDES": {"AnswerEnum": "diagnosis.models.Submission.Answer"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security headers -------------------------------------------------------------------------
# Every script and style is served by us (Bootstrap is vendored), so the policy can be strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Production is served over HTTPS only. The embedded run (`make run`, scripts/run-env.sh) has debug
# off too but serves plain HTTP on this machine, so it sets DJANGO_HTTPS=false.
HTTPS_ONLY = env.bool("DJANGO_HTTPS", default=not DEBUG)
# The container health check probes plain HTTP from inside; it must not be redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if HTTPS_ONLY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Product settings -------------------------------------------------------------------------
# Where the shipped models live; the registry (ml.models.ModelVersion) points into it.
MODEL_ROOT = Path(env.str("MODEL_ROOT", default=str(BASE_DIR / "ml" / "models")))
# How long a submission may sit in queued/processing before the sweeper re-queues it.
SUBMISSION_STUCK_SECONDS = env.int("SUBMISSION_STUCK_SECONDS", default=120)
# How often beat runs that sweeper is SWEEP_INTERVAL_SECONDS (default 30), read in portal/celery.py.
# Each worker records that it is alive every WORKER_HEARTBEAT_SECONDS and renews the lease of the
# submissions it is working on (portal.worker); /healthz fails when no worker reported within
# WORKER_STALE_SECONDS, and any worker re-queues a submission whose lease is older than
# SUBMISSION_LEASE_SECONDS (its worker died), beat or no beat.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5)
WORKER_STALE_SECONDS = env.float("WORKER_STALE_SECONDS", default=30)
SUBMISSION_LEASE_SECONDS = env.float("SUBMISSION_LEASE_SECONDS", default=15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Operations: Prometheus /metrics, the staff page /ops/, the drift alert (ops app) ---------
# One block on purpose: everything the ops app adds to the project's settings is here.
INSTALLED_APPS += ["django_prometheus", "ops"]
# django-prometheus times every request between these two; Before must run first, After last.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    *MIDDLEWARE,
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]
# Query counts, errors and latency per database (django-prometheus' wrappers of the same backends).
_INSTRUMENTED_ENGINES = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}
if env.bool("METRICS_DB_INSTRUMENT", default=True):
    DATABASES["default"]["ENGINE"] = _INSTRUMENTED_ENGINES.get(
        DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
    )
# /metrics answers the monitoring network (client address via django-ipware behind PROXY_COUNT),
# a scraper sending `Authorization: Bearer $METRICS_TOKEN`, or a staff session; else 403.
METRICS_ALLOWED_CIDRS = env.list("METRICS_ALLOWED_CIDRS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if not DEBUG:
    # Prometheus scrapes the web container over plain HTTP inside the deployment's own network.
    SECURE_REDIRECT_EXEMPT = [*SECURE_REDIRECT_EXEMPT, r"^metrics$"]
# Latency histograms cover submissions finished in this window; bucket bounds are upper limits.
OPS_LATENCY_WINDOW_HOURS = env.float("OPS_LATENCY_WINDOW_HOURS", default=24)
OPS_LATENCY_BUCKETS_SECONDS = (0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)
OPS_INFERENCE_BUCKETS_MS = (5, 10, 20, 50, 100, 200, 500, 1000, 2000)
# Drift alert: the last OPS_DRIFT_WINDOW_DAYS' level-2 share beyond x OPS_DRIFT_FACTOR of the
# model card's (either way), or the refusal rate above x OPS_DRIFT_REFUSAL_FACTOR of the card's
# false-refusal rate, with at least OPS_DRIFT_MIN_SAMPLES cases; e-mailed at most once a day.
OPS_DRIFT_WINDOW_DAYS = env.int("OPS_DRIFT_WINDOW_DAYS", default=7)
OPS_DRIFT_FACTOR = env.float("OPS_DRIFT_FACTOR", default=1.5)
OPS_DRIFT_REFUSAL_FACTOR = env.float("OPS_DRIFT_REFUSAL_FACTOR", default=3.0)
OPS_DRIFT_MIN_SAMPLES = env.int("OPS_DRIFT_MIN_SAMPLES", default=30)
# Merged into the Celery app's beat_schedule by ops/apps.py (portal/celery.py sets its own).
OPS_BEAT_SCHEDULE = {
    "ops-check-drift": {
        "task": "ops.tasks.check_drift",
        "schedule": env.float("OPS_DRIFT_CHECK_SECONDS", default=3600),
    },
}

# --- Patient identity and consent (portal.accounts) --------------------------------------------
# One block on purpose: everything identity and consent add to the project's settings is here.
INSTALLED_APPS += ["phonenumber_field"]
# What web sign-up and the profile insist on: any of full_name, date_of_birth, phone, email,
# preferred_contact (a clinic that phones its patients needs the phone, another may not).
PATIENT_REQUIRED_FIELDS = env.list("PATIENT_REQUIRED_FIELDS", default=["full_name", "date_of_birth", "phone"])
# Numbers typed without a +country code are read as this region's (django-phonenumber-field).
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="GB")
# The privacy notice in force; a new version asks patients to consent again before uploading.
PRIVACY_NOTICE_VERSION = env.str("PRIVACY_NOTICE_VERSION", default="2026-12")
