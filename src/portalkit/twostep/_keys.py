"""What twostep keeps, and how: authenticator-app secrets encrypted, recovery codes hashed.

A TOTP secret must be read back to check a code, so it cannot be hashed: it is sealed with
AES-256-GCM under a key derived (HKDF-SHA256) from the portal's ``secret_key``, with the company
and the contact as associated data, so a database copy alone reveals no secret and a sealed
secret moved to another contact's row does not open. A recovery code is only ever compared: it
is stored as SHA-256 of the contact's id and the code, which carries 59 random bits (12
characters of 31), too many to guess back from the hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a screen, typed from paper
CODE_LENGTH = 12
_SEALED = "v1."


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normal_code(text: object) -> str:
    """A typed recovery code as stored: lower case, without spaces or hyphens ('' if it cannot be one)."""
    if not isinstance(text, str) or len(text) > 64:
        return ""
    code = "".join(ch for ch in text.lower() if ch not in " -\t")
    return code if len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code) else ""


def code_hash(contact_id: str, code: str) -> str:
    return hashlib.sha256(f"portalkit.recovery-code:{contact_id}:{code}".encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def sealing_available() -> bool:
    try:
        import cryptography.hazmat.primitives.ciphers.aead  # noqa: F401
    except ImportError:
        return False
    return True


class SecretBox:
    """Seals and opens short secrets with a key derived from the portal's secret key."""

    def __init__(self, secret_key: str | bytes):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        material = secret_key.encode() if isinstance(secret_key, str) else secret_key
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"portalkit.twostep.authenticator-app.v1"
        ).derive(material)

    def seal(self, plain: str, bound_to: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._key).encrypt(nonce, plain.encode(), bound_to.encode())
        return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, sealed: str, bound_to: str) -> str | None:
        """The secret, or ``None`` when it does not open (another key, another contact, damage)."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not sealed.startswith(_SEALED):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_SEALED) :] + "=" * (-len(sealed) % 4))
            return AESGCM(self._key).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
        except (InvalidTag, ValueError):
            return None
