"""TwilioTextMessenger against a local server speaking Twilio's Messages API (tests/fake_twilio.py):
the text-message conformance suite from a number and through a Messaging Service, Twilio's
refusals as ValueError and everything else propagating, the transport (api_base, http_client,
Twilio's own TWILIO_EDGE) and the inbound webhook's X-Twilio-Signature."""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlsplit

import pytest
import requests
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVICE_SID
from portalkit_twilio import TextRefused, TwilioTextMessenger
from portalkit_twilio.messenger import RebasedHttpClient
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from portalkit.errors import InvalidWebhook
from portalkit.ports import TextMessage, TextMessenger
from portalkit.testing.texts import URL, TextMessengerConformance

SERVERS: dict[int, object] = {}  # id(messenger) -> its FakeTwilio, for the suite's helpers


def signed(url: str, form: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def inbound_form(sender: str, body: str, **extra: str) -> dict[str, str]:
    """What Twilio posts to the "A message comes in" webhook (the fields the portal reads, and more)."""
    return {
        "ToCountry": "US",
        "SmsMessageSid": "SM" + "1" * 32,
        "NumMedia": "0",
        "SmsSid": "SM" + "1" * 32,
        "SmsStatus": "received",
        "Body": body,
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


@pytest.mark.parametrize("sender", ["from_number", "messaging_service_sid"])
class TestTwilioTextMessenger(TextMessengerConformance):
    @pytest.fixture
    def messenger(self, twilio, messenger_for, sender):
        messenger = messenger_for(sender)
        SERVERS[id(messenger)] = twilio
        yield messenger
        del SERVERS[id(messenger)]

    def received(self, messenger):
        return SERVERS[id(messenger)].received(ACCOUNT_SID)

    def unreachable(self, messenger):
        return "+15005550009"  # not a mobile number (21614)

    def signed_inbound(self, messenger, url, sender, body):
        form = inbound_form(sender, body)
        return signed(url, form), form


# -- sending ------------------------------------------------------------------------------------------------
def test_a_text_from_a_number_is_posted_as_twilio_expects(twilio, messenger_for):
    sid = messenger_for().send(TextMessage(to="+15555550123", body="Your technician is on the way"))
    (request,) = twilio.requests
    assert request["method"] == "POST" and request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["form"] == {"To": "+15555550123", "From": FROM_NUMBER, "Body": "Your technician is on the way"}
    (message,) = twilio.messages
    assert sid == message["sid"] and sid.startswith("SM") and len(sid) == 34
    assert (message["status"], message["from"]) == ("queued", FROM_NUMBER)


def test_a_text_through_a_messaging_service_names_the_service_and_no_number(twilio, messenger_for):
    sid = messenger_for("messaging_service_sid").send(TextMessage(to="+15555550123", body="Invoice INV-1 is due"))
    (request,) = twilio.requests
    assert request["form"] == {"To": "+15555550123", "MessagingServiceSid": SERVICE_SID, "Body": "Invoice INV-1 is due"}
    assert twilio.messages[0]["sid"] == sid and twilio.messages[0]["status"] == "accepted"


@pytest.mark.parametrize(
    "to, code, reason",
    [
        ("+15005550001", 21211, "not a valid phone number"),
        ("+15005550009", 21614, "not a mobile number"),
        ("+15005550004", 21610, "opted out"),
        ("+15005550002", 21612, "cannot route"),
        ("+15005550003", 21408, "region"),
    ],
)
def test_twilio_refusing_the_recipient_is_a_value_error_with_the_reason(twilio, messenger_for, to, code, reason):
    with pytest.raises(ValueError, match=reason) as refused:
        messenger_for().send(TextMessage(to=to, body="Hello"))
    assert isinstance(refused.value, TextRefused) and (refused.value.code, refused.value.to) == (code, to)
    assert f"Twilio error {code}" in str(refused.value)
    assert isinstance(refused.value.__cause__, TwilioRestException)
    assert twilio.messages == [] and len(twilio.requests) == 1  # Twilio was asked, and said no


def test_a_recipient_who_replied_stop_is_refused_until_start(twilio, messenger_for):
    messenger = messenger_for()
    twilio.stop("+15555550123")
    with pytest.raises(ValueError, match="opted out") as refused:
        messenger.send(TextMessage(to="+15555550123", body="Your visit is tomorrow"))
    assert refused.value.code == 21610
    twilio.start_again("+15555550123")
    assert messenger.send(TextMessage(to="+15555550123", body="Your visit is tomorrow")).startswith("SM")


@pytest.mark.parametrize(
    "to",
    [
        "5555550123",
        "15555550123",
        "+1 555 555 0123",
        "+1-555-555-0123",
        "+01555550123",
        "+",
        "+1",
        "",
        "+1234567890123456",
        "whatsapp:+15555550123",
        " +15555550123",
        "+15555550123\n",
        "+１５５５５５５０１２３",
    ],
)
def test_a_number_not_in_e164_is_refused_before_asking_twilio(twilio, messenger_for, to):
    with pytest.raises(ValueError, match="E.164") as refused:
        messenger_for().send(TextMessage(to=to, body="Hello"))
    assert refused.value.code is None
    assert twilio.requests == []


@pytest.mark.parametrize("body", ["", "  \n"])
def test_an_empty_text_is_refused_before_asking_twilio(twilio, messenger_for, body):
    with pytest.raises(ValueError, match="no text"):
        messenger_for().send(TextMessage(to="+15555550123", body=body))
    assert twilio.requests == []


def test_a_text_twilio_finds_too_long_is_a_value_error(twilio, messenger_for):
    with pytest.raises(ValueError, match="too long") as refused:
        messenger_for().send(TextMessage(to="+15555550123", body="x" * 1601))
    assert refused.value.code == 21617


def test_wrong_credentials_are_not_a_refusal_of_the_recipient(twilio, messenger_for):
    with pytest.raises(TwilioRestException) as failed:
        messenger_for(auth_token="0" * 32).send(TextMessage(to="+15555550123", body="Hello"))
    assert not isinstance(failed.value, ValueError) and (failed.value.status, failed.value.code) == (401, 20003)


@pytest.mark.parametrize(
    "sender, value, code", [("from_number", "+15555550199", 21606), ("messaging_service_sid", "MG" + "0" * 32, 21701)]
)
def test_a_sender_the_account_does_not_have_propagates(twilio, messenger_for, sender, value, code):
    with pytest.raises(TwilioRestException) as failed:
        messenger_for(sender, **{sender: value}).send(TextMessage(to="+15555550123", body="Hello"))
    assert not isinstance(failed.value, ValueError) and failed.value.code == code


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_outages_propagate(twilio, messenger_for, status):
    twilio.outage = status
    with pytest.raises(TwilioRestException) as failed:
        messenger_for().send(TextMessage(to="+15555550123", body="Hello"))
    assert not isinstance(failed.value, ValueError) and failed.value.status == status


def test_an_unreachable_api_propagates_the_network_error(messenger_for):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket closes
    with pytest.raises(requests.ConnectionError):
        messenger_for(api_base=closed).send(TextMessage(to="+15555550123", body="Hello"))


# -- the transport ------------------------------------------------------------------------------------------
class Recorder(HttpClient):
    """A transport that answers every request with one Message, keeping the URLs."""

    def __init__(self):
        super().__init__(logger=None, is_async=False)
        self.urls: list[str] = []

    def request(
        self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        self.urls.append(uri)
        return Response(201, '{"sid": "SM' + "2" * 32 + '", "status": "queued"}')


def test_without_api_base_the_library_calls_twilio_itself():
    recorder = Recorder()
    messenger = TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, http_client=recorder)
    assert messenger.send(TextMessage(to="+15555550123", body="Hi")) == "SM" + "2" * 32
    assert recorder.urls == [f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"]
    assert messenger.api_base == "https://api.twilio.com"


@pytest.mark.parametrize(
    "api_base, expected",
    [
        ("https://api.dublin.ie1.twilio.com", "https://api.dublin.ie1.twilio.com/2010-04-01"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123/2010-04-01"),
        ("https://proxy.example.test/twilio/", "https://proxy.example.test/twilio/2010-04-01"),
    ],
)
def test_api_base_rebases_every_call_on_the_given_http_client(api_base, expected):
    recorder = Recorder()
    messenger = TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, api_base=api_base, http_client=recorder)
    messenger.send(TextMessage(to="+15555550123", body="Hi"))
    assert recorder.urls == [f"{expected}/Accounts/{ACCOUNT_SID}/Messages.json"]


def test_api_base_wins_over_twilios_own_edge_and_region_variables(twilio, messenger_for, monkeypatch):
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    messenger_for().send(TextMessage(to="+15555550123", body="Hi"))
    assert twilio.received() == [("+15555550123", "Hi")]


def test_the_default_transport_has_a_timeout():
    messenger = TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, api_base="http://127.0.0.1:9")
    transport = messenger._client.http_client
    assert isinstance(transport, RebasedHttpClient) and transport.inner.timeout == 15


def test_it_is_a_text_messenger_that_never_shows_the_token():
    messenger = TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID)
    assert isinstance(messenger, TextMessenger) and messenger.name == "twilio"
    assert AUTH_TOKEN not in repr(messenger) and SERVICE_SID in repr(messenger)


# -- the inbound webhook ------------------------------------------------------------------------------------
@pytest.fixture
def messenger(messenger_for):
    return messenger_for()


def test_a_signed_reply_is_read(messenger):
    form = inbound_form("+15555550123", "Stop")
    reply = messenger.parse_inbound(URL, signed(URL, form), form)
    assert (reply.sender, reply.body, reply.provider_id) == ("+15555550123", "Stop", "SM" + "1" * 32)


def test_the_signature_header_is_found_in_any_case(messenger):
    form = inbound_form("+15555550123", "START")
    header = signed(URL, form)["X-Twilio-Signature"]
    assert messenger.parse_inbound(URL, {"x-twilio-signature": header}, form).body == "START"
    assert messenger.parse_inbound(URL, {"X-TWILIO-SIGNATURE": header}, form).body == "START"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url, h, f: (url, {}, f),  # no signature
        lambda url, h, f: (url, {"X-Twilio-Signature": ""}, f),
        lambda url, h, f: (url, {"X-Twilio-Signature": "not base64 at all"}, f),
        lambda url, h, f: (url, signed(url, f, token="0" * 32), f),  # another account's token
        lambda url, h, f: (url, h, {**f, "From": "+15555550999"}),  # someone else's STOP
        lambda url, h, f: (url, h, {**f, "Extra": "1"}),
        lambda url, h, f: (url, h, {k: v for k, v in f.items() if k != "Body"}),
        lambda url, h, f: (url.replace("https://", "http://"), h, f),
        lambda url, h, f: (url + "?company=2", h, f),
    ],
)
def test_a_reply_whose_signature_does_not_verify_is_an_invalid_webhook(messenger, tamper):
    form = inbound_form("+15555550123", "STOP")
    with pytest.raises(InvalidWebhook):
        messenger.parse_inbound(*tamper(URL, signed(URL, form), form))


