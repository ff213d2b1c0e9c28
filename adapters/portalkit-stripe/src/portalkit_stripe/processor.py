"""``StripeProcessor``: portalkit's payment port on Stripe's PaymentIntents and SetupIntents.

Cards and US bank accounts are entered in Stripe's own fields (Elements) in the customer's
browser; portalkit sees PaymentMethod ids only. Each charge carries portalkit's payment id in
its metadata, so webhooks find their payment even before the charge call returned, and a charge
is never created twice for one payment (the idempotency key, and a look for an existing
PaymentIntent of the payment first). Webhooks are verified with Stripe's own
``Webhook.construct_event`` (``Stripe-Signature``, 300 s tolerance, constant-time compare).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import stripe

from portalkit.errors import ConfigurationError, InvalidWebhook
from portalkit.ports import ChargeOutcome, ChargeRequest, ChargeStatus, MethodDetails, ProcessorEvent

_STATUS = {
    "requires_action": ChargeStatus.REQUIRES_ACTION,
    "requires_confirmation": ChargeStatus.REQUIRES_ACTION,
    "requires_source_action": ChargeStatus.REQUIRES_ACTION,
    "processing": ChargeStatus.PROCESSING,
    "requires_capture": ChargeStatus.PROCESSING,
    "succeeded": ChargeStatus.SUCCEEDED,
    "canceled": ChargeStatus.CANCELED,
    "requires_payment_method": ChargeStatus.FAILED,  # after a failed attempt
    "requires_source": ChargeStatus.FAILED,
}
_EVENTS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
    "payment_intent.processing": "processing",
    "payment_intent.requires_action": "requires_action",
}
METADATA_KEY = "portalkit_payment"
REFUND_KEY = "portalkit_refund"
ACH_MANDATE = (
    "By adding this bank account you authorise {company} to debit it for the payments you make in its "
    "customer portal, under the Nacha rules; you may revoke this authorisation at any time."
)
STRIPE_JS_URL = "https://js.stripe.com/v3/"
METHOD_TYPES = ("card", "us_bank_account")  # the PaymentMethod types this adapter understands
# Each setting and the environment variable the entry point reads it from (portalkit_stripe.plugin).
ENVIRONMENT = {
    "api_key": "STRIPE_API_KEY",
    "publishable_key": "STRIPE_PUBLISHABLE_KEY",
    "webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "api_base": "STRIPE_API_BASE",
    "js_url": "STRIPE_JS_URL",
    "method_types": "STRIPE_METHOD_TYPES",
}
_KEY_PREFIXES = {"api_key": ("sk_", "rk_"), "publishable_key": ("pk_",), "webhook_secret": ("whsec_",)}
_KEY_KINDS = {
    "api_key": "a secret or restricted API key",
    "publishable_key": "a publishable key",
    "webhook_secret": "a webhook signing secret",
}


def _metadata(obj: Any) -> dict[str, Any]:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata or {})


def _payment_id(obj: Any) -> str:
    """portalkit's payment id from a Stripe object's metadata ("" when it has none)."""
    return str(_metadata(obj).get(METADATA_KEY, ""))


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _setting(name: str) -> str:
    return f"{name} (environment variable {ENVIRONMENT[name]})"


def _checked_key(name: str, value: object) -> str:
    """``value`` when it looks like the Stripe key ``name`` should be, else ``ConfigurationError``
    naming the setting and its environment variable (never the value: it may be a secret)."""
    prefixes = _KEY_PREFIXES[name]
    expected = " or ".join(prefixes)
    where = (
        "Stripe Dashboard > Developers > Webhooks: the endpoint's signing secret; `stripe listen` prints one"
        if name == "webhook_secret"
        else "Stripe Dashboard > Developers > API keys"
    )
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            f"StripeProcessor: {_setting(name)} is empty; it is {_KEY_KINDS[name]} starting with {expected} ({where})."
        )
    if (
        not value.startswith(prefixes)
        or value in prefixes
        or not value.isascii()
        or not value.isprintable()
        or any(c.isspace() for c in value)
    ):
        raise ConfigurationError(
            f"StripeProcessor: {_setting(name)} is not {_KEY_KINDS[name]}: it must start with "
            f"{expected} and hold no spaces ({where})."
        )
    return value


def _mode(key: str) -> str | None:
    """ "test" or "live" for keys that say which (``sk_test_...``, ``pk_live_...``), else None."""
    parts = key.split("_")
    return parts[1] if len(parts) > 2 and parts[1] in ("test", "live") else None


def _checked_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"StripeProcessor: {_setting(name)} must be an http(s) URL such as "
            f"{'https://api.stripe.com' if name == 'api_base' else STRIPE_JS_URL}."
        )
    return value


def default_js_url(api_base: str | None) -> str:
    """Where the pages load Stripe.js from: Stripe's own, or ``<api_base>/js.stripe.com/v3/``
    when the API is elsewhere (localstripe serves its Stripe.js there)."""
    return f"{api_base.rstrip('/')}/js.stripe.com/v3/" if api_base else STRIPE_JS_URL


class StripeProcessor:
    name = "stripe"

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        publishable_key: str,
        api_base: str | None = None,
        js_url: str | None = None,
        method_types: tuple[str, ...] = ("card",),
        http_client: stripe.HTTPClient | None = None,
    ):
        """``api_key`` (``sk_...`` or ``rk_...``), ``publishable_key`` (``pk_...``, for Stripe.js
        in the pages) and ``webhook_secret`` (``whsec_...``) are checked here: an empty or
        malformed one, or test and live keys mixed, is a ``ConfigurationError`` when the portal
        starts rather than a 400 on every webhook. ``api_base`` points the API elsewhere
        (localstripe); ``js_url`` is Stripe.js, by default ``<api_base>/js.stripe.com/v3/`` when
        ``api_base`` is given, else Stripe's. ``method_types`` ``("card", "us_bank_account")``
        takes ACH too; ``http_client`` is the SDK's transport (tests replay recorded answers)."""
        api_key = _checked_key("api_key", api_key)
        publishable_key = _checked_key("publishable_key", publishable_key)
        webhook_secret = _checked_key("webhook_secret", webhook_secret)
        if None not in (_mode(api_key), _mode(publishable_key)) and _mode(api_key) != _mode(publishable_key):
            raise ConfigurationError(
                f"StripeProcessor: {_setting('api_key')} is a {_mode(api_key)} key but "
                f"{_setting('publishable_key')} a {_mode(publishable_key)} one; use both "
                f"keys of one mode."
            )
        if api_base:
            api_base = _checked_url("api_base", api_base).rstrip("/")
        js_url = _checked_url("js_url", js_url) if js_url else default_js_url(api_base)
        if isinstance(method_types, str):
            method_types = (method_types,)
        unknown = [t for t in method_types if t not in METHOD_TYPES]
        if not method_types or unknown:
            raise ConfigurationError(
                f"StripeProcessor: {_setting('method_types')} must name one or more of "
                f"{', '.join(METHOD_TYPES)}" + (f", not {', '.join(map(repr, unknown))}." if unknown else ".")
            )
        self._client = stripe.StripeClient(
            api_key, base_addresses={"api": api_base} if api_base else {}, http_client=http_client
        )
        self._webhook_secret = webhook_secret
        self._publishable_key = publishable_key
        self._api_base = api_base or "https://api.stripe.com"
        self._js_url = js_url
        self._method_types = list(method_types)

    # -- customers and methods -------------------------------------------------------------------
    def customer(self, contact_id: str, email: str | None, existing: str | None) -> str:
        if existing:
            return existing
        params: dict[str, Any] = {"metadata": {"portalkit_contact": contact_id}}
        if email:
            params["email"] = email
        return str(self._client.v1.customers.create(params=params).id)  # type: ignore[arg-type]

    def start_setup(self, customer_ref: str) -> str:
        intent = self._client.v1.setup_intents.create(
            params={"customer": customer_ref, "payment_method_types": self._method_types}
        )  # type: ignore[typeddict-item]
        return str(intent.client_secret)

    def describe(self, token: str) -> MethodDetails:
        """The PaymentMethod as Stripe has it, changing nothing (no customer is made)."""
        try:
            return self._details(self._client.v1.payment_methods.retrieve(token))
        except stripe.StripeError as exc:
            raise ValueError(exc.user_message or "Stripe does not know that payment method") from exc

    def attach(self, customer_ref: str, token: str) -> MethodDetails:
        try:
            method = self._client.v1.payment_methods.retrieve(token)
            if getattr(method, "customer", None) != customer_ref:
                method = self._client.v1.payment_methods.attach(token, params={"customer": customer_ref})
        except stripe.StripeError as exc:
            raise ValueError(exc.user_message or "Stripe refused the payment method") from exc
        return self._details(method)

    @staticmethod
    def _details(method: Any) -> MethodDetails:
        if method.type == "card":
            card = method.card
            assert card is not None
            return MethodDetails(
                token=method.id,
                kind="card",
                last4=card.last4,
                brand=card.brand,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                funding=card.funding or "",
            )
        bank = method.us_bank_account
        if method.type != "us_bank_account" or bank is None:
            raise ValueError(f"payment methods of type {method.type} are not taken here")
        return MethodDetails(token=method.id, kind="ach", last4=bank.last4 or "", brand=bank.bank_name or "")

    def detach(self, token: str) -> None:
        try:
            self._client.v1.payment_methods.detach(token)
        except stripe.StripeError:
            pass  # already gone: nothing to do

    # -- charges -----------------------------------------------------------------------------------
    def charge(self, request: ChargeRequest) -> ChargeOutcome:
        existing = self._existing_intent(request)
        if existing is not None:
            return self._outcome(existing)
        try:
            intent = self._client.v1.payment_intents.create(
                params={
                    "amount": _cents(request.amount),
                    "currency": request.currency,
                    "customer": request.customer_ref,
                    "payment_method": request.method_token,
                    "confirm": True,
                    "payment_method_types": self._method_types,
                    "metadata": {METADATA_KEY: request.payment_id, "description": request.description},
                },
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.CardError as exc:
            intent_ref = getattr(getattr(exc, "error", None), "payment_intent", None)
            ref = getattr(intent_ref, "id", "") if intent_ref is not None else ""
            return ChargeOutcome(
                ref=ref or f"declined:{request.payment_id}",
                status=ChargeStatus.FAILED,
                failure_reason=exc.user_message or "Card declined",
            )
        return self._outcome(intent)

    def _existing_intent(self, request: ChargeRequest) -> Any:
        """The PaymentIntent already made for this payment, if a first call's answer was lost."""
        intents = self._client.v1.payment_intents
        try:
            found = intents.list(params={"customer": request.customer_ref, "limit": 100})
        except stripe.InvalidRequestError:  # an API without the customer filter (localstripe): all of them
            found = intents.list(params={"limit": 100})
        return next((i for i in found.auto_paging_iter() if _payment_id(i) == request.payment_id), None)

    def refund(self, ref: str, amount: Decimal, idempotency_key: str) -> None:
        """A refund of ``amount``; Stripe refuses more than the charge has left (``ValueError``),
        and replays the first answer for a repeated idempotency key."""
        try:
            made = self._client.v1.refunds.list(params={"payment_intent": ref, "limit": 100})
            if any(_metadata(r).get(REFUND_KEY) == idempotency_key for r in made.auto_paging_iter()):
                return  # this refund was made already: a retry
            left = self._refundable_cents(ref)
            if left is not None and _cents(amount) > left:  # Stripe refuses this too; its emulators may not
                raise ValueError(f"the charge has {Decimal(left) / 100} left to refund")
            self._client.v1.refunds.create(
                params={"payment_intent": ref, "amount": _cents(amount), "metadata": {REFUND_KEY: idempotency_key}},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:
            raise ValueError(exc.user_message or str(exc)) from exc

    def _refund_keys(self, ref: str) -> tuple[str, ...] | None:
        """The portal's keys of the refunds the PaymentIntent has made (its webhook lists only an
        amount), so the portal settles exactly the refunds that happened; None if Stripe cannot
        be asked now (the portal then waits for each refund's own answer)."""
        if not ref:
            return None
        try:
            made = self._client.v1.refunds.list(params={"payment_intent": ref, "limit": 100})
            return tuple(
                str(_metadata(r).get(REFUND_KEY))
                for r in made.auto_paging_iter()
                if _metadata(r).get(REFUND_KEY) and getattr(r, "status", "succeeded") in ("succeeded", "pending")
            )
        except stripe.StripeError:
            return None

    def _refundable_cents(self, ref: str) -> int | None:
        """What the PaymentIntent's charge has left to refund, in cents (None: no charge yet)."""
        intent = self._client.v1.payment_intents.retrieve(ref, params={"expand": ["latest_charge"]})
        charge = getattr(intent, "latest_charge", None)
        if isinstance(charge, str):
            charge = self._client.v1.charges.retrieve(charge)
        if charge is None:
            return None
        return int(charge.amount) - int(getattr(charge, "amount_refunded", 0) or 0)

    def cancel(self, ref: str) -> ChargeOutcome:
        try:
            return self._outcome(self._client.v1.payment_intents.cancel(ref))
        except stripe.InvalidRequestError:  # it can no longer be canceled (succeeded, say): say what it is
            return self.retrieve(ref)

    def retrieve(self, ref: str) -> ChargeOutcome:
        return self._outcome(self._client.v1.payment_intents.retrieve(ref))

    @staticmethod
    def _outcome(intent: Any) -> ChargeOutcome:
        status = _STATUS.get(intent.status, ChargeStatus.PROCESSING)
        error = getattr(intent, "last_payment_error", None)
        return ChargeOutcome(
            ref=intent.id,
            status=status,
            failure_reason=(getattr(error, "message", "") or "declined") if status is ChargeStatus.FAILED else "",
            action_secret=intent.client_secret if status is ChargeStatus.REQUIRES_ACTION else "",
        )

    # -- webhooks ------------------------------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProcessorEvent:
        signature = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), "")
        try:
            event = stripe.Webhook.construct_event(body, signature, self._webhook_secret, tolerance=300)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidWebhook(str(exc)) from exc
        obj = event.data.object
        payment_id = _payment_id(obj)
        if event.type in _EVENTS:
            error = getattr(obj, "last_payment_error", None)
            return ProcessorEvent(
                id=event.id,
                kind=_EVENTS[event.type],
                ref=obj.id,
                payment_id=payment_id,
                reason=getattr(error, "message", "") or "",
            )
        if event.type == "charge.refunded":
            return ProcessorEvent(
                id=event.id,
                kind="refunded",
                ref=obj.payment_intent or "",
                payment_id=payment_id,
                amount=Decimal(obj.amount_refunded) / 100,
                refund_keys=self._refund_keys(obj.payment_intent or ""),
            )
        if event.type == "charge.failed" and getattr(obj, "status", "") == "failed" and getattr(obj, "paid", False):
            return ProcessorEvent(
                id=event.id,
                kind="returned",
                ref=obj.payment_intent or "",
                payment_id=payment_id,
                reason=getattr(obj, "failure_code", "") or "returned",
            )
        if event.type == "charge.dispute.created":
            return ProcessorEvent(id=event.id, kind="disputed", ref=obj.payment_intent or "", payment_id=payment_id)
        if event.type == "charge.dispute.closed":
            # "won", and an inquiry closed without a chargeback ("warning_closed"), keep the money
            kind = "returned" if obj.status == "lost" else "dispute_won"
            return ProcessorEvent(
                id=event.id,
                kind=kind,
                ref=obj.payment_intent or "",
                payment_id=payment_id,
                reason="dispute " + str(obj.status),
            )
        return ProcessorEvent(
            id=event.id, kind="ignored:" + event.type, ref=getattr(obj, "id", ""), payment_id=payment_id
        )

    def hosted_fields(self) -> Mapping[str, str]:
        return {
            "kind": "stripe",
            "publishable_key": self._publishable_key,
            "js_url": self._js_url,
            "api": self._api_base,
        }
