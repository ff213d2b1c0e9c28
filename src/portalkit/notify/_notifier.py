"""``Notifier``: the one place a notice becomes messages. A service says what happened
(``tell("payment_receipt", key=..., payment=..., invoice=...)``); the policy table says who is
told and by which channels; each contact's choices, language, verified mobile number, STOP and
quiet hours are honoured; every message is queued in the caller's unit of work (the outbox
delivers it after commit)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from .. import i18n
from .._core.serialization import to_primitive
from ..models import Contact, OutboxKind, OutboxMessage, Property
from ..ports import Clock, Storage, TextMessage
from ..settings import Settings
from ._mails import MailTemplates
from ._outbox import Outbox
from ._policy import MAIL, POLICY, TEXT, Channel, Rule, Who
from ._texts import TextTemplates


@attrs.frozen
class Address:
    """Someone told by mail at an address, not as a contact: staff, a new or unknown address."""

    email: str
    language: str = i18n.DEFAULT_LANGUAGE


class Notifier:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        settings: Settings,
        mails: MailTemplates,
        texts: TextTemplates,
        outbox: Outbox,
        *,
        texting: bool,
    ):
        self._storage, self._clock, self._settings = storage, clock, settings
        self._mails, self._texts, self._outbox = mails, texts, outbox
        self.texting = texting  # a text messenger is configured

    def tell(self, kind: str, *, key: str, reply_to: str | None = None, **facts: Any) -> int:
        """Queue notice ``kind`` for everyone its rule names, in the caller's unit of work;
        ``key`` (unique for this happening) makes each message once per recipient and channel.
        ``facts`` are what the templates show (and name the recipients: ``contact``,
        ``payment``, ``invoice``, ``property``, ``proposal``, ``job``, ``address``...).
        Returns how many messages were queued."""
        messages = self.messages(kind, key=key, reply_to=reply_to, **facts)
        self._outbox.queue(messages)
        return len(messages)

    def messages(self, kind: str, *, key: str, reply_to: str | None = None, **facts: Any) -> list[OutboxMessage]:
        """The outbox messages of a notice, not queued (bulk senders queue many at once)."""
        rule = POLICY[kind]
        contacts, addresses = self._recipients(rule, facts)
        messages: list[OutboxMessage] = []
        zone = self._settings.current.time_zone
        for contact in contacts:
            for channel in self.channels(kind, contact):
                context = {"zone": contact.time_zone or zone, **facts, "contact": contact}
                if channel is MAIL and contact.email:
                    messages.append(
                        self._mail(
                            kind, (contact.email,), contact.language, context, reply_to, f"{kind}:{key}:{contact.id}"
                        )
                    )
                elif channel is TEXT:
                    messages.append(self._text(kind, contact, context, f"{kind}:{key}:{contact.id}:text"))
        by_language: dict[str, list[str]] = {}
        for address in addresses:
            by_language.setdefault(address.language, []).append(address.email)
        for language, emails in by_language.items():
            to = tuple(dict.fromkeys(emails))
            messages.append(
                self._mail(kind, to, language, {"zone": zone, **facts}, reply_to, f"{kind}:{key}:{'+'.join(to)}")
            )
        return messages

    def each(
        self,
        kind: str,
        recipients: list[tuple[Contact, str, dict[str, Any]]],
        *,
        reply_to: str | None = None,
        from_name: str | None = None,
    ) -> dict[str, OutboxMessage]:
        """Notice ``kind`` by mail to each ``(contact, key, values)`` of ``recipients`` at once (a
        bulk invitation): the same mail but for some text ``values``, rendered once per language
        (``MailTemplates.render_each``); by contact id. Only for a notice its rule sends the
        contact by mail."""
        rule = POLICY[kind]
        if Who.CONTACT not in rule.who or MAIL not in rule.channels:
            raise ValueError(f"{kind} is not mailed to its contacts")
        by_language: dict[str, list[tuple[Contact, str, dict[str, Any]]]] = {}
        for contact, key, values in recipients:
            if contact.email and MAIL in self.channels(kind, contact):
                by_language.setdefault(contact.language, []).append((contact, key, values))
        messages: dict[str, OutboxMessage] = {}
        for language, batch in by_language.items():
            rendered = self._mails.render_each(
                kind,
                [((c.address,), reply_to, values) for c, _key, values in batch],
                language=language,
                from_name=from_name,
            )
            for (contact, key, _values), mail in zip(batch, rendered):
                messages[contact.id] = self._outbox.mail_message(mail, dedup_key=f"{kind}:{key}:{contact.id}")
        return messages

    def text_now(self, kind: str, contact: Contact, *, key: str, **facts: Any) -> None:
        """Queue a text the contact asked for this moment (a verification code): to their number
        whether verified or not, whatever their choices and quiet hours."""
        if not self.texting or not contact.phone:
            raise ValueError("no text messenger, or no number")
        message = TextMessage(
            to=contact.phone, body=self._texts.render(kind, contact.language, {**facts, "contact": contact})
        )
        self._outbox.queue(
            [
                OutboxMessage(
                    dedup_key=f"{kind}:{key}:text",
                    kind=OutboxKind.TEXT,
                    payload=to_primitive(message),
                    created_at=self._clock.now(),
                )
            ]
        )

    def channels(self, kind: str, contact: Contact) -> list[Channel]:
        """The channels ``kind`` reaches ``contact`` by: their choice (or the default) among the
        rule's channels; a text only to a verified number that did not reply STOP, and mail
        instead when a text was wanted but cannot be sent (a notice is never silently lost)."""
        rule = POLICY[kind]
        chosen = (
            [Channel(c) for c in contact.notices.get(kind, ()) if c in {ch.value for ch in rule.channels}]
            if kind in contact.notices
            else list(rule.default)
        )
        if not chosen and not rule.optional:
            chosen = list(rule.default)
        usable = [c for c in chosen if c is not TEXT or self.can_text(contact)]
        if not usable and chosen and MAIL in rule.channels and contact.email:
            usable = [MAIL]
        return usable

    def can_text(self, contact: Contact) -> bool:
        return self.texting and bool(contact.phone) and contact.phone_verified and not contact.texts_stopped

    # -- recipients -----------------------------------------------------------------------------
    def _recipients(self, rule: Rule, facts: dict[str, Any]) -> tuple[list[Contact], list[Address]]:
        config = self._settings.current
        contacts: list[Contact] = []
        addresses: list[Address] = []
        prop: Property | None = facts.get("property")
        for who in rule.who:
            if who is Who.CONTACT and facts.get("contact") is not None:
                contacts.append(facts["contact"])
            elif who is Who.PAYER:
                payer = self._storage.get(Contact, facts["payment"].contact_id)
                if payer is not None and (config.payer_receipts or payer.receipts_opt_in):
                    contacts.append(payer)
            elif who is Who.RECEIPT_SUBSCRIBERS:
                contacts += [c for c in self._invoice_contacts(facts["invoice"], prop) if c.receipts_opt_in]
            elif who is Who.ACCOUNT_OWNER and prop is not None and prop.account_owner_email:
                addresses.append(Address(prop.account_owner_email))
            elif who is Who.OPERATIONS_MANAGER and prop is not None and prop.operations_manager_email:
                addresses.append(Address(prop.operations_manager_email))
            elif who is Who.SALES_REP and facts.get("proposal") is not None and facts["proposal"].sales_rep_email:
                addresses.append(Address(facts["proposal"].sales_rep_email))
            elif who is Who.INVITE_LIST:
                addresses += [Address(e) for e in config.invite_notification_emails]
            elif who is Who.JOB_LIST:
                lists = config.job_notification_emails
                addresses += [Address(e) for e in (*lists.get(facts["job_type"], ()), *lists.get("*", ()))]
            elif who is Who.ADDRESS and facts.get("address") is not None:
                addresses.append(facts["address"])
        unique = list({c.id: c for c in contacts if c.email or c.phone}.values())
        return unique, addresses

    def _invoice_contacts(self, invoice: Any, prop: Property | None) -> Iterable[Contact]:
        prop = prop or self._storage.get(Property, invoice.property_id)
        ids = [
            i
            for i in (
                prop.primary_contact_id if prop else None,
                prop.billing_contact_id if prop else None,
                invoice.billing_contact_id,
            )
            if i
        ]
        return self._storage.get_many(Contact, ids).values()

    # -- channels -------------------------------------------------------------------------------
    def _mail(
        self, kind: str, to: tuple[str, ...], language: str, context: dict[str, Any], reply_to: str | None, dedup: str
    ) -> OutboxMessage:
        mail = self._mails.render(kind, to, language=language, reply_to=reply_to, **context)
        return self._outbox.mail_message(mail, dedup_key=dedup)

    def _text(self, kind: str, contact: Contact, context: dict[str, Any], dedup: str) -> OutboxMessage:
        assert contact.phone is not None
        body = self._texts.render(kind, contact.language, context)
        message = TextMessage(to=contact.phone, body=body)
        return OutboxMessage(
            dedup_key=dedup,
            kind=OutboxKind.TEXT,
            payload=to_primitive(message),
            created_at=self._clock.now(),
            next_attempt_at=self.after_quiet_hours(contact),
        )

    def after_quiet_hours(self, contact: Contact, now: datetime | None = None) -> datetime | None:
        """When a text to ``contact`` may go: ``None`` (now) outside their quiet hours, else the
        hour they end, in the contact's time zone (or the company's)."""
        if not contact.quiet_hours:
            return None
        start, end = contact.quiet_hours
        now = now or self._clock.now()
        try:
            zone = ZoneInfo(contact.time_zone or self._settings.current.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        local = now.astimezone(zone)
        quiet = (start <= local.hour or local.hour < end) if start > end else (start <= local.hour < end)
        if not quiet or start == end:
            return None
        ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
        if ends <= local:
            ends += timedelta(days=1)
        return ends.astimezone(now.tzinfo)
