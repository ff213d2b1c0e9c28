"""The Flask host's background work on Celery with Redis, instead of the plain worker
(docs/deploy.md)::

    celery -A examples.deploy.flask.celery_app worker --concurrency 2
    celery -A examples.deploy.flask.celery_app beat --schedule /var/lib/portal/celerybeat-schedule

``install`` registers ``portalkit.deliver`` (the outbox, every 10 s) and ``portalkit.maintain``
(reconcile, autopay, purge; every 600 s) and puts both on beat's schedule. Run one beat only.
"""

import os

from celery import Celery

from portalkit.contrib.celery import install

app = Celery("portal", broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    broker_connection_retry_on_startup=True, task_ignore_result=True, timezone="UTC", worker_hijack_root_logger=False
)
install(app, "examples.common.host:production_portal")
