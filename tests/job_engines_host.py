"""A host's job-engine configuration for the engines' tests: the portal of
``outbox_worker_factory`` (SQLite and a real SMTP server from the environment), on Celery."""

import os

from celery import Celery

from portalkit.contrib.celery import install

app = Celery("portalkit_test_host", broker=os.environ.get("PORTALKIT_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    broker_connection_retry_on_startup=True,
    task_always_eager=False,
    worker_hijack_root_logger=False,
    beat_schedule_filename=os.environ.get("CELERY_BEAT_FILE", "celerybeat-schedule"),
)
deliver_task, maintain_task = install(
    app, "outbox_worker_factory:build", deliver_every=float(os.environ.get("DELIVER_EVERY", "10"))
)
