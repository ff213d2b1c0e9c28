"""A fake but faithful payment processor for tests and demos: tokens, asynchronous outcomes and
signed webhooks, the way Stripe behaves.

Tokenization happens outside portalkit: ``card_token(number, ...)`` (tests) or the demo page's
script (browsers) turns a test card into a token such as ``tok_card_visa_4242_12_2031_credit``;
portalkit only ever sees the token. Cards ending ``0002`` are declined at settlement, ``0119``
refused at once, ``3184`` need 3-D Secure (``complete_action``); bank accounts settle later and
``return_payment`` sends an ACH return. Outcomes reach the portal as webhooks signed like
Stripe's (``Fake-Signature: t=<time>,v1=<HMAC-SHA256 of "t.body">``), delivered by
``settle_due(deliver)`` or a background ``start(deliver)``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..errors import InvalidWebhook
from ..ports import ChargeOutcome, ChargeRequest, ChargeStatus, MethodDetails, ProcessorEvent

Deliver = Callable[[Mapping[str, str], bytes], Any]
_TOKEN = re.compile(r"tok_(card|ach)_([a-z ]{1,30})_([0-9]{4})_([0-9]{1,2})_([0-9]{4})_(credit|debit|prepaid|bank)")
_BRANDS = (("4", "visa"), ("5", "mastercard"), ("34", "amex"), ("37", "amex"), ("6", "discover"))
SIGNATURE_HEADER = "Fake-Signature"
TOLERANCE_SECONDS = 300


def card_token(number: str, exp_month: int, exp_year: int, funding: str = "credit") -> str:
    """What the fake hosted field makes of a test card (the number itself is not kept)."""
    digits = re.sub(r"[ -]", "", number)
    brand = next((b for p, b in _BRANDS if digits.startswith(p)), "card")
    return f"tok_card_{brand}_{digits[-4:]}_{exp_month}_{exp_year}_{funding}"


def bank_token(routing: str, account: str, bank: str = "test bank") -> str:
    """What the fake hosted field makes of a test bank account."""
    return f"tok_ach_{bank}_{account[-4:]}_0_0000_bank"


class FakeProcessor:
    name = "fake"

    def __init__(self, webhook_secret: str | None = None) -> None:
        """``webhook_secret``: a random one per process unless given, so nobody can forge this
        processor's webhooks from its source; references and event ids are random too."""
        self._secret = (webhook_secret or "whsec_" + secrets.token_urlsafe(24)).encode()
        self._lock = threading.Lock()
        self._charges: dict[str, dict[str, Any]] = {}  # ref -> charge
        self._by_key: dict[str, str] = {}  # idempotency key -> ref
        self._events: list[dict[str, Any]] = []  # webhooks not yet delivered
        self._stop = threading.Event()
        self.submitted: list[str] = []
        self.customers: dict[str, str] = {}  # customer ref -> contact id: the customers made here
        self.refunds: dict[str, Decimal] = {}  # refund idempotency key -> amount: what was refunded

    # -- the port ------------------------------------------------------------------------------
    def customer(self, contact_id: str, email: str | None, existing: str | None) -> str:
        if existing:
            return existing
        with self._lock:
            ref = f"cus_fake_{secrets.token_hex(8)}"
            self.customers[ref] = contact_id
            return ref

    def start_setup(self, customer_ref: str) -> str:
        return f"seti_fake_{customer_ref}_secret"

    def describe(self, token: str) -> MethodDetails:
        match = _TOKEN.fullmatch(token)
        if not match:
            raise ValueError("the processor does not know that token")
        return self._details(token, match)

    def attach(self, customer_ref: str, token: str) -> MethodDetails:
        match = _TOKEN.fullmatch(token)
        if not match:
            raise ValueError("the processor does not know that token")
        return self._details(token, match)

    @staticmethod
    def _details(token: str, match: re.Match[str]) -> MethodDetails:
        kind, brand, last4, month, year, funding = match.groups()
        if kind == "card":
            return MethodDetails(
                token=token,
                kind="card",
                last4=last4,
                brand=brand,
                exp_month=int(month),
                exp_year=int(year),
                funding=funding,
            )
        return MethodDetails(token=token, kind="ach", last4=last4, brand=brand.title())

    def detach(self, token: str) -> None:
        return None

    def charge(self, request: ChargeRequest) -> ChargeOutcome:
        with self._lock:
            if request.idempotency_key in self._by_key:  # a retry replays the first answer
                return self._outcome(self._charges[self._by_key[request.idempotency_key]])
            ref = f"ch_fake_{secrets.token_hex(12)}"
            last4, kind = request.method_token.split("_")[3], request.method_token.split("_")[1]
            charge = {
                "ref": ref,
                "payment_id": request.payment_id,
                "amount": request.amount,
                "refunded": Decimal(0),
                "status": ChargeStatus.PROCESSING,
                "reason": "",
                "last4": last4,
                "kind": kind,
            }
            if last4 == "0119":
                charge.update(status=ChargeStatus.FAILED, reason="The payment processor refused the charge.")
            elif last4 == "3184":
                charge.update(status=ChargeStatus.REQUIRES_ACTION)
            self._charges[ref] = charge
            self._by_key[request.idempotency_key] = ref
            self.submitted.append(ref)
            return self._outcome(charge)

    def refund(self, ref: str, amount: Decimal, idempotency_key: str) -> None:
        """Refund part or all of a succeeded charge, as Stripe does: never more than the charge
        has left (``ValueError``), and once per idempotency key (a retry replays the first)."""
        with self._lock:
            charge = self._charges.get(ref)
            if charge is None:
                raise ValueError("no such charge")
            if idempotency_key in self._by_key:
                if self._by_key[idempotency_key] != ref or self.refunds[idempotency_key] != amount:
                    raise ValueError("that idempotency key was used with other parameters")
                return
            if charge["status"] is not ChargeStatus.SUCCEEDED:
                raise ValueError("only a succeeded charge can be refunded")
            if amount <= 0 or charge["refunded"] + amount > charge["amount"]:
                raise ValueError(f"the charge has {charge['amount'] - charge['refunded']} left to refund")
            self._by_key[idempotency_key] = ref
            self.refunds[idempotency_key] = amount
            charge["refunded"] += amount
            charge.setdefault("refund_keys", []).append(idempotency_key)
            self._queue(charge, "refunded", amount=charge["refunded"], refund_keys=list(charge["refund_keys"]))

    def refund_outside(self, ref: str, amount: Decimal) -> None:
        """Someone refunds in the processor's own dashboard: no portal request asked for it."""
        self.refund(ref, amount, f"dashboard:{secrets.token_hex(8)}")

    def refunded(self, ref: str) -> Decimal:
        """What the charge has refunded in all."""
        with self._lock:
            return Decimal(self._charges[ref]["refunded"])

    def cancel(self, ref: str) -> ChargeOutcome:
        with self._lock:
            charge = self._charges[ref]
            if charge["status"] in (ChargeStatus.REQUIRES_ACTION, ChargeStatus.PROCESSING):
                charge.update(status=ChargeStatus.CANCELED, reason="canceled")
            return self._outcome(charge)

    def retrieve(self, ref: str) -> ChargeOutcome:
        with self._lock:
            return self._outcome(self._charges[ref])

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProcessorEvent:
        """Verify the signature (constant-time, 5-minute tolerance) and read the event."""
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            stamp = int(parts.get("t", ""))
        except ValueError as exc:
            raise InvalidWebhook("no timestamp") from exc
        if abs(time.time() - stamp) > TOLERANCE_SECONDS:
            raise InvalidWebhook("timestamp outside the tolerance")
        if not hmac.compare_digest(self._sign(stamp, body), parts.get("v1", "")):
            raise InvalidWebhook("bad signature")
        try:
            data = json.loads(body)
            return ProcessorEvent(
                id=data["id"],
                kind=data["kind"],
                ref=data["ref"],
                payment_id=data["payment_id"],
                amount=Decimal(data["amount"]) if data.get("amount") else None,
                reason=data.get("reason", ""),
                refund_keys=tuple(data["refund_keys"]) if data.get("refund_keys") is not None else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook("unreadable body") from exc

    def hosted_fields(self) -> Mapping[str, str]:
        return {"kind": "fake"}

    # -- what the processor does on its own, later -------------------------------------------------
    def settle_due(self, deliver: Deliver) -> int:
        """Decide every open charge (cards ending 0002 are declined), then deliver every queued
        webhook to ``deliver(headers, body)``; return how many were delivered."""
        with self._lock:
            for charge in self._charges.values():
                if charge["status"] is ChargeStatus.PROCESSING:
                    declined = charge["last4"] == "0002"
                    charge.update(
                        status=ChargeStatus.FAILED if declined else ChargeStatus.SUCCEEDED,
                        reason="Card declined" if declined else "",
                    )
                    self._queue(charge, "failed" if declined else "succeeded")
            events, self._events = self._events, []
        for event in events:
            body = json.dumps(event).encode()
            deliver({SIGNATURE_HEADER: self.signature(body)}, body)
        return len(events)

    def complete_action(self, ref: str, succeeded: bool = True) -> None:
        """The customer finished (or abandoned) 3-D Secure in the browser."""
        with self._lock:
            charge = self._charges[ref]
            charge.update(status=ChargeStatus.PROCESSING if succeeded else ChargeStatus.CANCELED)
            if not succeeded:
                self._queue(charge, "canceled", reason="3-D Secure was not completed")

    def return_payment(self, ref: str, code: str = "R01") -> None:
        """The bank sends a settled ACH debit back (R01: insufficient funds)."""
        with self._lock:
            self._queue(self._charges[ref], "returned", reason=code)

    def signature(self, body: bytes, at: int | None = None) -> str:
        stamp = int(time.time()) if at is None else at
        return f"t={stamp},v1={self._sign(stamp, body)}"

    def pending(self) -> list[str]:
        with self._lock:
            return [ref for ref, c in self._charges.items() if c["status"] is ChargeStatus.PROCESSING]

    def start(self, deliver: Deliver, every_seconds: float = 5.0) -> threading.Thread:
        """Settle in the background, as a processor's webhooks would, until ``stop()``."""

        def run() -> None:
            while not self._stop.wait(every_seconds):
                self.settle_due(deliver)

        thread = threading.Thread(target=run, name="fake-processor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    # -- inside ------------------------------------------------------------------------------------
    def _sign(self, stamp: int, body: bytes) -> str:
        return hmac.new(self._secret, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()

    def _queue(
        self,
        charge: dict[str, Any],
        kind: str,
        *,
        amount: Decimal | None = None,
        reason: str = "",
        refund_keys: list[str] | None = None,
    ) -> None:
        self._events.append(
            {
                "id": f"evt_fake_{secrets.token_hex(12)}",
                "kind": kind,
                "ref": charge["ref"],
                "payment_id": charge["payment_id"],
                "amount": str(amount) if amount is not None else None,
                "reason": reason or charge["reason"],
                "refund_keys": refund_keys,
            }
        )

    @staticmethod
    def _outcome(charge: dict[str, Any]) -> ChargeOutcome:
        secret = f"{charge['ref']}_secret" if charge["status"] is ChargeStatus.REQUIRES_ACTION else ""
        return ChargeOutcome(
            ref=charge["ref"], status=charge["status"], failure_reason=charge["reason"], action_secret=secret
        )
