"""Changing a contact's email (ACC-5, ACC-8): confirmed from the new address before it becomes
the sign-in.

Whoever asks — staff on the contact page or the contact in their profile — the new address of an
enrolled contact is only *pending*: a link goes to it, and the old address is told of the
request. The old address keeps working until the link is used; using it makes the new address
the sign-in (the password stays, ACC-5), ends every session, voids every reset and sign-in link,
and tells the old address it is done. So nobody who can edit a contact, nor anyone who borrows a
signed-in browser, can move an account to an address of their own unseen. A contact who has not
signed up yet has no account to take over: their address changes at once and their older
invitation links stop working.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from .._core import history
from .._core.tokens import EMAIL_CHANGE, TokenSigner
from .._core.uow import UnitOfWork
from ..directory._directory import contact_by_email, lookup
from ..errors import Conflict, InvalidToken, ValidationError
from ..i18n import _
from ..models import Contact, HistoryKind, PortalStatus
from ..notify import Address, Notifier
from ..ports import Clock, Storage
from ..settings import Settings

LINK_LIFETIME = timedelta(hours=24)


class EmailChanges:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        signer: TokenSigner,
        notifier: Notifier,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._signer, self._notifier = signer, notifier

    def request(self, contact_id: str, new_email: str, requested_by: str) -> Contact:
        """Inside or outside a unit of work: ask to move ``contact_id`` to ``new_email`` (checked
        by the caller). ``requested_by`` names who asked, for the history and the old address."""
        with self._uow():
            contact = lookup(self._storage, Contact, contact_id)
            if new_email == contact.email:
                return (
                    self._storage.update(attrs.evolve(contact, pending_email=None))
                    if contact.pending_email
                    else contact
                )
            other = contact_by_email(self._storage, new_email)
            if other is not None and other.id != contact.id:
                raise ValidationError(_("That email is already used by another contact."), field="email")
            if contact.portal_status is not PortalStatus.ENROLLED or not contact.email:
                return self._change_now(contact, new_email, requested_by)
            pending = self._storage.update(
                attrs.evolve(contact, pending_email=new_email, email_change_nonce=contact.email_change_nonce + 1)
            )
            history.record(
                self._storage,
                self._clock,
                contact.id,
                HistoryKind.EMAIL_CHANGE_REQUESTED,
                f"{new_email} by {requested_by}",
            )
            token = self._signer.sign(EMAIL_CHANGE, contact.id, pending.email_change_nonce)
            hours = int(LINK_LIFETIME.total_seconds() // 3600)
            self._notifier.tell(
                "email_change_confirm",
                key=f"{contact.id}:{pending.email_change_nonce}",
                address=Address(new_email, contact.language),
                contact=pending,
                hours=hours,
                new_email=new_email,
                link=f"{self._settings.current.portal_url}/confirm-email#{token}",
            )
            self._notify_old_address(contact, new_email, done=False)
            return pending

    def _change_now(self, contact: Contact, new_email: str, requested_by: str) -> Contact:
        """A contact without an account: the address changes, older invitations stop working."""
        try:
            changed = self._storage.update(
                attrs.evolve(contact, email=new_email, pending_email=None, invite_nonce=contact.invite_nonce + 1)
            )
        except Conflict as exc:
            raise ValidationError(_("That email is already used by another contact."), field="email") from exc
        history.record(
            self._storage,
            self._clock,
            contact.id,
            HistoryKind.EMAIL_CHANGED,
            f"{contact.email} -> {new_email} by {requested_by}",
        )
        return changed

    def check(self, token: str) -> Contact:
        """The contact a confirmation link is for, while it is the latest and unused."""
        contact_id, nonce = self._signer.verify(EMAIL_CHANGE, token, LINK_LIFETIME)
        contact = self._storage.get(Contact, contact_id)
        if contact is None or contact.archived or contact.email_change_nonce != nonce or not contact.pending_email:
            raise InvalidToken(_("This confirmation link was used or replaced; ask for the change again."))
        return contact

    def confirm(self, token: str) -> Contact:
        """Make the pending address the sign-in: sessions end, reset and sign-in links die, the
        old address is told. Single use; an address another contact took meanwhile is refused."""
        try:
            with self._uow():
                contact = self.check(token)
                new_email = contact.pending_email
                assert new_email is not None
                taken = contact_by_email(self._storage, new_email)
                if taken is not None and taken.id != contact.id:
                    raise ValidationError(_("That email is already used by another contact."), field="email")
                changed = self._storage.update(
                    attrs.evolve(
                        contact,
                        email=new_email,
                        pending_email=None,
                        email_change_nonce=contact.email_change_nonce + 1,
                        credential_epoch=contact.credential_epoch + 1,
                        login_link_nonce=contact.login_link_nonce + 1,
                        calendar_nonce=contact.calendar_nonce + 1,
                    )
                )  # ACC-8: every link ends, the calendar feed's too
                history.record(
                    self._storage,
                    self._clock,
                    contact.id,
                    HistoryKind.EMAIL_CHANGED,
                    f"{contact.email} -> {new_email}, confirmed",
                )
                self._notify_old_address(contact, new_email, done=True)
                return changed
        except Conflict as exc:  # rolled back: the link used twice at once, or the address taken just now
            raise InvalidToken(
                _("This confirmation link was used, or the address was taken meanwhile; ask for the change again.")
            ) from exc

    def changed_by_host(self, before: Contact, new_email: str) -> None:
        """Inside the sync's unit of work: the host changed an enrolled contact's address (its
        own, trusted record: no confirmation). Sync ended the contact's sessions and links; here
        the history says so and the old address is told."""
        history.record(
            self._storage,
            self._clock,
            before.id,
            HistoryKind.EMAIL_CHANGED,
            f"{before.email} -> {new_email} by the host",
        )
        self._notify_old_address(before, new_email, done=True)

    def _notify_old_address(self, contact: Contact, new_email: str, *, done: bool) -> None:
        if contact.email:
            self._notifier.tell(
                "email_change_notice",
                key=f"{contact.id}:{contact.email_change_nonce}:{done}",
                address=Address(contact.email, contact.language),
                contact=contact,
                new_email=new_email,
                done=done,
            )
