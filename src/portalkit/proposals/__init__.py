"""Proposals: reading, selecting optional services and signing them (PRO).

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._proposals import (
        MAX_SIGNATURE_BYTES,
        MAX_SIGNATURE_PIXELS,
        MAX_TYPED_NAME,
        OPEN_STATUSES,
        SIGNABLE,
        SIGNATURE_FONTS,
        WORK_IN_PROCESS,
        ProposalFilter,
        ProposalRow,
        Proposals,
        StaffProposal,
        StaffQuote,
        can_sign,
        check_signature_image,
        total_for,
        typed_signature_image,
    )

__all__ = [
    "MAX_SIGNATURE_BYTES",
    "MAX_SIGNATURE_PIXELS",
    "MAX_TYPED_NAME",
    "OPEN_STATUSES",
    "ProposalFilter",
    "ProposalRow",
    "Proposals",
    "SIGNABLE",
    "SIGNATURE_FONTS",
    "StaffProposal",
    "StaffQuote",
    "WORK_IN_PROCESS",
    "can_sign",
    "check_signature_image",
    "total_for",
    "typed_signature_image",
]

exports(
    __name__,
    {
        "MAX_SIGNATURE_BYTES": "_proposals",
        "MAX_SIGNATURE_PIXELS": "_proposals",
        "MAX_TYPED_NAME": "_proposals",
        "OPEN_STATUSES": "_proposals",
        "ProposalFilter": "_proposals",
        "ProposalRow": "_proposals",
        "Proposals": "_proposals",
        "SIGNABLE": "_proposals",
        "SIGNATURE_FONTS": "_proposals",
        "StaffProposal": "_proposals",
        "StaffQuote": "_proposals",
        "WORK_IN_PROCESS": "_proposals",
        "can_sign": "_proposals",
        "check_signature_image": "_proposals",
        "total_for": "_proposals",
        "typed_signature_image": "_proposals",
    },
)
