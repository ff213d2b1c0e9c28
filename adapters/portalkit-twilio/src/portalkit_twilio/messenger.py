"""``TwilioTextMessenger``: portalkit's text-message port on Twilio's Programmable Messaging.

``send`` posts to Twilio's Messages API through the official library
(``twilio.rest.Client(...).messages.create``), from one number or through a Messaging Service,
and answers Twilio's message SID. Twilio refusing the *recipient* (not a valid number, not a
mobile, opted out with STOP, ...) is a ``ValueError`` (``TextRefused``, carrying Twilio's error
code); everything else (bad credentials, a sender Twilio does not know, rate limits, outages,
the network) propagates, so a misconfigured account is never mistaken for a contact who cannot
receive texts.

``parse_inbound`` verifies the ``X-Twilio-Signature`` of Twilio's "A message comes in" webhook
with the library's ``RequestValidator`` (HMAC-SHA1 of the URL and form with the account's Auth
Token, compared in constant time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from portalkit.errors import ConfigurationError, InvalidWebhook
from portalkit.ports import InboundText, TextMessage

# Each setting and the environment variable the entry point reads it from (portalkit_twilio.plugin).
ENVIRONMENT = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "from_number": "TWILIO_FROM_NUMBER",
    "messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
    "api_base": "TWILIO_API_BASE",
}
TWILIO_API = "https://api.twilio.com"
TIMEOUT = 15.0  # seconds, for the default HTTP client (the library's own waits forever)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")  # "+" and up to 15 digits, no spaces: what Twilio takes
SIGNATURE_HEADER = "x-twilio-signature"

# Twilio's error codes that refuse the message for its recipient or its text, each with the reason
# given to the portal. Any other error (authentication 20003, a From number or Messaging Service
# the account does not have 21606/21659/21701..., rate limits 20429, 5xx) propagates.
REFUSALS = {
    21211: "the number is not a valid phone number",
    21214: "the number cannot be reached",
    21217: "the number is not a valid phone number",
    21219: "the number is not verified (a Twilio trial account texts verified numbers only)",
    21265: "the number cannot be a short code",
    21266: "the number is the sender's own",
    21407: "the number cannot receive text messages",
    21408: "texts to the number's region are not enabled on the Twilio account",
    21602: "the message has no text",
    21610: "the number has opted out (replied STOP)",
    21612: "Twilio cannot route a text from the sender to the number",
    21614: "the number is not a mobile number",
    21617: "the message is too long (Twilio takes 1600 characters)",
    21635: "the number is a landline",
}


class TextRefused(ValueError):
    """Twilio refused a message for its recipient or text (a ``ValueError``, as the port says).
    ``code`` is Twilio's error code (21610: the recipient replied STOP), or None for a number
    refused before asking Twilio; ``to`` is the number."""

    def __init__(self, to: str, reason: str, code: int | None = None):
        super().__init__(f"Twilio refused the text to {to}: {reason}" + (f" (Twilio error {code})" if code else ""))
        self.to, self.reason, self.code = to, reason, code


def _setting(name: str) -> str:
    return f"{name} (environment variable {ENVIRONMENT[name]})"


def _checked_sid(name: str, value: object, prefix: str, kind: str, where: str) -> str:
    """``value`` when it is a Twilio SID of ``prefix`` + 32 hex digits, else ``ConfigurationError``
    naming the setting and its variable (never the value)."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            f"TwilioTextMessenger: {_setting(name)} is empty; it is {kind}, {prefix} and 32 "
            f"hexadecimal digits ({where})."
        )
    if not re.fullmatch(prefix + r"[0-9a-fA-F]{32}", value):
        hint = (
            " An API key SID (SK...) is not enough: Twilio signs its webhooks with the account's Auth Token."
            if value.startswith("SK")
            else ""
        )
        raise ConfigurationError(
            f"TwilioTextMessenger: {_setting(name)} is not {kind}: it must be {prefix} and 32 "
            f"hexadecimal digits, with no spaces ({where}).{hint}"
        )
    return value


def _checked_token(value: object) -> str:
    where = "Twilio Console > Account info: the Auth Token, not an API key secret"
    if not isinstance(value, str) or not value:
        raise ConfigurationError(
            f"TwilioTextMessenger: {_setting('auth_token')} is empty; it is the account's Auth "
            f"Token, 32 hexadecimal digits ({where})."
        )
    if not re.fullmatch(r"[0-9a-fA-F]{32}", value):
        raise ConfigurationError(
            f"TwilioTextMessenger: {_setting('auth_token')} is not an Auth Token: it must be 32 "
            f"hexadecimal digits, with no spaces ({where})."
        )
    return value


def _checked_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"TwilioTextMessenger: {_setting('api_base')} must be an http(s) URL such as "
            f"{TWILIO_API} (or https://api.dublin.ie1.twilio.com, or a local test server)."
        )
    return value.rstrip("/")


def is_e164(number: object) -> bool:
    """Whether ``number`` is written in E.164: ``+``, the country code and the number, up to 15
    digits, nothing else (``+15555550123``). Whether such a number exists is Twilio's to say."""
    return isinstance(number, str) and E164.fullmatch(number) is not None


