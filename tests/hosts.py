"""Shared helpers for the reference-host tests (Flask and Django, test clients and browsers)."""

from __future__ import annotations

import re

from examples.common.host import build_site

SECRET = "host-test-secret-0123456789abcdef"
STAFF_PASSWORD = "staff-pass-0123"
CUSTOMER_PASSWORD = "garden-2026"


def demo_site(tmp_path, base_url="http://localhost"):
    return build_site(f"sqlite:///{tmp_path}/host.sqlite3", base_url=base_url, secret_key=SECRET,
                      staff_password=STAFF_PASSWORD, bcrypt_rounds=4)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def link_in_mail(site, email: str, kind: str = "signup") -> str:
    mail = [m for m in site.mailer.mails if email in m.to][-1]
    return re.search(rf"https?://[^\s\"<)]+/{kind}[^\s\"<)]*/[\w.\-]+", mail.text).group(0)