def test_a_url_with_a_query_verifies_as_twilio_signed_it(messenger):
    url = URL + "?company=2"
    form = inbound_form("+15555550123", "STOP")
    assert messenger.parse_inbound(url, signed(url, form), form).body == "STOP"


def test_the_default_port_may_or_may_not_be_in_the_url_as_twilio_signs_either(messenger):
    with_port = urlsplit(URL)._replace(netloc=urlsplit(URL).hostname + ":443").geturl()
    form = inbound_form("+15555550123", "STOP")
    assert messenger.parse_inbound(URL, signed(with_port, form), form).body == "STOP"
    assert messenger.parse_inbound(with_port, signed(URL, form), form).body == "STOP"


def test_a_signed_reply_without_a_sender_is_refused_and_one_without_text_is_empty(messenger):
    form = {k: v for k, v in inbound_form("+15555550123", "").items() if k != "From"}
    with pytest.raises(InvalidWebhook, match="From"):
        messenger.parse_inbound(URL, signed(URL, form), form)
    form = {k: v for k, v in inbound_form("+15555550123", "").items() if k != "Body"}  # a picture, no text
    assert messenger.parse_inbound(URL, signed(URL, form), form).body == ""


def test_a_multidict_form_verifies_over_all_its_values(messenger):
    """Flask's request.form (a MultiDict) works as the form: the library signs every value."""
    werkzeug = pytest.importorskip("werkzeug.datastructures")
    fields = [*inbound_form("+15555550123", "STOP").items(), ("MediaUrl0", "a"), ("MediaUrl0", "b")]
    form = werkzeug.MultiDict(fields)
    reply = messenger.parse_inbound(URL, signed(URL, form), form)
    assert (reply.sender, reply.body) == ("+15555550123", "STOP")
