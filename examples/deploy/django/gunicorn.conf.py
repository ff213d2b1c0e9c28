"""gunicorn's configuration for the Django reference host (docs/deploy.md)::

    DJANGO_SETTINGS_MODULE=examples.deploy.django.settings \\
        gunicorn -c examples/deploy/django/gunicorn.conf.py examples.deploy.django.wsgi:application

The same choices as the Flask host's (examples/deploy/flask/gunicorn.conf.py, where they are
explained): sync workers, 2 x cores + 1 of them because a bcrypt hash holds a worker and a core
for about a quarter of a second, 30-second timeouts, no preloading.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
preload_app = False  # each worker builds its Portal (PORTALKIT["PORTAL"]) on first use, after the fork
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
raw_env = ["DJANGO_SETTINGS_MODULE=" + os.environ.get("DJANGO_SETTINGS_MODULE", "examples.deploy.django.settings")]
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "portal-django"
