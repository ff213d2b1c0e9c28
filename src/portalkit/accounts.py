"""Sign-up, login, sessions, password change and reset, profile (ACC-1..7)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from . import inputs, passwords
from .directory import check_names
from .errors import (
    AccountSuspended,
    AlreadySignedUp,
    AuthenticationFailed,
    Conflict,
    InvalidToken,
    SessionExpired,
    ValidationError,
)
from .models import Contact, HistoryKind, PortalStatus
from .ports import Mail
from .throttle import Throttle
from .tokens import INVITE, RESET, SESSION

if TYPE_CHECKING:
    from .portal import Portal

SESSION_LIFETIME = timedelta(hours=12)
RESET_ANSWER = "If that email belongs to a portal account, a reset link is on its way."


@attrs.frozen
class Session:
    """A logged-in contact. ``token`` goes in the host's (secure, HttpOnly) cookie."""

    token: str
    contact: Contact


class Accounts:
    def __init__(self, portal: "Portal"):
        self._portal = portal
        self._throttle = Throttle(portal.storage, portal.clock, portal.storage.transaction)

    @property
    def password_rules(self) -> list[str]:
        return passwords.rules(self._portal.config.password_min_length)

    def _hash(self, password: object, confirm: object) -> str:
        config = self._portal.config
        passwords.check(password, confirm, config.password_min_length)
        return passwords.hash_password(str(password), config.bcrypt_rounds)

    # -- sign-up ---------------------------------------------------------------------------
    def sign_up(self, token: str, password: str, confirm: str) -> Contact:
        """ACC-1: set the password from a valid invitation; enrols the contact (INV-8).

        A contact who already signed up hears so (INV-11), whatever the age of the link.
        """
        contact_id, nonce = self._portal.invitations.check_link(token)
        hashed = self._hash(password, confirm)
        try:
            with self._portal.unit_of_work():
                contact = self._portal.invitations.invited_contact(contact_id, nonce)
                if contact.suspended:
                    raise AccountSuspended(contact.suspension_note)
                contact = self._portal.storage.update(
                    attrs.evolve(contact, password_hash=hashed, portal_status=PortalStatus.ENROLLED)
                )
                self._portal.directory.record(contact.id, HistoryKind.REGISTERED)
                self._portal.outbox.event("contact.enrolled", {"contact_id": contact.id}, f"event:enrolled:{contact.id}")
                return contact
        except Conflict as exc:  # the same link accepted twice at once: one wins
            raise AlreadySignedUp() from exc

    # -- login and sessions ----------------------------------------------------------------
    def login(self, email: str, password: str, ip_address: str | None = None) -> Session:
        """ACC-2, ACC-6: log in by email and password.

        Each attempt is reserved against the account's limit (``login_max_failures``) and, when
        the host passes it, the client address's (``login_max_failures_per_ip``) within
        ``login_window_seconds`` *before* the password is checked, so concurrent guesses are
        counted too. A successful login hands the reservations back.
        """
        config = self._portal.config
        address = inputs.text(email, "email", max_length=inputs.MAX_EMAIL, required=False).lower()
        if not isinstance(password, str):
            raise ValidationError("Enter your password.", field="password")
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        contact = self._portal.directory.contact_by_email(address)
        limits = {self._account_key(contact, address): config.login_max_failures}
        if ip:
            limits["ip:" + ip] = config.login_max_failures_per_ip
        self._throttle.reserve_all(limits, config.login_window_seconds)
        hashed = contact.password_hash if contact and contact.portal_status is PortalStatus.ENROLLED else None
        if not passwords.verify(password, hashed, config.bcrypt_rounds) or contact is None:
            raise AuthenticationFailed()
        account_key, *ip_keys = limits
        self._throttle.reset(account_key)
        for key in ip_keys:
            self._throttle.release(key)
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return Session(self._portal.signer.sign(SESSION, contact.id, contact.credential_epoch), contact)

    @staticmethod
    def _account_key(contact: Contact | None, address: str) -> str:
        """One limit per account, shared by login and the current-password check; per typed
        address for unknown ones."""
        return f"contact:{contact.id}" if contact else "email:" + address

    def authenticate(self, token: str) -> Contact:
        """The contact behind a session token; ``SessionExpired`` once logged out everywhere."""
        try:
            contact_id, epoch = self._portal.signer.verify(SESSION, token, SESSION_LIFETIME)
        except InvalidToken as exc:
            raise SessionExpired() from exc
        contact = self._portal.storage.get(Contact, contact_id)
        if contact is None or contact.credential_epoch != epoch or contact.portal_status is not PortalStatus.ENROLLED:
            raise SessionExpired()
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return contact

    def logout_everywhere(self, contact: Contact) -> None:
        with self._portal.unit_of_work():
            current = self._portal.directory.contact(contact.id)
            self._portal.storage.update(attrs.evolve(current, credential_epoch=current.credential_epoch + 1))

    # -- passwords -------------------------------------------------------------------------
    def change_password(self, contact: Contact, current: str, new: str, confirm: str) -> None:
        """ACC-4: a new password logs the contact out everywhere, this session included.

        The current-password check counts against the same limit as logins to the account.
        """
        config = self._portal.config
        fresh = self._portal.directory.contact(contact.id)
        passwords.check(new, confirm, config.password_min_length)
        key = self._account_key(fresh, "")
        self._throttle.reserve(key, config.login_max_failures, config.login_window_seconds)
        if not passwords.verify(current, fresh.password_hash, config.bcrypt_rounds):
            raise AuthenticationFailed("The current password is not correct.")
        self._throttle.reset(key)
        self._set_password(fresh, self._hash(new, confirm))

    def _set_password(self, contact: Contact, hashed: str) -> None:
        with self._portal.unit_of_work():
            fresh = self._portal.directory.contact(contact.id)
            if fresh.credential_epoch != contact.credential_epoch:
                raise InvalidToken("This link has already been used.")
            self._portal.storage.update(
                attrs.evolve(fresh, password_hash=hashed, credential_epoch=fresh.credential_epoch + 1)
            )
            self._portal.directory.record(contact.id, HistoryKind.PASSWORD_CHANGED)

    def request_reset(self, email: str, ip_address: str | None = None) -> str:
        """ACC-3: mail a reset link to an enrolled contact; the answer is the same either way.

        Requests are limited per address and per client address. Every request does the same
        work: an active account gets the reset link, any other address a note that it has no
        active portal account, so neither the answer nor its timing tells them apart.
        """
        config = self._portal.config
        address = inputs.email(email)
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        limits = {"reset:" + address: config.reset_max_requests}
        if ip:
            limits["reset-ip:" + ip] = config.reset_max_requests_per_ip
        self._throttle.reserve_all(limits, config.reset_window_seconds)
        found = self._portal.directory.contact_by_email(address)
        contact = found if found and found.portal_status is PortalStatus.ENROLLED and not found.suspended else None
        token = self._portal.signer.sign(RESET, *((contact.id, contact.credential_epoch) if contact else ("none", 0)))
        company = config.company_name
        if contact is not None:
            mail = Mail(to=(address,), subject=f"Reset your {company} portal password",
                        text=f"Hello {contact.name},\n\nSet a new password here (valid {config.reset_link_hours} hours, "
                        f"once):\n{config.portal_url}/reset-password/{token}\n\nIf you did not ask for this, ignore this mail.")
        else:
            mail = Mail(to=(address,), subject=f"Your {company} portal password",
                        text=f"Hello,\n\nSomeone asked to reset the {company} customer portal password for this "
                        f"address, but it has no active portal account. If you expected one, ask {company} for an "
                        "invitation.\n\nIf you did not ask for this, ignore this mail.")
        with self._portal.unit_of_work():
            self._portal.outbox.mail(mail, dedup_key=f"reset:{address}:{token[-16:]}")
        return RESET_ANSWER

    def check_reset_link(self, token: str) -> Contact:
        """The contact a reset link is for, while it is unused and unexpired (``InvalidToken``
        or ``ExpiredToken`` otherwise); a host checks this before showing the form."""
        lifetime = timedelta(hours=self._portal.config.reset_link_hours)
        contact_id, epoch = self._portal.signer.verify(RESET, token, lifetime)
        contact = self._portal.storage.get(Contact, contact_id)
        if contact is None or contact.credential_epoch != epoch:
            raise InvalidToken("This link has already been used.")
        return contact

    def reset_password(self, token: str, password: str, confirm: str) -> Contact:
        """Single use: the reset bumps the credential epoch the token was signed with."""
        contact = self.check_reset_link(token)
        try:
            self._set_password(contact, self._hash(password, confirm))
        except Conflict as exc:
            raise InvalidToken("This link has already been used.") from exc
        return self._portal.directory.contact(contact.id)

    # -- profile ---------------------------------------------------------------------------
    def update_profile(self, contact: Contact, first_name: str, last_name: str) -> Contact:
        """ACC-7: names are checked; the email is changed by staff (ACC-5)."""
        first, last = check_names(first_name, last_name)
        with self._portal.unit_of_work():
            fresh = self._portal.directory.contact(contact.id)
            return self._portal.storage.update(attrs.evolve(fresh, first_name=first, last_name=last))

    def set_receipts(self, contact: Contact, opt_in: bool) -> Contact:
        """PAY-7: opt in to electronic receipts; a confirmation is mailed."""
        opt_in = inputs.flag(opt_in, "receipts")
        with self._portal.unit_of_work():
            fresh = self._portal.directory.contact(contact.id)
            updated = self._portal.storage.update(attrs.evolve(fresh, receipts_opt_in=opt_in))
            if opt_in and not fresh.receipts_opt_in:
                self._portal.outbox.mail(
                    Mail(
                        to=(fresh.address,),
                        subject="You will receive electronic payment receipts",
                        text=f"Hello {fresh.name},\n\nYou are now subscribed to electronic receipts from "
                        f"{self._portal.config.company_name}.",
                    ),
                    dedup_key=f"receipts-on:{fresh.id}:{updated.version}",
                )
            return updated
