"""Django settings for the portalkit reference host: one field-service app with the portal
mounted at /portal/, staff signing in as Django users, SQLite, secure cookies."""

import os
from pathlib import Path

from examples.common.host import INSTANCE, secret_key

BASE_DIR = Path(__file__).resolve().parent
INSTANCE.mkdir(parents=True, exist_ok=True)
SECRET_KEY = secret_key("django-secret.key")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",  # the portal's webhooks, outbox and contacts for staff (portalkit.contrib.django.admin)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "portalkit.contrib.django",
    "examples.django_host",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "examples.django_host.urls"
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
            ]
        },
    }
]
# One database: Django's tables and the portal's (DjangoStorage). Writers take SQLite's lock up
# front, so concurrent requests queue instead of failing with "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": INSTANCE / "django.sqlite3",
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
    }
}
SESSION_COOKIE_NAME = "portal_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("PORTALKIT_INSECURE_COOKIES") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"  # the host's own pages; the portal's follow PORTALKIT["FRAME_ANCESTORS"] ("'none'")
# Django's default upload settings (2.5 MB in memory, larger files to a temporary file): the
# portal refuses a body over its page's limit (413) before Django reads it.
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
PORTALKIT = {"PORTAL": "examples.django_host.portal.build"}
