"""Portal invitations: bulk and single sends, resend, link opening, status history (INV-1..11)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import attrs
from markupsafe import Markup, escape

from .. import i18n, inputs
from .._core import history
from .._core.lookups import by_host_ids
from .._core.permissions import require
from .._core.templates import InvitationTemplate, html_to_text
from .._core.tokens import INVITE, TokenSigner
from .._core.uow import UnitOfWork
from ..errors import AlreadySignedUp, Conflict, ExpiredToken, InvalidToken, NotFound, PortalDisabled
from ..events import InvitationSent, external_ids
from ..models import (
    Contact,
    Counter,
    HistoryKind,
    OutboxMessage,
    Permission,
    PortalStatus,
    StaffUser,
    StatusEvent,
    new_id,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import Clock, Storage
from ..settings import Settings

CHUNK = 1000  # contacts per transaction of send_all


@attrs.frozen
class Skipped:
    contact_id: str
    reason: str


@attrs.frozen
class BulkResult:
    """What a send did: who was invited, who was skipped and why (INV-7)."""

    sent: tuple[str, ...]
    skipped: tuple[Skipped, ...]


class Invitations:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        signer: TokenSigner,
        outbox: Outbox,
        notifier: Notifier,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._signer, self._outbox, self._notifier = signer, outbox, notifier

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(days=self._settings.current.invite_link_days)

    def send(
        self,
        sender: StaffUser,
        contact_ids: Iterable[str],
        *,
        subject: str | None = None,
        body: str | None = None,
    ) -> BulkResult:
        """Send one invitation per contact, tokens expanded for each (INV-3, INV-4).

        Every contact id must exist (else ``NotFound`` and nothing is sent). Contacts without
        email, already enrolled or suspended are skipped and reported.
        """
        require(sender, Permission.SEND_PORTAL_INVITATION, self._settings.company_id)
        return self._send(sender.email, sender.name, inputs.identifiers(contact_ids, "contact_ids"), subject, body)

    def send_by_host_ids(
        self, sender: StaffUser, host_ids: Iterable[str], *, subject: str | None = None, body: str | None = None
    ) -> BulkResult:
        """``send`` to the contacts the host knows by these ids (as sync sent them); a host id the
        portal does not have is ``NotFound`` and nothing is sent."""
        require(sender, Permission.SEND_PORTAL_INVITATION, self._settings.company_id)
        ids = list(inputs.items(host_ids, "host_ids"))
        found = by_host_ids(self._storage, Contact, ids)
        return self.send(sender, [found[str(i)].id for i in ids], subject=subject, body=body)

    def resend(self, sender: StaffUser, contact_id: str) -> BulkResult:
        """A new link; older links of the contact stop working (INV-6)."""
        return self.send(sender, [contact_id])

    def send_as_company(self, contact_ids: Iterable[str]) -> BulkResult:
        """Automatic invitations (INV-9), sent in the company's name."""
        config = self._settings.current
        return self._send(None, config.company_name, inputs.identifiers(contact_ids, "contact_ids"), None, None)

    def _send(
        self, sender_email: str | None, sender_name: str, contact_ids: list[str], subject: object, body: object
    ) -> BulkResult:
        config = self._settings.current
        if not config.enabled:
            raise PortalDisabled()
        compiled: dict[str, tuple[InvitationTemplate, str]] = {}

        def template(language: str) -> tuple[InvitationTemplate, str]:
            """The invitation and its link text in ``language`` (the shipped texts translated)."""
            if language not in compiled:
                with i18n.override(language):
                    subject_text, body_text, link_text = config.invitation_texts(subject, body)  # type: ignore[arg-type]
                compiled[language] = (
                    InvitationTemplate.compile(subject_text, body_text, html=config.invite_body_is_html),
                    link_text,
                )
            return compiled[language]

        template(i18n.DEFAULT_LANGUAGE)  # a bad subject or body is refused before anything is written
        skipped: list[Skipped] = []
        invited: list[Contact] = []
        messages: list[OutboxMessage] = []
        ids = list(contact_ids)
        with self._uow():
            found = self._storage.get_many(Contact, ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise NotFound(f"No contact {missing[0]}")
            contacts = [found[i] for i in ids]
            for contact in contacts:
                reason = self._skip_reason(contact)
                if reason:
                    skipped.append(Skipped(contact.id, reason))
                    continue
                invited.append(
                    attrs.evolve(contact, portal_status=PortalStatus.INVITED, invite_nonce=contact.invite_nonce + 1)
                )
            messages += self._invitations(invited, template, sender_email, sender_name)
            lines = [
                StatusEvent(
                    contact_id=c.id,
                    kind=HistoryKind.INVITATION_SENT,
                    at=self._clock.now(),
                    detail=f"to {c.email} by {sender_name}",
                )
                for c in invited
            ]
            sent = [c.id for c in invited]
            if sent and config.invite_notification_emails:
                messages += self._notice(sent, contacts, sender_name)
            self._storage.update_many(invited)
            self._outbox.queue(messages)
            self._storage.insert_many(lines)
        return BulkResult(tuple(sent), tuple(skipped))

    def send_all(
        self,
        sender: StaffUser | None,
        contact_ids: Iterable[str],
        *,
        run_id: str,
        subject: str | None = None,
        body: str | None = None,
        chunk_size: int = CHUNK,
    ) -> BulkResult:
        """``send`` for any number of contacts (a whole customer base), in chunks of
        ``chunk_size``: each chunk is one transaction (the contacts read, invited, their mails and
        history written), so memory stays flat and a failure loses one chunk's work, not the
        rest. ``sender`` ``None`` sends in the company's name (INV-9).

        Resumable: the run's progress (how many of ``contact_ids`` are done) is stored with each
        chunk under ``run_id``; calling again with the same ``run_id`` and the same ids (after
        a crash, say) carries on after the last chunk that committed, so no contact is mailed
        twice. A finished run sends nothing again: use a new ``run_id`` for a new campaign.
        Unlike ``send``, an id that names no contact is skipped ("not found"), not refused:
        chunks before it were sent already."""
        if sender is not None:
            require(sender, Permission.SEND_PORTAL_INVITATION, self._settings.company_id)
        config = self._settings.current
        if not config.enabled:
            raise PortalDisabled()
        run = inputs.text(run_id, "run_id", max_length=100)
        size = inputs.integer(chunk_size, "chunk_size", minimum=1, maximum=10_000)
        sender_email, sender_name = (sender.email, sender.name) if sender is not None else (None, config.company_name)
        template = self._templates(subject, body)  # a bad subject or body is refused before anything is written
        key = f"invitations-run:{self._settings.company_id}:{run}"
        progress = self._storage.get(Counter, key)
        done = progress.value if progress is not None else 0
        sent: list[str] = []
        skipped: list[Skipped] = []
        ids = iter(contact_ids)
        for _ in itertools.islice(ids, done):  # what the run did before it stopped
            pass
        while chunk := list(itertools.islice(ids, size)):
            chunk_sent, chunk_skipped = self._send_chunk(chunk, template, sender_email, sender_name, key, done)
            done += len(chunk)
            sent += chunk_sent
            skipped += chunk_skipped
        return BulkResult(tuple(sent), tuple(skipped))

    def _templates(self, subject: object, body: object) -> Callable[[str], tuple[InvitationTemplate, str]]:
        config = self._settings.current
        compiled: dict[str, tuple[InvitationTemplate, str]] = {}

        def template(language: str) -> tuple[InvitationTemplate, str]:
            if language not in compiled:
                with i18n.override(language):
                    subject_text, body_text, link_text = config.invitation_texts(subject, body)  # type: ignore[arg-type]
                compiled[language] = (
                    InvitationTemplate.compile(subject_text, body_text, html=config.invite_body_is_html),
                    link_text,
                )
            return compiled[language]

        template(i18n.DEFAULT_LANGUAGE)
        return template

    def _send_chunk(
        self,
        ids: list[str],
        template: Callable[[str], tuple[InvitationTemplate, str]],
        sender_email: str | None,
        sender_name: str,
        run_key: str,
        position: int,
    ) -> tuple[list[str], list[Skipped]]:
        """One chunk of ``send_all`` in one transaction, with the run's progress moved on."""
        config = self._settings.current
        wanted = list(dict.fromkeys(ids))
        with self._uow():
            progress = self._storage.get(Counter, run_key)
            if (progress.value if progress else 0) != position:  # another call of this run got here first
                raise Conflict("This invitation run is being sent by another call.")
            if progress is None:
                self._storage.insert(Counter(id=run_key, value=position + len(ids)))
            else:
                self._storage.update(attrs.evolve(progress, value=position + len(ids)))
            found = self._storage.get_many(Contact, [i for i in wanted if inputs.is_identifier(i)])
            skipped = [Skipped(i, "not found") for i in wanted if i not in found]
            contacts = [found[i] for i in wanted if i in found]
            invited: list[Contact] = []
            for contact in contacts:
                reason = self._skip_reason(contact)
                if reason:
                    skipped.append(Skipped(contact.id, reason))
                else:
                    invited.append(
                        attrs.evolve(contact, portal_status=PortalStatus.INVITED, invite_nonce=contact.invite_nonce + 1)
                    )
            messages = self._invitations(invited, template, sender_email, sender_name)
            now = self._clock.now()
            lines = [
                StatusEvent(
                    contact_id=c.id, kind=HistoryKind.INVITATION_SENT, at=now, detail=f"to {c.email} by {sender_name}"
                )
                for c in invited
            ]
            sent = [c.id for c in invited]
            if sent and config.invite_notification_emails:
                messages += self._notice(sent, contacts, sender_name)
            self._storage.update_many(invited)
            self._outbox.queue(messages)
            self._storage.insert_many(lines)
        return sent, skipped

    @staticmethod
    def _skip_reason(contact: Contact) -> str | None:
        if not contact.email:
            return "no email"
        if contact.archived:
            return "deleted"
        if contact.portal_status is PortalStatus.ENROLLED:
            return "already enrolled"
        if contact.suspended:
            return "suspended"
        return None

    def _invitations(
        self,
        contacts: list[Contact],
        template: Callable[[str], tuple[InvitationTemplate, str]],
        sender_email: str | None,
        sender_name: str,
    ) -> list[OutboxMessage]:
        """The mail and the event that invite each of ``contacts`` (already given their new nonce).
        The mails of one language are rendered together (``Notifier.each``)."""
        config = self._settings.current
        recipients: list[tuple[Contact, dict[str, Any]]] = []
        for contact in contacts:
            chosen, link_text = template(contact.language)
            subject, body = chosen.render(
                {
                    "ContactName": contact.name,
                    "ContactFirstName": contact.first_name,
                    "ContactLastName": contact.last_name,
                    "CompanyName": config.company_name,
                    "PortalLinkDescription": link_text,
                    "PortalUrl": config.portal_url,
                    "LinkValidDays": str(config.invite_link_days),
                    "SenderName": sender_name,
                },
                self.link_for(contact),
            )
            html = body if chosen.html else str(escape(body)).replace("\n", "<br>\n")
            recipients.append(
                (
                    contact,
                    {
                        "subject": subject,
                        "body_html": Markup(html),
                        "body_text": html_to_text(body) if chosen.html else body,
                    },
                )
            )
        # From the company's address, showing who sent it; replies go to them (INV-3)
        mails = self._notifier.each(
            "invitation",
            [(c, str(c.invite_nonce), values) for c, values in recipients],
            reply_to=sender_email,
            from_name=f"{sender_name} ({config.company_name})" if sender_email else None,
        )
        messages = []
        for contact in contacts:
            key = f"{contact.id}:{contact.invite_nonce}"
            messages += [mails[contact.id]] if contact.id in mails else []
            messages += [
                self._outbox.event_message(
                    InvitationSent(
                        event_id=f"invite:{key}",
                        company_id=config.company_id,
                        contact_id=contact.id,
                        sent_by=sender_email,
                        external_ids=external_ids(contact=contact),
                    )
                )
            ]
        return messages

    def _notice(self, sent: list[str], contacts: list[Contact], sender_name: str) -> list[OutboxMessage]:
        """INV-10: the configured addresses hear who was invited."""
        chosen = set(sent)
        names = [f"{c.name} <{c.email}>" for c in contacts if c.id in chosen]
        return self._notifier.messages("invitation_notice", key=new_id(), sender_name=sender_name, names=names)

    def link_for(self, contact: Contact) -> str:
        """The contact's sign-up link; its token is after "#", so no server ever logs it."""
        token = self._signer.sign(INVITE, contact.id, contact.invite_nonce)
        return self._settings.current.portal_url + "/signup#" + token

    def check_link(self, token: str) -> tuple[str, int]:
        """``(contact_id, nonce)`` of a genuine, unexpired invitation link (INV-6).

        A contact who has signed up hears ``AlreadySignedUp`` (INV-11) however old the link is;
        otherwise an old link is ``ExpiredToken`` and a forged one ``InvalidToken``.
        """
        claims = self._signer.read(INVITE, token)
        if self._signer.expired(claims, self.link_lifetime):
            contact = self._storage.get(Contact, claims.contact_id)
            if contact is not None and contact.portal_status is PortalStatus.ENROLLED:
                raise AlreadySignedUp()
            raise ExpiredToken()
        return claims.contact_id, claims.counter

    def invited_contact(self, contact_id: str, nonce: int) -> Contact:
        """The contact a checked link invites, while that link is its latest and unused."""
        contact = self._storage.get(Contact, contact_id)
        if contact is None or contact.archived:  # deleted in the host: its links die with it
            raise InvalidToken()
        if contact.portal_status is PortalStatus.ENROLLED:
            raise AlreadySignedUp()
        if nonce != contact.invite_nonce:
            raise InvalidToken("This invitation was replaced by a newer one. Use the latest email.")
        return contact

    def open(self, token: str) -> Contact:
        """Check an invitation link and record that it was opened (INV-8, INV-11).

        Raises ``ExpiredToken`` after the configured days, ``InvalidToken`` for a tampered or
        superseded link, ``AlreadySignedUp`` once the contact has registered.
        """
        contact_id, nonce = self.check_link(token)
        with self._uow():
            contact = self.invited_contact(contact_id, nonce)
            history.record(self._storage, self._clock, contact.id, HistoryKind.LINK_OPENED)
            return contact
