"""``python -m examples.flask_host [--port 5000]``: seed the demo data on SQLite and serve it."""

import argparse

from ..common.host import banner, build_site
from . import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: SQLite in ./instance)")
    args = parser.parse_args()
    url = f"http://{args.host}:{args.port}"
    site = build_site(args.db, base_url=url)
    site.portal.processor.start(site.portal.payments.settle, every_seconds=10)
    print(banner(url, site), flush=True)
    # Secure cookies need HTTPS; on plain-HTTP localhost the browser still accepts them.
    create_app(site, secure_cookies=True).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
