"""Django settings. Everything a deployment changes comes from NETCOURT_* environment variables."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from netcourt.core.private import private_dir

django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("NETCOURT_DATA_DIR", "var")).resolve()
private_dir(DATA_DIR)  # the database, keys and files: the server's alone


def _generated_secret(variable: str, file_name: str) -> str:
    """The secret in ``variable``; unset, one generated once into the data directory."""
    from_env = os.environ.get(variable)
    if from_env:
        return from_env
    key_file = DATA_DIR / file_name
    if not key_file.exists():
        # Write the whole key aside, then link it into place: a second process starting at
        # the same moment either wins the link or reads the complete key of the winner.
        fd, tmp = tempfile.mkstemp(dir=DATA_DIR, prefix=f".{file_name}.")
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return key_file.read_text().strip()


SECRET_KEY = _generated_secret("NETCOURT_SECRET_KEY", "secret_key")
DEBUG = os.environ.get("NETCOURT_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("NETCOURT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("NETCOURT_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("NETCOURT_DATABASE_URL", f"sqlite:///{DATA_DIR / 'netcourt.sqlite3'}"),
        conn_max_age=0,
    )
}
# Requests a server process serves at once, each in a worker thread (netcourt.core.asgi);
# more wait on the event loop for a thread.
NETCOURT_REQUEST_THREADS = int(os.environ.get("NETCOURT_REQUEST_THREADS", "20"))
# The threads that read downloads (streamed responses), shared by all of a server process's
# downloads: each chunk read, and each closing, is a task of its own, so a slow client holds
# no thread between chunks; more tasks wait their turn (netcourt.core.asgi).
NETCOURT_DOWNLOAD_THREADS = int(os.environ.get("NETCOURT_DOWNLOAD_THREADS", "8"))
if NETCOURT_DOWNLOAD_THREADS < 1:
    raise ImproperlyConfigured("NETCOURT_DOWNLOAD_THREADS is a number of threads, at least 1")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection for each request thread, and a few for the log's sequencer, the hearing
    # rooms and the downloads being read, so no request waits for one.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": NETCOURT_REQUEST_THREADS + 4, "timeout": 20}
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with a connection pool and a fair writer lock (see its module).
    DATABASES["default"]["ENGINE"] = "netcourt.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # netcourt.web comes first so that its templates win: allauth/layouts/base.html, and
    # admin/base_site.html (which extends the admin's own).
    "netcourt.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "netcourt.core",
    "netcourt.accounts",
    "netcourt.courts",
    "netcourt.cases",
    "netcourt.payments",
    "netcourt.paysandbox",
    "netcourt.transparency",
    "netcourt.evidence",
    "netcourt.service",
    "netcourt.hearings",
]

# A form sent without its CSRF token: the site's own page (netcourt.web.errors).
CSRF_FAILURE_VIEW = "netcourt.web.errors.csrf_failure"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "netcourt.core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "netcourt.accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "netcourt.accounts.mfa.SecondFactorMiddleware",
    "netcourt.web.errors.api_method_not_allowed",
]

ROOT_URLCONF = "netcourt.core.urls"
ASGI_APPLICATION = "netcourt.core.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
                "netcourt.web.context.site",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("NETCOURT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_USER_DISPLAY = str
ACCOUNT_FORMS = {"signup": "netcourt.accounts.forms.SignupForm"}
MFA_FORMS = {
    "add_webauthn": "netcourt.accounts.forms.AddSecurityKeyForm",
    "edit_webauthn": "netcourt.accounts.forms.EditSecurityKeyForm",
}
# Second factors (netcourt.accounts.mfa): authenticator apps (TOTP), security keys and
# passkeys (WebAuthn; a passkey also signs in on its own), and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "netcourt"
# A second factor only on a verified address (allauth's default): otherwise someone could
# register another person's address and keep a passkey on it after the owner takes it back.
# The back office marks the addresses of the accounts it makes as verified.
MFA_ALLOW_UNVERIFIED_EMAIL = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("NETCOURT_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = os.environ.get(
    "NETCOURT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("NETCOURT_FROM_EMAIL", "court@netcourt.localhost")
EMAIL_HOST = os.environ.get("NETCOURT_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("NETCOURT_SMTP_PORT", "25"))
EMAIL_TIMEOUT = int(os.environ.get("NETCOURT_SMTP_TIMEOUT", "10"))

# Cookies ignore the port: two instances on one host would sign each other out. The cookie
# names carry a short digest of the data directory unless a deployment names them.
_INSTANCE = hashlib.sha256(str(DATA_DIR).encode()).hexdigest()[:8]
SESSION_COOKIE_NAME = os.environ.get(
    "NETCOURT_SESSION_COOKIE_NAME", f"netcourt_session_{_INSTANCE}"
)
CSRF_COOKIE_NAME = os.environ.get("NETCOURT_CSRF_COOKIE_NAME", f"netcourt_csrf_{_INSTANCE}")
SESSION_COOKIE_HTTPONLY = True
# Flash messages name people ("Successfully signed in as …"): kept in the session, on the
# server and per instance, not in a cookie of their own (signed, not encrypted).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = os.environ.get("NETCOURT_HTTPS", "0") == "1"

NETCOURT_DEFAULT_PACK = os.environ.get("NETCOURT_PACK", "cn_internet_court")
# Raise the identity assurance a pack event needs, e.g. {"submit": "eid_verified"} (never lower).
NETCOURT_ASSURANCE: dict[str, str] = json.loads(os.environ.get("NETCOURT_ASSURANCE", "{}"))
# The OpenID Connect eID provider for identity verification (netcourt.accounts.oidc): a JSON
# object (issuer, client_id, client_secret, claims, ...); unset, there is none.
NETCOURT_EID: dict[str, Any] | None = json.loads(os.environ.get("NETCOURT_EID") or "null")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No secret of a link (a served document's, a calendar address) in a request's log line.
    "filters": {"mask_secrets": {"()": "netcourt.core.logs.MaskSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        name: {"filters": ["mask_secrets"]} for name in ("django.request", "django.security.csrf")
    },
    "root": {"handlers": ["console"], "level": os.environ.get("NETCOURT_LOG_LEVEL", "WARNING")},
}
NETCOURT_BASE_URL = os.environ.get("NETCOURT_BASE_URL", "http://127.0.0.1:8000")

# The transparency log (netcourt.transparency, docs/transparency.md). Its origin is the first
# line of every checkpoint and the name of its signing key: a schema-less URL of the log.
NETCOURT_LOG_ORIGIN = os.environ.get(
    "NETCOURT_LOG_ORIGIN", urlsplit(NETCOURT_BASE_URL).netloc + "/log"
)
# An external RFC 3161 timestamp authority for checkpoints; unset, the built-in one.
NETCOURT_TSA_URL = os.environ.get("NETCOURT_TSA_URL", "")
# How often the server's sequencer integrates new leaves (seconds; 0: only on demand).
NETCOURT_LOG_INTERVAL = float(os.environ.get("NETCOURT_LOG_INTERVAL", "5"))

# Evidence files (netcourt.evidence, docs/evidence.md): where encrypted blobs are kept — a
# directory (default DATA_DIR/blobs) or "s3://bucket" (NETCOURT_S3_ENDPOINT_URL for a store
# other than AWS; credentials the usual boto3 way) — and the ClamAV daemon, if any
# ("unix:/run/clamav/clamd.ctl" or "tcp:127.0.0.1:3310").
NETCOURT_BLOB_STORE = os.environ.get("NETCOURT_BLOB_STORE", str(DATA_DIR / "blobs"))
NETCOURT_S3_ENDPOINT_URL = os.environ.get("NETCOURT_S3_ENDPOINT_URL", "")
NETCOURT_CLAMD = os.environ.get("NETCOURT_CLAMD", "")
# The largest request body read at all (a browser form carrying the largest evidence file),
# and the largest piece of a resumable upload; larger ones are answered 413 unread.
NETCOURT_MAX_REQUEST_BYTES = int(
    os.environ.get("NETCOURT_MAX_REQUEST_BYTES", str(2 * 1024**3 + 16 * 1024**2))
)
NETCOURT_MAX_UPLOAD_PIECE = int(os.environ.get("NETCOURT_MAX_UPLOAD_PIECE", str(64 * 1024**2)))

# Online payment of fees (netcourt.payments, docs/payments.md): the provider the court uses.
NETCOURT_PAYMENT_PROVIDER = os.environ.get("NETCOURT_PAYMENT_PROVIDER", "sandbox")
# The sandbox payment service (netcourt.paysandbox), mounted at /sandbox-pay/ in this server.
# Its API key and its webhook-signing secret are generated into the data directory if unset.
NETCOURT_SANDBOX_PAY_SECRET = _generated_secret("NETCOURT_SANDBOX_PAY_SECRET", "sandbox_pay_secret")
NETCOURT_SANDBOX_PAY_WEBHOOK_SECRET = _generated_secret(
    "NETCOURT_SANDBOX_PAY_WEBHOOK_SECRET", "sandbox_pay_webhook_secret"
)
# Where the court reaches the sandbox's API, and where the sandbox sends its webhooks. Unset,
# each is this very server, called in-process (it serves requests in one thread, so a call
# over HTTP to itself would wait for itself).
NETCOURT_SANDBOX_PAY_URL = os.environ.get("NETCOURT_SANDBOX_PAY_URL", "")
NETCOURT_SANDBOX_PAY_WEBHOOK_URL = os.environ.get("NETCOURT_SANDBOX_PAY_WEBHOOK_URL", "")
# When the sandbox sends a webhook: "now" (right after checkout), "later" (only when
# `netcourt paysandbox deliver` runs) or "never" (dropped: for testing reconciliation).
NETCOURT_SANDBOX_PAY_WEBHOOKS = os.environ.get("NETCOURT_SANDBOX_PAY_WEBHOOKS", "now")
# Simulate the provider's API being down or timing out ("timeout": every API call answers
# 504 after the court's own timeout would have run out); "up" is normal.
NETCOURT_SANDBOX_PAY_API = os.environ.get("NETCOURT_SANDBOX_PAY_API", "up")

# Jobs and timers (netcourt.core.jobs): "sqlite" (DATA_DIR/jobs.sqlite3, `netcourt worker`
# runs them), a redis:// URL at scale, or "immediate" (run on commit, in the same process).
NETCOURT_JOBS = os.environ.get("NETCOURT_JOBS", "sqlite")
# How long (seconds) a worker may hold a job before another worker may take it over.
NETCOURT_JOB_LEASE = int(os.environ.get("NETCOURT_JOB_LEASE", "300"))
# The court-local hour from which staff get their daily digest of what falls due.
NETCOURT_DIGEST_HOUR = int(os.environ.get("NETCOURT_DIGEST_HOUR", "8"))
# The SMS gateway for service by text message (netcourt.service.sms): a URL such as
# https://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B8610690000; unset, no SMS.
NETCOURT_SMS_GATEWAY = os.environ.get("NETCOURT_SMS_GATEWAY", "")

# Hearings. STUN/TURN servers the browsers and the embedded media server use to connect, as the
# JSON list RTCPeerConnection takes ([{"urls": "turn:turn.example:3478", "username": ..., ...}]);
# none: host candidates only (one network, or a server reachable from every participant).
NETCOURT_ICE_SERVERS = json.loads(os.environ.get("NETCOURT_ICE_SERVERS", "[]"))
# Who carries the hearings' media (netcourt.hearings.providers): "embedded" (aiortc in the
# server) is the one built in.
NETCOURT_MEDIA_PROVIDER = os.environ.get("NETCOURT_MEDIA_PROVIDER", "embedded")
