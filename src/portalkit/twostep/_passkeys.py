"""Passkeys (WebAuthn Level 3) through ``py_webauthn``: the options a browser's
``navigator.credentials.create()`` and ``get()`` take, and the checks of their answers.

The relying party is the portal's own host, from ``PortalConfig.base_url`` (its id the host name,
its origin scheme, host and port): a passkey made for one portal address works only there. An
address that is an IP number cannot have passkeys (WebAuthn needs a domain name).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit

import attrs

MAX_RESPONSE = 16 * 1024  # a browser's answer without attestation certificates is about 1 KB
TIMEOUT_MS = 120_000


@attrs.frozen
class RelyingParty:
    id: str  # the host name ("greenacres.example")
    origin: str  # "https://greenacres.example" (with the port when there is one)
    name: str  # the company's name, which the browser shows


@attrs.frozen
class NewPasskey:
    credential_id: str
    public_key: str
    sign_count: int
    transports: tuple[str, ...]
    backed_up: bool


@attrs.frozen
class Assertion:
    credential_id: str
    new_sign_count: int
    backed_up: bool
    user_verified: bool


class BadResponse(ValueError):
    """The browser's answer does not verify (the reason is for logs, never for the visitor)."""


def available() -> bool:
    try:
        import webauthn  # noqa: F401
    except ImportError:
        return False
    return True


def relying_party(base_url: str, name: str) -> RelyingParty | None:
    """The relying party of a portal at ``base_url``; ``None`` when it can have no passkeys (an
    IP address, or no https outside ``localhost``)."""
    try:
        parts = urlsplit(base_url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or parts.scheme not in ("https", "http"):
        return None
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if parts.scheme == "http" and host != "localhost" and not host.endswith(".localhost"):
        return None  # browsers offer WebAuthn only in a secure context
    origin = f"{parts.scheme}://{host}" + ("" if port is None else f":{port}")
    return RelyingParty(host, origin, name or host)


def _b64(data: bytes) -> str:
    from webauthn.helpers import bytes_to_base64url

    return str(bytes_to_base64url(data))


def _bytes(text: str) -> bytes:
    from webauthn.helpers import base64url_to_bytes

    return bytes(base64url_to_bytes(text))


def registration_options(
    rp: RelyingParty,
    challenge: bytes,
    user_id: str,
    user_name: str,
    display_name: str,
    existing: list[tuple[str, tuple[str, ...]]],
) -> str:
    """``PublicKeyCredentialCreationOptions`` as JSON: a discoverable credential (so it signs in
    without an email), user verification preferred, no attestation; the contact's passkeys
    excluded (an authenticator holds one of theirs at most)."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    known = {t.value for t in AuthenticatorTransport}
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_id.encode(),
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(
                id=_bytes(c), transports=[AuthenticatorTransport(t) for t in transports if t in known]
            )
            for c, transports in existing
        ],
    )
    return str(options_to_json(options))


def authentication_options(
    rp: RelyingParty, challenge: bytes, allowed: list[tuple[str, tuple[str, ...]]], *, user_verification: bool
) -> str:
    """``PublicKeyCredentialRequestOptions`` as JSON: any of the portal's passkeys (``allowed``
    empty: the browser lists the ones it holds) or only those ``allowed``."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    known = {t.value for t in AuthenticatorTransport}
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                id=_bytes(c), transports=[AuthenticatorTransport(t) for t in transports if t in known]
            )
            for c, transports in allowed
        ],
        user_verification=UserVerificationRequirement.REQUIRED
        if user_verification
        else UserVerificationRequirement.PREFERRED,
    )
    return str(options_to_json(options))


def parse(response: object) -> dict[str, Any]:
    """The browser's JSON answer as a dict; ``BadResponse`` when it is none."""
    if not isinstance(response, str) or not response or len(response) > MAX_RESPONSE:
        raise BadResponse("no answer, or too long")
    try:
        found = json.loads(response)
    except ValueError as exc:
        raise BadResponse("not JSON") from exc
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("id"), str)
        or not isinstance(found.get("response"), dict)
    ):
        raise BadResponse("not a credential")
    return found


def user_handle(answer: dict[str, Any]) -> str | None:
    """The user handle an assertion names (the contact's id), if any."""
    handle = answer["response"].get("userHandle")
    if not isinstance(handle, str) or not handle:
        return None
    try:
        return _bytes(handle).decode()
    except (ValueError, UnicodeDecodeError):
        return "?"


def verify_registration(answer: dict[str, Any], rp: RelyingParty, challenge: str) -> NewPasskey:
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_registration_response(
            credential=answer, expected_challenge=_bytes(challenge), expected_rp_id=rp.id, expected_origin=rp.origin
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise BadResponse(str(exc)) from exc
    transports = answer["response"].get("transports")
    kept = (
        tuple(t for t in transports if isinstance(t, str) and len(t) <= 32)[:8] if isinstance(transports, list) else ()
    )
    return NewPasskey(
        _b64(verified.credential_id),
        _b64(verified.credential_public_key),
        verified.sign_count,
        kept,
        verified.credential_backed_up,
    )


def verify_assertion(
    answer: dict[str, Any],
    rp: RelyingParty,
    challenge: str,
    public_key: str,
    sign_count: int,
    *,
    user_verification: bool,
) -> Assertion:
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        verified = verify_authentication_response(
            credential=answer,
            expected_challenge=_bytes(challenge),
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=_bytes(public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=user_verification,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise BadResponse(str(exc)) from exc
    return Assertion(
        _b64(verified.credential_id), verified.new_sign_count, verified.credential_backed_up, verified.user_verified
    )


def new_challenge() -> bytes:
    import secrets

    return secrets.token_bytes(32)


def encode(data: bytes) -> str:
    return _b64(data)
