"""The demo's "Let the test processor answer now", for the fake payment processor only.

The fake processor settles every charge on its own within 10 seconds, as a real one's webhooks
would; a demo (and a browser test) should not have to wait. Both reference hosts add it as
their own: ``DemoPages`` (a plugin, ``portalkit_template_dirs``) puts a button on the staff
payments page through the page's ``staff_payments_extra.html``, and the button posts to the
host's own page at ``SETTLE_PATH`` (Flask: ``examples.flask_host``, Django:
``examples.django_host.urls``), which calls ``settle_now``. The portal's pages know nothing of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portalkit import Permission, Portal, StaffUser, hookimpl, require

SETTLE_PATH = "/demo/settle-payments"  # the hosts' own page; staff_payments_extra.html posts to it
TEMPLATES = Path(__file__).with_name("templates")  # pages/staff_payments_extra.html


def settles_on_demand(processor: Any) -> bool:
    """Whether ``processor`` is one a demo can ask to answer now (the fake one, not Stripe)."""
    return callable(getattr(processor, "settle_due", None))


class DemoPages:
    """The plugin that shows the button (registered by ``build_portal`` with the fake processor)."""

    @hookimpl
    def portalkit_template_dirs(self) -> list[str]:
        return [str(TEMPLATES)]


def settle_now(portal: Portal, staff: StaffUser | None) -> str:
    """``MANAGE_BILLING`` (PAY-6): the fake processor decides every open charge and delivers its
    webhooks now; what the staff payments page then says. ``PermissionDenied`` for anyone else."""
    require(staff, Permission.MANAGE_BILLING, portal.settings.company_id)
    processor: Any = portal.processor
    count = processor.settle_due(portal.payments.handle_webhook) if settles_on_demand(processor) else 0
    return f"The processor answered {count} time(s)."
