"""Signed, expiring tokens for invitation links, password resets, sessions and a logo uploaded
on the settings page awaiting Save (itsdangerous).

A token carries its purpose (salt), the contact id, a counter that the contact's record must
still hold (so a newer token or a password change voids older ones) and its issue time in
microseconds, read from the portal's clock so expiry is exact and testable. Signatures are
compared in constant time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from itsdangerous import BadSignature, URLSafeSerializer

from ..errors import ExpiredToken, InvalidToken
from ..ports import Clock

INVITE = "portalkit.invite"
RESET = "portalkit.reset"
SESSION = "portalkit.session"
LOGIN_LINK = "portalkit.login-link"
EMAIL_CHANGE = "portalkit.email-change"  # "counter": the contact's email change nonce
CALENDAR = "portalkit.calendar"  # a contact's private calendar feed; "counter": their calendar nonce
LOGO = "portalkit.logo"  # "contact id": the file store key of the logo
SIGN_IN_STEP = "portalkit.sign-in-step"  # "contact id": a SignInStep's id; "counter": the credential epoch
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@attrs.frozen
class TokenClaims:
    """What a genuine token says, before its age is judged."""

    contact_id: str
    counter: int
    issued_micros: int


class TokenSigner:
    def __init__(self, secret_key: str | bytes, clock: Clock):
        if not secret_key or len(secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        self._clock = clock
        self._serializers = {
            p: URLSafeSerializer(secret_key, salt=p)
            for p in (INVITE, RESET, SESSION, LOGIN_LINK, EMAIL_CHANGE, CALENDAR, LOGO, SIGN_IN_STEP)
        }

    def sign(self, purpose: str, contact_id: str, counter: int) -> str:
        return self._serializers[purpose].dumps([contact_id, counter, self._now_micros()])

    def read(self, purpose: str, token: object) -> TokenClaims:
        """The claims of a token with a good signature, whatever its age; else ``InvalidToken``."""
        if not isinstance(token, str) or len(token) > 1024:
            raise InvalidToken()
        try:
            contact_id, counter, issued = self._serializers[purpose].loads(token)
        except (BadSignature, ValueError, TypeError) as exc:
            raise InvalidToken() from exc
        if not isinstance(contact_id, str) or not all(type(v) is int for v in (counter, issued)):
            raise InvalidToken()
        return TokenClaims(contact_id, counter, issued)

    def expired(self, claims: TokenClaims, max_age: timedelta) -> bool:
        return self._now_micros() - claims.issued_micros > max_age // _MICROSECOND

    def verify(self, purpose: str, token: object, max_age: timedelta) -> tuple[str, int]:
        """Return ``(contact_id, counter)``; raise InvalidToken or ExpiredToken."""
        claims = self.read(purpose, token)
        if self.expired(claims, max_age):
            raise ExpiredToken()
        return claims.contact_id, claims.counter

    def _now_micros(self) -> int:
        return (self._clock.now() - _EPOCH) // _MICROSECOND
