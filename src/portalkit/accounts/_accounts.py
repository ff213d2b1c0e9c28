"""Sign-up, login, sessions, password change and reset, profile (ACC-1..7)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from .. import i18n, inputs
from .._core import history, passwords
from .._core.throttle import PasswordGate, Throttle, password_gate
from .._core.tokens import LOGIN_LINK, RESET, SESSION, TokenSigner
from .._core.uow import UnitOfWork
from ..config import PortalConfig
from ..directory._directory import check_names, contact_by_email, lookup
from ..errors import (
    AccountSuspended,
    AlreadySignedUp,
    AuthenticationFailed,
    Conflict,
    InvalidToken,
    PermissionDenied,
    PortalDisabled,
    SessionExpired,
    TooManyAttempts,
    ValidationError,
)
from ..events import ContactEnrolled, external_ids
from ..i18n import N_, _
from ..models import Contact, HistoryKind, LoginSession, PortalStatus
from ..notify import Address, Notifier
from ..notify._outbox import Outbox
from ..ports import Clock, Ref, Storage, expect
from ..settings import Settings
from ._email_change import EmailChanges
from ._invitations import Invitations

SESSION_LIFETIME = timedelta(hours=12)
LOGINS_PER_CLIENT = 100  # login attempts per client address per login window, successful or not
RESET_ANSWER = N_("If that email belongs to a portal account, a reset link is on its way.")
LOGIN_LINK_ANSWER = N_("If that email belongs to a portal account, a sign-in link is on its way.")
TOO_MANY_LINKS = N_("Too many links were asked for. Try again later.")


@attrs.frozen
class Session:
    """A logged-in contact. ``token`` goes in the host's (secure, HttpOnly) cookie."""

    token: str
    contact: Contact