class RebasedHttpClient(HttpClient):  # type: ignore[misc,unused-ignore]  # twilio has no py.typed
    """A ``twilio.http.HttpClient`` sending every request the library addresses to Twilio
    (``https://api.twilio.com/...``, or a regional host) to ``base`` instead, path and query
    kept: Twilio's regional edges, a proxy, or a local server that speaks the API."""

    def __init__(self, base: str, inner: HttpClient):
        super().__init__(inner.logger, False, inner.timeout)
        self.base = urlsplit(base.rstrip("/"))
        self.inner = inner

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        return self.inner.request(
            method,
            self.rebase(uri),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class TwilioTextMessenger:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base: str | None = None,
        http_client: HttpClient | None = None,
    ):
        """``account_sid`` (``AC`` and 32 hex digits) and ``auth_token`` (32 hex digits; it also
        verifies the inbound webhook) are the account's. Messages go from ``from_number`` (a
        Twilio number in E.164, ``+15555550100``) or through ``messaging_service_sid``
        (``MG...``): exactly one of them. ``api_base`` sends the API calls elsewhere (a regional
        edge such as ``https://api.dublin.ie1.twilio.com``, a proxy, a local test server);
        ``http_client`` is the library's transport (default: ``TwilioHttpClient`` with a
        15-second timeout). Every setting is checked here: a wrong one is a
        ``ConfigurationError`` naming it and its environment variable when the portal starts."""
        account_sid = _checked_sid("account_sid", account_sid, "AC", "an Account SID", "Twilio Console > Account info")
        auth_token = _checked_token(auth_token)
        if bool(from_number) == bool(messaging_service_sid):
            which = "both are set" if from_number else "neither is set"
            raise ConfigurationError(
                f"TwilioTextMessenger: set exactly one of {_setting('from_number')}, a Twilio "
                f"number in E.164 such as +15555550100, and {_setting('messaging_service_sid')}"
                f", MG and 32 hexadecimal digits; {which}."
            )
        if from_number and not is_e164(from_number):
            raise ConfigurationError(
                f"TwilioTextMessenger: {_setting('from_number')} must be a Twilio phone number in "
                f"E.164, + and the country code, no spaces (+15555550100). To send from a "
                f"short code or an alphanumeric sender, put it in a Messaging Service and set "
                f"{_setting('messaging_service_sid')} instead."
            )
        if messaging_service_sid:
            messaging_service_sid = _checked_sid(
                "messaging_service_sid",
                messaging_service_sid,
                "MG",
                "a Messaging Service SID",
                "Twilio Console > Messaging > Services",
            )
        transport: HttpClient = http_client if http_client is not None else TwilioHttpClient(timeout=TIMEOUT)
        if api_base:
            api_base = _checked_url(api_base)
            transport = RebasedHttpClient(api_base, transport)
        self.account_sid = account_sid
        self.from_number = from_number or None
        self.messaging_service_sid = messaging_service_sid or None
        self.api_base = api_base or TWILIO_API
        self._client = Client(account_sid, auth_token, http_client=transport)
        self._validator = RequestValidator(auth_token)

    def __repr__(self) -> str:
        sender = self.from_number or self.messaging_service_sid
        return f"<TwilioTextMessenger {self.account_sid} from {sender} via {self.api_base}>"

    # -- outgoing ------------------------------------------------------------------------------------
    def send(self, message: TextMessage) -> str:
        """Hands the message to Twilio and returns its SID (``SM...``). A number not in E.164 or an
        empty text is refused here; Twilio refusing the recipient is ``TextRefused`` (a
        ``ValueError``); any other error propagates."""
        if not is_e164(message.to):
            raise TextRefused(
                str(message.to), "the number is not in E.164 (+ and the country code, no spaces, such as +15555550123)"
            )
        if not message.body.strip():
            raise TextRefused(message.to, "the message has no text")
        sender: dict[str, Any] = (
            {"from_": self.from_number} if self.from_number else {"messaging_service_sid": self.messaging_service_sid}
        )
        try:
            sent = self._client.messages.create(to=message.to, body=message.body, **sender)
        except TwilioException as exc:
            code = getattr(exc, "code", None)
            if code in REFUSALS:
                raise TextRefused(message.to, REFUSALS[code], code) from exc
            raise
        return str(sent.sid)

    # -- inbound ---------------------------------------------------------------------------------------
    def parse_inbound(self, url: str, headers: Mapping[str, str], form: Mapping[str, str]) -> InboundText:
        """The reply Twilio posted to ``url`` (the exact URL set as the number's or Messaging
        Service's "A message comes in" webhook, query string included), if its
        ``X-Twilio-Signature`` verifies over that URL and the form; ``InvalidWebhook`` otherwise."""
        signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
        if not signature or not self._validator.validate(url, form, signature):
            raise InvalidWebhook(
                "the inbound text's X-Twilio-Signature does not verify (check that the webhook URL "
                "in Twilio is the one the portal serves, and TWILIO_AUTH_TOKEN)"
            )
        sender = form.get("From") or ""
        if not sender:
            raise InvalidWebhook("the inbound text names no sender (From)")
        return InboundText(
            sender=str(sender),
            body=str(form.get("Body") or ""),
            provider_id=str(form.get("MessageSid") or form.get("SmsSid") or ""),
        )
