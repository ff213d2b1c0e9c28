"""Password rules (ACC-1) and bcrypt hashing. Staff never set a customer's password (ACC-3)."""

from __future__ import annotations

import bcrypt

from ..errors import ValidationError
from ..i18n import _

MAX_BYTES = 72  # bcrypt reads no further


def rules(min_length: int) -> list[str]:
    """The rules as shown on the sign-up and reset screens."""
    return [
        _("At least %(count)d characters (at most %(bytes)d bytes)") % {"count": min_length, "bytes": MAX_BYTES},
        _("At least one letter and one digit"),
        _("Typed the same twice"),
    ]


def check(password: object, confirm: object, min_length: int) -> None:
    if not isinstance(password, str) or not isinstance(confirm, str):
        raise ValidationError(_("Enter the password twice."), field="password")
    if password != confirm:
        raise ValidationError(_("The two passwords do not match."), field="confirm")
    if len(password) < min_length:
        raise ValidationError(
            _("The password must have at least %(count)d characters.") % {"count": min_length}, field="password"
        )
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise ValidationError(
            _("The password must be at most %(count)d bytes.") % {"count": MAX_BYTES}, field="password"
        )
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise ValidationError(_("The password must contain a letter and a digit."), field="password")


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify(password: object, hashed: str | None, rounds: int) -> bool:
    """Constant-time check; with no hash, still spends a bcrypt round so timing tells nothing.

    A password longer than ``MAX_BYTES`` never matches: bcrypt would read only its first 72
    bytes, so "the password + anything" would otherwise log in. No stored password is longer.
    """
    candidate = password.encode("utf-8", "surrogatepass")[: MAX_BYTES + 1] if isinstance(password, str) else b""
    if hashed is None or len(candidate) > MAX_BYTES or not candidate:
        bcrypt.checkpw(candidate[:MAX_BYTES], _dummy_hash(rounds))
        return False
    return bcrypt.checkpw(candidate, hashed.encode("ascii"))


_DUMMIES: dict[int, bytes] = {}


def _dummy_hash(rounds: int) -> bytes:
    if rounds not in _DUMMIES:
        _DUMMIES[rounds] = bcrypt.hashpw(b"portalkit-dummy", bcrypt.gensalt(rounds))
    return _DUMMIES[rounds]
