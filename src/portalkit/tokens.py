"""Signed, expiring tokens for invitation links, password resets and sessions (itsdangerous).

A token carries its purpose (salt), the contact id, a counter that the contact's record must
still hold (so a newer token or a password change voids older ones) and its issue time, read
from the portal's clock so expiry is testable. Signatures are compared in constant time.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer

from .errors import ExpiredToken, InvalidToken
from .ports import Clock

INVITE = "portalkit.invite"
RESET = "portalkit.reset"
SESSION = "portalkit.session"


class TokenSigner:
    def __init__(self, secret_key: str | bytes, clock: Clock):
        if not secret_key or len(secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        self._secret = secret_key
        self._clock = clock
        self._serializers = {p: URLSafeSerializer(secret_key, salt=p) for p in (INVITE, RESET, SESSION)}

    def sign(self, purpose: str, contact_id: str, counter: int) -> str:
        issued = int(self._clock.now().timestamp())
        return self._serializers[purpose].dumps([contact_id, counter, issued])

    def verify(self, purpose: str, token: str, max_age: timedelta) -> tuple[str, int]:
        """Return ``(contact_id, counter)``; raise InvalidToken or ExpiredToken."""
        try:
            contact_id, counter, issued = self._serializers[purpose].loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken() from exc
        if not isinstance(contact_id, str) or not isinstance(counter, int) or not isinstance(issued, int):
            raise InvalidToken()
        if self._clock.now().timestamp() - issued > max_age.total_seconds():
            raise ExpiredToken()
        return contact_id, counter
