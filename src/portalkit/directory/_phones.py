"""A contact's mobile number and how they want to hear from the company (issue 26).

A number is stored in E.164 (``phonenumbers``, read in the company's region; a mobile number,
not a premium-rate, toll-free or other service number) and is used for nothing until the contact
types the code texted to it: at most ``CODE_ATTEMPTS`` tries per code (each wrong try counted in
its own transaction), codes valid ``CODE_MINUTES``, at most ``CODES_PER_HOUR`` codes an hour per
contact and per number. A reply that is only STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT)
through the provider's verified inbound webhook stops every text to that number — codes included,
whoever asks for one — and START (or UNSTOP, YES) starts them again; each reply is applied once
(a replayed one changes nothing). Each contact chooses, per notice, mail, text, both or none
(where the policy lets them), quiet hours and a time zone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta

import attrs
import phonenumbers

from .. import inputs
from .._core.throttle import Throttle
from .._core.uow import UnitOfWork
from ..billing._payments import processed_event_id
from ..errors import InvalidToken, InvalidWebhook, PermissionDenied, ValidationError
from ..i18n import _
from ..models import Contact, ProcessedEvent
from ..notify import NOTICE_LABELS, POLICY, Channel, Notifier
from ..ports import Clock, InboundText, Storage, TextMessenger
from ..settings import Settings
from ._directory import lookup

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
# Numbers that can receive a text a person reads (never premium-rate, toll-free or shared-cost ones)
MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


class Phones:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        notifier: Notifier,
        throttle: Throttle,
        messenger: TextMessenger | None,
        secret: str,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._notifier, self._throttle, self._messenger = notifier, throttle, messenger
        self._secret = hashlib.sha256(("phones:" + secret).encode()).digest()

    @property
    def available(self) -> bool:
        """Whether the company sends text messages at all (a messenger is configured)."""
        return self._messenger is not None

    def set_number(self, contact: Contact, number: str) -> Contact:
        """Save a mobile number (not yet used) and text it a code to confirm it."""
        if self._messenger is None:
            raise PermissionDenied(_("Text messages are not offered."))
        phone = e164(number, self._settings.current.phone_region)
        if any(c.texts_stopped for c in self._storage.find(Contact, phone=phone)):
            raise PermissionDenied(_("This number replied STOP to our texts. Reply START to one of them first."))
        self._throttle.reserve_all(
            {f"phone-code:{contact.id}": CODES_PER_HOUR, f"phone-code-number:{phone}": CODES_PER_HOUR}, 3600
        )
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            updated = self._storage.update(
                attrs.evolve(
                    fresh,
                    phone=phone,
                    phone_verified=False,
                    texts_stopped=False,
                    phone_code_hash=self._hash(fresh.id, phone, code),
                    phone_code_sent_at=self._clock.now(),
                    phone_code_attempts=0,
                )
            )
            self._notifier.text_now(
                "phone_code", updated, key=f"{fresh.id}:{updated.version}", code=code, minutes=CODE_MINUTES
            )
            return updated

    def verify(self, contact: Contact, code: str) -> Contact:
        """The code the contact typed: right, and the number receives notices from now on. A
        wrong try is counted (and kept) before the refusal; the fifth ends the code."""
        typed = "".join(ch for ch in code if ch.isdigit()) if isinstance(code, str) else ""
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            if not fresh.phone or not fresh.phone_code_hash or fresh.phone_code_sent_at is None:
                raise InvalidToken(_("Ask for a new code first."))
            if fresh.phone_code_attempts >= CODE_ATTEMPTS or self._clock.now() - fresh.phone_code_sent_at > timedelta(
                minutes=CODE_MINUTES
            ):
                raise InvalidToken(_("This code has expired; ask for a new one."))
            right = hmac.compare_digest(self._hash(fresh.id, fresh.phone, typed), fresh.phone_code_hash)
            if right:
                return self._storage.update(
                    attrs.evolve(fresh, phone_verified=True, phone_code_hash=None, phone_code_attempts=0)
                )
            self._storage.update(attrs.evolve(fresh, phone_code_attempts=fresh.phone_code_attempts + 1))
        raise ValidationError(_("That code is not right."), field="code")  # the try above is committed

    def remove_number(self, contact: Contact) -> Contact:
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            return self._storage.update(attrs.evolve(fresh, phone=None, phone_verified=False, phone_code_hash=None))

    def set_preferences(
        self,
        contact: Contact,
        notices: Mapping[str, object],
        *,
        quiet_hours: tuple[int, int] | None = None,
        time_zone: str = "",
    ) -> Contact:
        """Per notice, the channels the contact wants (a subset of the policy's; ``[]`` turns an
        optional notice off), quiet hours ``(from, to)`` and their time zone."""
        if not isinstance(notices, Mapping):
            raise ValidationError(_("That notice has no choice to make."), field="notices")
        chosen: dict[str, list[str]] = {}
        for kind, channels in notices.items():
            rule = POLICY.get(kind) if isinstance(kind, str) else None
            if rule is None or not (rule.optional or len(rule.channels) > 1):
                raise ValidationError(_("That notice has no choice to make."), field="notices")
            picked = [_channel(c).value for c in inputs.items(channels, "notices")]
            if any(Channel(c) not in rule.channels for c in picked):
                raise ValidationError(_("That notice cannot be sent that way."), field="notices")
            if not picked and not rule.optional:
                raise ValidationError(
                    _("“%(notice)s” is always sent: choose email, text message or both.")
                    % {"notice": _(NOTICE_LABELS[kind])},
                    field="notices",
                )
            chosen[kind] = sorted(set(picked))
        quiet = None
        if quiet_hours is not None:
            hours = inputs.items(quiet_hours, "quiet_hours", max_count=2)
            if len(hours) != 2:
                raise ValidationError(_("Quiet hours are a start hour and an end hour."), field="quiet_hours")
            start, end = (inputs.integer(h, "quiet_hours", minimum=0, maximum=23) for h in hours)
            quiet = (start, end)
        zone = inputs.text(time_zone, "time_zone", max_length=64, required=False)
        if zone:
            from ..config import PortalConfig

            PortalConfig(time_zone=zone)  # checks the name
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            return self._storage.update(
                attrs.evolve(fresh, notices={**fresh.notices, **chosen}, quiet_hours=quiet, time_zone=zone)
            )

    def inbound(self, url: str, headers: Mapping[str, str], form: Mapping[str, str]) -> InboundText:
        """A reply through the provider's webhook (verified, ``InvalidWebhook`` otherwise): STOP
        stops every text to that number, START starts them again."""
        if self._messenger is None:
            raise InvalidWebhook("text messages are not configured")
        reply = self._messenger.parse_inbound(url, headers, form)
        word = reply.body.strip().strip(".!").upper()  # the whole reply is the keyword, as carriers read it
        stop = word in STOP_WORDS
        if not (stop or word in START_WORDS):
            return reply
        with self._uow():
            seen = processed_event_id(
                self._settings.company_id,
                f"texts-{self._messenger.name}",
                reply.provider_id or hashlib.sha256(repr(sorted(form.items())).encode()).hexdigest(),
            )
            if self._storage.get(ProcessedEvent, seen) is not None:
                return reply  # a replayed reply: applied once already
            self._storage.insert(
                ProcessedEvent(id=seen, payment_id="", kind=f"text-{word.lower()}", received_at=self._clock.now())
            )
            for contact in self._storage.find(Contact, phone=reply.sender):
                if contact.texts_stopped != stop:
                    self._storage.update(attrs.evolve(contact, texts_stopped=stop))
        return reply

    def _hash(self, contact_id: str, phone: str, code: str) -> str:
        return hmac.new(self._secret, f"{contact_id}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def e164(number: object, region: str = "US") -> str:
    """A mobile number as E.164 (``+15555550123``), read in ``region`` when it has no ``+``."""
    text = inputs.text(number, "phone", max_length=32)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Enter a mobile number like +1 555 555 0123."), field="phone") from exc
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in MOBILE_TYPES:
        raise ValidationError(_("Enter a mobile number like +1 555 555 0123."), field="phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _channel(value: object) -> Channel:
    """A channel named by its code (``"mail"``, ``"text"``) or given as itself."""
    known = {c.value: c for c in Channel}
    return inputs.member(known.get(value, value) if isinstance(value, str) else value, Channel, "notices")
