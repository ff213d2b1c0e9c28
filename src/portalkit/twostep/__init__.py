"""A second step at sign-in for customers (issue 27): passkeys, authenticator apps (TOTP) and
recovery codes; a passkey also signs in alone. See ``_service.TwoStep`` and docs/security.md.

Passkeys need the ``passkeys`` extra (``webauthn``), authenticator apps the ``totp`` extra
(``pyotp``, ``segno``, ``cryptography``); without them those steps are simply not offered.
"""

from ._service import (
    CEREMONY_MINUTES,
    RECOVERY_CODES,
    STEP_MINUTES,
    AppSetup,
    Ceremony,
    Enrolled,
    Factors,
    LastStepRequired,
    PendingStep,
    TwoStep,
)

__all__ = [
    "CEREMONY_MINUTES",
    "RECOVERY_CODES",
    "STEP_MINUTES",
    "AppSetup",
    "Ceremony",
    "Enrolled",
    "Factors",
    "LastStepRequired",
    "PendingStep",
    "TwoStep",
]
