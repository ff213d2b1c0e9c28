"""Django settings for running portalkit's storage conformance suite on DjangoStorage: the
database comes from PORTALKIT_DJANGO_DB (a SQLite path, or a postgresql:// URL)."""

import os

SECRET_KEY = "portalkit-django-storage-tests"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "portalkit.contrib.django"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
_db = os.environ["PORTALKIT_DJANGO_DB"]
if _db.startswith("postgresql"):
    from sqlalchemy import make_url

    _url = make_url(_db)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.database,
            "USER": _url.username,
            "PASSWORD": _url.password or "",
            "HOST": _url.host,
            "PORT": _url.port or 5432,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _db,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
PORTALKIT = {"PORTAL": "portalkit.testing.make_portal"}
