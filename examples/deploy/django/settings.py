"""Production settings of the Django reference host (docs/deploy.md): the demo host's settings
(examples/django_host/settings.py) with everything secret or site-specific from the environment,
PostgreSQL, mail through ``EMAIL_BACKEND``, and HTTPS only behind a proxy::

    DJANGO_SETTINGS_MODULE=examples.deploy.django.settings python examples/django_host/manage.py migrate
"""

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from examples.common.host import INSTANCE
from examples.django_host.settings import *  # noqa: F403  (apps, middleware, templates, cookie names)
from examples.django_host.settings import INSTALLED_APPS, MIDDLEWARE


def database(url: str) -> dict:
    """Django's DATABASES entry for the same URL the Flask host's SQLAlchemy storage reads,
    ``postgresql+psycopg://user:password@host:5432/name?sslmode=require``."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgresql"):
        raise ValueError("PORTALKIT_DB_URL: production runs on PostgreSQL (postgresql+psycopg://...)")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]  # Django's own: sessions, CSRF; not the portal's key
ALLOWED_HOSTS = [h.strip() for h in os.environ["DJANGO_ALLOWED_HOSTS"].split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]
DATABASES = {"default": database(os.environ["PORTALKIT_DB_URL"])}

# The demo's seed data (examples.django_host seeds on migrate) only when asked for.
INSTALLED_APPS = [
    app for app in INSTALLED_APPS if app != "examples.django_host" or os.environ.get("PORTALKIT_SEED") == "1"
]
INSTALLED_APPS += ["django.contrib.staticfiles"]  # the admin's CSS, collected to STATIC_ROOT for nginx
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT", str(INSTANCE / "static"))

# The portal, built for production: the worker delivers mail (examples/deploy/django/portal.py).
PORTALKIT = {"PORTAL": "examples.deploy.django.portal.build"}

# Behind the proxy: the client's address for the portal's per-address sign-in limits (the
# middleware trusts X-Forwarded-For only from FORWARDED_ALLOW_IPS), https from X-Forwarded-Proto
# (nginx sets both, overwriting what a client sent).
MIDDLEWARE = ["examples.deploy.django.middleware.ClientAddressFromProxy", *MIDDLEWARE]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 31536000))  # a year; start with 300 on a new site
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

# The portal's mail (DjangoMailer) goes wherever Django's does: SMTP in production; by default
# here .eml files in $PORTALKIT_INSTANCE/mail, as the Flask host writes them.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(INSTANCE / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "1") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "WARNING"}},
}
