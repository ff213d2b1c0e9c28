"""``python -m examples.flask_host [--port 5000]``: seed the demo data on SQLite and serve it."""

import argparse
import os

from ..common.host import DEFAULT_STAFF_PASSWORD, INSTANCE, STAFF_EMAIL, build_portal
from . import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: SQLite in ./instance)")
    args = parser.parse_args()
    url = f"http://{args.host}:{args.port}"
    portal = build_portal(args.db, base_url=url + "/portal")
    if hasattr(portal.processor, "start"):  # the fake processor answers on its own; Stripe sends webhooks
        portal.processor.start(portal.payments.handle_webhook, every_seconds=10)
    print(
        f"portalkit demo on {url}\n  customers: {url}/portal/login (sign up from the invitation mail)\n"
        f"  staff:     {url}/portal/staff/login as {STAFF_EMAIL} / "
        f"{os.environ.get('PORTALKIT_STAFF_PASSWORD', DEFAULT_STAFF_PASSWORD)}\n"
        f"  mail:      {INSTANCE / 'mail'} (one .eml file per message)",
        flush=True,
    )
    # Secure cookies need HTTPS; on plain-HTTP localhost the browser still accepts them.
    create_app(portal, secure_cookies=True).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
