"""The file ``rq cron`` loads in the RQ test: the portal's jobs on RQ's cron schedule."""

from portalkit.contrib.rq import register

register("outbox_worker_factory:build", deliver_every=1)
