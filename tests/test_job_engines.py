"""The portal's background work on the engines hosts already run (issue 23): Celery with beat and
RQ with its cron scheduler against a real Redis server, Django's tasks framework, and the plain
worker — each delivering a real outbox to a real SMTP server and running maintenance (autopay
included)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import build_world
from test_adapters import smtp_server  # noqa: F401 - a real SMTP server (aiosmtpd)

from portalkit.adapters.sql import SqlStorage
from portalkit.testing.redis import NoRedis, redis_url

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def redis():
    try:
        with redis_url() as url:
            yield url
    except NoRedis as exc:
        pytest.skip(f"Redis unavailable: {exc}")


@pytest.fixture
def queued(tmp_path, smtp_server, monkeypatch):
    """Two invitations waiting in the outbox of a portal on SQLite; the factory the engines run
    (``outbox_worker_factory:build``) builds the same portal from the environment."""
    controller, handler = smtp_server
    url = f"sqlite:///{tmp_path}/engines.sqlite3"
    w = build_world(SqlStorage(url))
    w.portal.dispatch_inline = False
    w.portal.invitations.send(w.staff, [w.alice.id, w.bob.id])
    assert len(w.portal.outbox.pending()) == 4
    env = {"WORKER_DB_URL": url, "WORKER_SMTP_PORT": str(controller.port)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}  # a plain (non-Django) host
    return (
        w,
        handler,
        {**inherited, **env, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])},
    )


def wait_for_mail(handler, count: int, processes: list[subprocess.Popen], seconds: float = 45.0) -> None:
    deadline = time.monotonic() + seconds
    while len(handler.messages) < count and time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(f"{process.args} stopped: {err[-2000:]}")
        time.sleep(0.2)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_celery_beat_and_worker_deliver_the_outbox(redis, queued, tmp_path):
    w, handler, env = queued
    env = {**env, "PORTALKIT_REDIS_URL": redis, "DELIVER_EVERY": "1", "CELERY_BEAT_FILE": str(tmp_path / "beat")}
    celery = [sys.executable, "-m", "celery", "-A", "job_engines_host"]
    processes = [
        subprocess.Popen(
            celery + ["worker", "--pool", "solo", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            env=env,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            celery + ["beat", "--loglevel", "WARNING"],
            env=env,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    try:
        wait_for_mail(handler, 2, processes)
    finally:
        stop(processes)
    assert sorted(m["To"] for m in handler.messages) == ["alice@example.com", "bob@example.com"]
    assert w.portal.outbox.pending() == []


def test_celery_install_schedules_delivery_and_maintenance_with_beat():
    from celery import Celery

    from portalkit.contrib.celery import install

    app = Celery("schedule-check")
    install(app, "outbox_worker_factory:build", deliver_every=5, maintain_every=300)
    schedule = app.conf.beat_schedule
    assert schedule["portalkit-deliver"] == {"task": "portalkit.deliver", "schedule": 5.0}
    assert schedule["portalkit-maintain"] == {"task": "portalkit.maintain", "schedule": 300.0}
    assert {"portalkit.deliver", "portalkit.maintain"} <= set(app.tasks)


def test_rq_cron_and_worker_deliver_the_outbox(redis, queued):
    w, handler, env = queued
    processes = [
        subprocess.Popen(
            [
                "rq",
                "cron",
                str(HERE / "rq_portal_cron.py"),
                "--url",
                redis,
                "-P",
                str(HERE),
                "--logging-level",
                "warning",
            ],
            env=env,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            ["rq", "worker", "portalkit", "--url", redis, "-P", str(HERE), "--quiet"],
            env=env,
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ),
    ]
    try:
        wait_for_mail(handler, 2, processes)
    finally:
        stop(processes)
    assert sorted(m["To"] for m in handler.messages) == ["alice@example.com", "bob@example.com"]
    assert w.portal.outbox.pending() == []


def test_rq_maintain_job_runs_autopay_and_reconciliation(redis, queued):
    """The maintenance job, enqueued and run by a real RQ worker: it reports what it did."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    from portalkit.contrib.rq import maintain

    connection = Redis.from_url(redis)
    queue = Queue("portalkit-maintain-test", connection=connection)
    job = queue.enqueue(maintain, "outbox_worker_factory:build")
    SimpleWorker([queue], connection=connection).work(burst=True)
    job.refresh()
    assert job.is_finished and "reconciled 0 payment(s)" in job.return_value()
    assert "started 0 automatic payment(s)" in job.return_value()


def test_django_tasks_deliver_the_outbox_on_the_projects_backend(queued, tmp_path):
    """Django's tasks framework (the django-tasks backport on Django 5.2, django.tasks on 6),
    here on its immediate backend, in a process of its own (Django's settings are per process)."""
    w, handler, env = queued
    script = (
        "import django; from django.conf import settings;"
        "settings.configure(INSTALLED_APPS=['django_tasks'] if django.VERSION < (6,) else [],"
        " TASKS={'default': {'BACKEND': ('django_tasks' if django.VERSION < (6,) else 'django.tasks')"
        " + '.backends.immediate.ImmediateBackend'}},"
        " PORTALKIT={'PORTAL': 'outbox_worker_factory:build'.replace(':', '.')}, USE_TZ=True);"
        "django.setup();"
        "from portalkit.contrib.django.tasks import deliver_outbox, maintain_portal;"
        "print('delivered', deliver_outbox.enqueue().return_value);"
        "print(maintain_portal.enqueue().return_value)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=HERE, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "delivered 4" in done.stdout and "reconciled 0 payment(s)" in done.stdout
    assert sorted(m["To"] for m in handler.messages) == ["alice@example.com", "bob@example.com"]
