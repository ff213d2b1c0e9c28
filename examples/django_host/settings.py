"""Django settings for the portalkit reference host (SQLite, secure cookies, no admin)."""

import os
from pathlib import Path

from examples.common.host import INSTANCE, _secret_key

BASE_DIR = Path(__file__).resolve().parent
INSTANCE.mkdir(parents=True, exist_ok=True)
SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
INSTALLED_APPS = ["django.contrib.sessions", "examples.django_host"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "examples.django_host.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": INSTANCE / "django.sqlite3"}}
SESSION_COOKIE_NAME = "portal_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("PORTALKIT_INSECURE_COOKIES") != "1"
X_FRAME_OPTIONS = "SAMEORIGIN"
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
# The portal: its own SQLAlchemy database (SQLite by default) and its base URL for links in mail.
PORTALKIT_DB_URL = os.environ.get("PORTALKIT_DB_URL")
PORTALKIT_BASE_URL = os.environ.get("PORTALKIT_BASE_URL", "http://127.0.0.1:8000")
