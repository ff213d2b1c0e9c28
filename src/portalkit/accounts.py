"""Sign-up, login, sessions, password change and reset, profile (ACC-1..7)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import attrs

from . import passwords
from .directory import check_names
from .errors import (
    AccountSuspended,
    AlreadySignedUp,
    AuthenticationFailed,
    Conflict,
    InvalidToken,
    SessionExpired,
    TooManyAttempts,
)
from .models import Contact, HistoryKind, LoginThrottle, PortalStatus
from .ports import Mail
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

    @property
    def password_rules(self) -> list[str]:
        return passwords.rules(self._portal.config.password_min_length)

    def _hash(self, password: str, confirm: str) -> str:
        config = self._portal.config
        passwords.check(password, confirm, config.password_min_length)
        return passwords.hash_password(password, config.bcrypt_rounds)

    # -- sign-up ---------------------------------------------------------------------------
    def sign_up(self, token: str, password: str, confirm: str) -> Contact:
        """ACC-1: set the password from a valid invitation; enrols the contact (INV-8)."""
        contact_id, nonce = self._portal.signer.verify(INVITE, token, self._portal.invitations.link_lifetime)
        hashed = self._hash(password, confirm)
        try:
            with self._portal.unit_of_work():
                contact = self._portal.storage.get(Contact, contact_id)
                if contact is None:
                    raise InvalidToken()
                if contact.portal_status is PortalStatus.ENROLLED:
                    raise AlreadySignedUp()
                if nonce != contact.invite_nonce:
                    raise InvalidToken("This invitation was replaced by a newer one. Use the latest email.")
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

        Failures are rate limited per email and, when the host passes it, per client address
        (``login_max_failures`` and ``login_max_failures_per_ip`` within ``login_window_seconds``).
        """
        config = self._portal.config
        limits = {"email:" + (email or "").strip().lower()[:254]: config.login_max_failures}
        if ip_address:
            limits["ip:" + ip_address[:64]] = config.login_max_failures_per_ip
        for key, limit in limits.items():
            self._check_throttle(key, limit)
        contact = self._portal.directory.contact_by_email(email)
        hashed = contact.password_hash if contact and contact.portal_status is PortalStatus.ENROLLED else None
        ok = passwords.verify(password, hashed, config.bcrypt_rounds)
        if not ok or contact is None:
            for key in limits:
                self._record_failure(key)
            raise AuthenticationFailed()
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        self._clear_failures(next(iter(limits)))
        return Session(self._portal.signer.sign(SESSION, contact.id, contact.credential_epoch), contact)

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

    def _check_throttle(self, key: str, limit: int) -> None:
        config, now = self._portal.config, self._portal.now()
        throttle = self._portal.storage.get(LoginThrottle, key)
        if throttle and throttle.window_start:
            elapsed = (now - throttle.window_start).total_seconds()
            if elapsed < config.login_window_seconds and throttle.failures >= limit:
                raise TooManyAttempts(int(config.login_window_seconds - elapsed) + 1)

    def _record_failure(self, key: str) -> None:
        config, now, storage = self._portal.config, self._portal.now(), self._portal.storage
        for _ in range(3):  # concurrent failures race on the counter; retry the increment
            try:
                with self._portal.unit_of_work():
                    throttle = storage.get(LoginThrottle, key)
                    if throttle is None:
                        storage.insert(LoginThrottle(id=key, failures=1, window_start=now))
                    elif (now - throttle.window_start).total_seconds() >= config.login_window_seconds:
                        storage.update(attrs.evolve(throttle, failures=1, window_start=now))
                    else:
                        storage.update(attrs.evolve(throttle, failures=throttle.failures + 1))
                return
            except Conflict:
                continue

    def _clear_failures(self, key: str) -> None:
        throttle = self._portal.storage.get(LoginThrottle, key)
        if throttle and throttle.failures:
            try:
                with self._portal.unit_of_work():
                    self._portal.storage.update(attrs.evolve(throttle, failures=0, window_start=None))
            except Conflict:
                pass

    # -- passwords -------------------------------------------------------------------------
    def change_password(self, contact: Contact, current: str, new: str, confirm: str) -> None:
        """ACC-4: a new password logs the contact out everywhere, this session included."""
        config = self._portal.config
        fresh = self._portal.directory.contact(contact.id)
        if not passwords.verify(current, fresh.password_hash, config.bcrypt_rounds):
            raise AuthenticationFailed("The current password is not correct.")
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

    def request_reset(self, email: str) -> str:
        """ACC-3: mail a reset link to an enrolled contact; the answer is the same either way."""
        contact = self._portal.directory.contact_by_email(email)
        if contact is not None and contact.portal_status is PortalStatus.ENROLLED and not contact.suspended:
            token = self._portal.signer.sign(RESET, contact.id, contact.credential_epoch)
            link = self._portal.config.portal_url + "/reset-password/" + token
            hours = self._portal.config.reset_link_hours
            with self._portal.unit_of_work():
                self._portal.outbox.mail(
                    Mail(
                        to=(contact.address,),
                        subject=f"Reset your {self._portal.config.company_name} portal password",
                        text=f"Hello {contact.name},\n\nSet a new password here (valid {hours} hours, once):\n{link}\n\n"
                        "If you did not ask for this, ignore this mail.",
                    ),
                    dedup_key=f"reset:{contact.id}:{token[-16:]}",
                )
        return RESET_ANSWER

    def reset_password(self, token: str, password: str, confirm: str) -> Contact:
        """Single use: the reset bumps the credential epoch the token was signed with."""
        lifetime = timedelta(hours=self._portal.config.reset_link_hours)
        contact_id, epoch = self._portal.signer.verify(RESET, token, lifetime)
        contact = self._portal.storage.get(Contact, contact_id)
        if contact is None or contact.credential_epoch != epoch:
            raise InvalidToken("This link has already been used.")
        try:
            self._set_password(contact, self._hash(password, confirm))
        except Conflict as exc:
            raise InvalidToken("This link has already been used.") from exc
        return self._portal.directory.contact(contact_id)

    # -- profile ---------------------------------------------------------------------------
    def update_profile(self, contact: Contact, first_name: str, last_name: str) -> Contact:
        """ACC-7: names are checked; the email is changed by staff (ACC-5)."""
        first, last = check_names(first_name, last_name)
        with self._portal.unit_of_work():
            fresh = self._portal.directory.contact(contact.id)
            return self._portal.storage.update(attrs.evolve(fresh, first_name=first, last_name=last))

    def set_receipts(self, contact: Contact, opt_in: bool) -> Contact:
        """PAY-7: opt in to electronic receipts; a confirmation is mailed."""
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
