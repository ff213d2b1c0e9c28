"""The e-signature audit trail (issue 15): the SHA-256 of a proposal as the signer saw it, and
the check of a stored signature against the proposal as it is now (a proposal changed after
signing no longer matches)."""

from __future__ import annotations

import hashlib
import json

import attrs

from ..models import Property, Proposal


@attrs.frozen
class SignatureCheck:
    """A stored signature against the proposal as it is now."""

    signed: bool
    recorded_sha256: str
    current_sha256: str

    @property
    def unchanged(self) -> bool:
        """The proposal is the document that was signed (False when unsigned or changed since)."""
        return self.signed and bool(self.recorded_sha256) and self.recorded_sha256 == self.current_sha256


def document_sha256(proposal: Proposal, prop: Property) -> str:
    """The SHA-256 of what the signer was shown: number, property, description, start and every
    service with its price and whether it was optional (canonical JSON, sorted keys)."""
    shown = {
        "number": proposal.number,
        "property": prop.name,
        "description": proposal.description,
        "estimated_start": proposal.estimated_start.isoformat(),
        "services": [
            {"id": s.id, "name": s.name, "price": str(s.price), "optional": s.optional} for s in proposal.services
        ],
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_signature(proposal: Proposal, prop: Property) -> SignatureCheck:
    signature = proposal.signature
    return SignatureCheck(
        signature is not None, signature.document_sha256 if signature else "", document_sha256(proposal, prop)
    )
