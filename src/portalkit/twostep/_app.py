"""Authenticator apps (TOTP, RFC 6238): 30-second steps, 6 digits, SHA-1 (what every app reads
from the QR code), a code of the step before or after the current one accepted too."""

from __future__ import annotations

import hmac
from datetime import datetime

STEP_SECONDS = 30
WINDOW = 1  # steps either side of now: a phone's clock a little off still works


def available() -> bool:
    try:
        import pyotp  # noqa: F401
        import segno  # noqa: F401
    except ImportError:
        return False
    return True


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def uri(secret: str, account: str, issuer: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def matched_step(secret: str, code: object, at: datetime) -> int | None:
    """The time step (``now`` ±1) whose code ``code`` is, or ``None``."""
    import pyotp

    if not isinstance(code, str):
        return None
    typed = "".join(ch for ch in code if not ch.isspace())
    if len(typed) != 6 or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = step_of(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):  # every step compared: no timing hint
        if hmac.compare_digest(totp.generate_otp(step), typed):
            found = step
    return found


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI (the CSP allows ``img-src data:``)."""
    import segno

    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#000000", light="#ffffff"))


def grouped(secret: str) -> str:
    """The secret as typed by hand: groups of four."""
    return " ".join(secret[k : k + 4] for k in range(0, len(secret), 4))
