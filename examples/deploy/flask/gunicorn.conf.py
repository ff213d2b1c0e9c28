"""gunicorn's configuration for the Flask reference host (docs/deploy.md)::

    gunicorn -c examples/deploy/flask/gunicorn.conf.py examples.flask_host.wsgi:app

Everything site-specific comes from the environment (examples/deploy/portal.env.example); options
given on the command line win over this file.
"""

import multiprocessing
import os

# The proxy (nginx, examples/deploy/nginx.conf) reaches the app here; nothing else should.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: one request per process at a time. A portal request is short and spends its time
# in the database or the CPU; a sign-in, a sign-up and a password change each hash a password with
# bcrypt (12 rounds: about a quarter of a second of one core), which holds its worker and a core
# for that long. Processes run hashes in parallel, one per core; threads in one process gained
# little over running them one after the other when measured, so gthread adds nothing here.
# 2 x cores + 1 keeps every core busy while some workers wait on PostgreSQL: 5 workers on 2 cores,
# about 8 sign-ins a second. More workers do not make sign-ins faster.
# Slow clients are the proxy's to absorb (nginx buffers requests and responses), not a worker's.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))

timeout = 30  # a worker silent this long (stuck) is killed and replaced; no portal page takes that long
graceful_timeout = 30  # on a restart or deploy, requests in flight get this long to finish
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open
max_requests = 2000  # a worker is replaced after this many requests (jittered), bounding any slow leak
max_requests_jitter = 200

# Each worker builds its own Portal (and database connections) after the fork: never share them.
preload_app = False

# X-Forwarded-Proto is believed only from the proxy (gunicorn's own check; the app's ProxyFix
# reads X-Forwarded-For and X-Forwarded-Proto for the client's address and https).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout and stderr: systemd's journal keeps them. Mailed links carry their token after
# "#", which browsers never send, so request lines hold no secret.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "portal-flask"
