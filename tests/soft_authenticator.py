"""A software passkey authenticator for tests: it answers ``navigator.credentials.create()`` and
``get()`` options the way a browser and an authenticator would (ES256 keys, "none" attestation,
the signature counter moving on), as py_webauthn's own tests build their responses."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import attrs
import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@attrs.define
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    count: int = 0


class SoftAuthenticator:
    """Holds passkeys per relying party; ``origin`` is the page's origin the browser reports."""

    def __init__(self, origin: str, *, user_verified: bool = True, counts: bool = True):
        self.origin, self.user_verified, self.counts = origin, user_verified, counts
        self.credentials: list[Credential] = []

    def create(self, options: str | dict, *, origin: str | None = None) -> str:
        o = json.loads(options) if isinstance(options, str) else options
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        cred = Credential(os.urandom(32), key, o["rp"]["id"], unb64(o["user"]["id"]))
        self.credentials.append(cred)
        flags = UP | AT | (UV if self.user_verified else 0)
        auth_data = (
            hashlib.sha256(cred.rp_id.encode()).digest()
            + bytes([flags])
            + (0).to_bytes(4, "big")
            + bytes(16)
            + len(cred.id).to_bytes(2, "big")
            + cred.id
            + cose
        )
        client = json.dumps(
            {
                "type": "webauthn.create",
                "challenge": o["challenge"],
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64(cred.id),
                "rawId": b64(cred.id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64(client),
                    "attestationObject": b64(attestation),
                    "transports": ["internal"],
                },
            }
        )

    def get(
        self,
        options: str | dict,
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        count: int | None = None,
        user_verified: bool | None = None,
        rp_id: str | None = None,
    ) -> str:
        o = json.loads(options) if isinstance(options, str) else options
        allowed = [unb64(c["id"]) for c in o.get("allowCredentials", [])]
        cred = credential or next(
            c for c in self.credentials if c.rp_id == o["rpId"] and (not allowed or c.id in allowed)
        )
        if self.counts:
            cred.count = count if count is not None else cred.count + 1
        verified = self.user_verified if user_verified is None else user_verified
        flags = UP | (UV if verified else 0)
        auth_data = (
            hashlib.sha256((rp_id or cred.rp_id).encode()).digest()
            + bytes([flags])
            + (cred.count if self.counts else 0).to_bytes(4, "big")
        )
        client = json.dumps(
            {"type": "webauthn.get", "challenge": o["challenge"], "origin": origin or self.origin, "crossOrigin": False}
        ).encode()
        signature = cred.key.sign(auth_data + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64(cred.id),
                "rawId": b64(cred.id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64(client),
                    "authenticatorData": b64(auth_data),
                    "signature": b64(signature),
                    "userHandle": b64(cred.user_handle),
                },
            }
        )
