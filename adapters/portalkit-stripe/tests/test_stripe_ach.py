"""ACH (us_bank_account) through Stripe, on recorded Stripe API responses: localstripe has no
us_bank_account, so these answers were taken from Stripe's API reference and replayed through
the SDK's own HTTP client hook. A bank debit settles days later and can come back (R01)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import stripe
from portalkit_stripe import StripeProcessor

from portalkit.ports import ChargeRequest, ChargeStatus

RECORDED = json.loads((Path(__file__).parent / "recorded" / "ach.json").read_text())
SECRET = "whsec_recorded_ach_0123456789"


class Replay(stripe.HTTPClient):
    """Answers each request with its recorded response; records what was asked."""

    name = "replay"

    def __init__(self, payment_id: str = ""):
        super().__init__()
        self.asked: list[tuple[str, str, str]] = []
        self._payment_id = payment_id

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.asked.append((method.upper(), path, post_data or ""))
        body = json.dumps(RECORDED[f"{method.upper()} {path}"]).replace("PAYMENT_ID", self._payment_id)
        return body, 200, {"request-id": "req_replay"}

    def close(self):
        return None


def test_attach_a_us_bank_account():
    replay = Replay()
    processor = StripeProcessor(
        api_key="sk_test_x",
        publishable_key="pk_test_x",
        webhook_secret=SECRET,
        http_client=replay,
        method_types=("card", "us_bank_account"),
    )
    method = processor.attach("cus_ach_1", "pm_ach_1")
    assert (method.kind, method.last4, method.brand) == ("ach", "6789", "STRIPE TEST BANK")
    assert "110000000" not in repr(method)  # not even the routing number is kept


def test_an_ach_charge_is_processing_for_days():
    replay = Replay(payment_id="pay_1")
    processor = StripeProcessor(
        api_key="sk_test_x",
        publishable_key="pk_test_x",
        webhook_secret=SECRET,
        http_client=replay,
        method_types=("card", "us_bank_account"),
    )
    outcome = processor.charge(
        ChargeRequest(
            payment_id="pay_1",
            amount=Decimal("200.00"),
            currency="usd",
            customer_ref="cus_ach_1",
            method_token="pm_ach_1",
            idempotency_key="key-ach",
        )
    )
    assert (outcome.ref, outcome.status) == ("pi_ach_1", ChargeStatus.PROCESSING)
    posted = next(data for method, path, data in replay.asked if method == "POST")
    assert "payment_method_types[1]=us_bank_account" in posted and "amount=20000" in posted


def test_an_ach_return_arrives_as_a_returned_event():
    """Stripe reports an ACH return as charge.failed on a charge that had been paid."""
    processor = StripeProcessor(
        api_key="sk_test_x", publishable_key="pk_test_x", webhook_secret=SECRET, http_client=Replay()
    )
    event = {
        "id": "evt_return_1",
        "object": "event",
        "type": "charge.failed",
        "api_version": "2024-06-20",
        "data": {
            "object": {
                "id": "ch_ach_1",
                "object": "charge",
                "payment_intent": "pi_ach_1",
                "paid": True,
                "status": "failed",
                "failure_code": "R01",
                "metadata": {"portalkit_payment": "pay_1"},
            }
        },
    }
    body = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    parsed = processor.parse_webhook({"Stripe-Signature": f"t={stamp},v1={signature}"}, body)
    assert (parsed.kind, parsed.ref, parsed.payment_id, parsed.reason) == ("returned", "pi_ach_1", "pay_1", "R01")