class Accounts:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        signer: TokenSigner,
        outbox: Outbox,
        notifier: Notifier,
        invitations: Invitations,
        throttle: Throttle,
        email_changes: EmailChanges,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._signer, self._outbox, self._notifier = signer, outbox, notifier
        self._invitations, self._throttle, self._email_changes = invitations, throttle, email_changes
        # bcrypt at once on this host (a burst of logins is refused with LoginsBusy, never queued
        # on every worker), and logins per client address per window, successful ones included
        self.password_gate: PasswordGate = password_gate()
        self.logins_per_client = LOGINS_PER_CLIENT
        # set by the Portal (``TwoStep.gate``): raises SecondStepRequired for a contact who signs
        # in with a second step, before any session of theirs starts
        self.second_step: Callable[[Contact], None] = lambda contact: None

    @property
    def password_rules(self) -> list[str]:
        return passwords.rules(self._settings.current.password_min_length)

    def _hash(self, password: object, confirm: object) -> str:
        config = self._settings.current
        passwords.check(password, confirm, config.password_min_length)
        with self.password_gate.slot(config.bcrypt_rounds):
            return self.password_gate.run(passwords.hash_password, str(password), config.bcrypt_rounds)

    # -- sign-up ---------------------------------------------------------------------------
    def sign_up(self, token: str, password: str, confirm: str) -> Contact:
        """ACC-1: set the password from a valid invitation; enrols the contact (INV-8).

        A contact who already signed up hears so (INV-11), whatever the age of the link.
        """
        self._require_enabled()
        contact_id, nonce = self._invitations.check_link(token)
        hashed = self._hash(password, confirm)
        try:
            with self._uow():
                contact = self._invitations.invited_contact(contact_id, nonce)
                if contact.suspended:
                    raise AccountSuspended(contact.suspension_note)
                contact = self._storage.update(
                    attrs.evolve(contact, password_hash=hashed, portal_status=PortalStatus.ENROLLED)
                )
                history.record(self._storage, self._clock, contact.id, HistoryKind.REGISTERED)
                self._outbox.event(
                    ContactEnrolled(
                        event_id=f"enrolled:{contact.id}",
                        company_id=self._settings.current.company_id,
                        contact_id=contact.id,
                        external_ids=external_ids(contact=contact),
                    )
                )
                return contact
        except Conflict as exc:  # the same link accepted twice at once: one wins
            raise AlreadySignedUp() from exc

    def sign_up_and_sign_in(self, token: str, password: str, confirm: str) -> Session:
        """ACC-1 then a session, as a login would start it: the sign-up page signs the new
        contact in, so they never type the password they just chose a second time. The
        invitation link is used up by ``sign_up`` first; the session is a new one."""
        contact = self.sign_up(token, password, confirm)
        return self.start_session(contact)

    # -- login and sessions ----------------------------------------------------------------
    def login(self, email: str, password: str, ip_address: str | None = None) -> Session:
        """ACC-2, ACC-6: log in by email and password.

        Each attempt is reserved against the account's limit (``login_max_failures``) and, when
        the host passes it, the client address's (``login_max_failures_per_ip``) within
        ``login_window_seconds`` *before* the password is checked, so concurrent guesses are
        counted too. A successful login hands the reservations back; the client address's
        attempts, successful ones included, are also counted against ``logins_per_client``
        (never handed back), so valid credentials replayed in a loop cannot keep bcrypt busy.

        The work runs in one of the host's password-check slots (``password_gate``): when every
        slot is taken, ``LoginsBusy`` at once (HTTP 429 with ``Retry-After``), nothing read or
        counted.
        """
        config = self._require_enabled()
        address = inputs.text(email, "email", max_length=inputs.MAX_EMAIL, required=False).lower()
        if not isinstance(password, str):
            raise ValidationError(_("Enter your password."), field="password")
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        with self.password_gate.slot(config.bcrypt_rounds):
            contact = contact_by_email(self._storage, address)
            if contact is not None and contact.archived:  # deleted in the host: as if unknown, same bcrypt work
                contact = None
            keys = self._throttle.reserve_login(
                self._account_key(contact, address), ip, config, attempts_per_ip=self.logins_per_client
            )
            hashed = contact.password_hash if contact and contact.portal_status is PortalStatus.ENROLLED else None
            if not self.password_gate.run(passwords.verify, password, hashed, config.bcrypt_rounds) or contact is None:
                raise AuthenticationFailed()
        self._throttle.login_succeeded(keys)
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return self.start_session(contact)

    def start_session(self, contact: Contact, *, second_step_done: bool = False) -> Session:
        """A new login session of ``contact``, whose sign-in steps are done: unless
        ``second_step_done``, a contact with a second step (or who must set one up) gets
        ``SecondStepRequired`` instead, and no session (``portal.twostep``)."""
        if not second_step_done:
            self.second_step(contact)
        with self._uow():
            login = self._storage.insert(LoginSession(contact_id=contact.id, created_at=self._clock.now()))
        return Session(self._signer.sign(SESSION, login.id, contact.credential_epoch), contact)

    def _require_enabled(self) -> PortalConfig:
        """Customers sign in only while the company has the portal on (``PortalDisabled``)."""
        config = self._settings.current
        if not config.enabled:
            raise PortalDisabled()
        return config

    @staticmethod
    def _account_key(contact: Contact | None, address: str) -> str:
        """One limit per account, shared by login and the current-password check; per typed
        address for unknown ones."""
        return f"contact:{contact.id}" if contact else "email:" + address

    def authenticate(self, token: str) -> Contact:
        """The contact behind a session token; ``SessionExpired`` once that session logged out,
        the contact logged out everywhere or was deleted in the host, or 12 hours passed;
        ``PortalDisabled`` while the company has the portal turned off."""
        try:
            session_id, epoch = self._signer.verify(SESSION, token, SESSION_LIFETIME)
        except InvalidToken as exc:
            raise SessionExpired() from exc
        ahead = self._settings.expected()  # the settings, the session and its contact: one read
        with expect(self._storage, [*ahead, (LoginSession, session_id), (Contact, Ref(len(ahead), "contact_id"))]):
            self._require_enabled()
            login = self._storage.get(LoginSession, session_id)
            contact = self._storage.get(Contact, login.contact_id) if login else None
        if (
            contact is None
            or contact.credential_epoch != epoch
            or contact.portal_status is not PortalStatus.ENROLLED
            or contact.archived
        ):
            raise SessionExpired()
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return contact

    def logout(self, token: str) -> None:
        """End the session of ``token`` on the server: the token (and any copy of the cookie
        that carries it) stops working at once. An unknown or expired token is ignored."""
        try:
            claims = self._signer.read(SESSION, token)
        except InvalidToken:
            return
        with self._uow():
            self._storage.delete_many(LoginSession, [claims.contact_id])

    def purge_sessions(self) -> int:
        """Delete login sessions past their lifetime (the worker runs this); return how many."""
        cutoff = self._clock.now() - SESSION_LIFETIME
        with self._uow():
            old = [s.id for s in self._storage.find(LoginSession) if s.created_at < cutoff]
            self._storage.delete_many(LoginSession, old)
        return len(old)

    def logout_everywhere(self, contact: Contact) -> None:
        with self._uow():
            current = lookup(self._storage, Contact, contact.id)
            self._storage.update(attrs.evolve(current, credential_epoch=current.credential_epoch + 1))

    # -- passwords -------------------------------------------------------------------------
    def change_password(self, contact: Contact, current: str, new: str, confirm: str) -> None:
        """ACC-4: a new password logs the contact out everywhere, this session included.

        The current-password check counts against the same limit as logins to the account.
        """
        config = self._settings.current
        fresh = lookup(self._storage, Contact, contact.id)
        passwords.check(new, confirm, config.password_min_length)
        key = self._account_key(fresh, "")
        self._throttle.reserve(key, config.login_max_failures, config.login_window_seconds)
        if not passwords.verify(current, fresh.password_hash, config.bcrypt_rounds):
            raise AuthenticationFailed(_("The current password is not correct."))
        self._throttle.reset(key)
        self._set_password(fresh, passwords.hash_password(new, config.bcrypt_rounds))

    def check_password(self, contact: Contact, password: object) -> Contact:
        """The contact's current password, before a change to how they sign in (a second step
        added or removed): counted against the account's login limit, as change-password's is;
        ``AuthenticationFailed`` when wrong. The contact as stored now."""
        config = self._settings.current
        fresh = lookup(self._storage, Contact, contact.id)
        key = self._account_key(fresh, "")
        self._throttle.reserve(key, config.login_max_failures, config.login_window_seconds)
        if not isinstance(password, str) or not passwords.verify(password, fresh.password_hash, config.bcrypt_rounds):
            raise AuthenticationFailed(_("The current password is not correct."))
        self._throttle.reset(key)
        return fresh

    def _set_password(self, contact: Contact, hashed: str) -> None:
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            if fresh.credential_epoch != contact.credential_epoch:
                raise InvalidToken(_("This link has already been used."))
            self._storage.update(  # ACC-4: sessions, reset links and sign-in links all end
                attrs.evolve(
                    fresh,
                    password_hash=hashed,
                    credential_epoch=fresh.credential_epoch + 1,
                    login_link_nonce=fresh.login_link_nonce + 1,
                )
            )
            history.record(self._storage, self._clock, contact.id, HistoryKind.PASSWORD_CHANGED)

    def request_reset(self, email: str, ip_address: str | None = None) -> str:
        """ACC-3: mail a reset link to an enrolled contact; the answer is the same either way."""
        self._require_enabled()
        hours = self._settings.current.reset_link_hours
        self._mail_link(
            email,
            ip_address,
            "reset",
            lambda contact: (
                "password_reset",
                dict(
                    hours=hours,
                    link=f"{self._settings.current.portal_url}/reset-password#"
                    f"{self._signer.sign(RESET, contact.id, contact.credential_epoch)}",
                ),
            ),
        )
        return _(RESET_ANSWER)

    def request_login_link(self, email: str, ip_address: str | None = None) -> str:
        """Mail an enrolled contact a single-use sign-in link, valid ``login_link_minutes``; the
        answer, and the work, are the same for any address; refused when the company turned
        links off."""
        config = self._require_enabled()
        if not config.login_links_enabled:
            raise PermissionDenied(_("Sign-in links are turned off; log in with your password."))
        self._mail_link(
            email,
            ip_address,
            "login-link",
            lambda contact: (
                "login_link",
                dict(
                    minutes=config.login_link_minutes,
                    link=f"{config.portal_url}/sign-in#{self._signer.sign(LOGIN_LINK, contact.id, contact.login_link_nonce)}",
                ),
            ),
        )
        return _(LOGIN_LINK_ANSWER)

    def _mail_link(
        self,
        email: str,
        ip_address: str | None,
        kind: str,
        link_notice: Callable[[Contact], tuple[str, dict[str, Any]]],
    ) -> None:
        """Mail a link to an active account's address (the notice and facts ``link_notice`` gives),
        or to any other address a note that it has no active portal account: the same answer and
        the same work either way. Limited per address and per client address
        (``reset_max_requests``...)."""
        config = self._settings.current
        address = inputs.email(email)
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        limits = {f"{kind}:{address}": config.reset_max_requests}
        if ip:
            limits[f"{kind}-ip:{ip}"] = config.reset_max_requests_per_ip
        try:
            self._throttle.reserve_all(limits, config.reset_window_seconds)
        except TooManyAttempts as exc:  # not a failed password: too many links asked for
            raise TooManyAttempts(exc.retry_after_seconds, _(TOO_MANY_LINKS)) from exc
        found = contact_by_email(self._storage, address)
        active = (
            found is not None
            and found.portal_status is PortalStatus.ENROLLED
            and not found.suspended
            and not found.archived
        )
        key = f"{address}:{secrets.token_hex(8)}"
        with self._uow():
            if found is not None and active:
                notice, facts = link_notice(found)
                self._notifier.tell(notice, key=key, contact=found, **facts)
            else:
                self._notifier.tell("password_reset_no_account", key=key, address=Address(address, i18n.active()))

    def check_login_link(self, token: str) -> Contact:
        """The contact a sign-in link is for while it is unused and unexpired (``InvalidToken``
        or ``ExpiredToken`` otherwise); a page shows who is signing in before they confirm."""
        config = self._require_enabled()
        if not config.login_links_enabled:
            raise InvalidToken(_("Sign-in links are turned off; log in with your password."))
        contact_id, nonce = self._signer.verify(LOGIN_LINK, token, timedelta(minutes=config.login_link_minutes))
        contact = self._storage.get(Contact, contact_id)
        if (
            contact is None
            or contact.login_link_nonce != nonce
            or contact.portal_status is not PortalStatus.ENROLLED
            or contact.archived
        ):
            raise InvalidToken(_("This sign-in link has already been used; ask for a new one."))
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return contact

    def login_with_link(self, token: str) -> Session:
        """Single use: signing in moves the contact's link nonce on, so the link (and any older
        one) stops working; two tabs racing on one link get one session."""
        contact = self.check_login_link(token)
        try:
            with self._uow():
                self._storage.update(attrs.evolve(contact, login_link_nonce=contact.login_link_nonce + 1))
        except Conflict as exc:
            raise InvalidToken(_("This sign-in link has already been used; ask for a new one.")) from exc
        return self.start_session(contact)  # the link is used up either way; a second step may follow

    def check_reset_link(self, token: str) -> Contact:
        """The contact a reset link is for, while it is unused and unexpired (``InvalidToken``
        or ``ExpiredToken`` otherwise); a host checks this before showing the form."""
        lifetime = timedelta(hours=self._require_enabled().reset_link_hours)
        contact_id, epoch = self._signer.verify(RESET, token, lifetime)
        contact = self._storage.get(Contact, contact_id)
        if contact is None or contact.credential_epoch != epoch or contact.archived:
            raise InvalidToken(_("This link has already been used."))
        return contact

    def reset_password(self, token: str, password: str, confirm: str) -> Contact:
        """Single use: the reset bumps the credential epoch the token was signed with."""
        contact = self.check_reset_link(token)
        try:
            self._set_password(contact, self._hash(password, confirm))
        except Conflict as exc:
            raise InvalidToken(_("This link has already been used.")) from exc
        return lookup(self._storage, Contact, contact.id)

    # -- email (ACC-5, ACC-8) -------------------------------------------------------------------
    def request_email_change(self, contact: Contact, new_email: str, password: str) -> Contact:
        """The contact asks to sign in with ``new_email``: their password is checked (counted
        against the account's login limit, like change-password), then a confirmation link goes
        to the new address and the old one is told. Nothing changes until the link is used."""
        config = self._settings.current
        email = inputs.email(new_email)
        fresh = lookup(self._storage, Contact, contact.id)
        key = self._account_key(fresh, "")
        self._throttle.reserve(key, config.login_max_failures, config.login_window_seconds)
        if not passwords.verify(password, fresh.password_hash, config.bcrypt_rounds):
            raise AuthenticationFailed(_("The current password is not correct."))
        self._throttle.reset(key)
        return self._email_changes.request(fresh.id, email, "the contact")

    def check_email_change(self, token: str) -> Contact:
        """The contact a confirmation link is for (``InvalidToken`` or ``ExpiredToken`` otherwise);
        the page shows the new address before the contact confirms."""
        self._require_enabled()
        return self._email_changes.check(token)

    def confirm_email_change(self, token: str) -> Contact:
        """ACC-8: the pending address becomes the sign-in; every session and link of the contact
        ends, and the old address is told."""
        self._require_enabled()
        return self._email_changes.confirm(token)

    # -- profile ---------------------------------------------------------------------------
    def update_profile(self, contact: Contact, first_name: str, last_name: str) -> Contact:
        """ACC-7: names are checked; the email changes through ``request_email_change``."""
        first, last = check_names(first_name, last_name)
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            return self._storage.update(attrs.evolve(fresh, first_name=first, last_name=last))

    def set_language(self, contact: Contact, language: object) -> Contact:
        """The language of the contact's pages and mails, one of ``i18n.LANGUAGES``."""
        chosen = inputs.language(language)
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            return fresh if fresh.language == chosen else self._storage.update(attrs.evolve(fresh, language=chosen))

    def set_receipts(self, contact: Contact, opt_in: bool) -> Contact:
        """PAY-7: opt in to electronic receipts; a confirmation is mailed."""
        opt_in = inputs.flag(opt_in, "receipts")
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            updated = self._storage.update(attrs.evolve(fresh, receipts_opt_in=opt_in))
            if opt_in and not fresh.receipts_opt_in:
                self._notifier.tell("receipts_on", key=str(updated.version), contact=updated)
            return updated
