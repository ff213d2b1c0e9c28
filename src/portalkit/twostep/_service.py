"""``TwoStep``: passkeys, authenticator apps and recovery codes for the customer's sign-in.

How a sign-in goes with a second step (rules MFA-*, docs/security.md):

1. The password (or a mailed sign-in link) is right: ``Accounts.start_session`` asks ``gate``,
   which, for a contact with a second step (or who must set one up), records a ``SignInStep``
   and raises ``SecondStepRequired`` with a signed marker of it (10 minutes, and void once the
   password changes). No session exists yet; the host keeps the marker in its framework session.
2. The second step takes the marker: a code of the authenticator app (never the same code twice),
   a passkey (a fresh challenge each time, answered once), or a recovery code (each once). Tries
   are counted per contact and per client address, as passwords are. Done, the step is used up
   and the session starts, in one transaction.

A passkey alone also signs in (``begin_passkey_sign_in``, ``sign_in_with_passkey``): the browser
offers the passkeys it holds for the portal's address, the authenticator verifies the person
(PIN, fingerprint, face), and the passkey names its contact. Setting up or removing a second step
takes the contact's password (or the marker of the sign-in that must set one up), and every
change is mailed to the contact.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs

from .. import inputs
from .._core.permissions import require
from .._core.throttle import Throttle
from .._core.tokens import SIGN_IN_STEP, TokenSigner
from .._core.uow import UnitOfWork
from ..config import PortalConfig
from ..directory._directory import lookup
from ..errors import (
    AccountSuspended,
    AuthenticationFailed,
    Conflict,
    InvalidToken,
    PermissionDenied,
    PortalDisabled,
    SecondStepRequired,
    ValidationError,
)
from ..i18n import N_, _
from ..models import AuthenticatorApp, Contact, Passkey, Permission, PortalStatus, RecoveryCode, SignInStep
from ..notify import Notifier
from ..ports import Clock, Storage
from ..settings import Settings
from . import _app, _keys, _passkeys

if TYPE_CHECKING:
    from ..accounts._accounts import Accounts, Session

STEP_MINUTES = 10  # a second step (or setting one up) follows the password within this time
CEREMONY_MINUTES = 5  # a passkey ceremony (sign-in, or adding one) is answered within this time
RECOVERY_CODES = 10
CEREMONIES_PER_CLIENT = 100  # passkey sign-ins begun per client address per login window
MAX_PASSKEYS = 20
SECOND_STEP, ENROL, PASSKEY_LOGIN, PASSKEY_ADD = "second_step", "enrol", "passkey_login", "passkey_add"


class LastStepRequired(PermissionDenied):
    """The company requires a second step of this contact: their last one stays."""

    public_message = N_("Your company requires a second step: add another one before you remove this one.")


@attrs.frozen
class Factors:
    """A contact's second steps: their passkeys, whether an authenticator app is set up, and how
    many recovery codes are left."""

    passkeys: tuple[Passkey, ...]
    app: bool
    recovery_codes_left: int
    app_since: datetime | None = None

    @property
    def any(self) -> bool:
        return bool(self.passkeys) or self.app


@attrs.frozen
class PendingStep:
    """A sign-in waiting for its second step (``enrol``: for one to be set up)."""

    contact: Contact
    enrol: bool
    factors: Factors


@attrs.frozen
class Ceremony:
    """A passkey ceremony: ``marker`` goes in the framework session (it names the challenge,
    single use), ``options`` (JSON) to the browser's ``navigator.credentials``."""

    marker: str
    options: str


@attrs.frozen
class AppSetup:
    """What the contact's authenticator app reads: the QR code (an SVG ``data:`` URI) of ``uri``,
    or the secret typed by hand."""

    secret: str = attrs.field(repr=False)  # never in a log line
    uri: str = attrs.field(repr=False)
    qr: str = attrs.field(repr=False)

    @property
    def grouped_secret(self) -> str:
        return _app.grouped(self.secret)


@attrs.frozen
class Enrolled:
    """A second step was added; ``recovery_codes`` are shown once (when it was the first)."""

    recovery_codes: tuple[str, ...] = ()
    passkey: Passkey | None = None


class TwoStep:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        signer: TokenSigner,
        notifier: Notifier,
        throttle: Throttle,
        accounts: Accounts,
        secret_key: str,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._signer, self._notifier, self._throttle, self._accounts = signer, notifier, throttle, accounts
        self._box = _keys.SecretBox(secret_key) if _keys.sealing_available() else None

    # -- what is offered ---------------------------------------------------------------------------
    def relying_party(self) -> _passkeys.RelyingParty | None:
        """The portal's relying party for passkeys; ``None`` when none can be offered (no
        ``webauthn``, or ``base_url`` is an IP address or plain http outside localhost)."""
        config = self._settings.current
        return _passkeys.relying_party(config.base_url, config.company_name) if _passkeys.available() else None

    @property
    def passkeys_offered(self) -> bool:
        return self.relying_party() is not None

    @property
    def app_offered(self) -> bool:
        return self._box is not None and _app.available()

    def required(self, contact: Contact) -> bool:
        """Whether the company requires a second step of ``contact``: one who can pay or sign
        (access to invoices or proposals), when ``require_second_step`` is on and some second
        step can be offered."""
        config = self._settings.current
        return (
            config.require_second_step
            and (contact.access.invoices or contact.access.proposals)
            and (self.passkeys_offered or self.app_offered)
        )

    def factors(self, contact: Contact) -> Factors:
        passkeys = sorted(
            self._storage.find(Passkey, contact_id=contact.id), key=lambda p: (p.created_at, p.name, p.id)
        )
        app = next((a for a in self._storage.find(AuthenticatorApp, contact_id=contact.id) if a.confirmed_at), None)
        left = sum(1 for c in self._storage.find(RecoveryCode, contact_id=contact.id) if c.used_at is None)
        return Factors(tuple(passkeys), app is not None, left, app.confirmed_at if app else None)

    # -- the gate: after the password ------------------------------------------------------------
    def gate(self, contact: Contact) -> None:
        """``Accounts.start_session`` asks before any session: ``SecondStepRequired`` for a
        contact with a second step, or who must set one up; nothing for the others."""
        if self._has_factor(contact):  # one or two indexed reads on the login path
            purpose = SECOND_STEP
        elif self.required(contact):
            purpose = ENROL
        else:
            return
        with self._uow():
            step = self._storage.insert(
                SignInStep(purpose=purpose, contact_id=contact.id, created_at=self._clock.now())
            )
        raise SecondStepRequired(
            self._signer.sign(SIGN_IN_STEP, step.id, contact.credential_epoch), enrol=purpose == ENROL
        )

    def pending(self, marker: object) -> PendingStep:
        """The sign-in a marker stands for, while it waits (``InvalidToken`` once it ended:
        used, canceled, expired, or the password changed)."""
        step, contact = self._step(marker, (SECOND_STEP, ENROL))
        return PendingStep(contact, step.purpose == ENROL, self.factors(contact))

    def cancel(self, marker: object) -> None:
        """The visitor gave up (or logged out): the marker stops working, wherever it was copied."""
        try:
            claims = self._signer.read(SIGN_IN_STEP, marker)
        except InvalidToken:
            return
        with self._uow():
            self._storage.delete_many(SignInStep, [claims.contact_id])

    # -- the second step -----------------------------------------------------------------------------
    def verify_app_code(self, marker: object, code: object, ip_address: str | None = None) -> Session:
        """A code of the contact's authenticator app; a code is never accepted twice."""
        step, contact = self._step(marker, (SECOND_STEP,))
        keys = self._reserve(contact, ip_address)
        app = self._app(contact, confirmed=True)
        if app is None:
            raise ValidationError(_("You have no authenticator app set up here."), field="code")
        matched = self._matched(app, contact, code)
        self._throttle.login_succeeded(keys)
        try:
            with self._uow():
                self._storage.update(attrs.evolve(app, last_step=matched))
                return self._finish(step, contact)
        except Conflict as exc:  # the same code twice at once: one wins
            raise ValidationError(_("That code was used already. Wait for the next one."), field="code") from exc

    def use_recovery_code(self, marker: object, code: object, ip_address: str | None = None) -> Session:
        """One of the contact's recovery codes, once; the contact is told how many are left."""
        step, contact = self._step(marker, (SECOND_STEP,))
        keys = self._reserve(contact, ip_address)
        typed = _keys.normal_code(code)
        wanted = _keys.code_hash(contact.id, typed)
        found = (
            next(
                (
                    c
                    for c in self._storage.find(RecoveryCode, contact_id=contact.id)
                    if c.used_at is None and _keys.same_hash(c.code_hash, wanted)
                ),
                None,
            )
            if typed
            else None
        )
        if found is None:
            raise ValidationError(_("That recovery code is not right, or it was used already."), field="recovery_code")
        self._throttle.login_succeeded(keys)
        try:
            with self._uow():
                self._storage.update(attrs.evolve(found, used_at=self._clock.now()))
                left = sum(1 for c in self._storage.find(RecoveryCode, contact_id=contact.id) if c.used_at is None)
                self._notifier.tell("recovery_code_used", key=found.id, contact=contact, left=left)
                return self._finish(step, contact)
        except Conflict as exc:
            raise ValidationError(
                _("That recovery code is not right, or it was used already."), field="recovery_code"
            ) from exc

    def passkey_options(self, marker: object) -> str:
        """Options for ``navigator.credentials.get()`` with the pending contact's passkeys: a new
        challenge each time (the one before stops working)."""
        step, contact = self._step(marker, (SECOND_STEP,))
        rp = self._relying_party()
        passkeys = self._storage.find(Passkey, contact_id=contact.id)
        if not passkeys:
            raise ValidationError(_("You have no passkey here."))
        challenge = _passkeys.new_challenge()
        self._set_challenge(step, challenge)
        return _passkeys.authentication_options(
            rp, challenge, [(p.credential_id, p.transports) for p in passkeys], user_verification=False
        )

    def verify_passkey(self, marker: object, response: object, ip_address: str | None = None) -> Session:
        """The browser's answer to ``passkey_options``: one of the contact's passkeys signed this
        step's challenge (which is used up by trying, right or wrong)."""
        step, contact = self._step(marker, (SECOND_STEP,))
        keys = self._reserve(contact, ip_address)
        step, challenge = self._take_challenge(step)
        passkey, assertion = self._assert(response, challenge, user_verification=False, owner=contact.id)
        self._throttle.login_succeeded(keys)
        with self._uow():
            self._used(passkey, assertion)
            return self._finish(step, contact)

    def finish_setup(self, marker: object) -> Session:
        """The sign-in that had to set up a second step, once it has one: its session."""
        step, contact = self._step(marker, (ENROL,))
        if not self.factors(contact).any:
            raise ValidationError(_("Set up a passkey or an authenticator app first."))
        with self._uow():
            return self._finish(step, contact)

    # -- a passkey alone --------------------------------------------------------------------------------
    def begin_passkey_sign_in(self, ip_address: str | None = None) -> Ceremony:
        """Options for a sign-in with a passkey alone (the browser lists the passkeys it holds
        for the portal; user verification required), and the marker of their challenge."""
        config = self._enabled()
        rp = self._relying_party()
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        if ip:
            self._throttle.reserve(f"passkey-begin-ip:{ip}", CEREMONIES_PER_CLIENT, config.login_window_seconds)
        challenge = _passkeys.new_challenge()
        with self._uow():
            step = self._storage.insert(
                SignInStep(purpose=PASSKEY_LOGIN, challenge=_passkeys.encode(challenge), created_at=self._clock.now())
            )
        return Ceremony(
            self._signer.sign(SIGN_IN_STEP, step.id, 0),
            _passkeys.authentication_options(rp, challenge, [], user_verification=True),
        )

    def sign_in_with_passkey(self, marker: object, response: object, ip_address: str | None = None) -> Session:
        """A session for the contact whose passkey answered the challenge of ``marker`` (once),
        with the person verified by the authenticator. Tries count against the client address."""
        config = self._enabled()
        step = self._ceremony(marker, PASSKEY_LOGIN, 0)
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        ip_keys = {f"passkey-ip:{ip}": config.login_max_failures_per_ip} if ip else {}
        self._throttle.reserve_all(ip_keys, config.login_window_seconds)
        step, challenge = self._take_challenge(step)
        passkey, assertion = self._assert(response, challenge, user_verification=True, owner=None)
        contact = self._storage.get(Contact, passkey.contact_id)
        if contact is None or contact.portal_status is not PortalStatus.ENROLLED or contact.archived:
            raise AuthenticationFailed(_("That passkey could not sign you in."))
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        for key in ip_keys:  # not a failure: the address gets this try back
            self._throttle.release(key)
        with self._uow():
            self._used(passkey, assertion)
            return self._finish(step, contact)

    # -- setting up ---------------------------------------------------------------------------------------
    def begin_app(self, contact: Contact) -> AppSetup:
        """A new secret for an authenticator app, not in use until ``confirm_app`` (an earlier
        unconfirmed one is replaced)."""
        if not self.app_offered:
            raise PermissionDenied(_("Authenticator apps are not offered here."))
        fresh = lookup(self._storage, Contact, contact.id)
        apps = self._storage.find(AuthenticatorApp, contact_id=fresh.id)
        if any(a.confirmed_at for a in apps):
            raise ValidationError(_("An authenticator app is set up already; remove it first to set up another."))
        assert self._box is not None
        secret = _app.new_secret()
        with self._uow():
            self._storage.delete_many(AuthenticatorApp, [a.id for a in apps])
            self._storage.insert(
                AuthenticatorApp(
                    contact_id=fresh.id, secret=self._box.seal(secret, self._bound(fresh)), created_at=self._clock.now()
                )
            )
        return self._setup(fresh, secret)

    def app_setup(self, contact: Contact) -> AppSetup | None:
        """The authenticator app being set up (started, not confirmed), to show again."""
        app = self._app(contact, confirmed=False)
        secret = self._box.open(app.secret, self._bound(contact)) if app is not None and self._box else None
        return self._setup(contact, secret) if secret else None

    def confirm_app(
        self,
        contact: Contact,
        code: object,
        password: object = None,
        *,
        pending: object = None,
        ip_address: str | None = None,
    ) -> Enrolled:
        """The first code of the app being set up, with the contact's password (or the marker of
        the sign-in that must set one up): from now on it is a second step."""
        fresh = self._may_change(contact, password, pending)
        app = self._app(fresh, confirmed=False)
        if app is None:
            raise ValidationError(_("Start again: show the QR code, then type a code from the app."), field="code")
        keys = self._reserve(fresh, ip_address)
        matched = self._matched(app, fresh, code)
        self._throttle.login_succeeded(keys)
        with self._uow():
            first = not self.factors(fresh).any
            self._storage.update(attrs.evolve(app, confirmed_at=self._clock.now(), last_step=matched))
            codes = self._new_codes(fresh) if first else ()
            self._notifier.tell(
                "factor_added", key=app.id, contact=fresh, factor="app", factor_name="", codes=bool(codes)
            )
        return Enrolled(codes)

    def begin_passkey(self, contact: Contact, password: object = None, *, pending: object = None) -> Ceremony:
        """Options for ``navigator.credentials.create()``, after the contact's password (or the
        marker of the sign-in that must set up a second step), and the marker of their challenge."""
        fresh = self._may_change(contact, password, pending)
        rp = self._relying_party()
        existing = self._storage.find(Passkey, contact_id=fresh.id)
        if len(existing) >= MAX_PASSKEYS:
            raise ValidationError(_("You have as many passkeys as you can have; remove one first."))
        challenge = _passkeys.new_challenge()
        with self._uow():
            step = self._storage.insert(
                SignInStep(
                    purpose=PASSKEY_ADD,
                    contact_id=fresh.id,
                    challenge=_passkeys.encode(challenge),
                    created_at=self._clock.now(),
                )
            )
        options = _passkeys.registration_options(
            rp,
            challenge,
            fresh.id,
            fresh.email or fresh.name,
            fresh.name,
            [(p.credential_id, p.transports) for p in existing],
        )
        return Ceremony(self._signer.sign(SIGN_IN_STEP, step.id, fresh.credential_epoch), options)

    def add_passkey(self, contact: Contact, marker: object, response: object, name: object = "") -> Enrolled:
        """The browser's new passkey, made for the challenge of ``marker`` (once), named by the
        contact."""
        label = inputs.text(name, "name", max_length=60, required=False).strip() or _("Passkey")
        step = self._ceremony(marker, PASSKEY_ADD, None)
        if step.contact_id != contact.id:
            raise InvalidToken(_("Start adding the passkey again."))
        step, challenge = self._take_challenge(step)
        rp = self._relying_party()
        try:
            made = _passkeys.verify_registration(_passkeys.parse(response), rp, challenge)
        except _passkeys.BadResponse as exc:
            raise ValidationError(_("The passkey could not be added. Try again.")) from exc
        fresh = lookup(self._storage, Contact, contact.id)
        if self._storage.find(Passkey, credential_id=made.credential_id):
            raise ValidationError(_("That passkey is added already."))
        try:
            with self._uow():
                self._storage.delete_many(SignInStep, [step.id])
                first = not self.factors(fresh).any
                passkey = self._storage.insert(
                    Passkey(
                        contact_id=fresh.id,
                        credential_id=made.credential_id,
                        public_key=made.public_key,
                        sign_count=made.sign_count,
                        name=label,
                        transports=made.transports,
                        backed_up=made.backed_up,
                        created_at=self._clock.now(),
                    )
                )
                codes = self._new_codes(fresh) if first else ()
                self._notifier.tell(
                    "factor_added",
                    key=passkey.id,
                    contact=fresh,
                    factor="passkey",
                    factor_name=label,
                    codes=bool(codes),
                )
        except Conflict as exc:
            raise ValidationError(_("That passkey is added already.")) from exc
        return Enrolled(codes, passkey)

    # -- removing, new codes ---------------------------------------------------------------------------
    def remove_passkey(self, contact: Contact, passkey_id: object, password: object) -> None:
        fresh = self._may_change(contact, password, None)
        passkey = lookup(self._storage, Passkey, passkey_id)
        if passkey.contact_id != fresh.id:
            raise ValidationError(_("That passkey is not one of yours."))
        self._remove(fresh, [passkey], app=None, kind="passkey", name=passkey.name)

    def remove_app(self, contact: Contact, password: object) -> None:
        fresh = self._may_change(contact, password, None)
        app = self._app(fresh, confirmed=True)
        if app is None:
            raise ValidationError(_("You have no authenticator app set up here."))
        self._remove(fresh, [], app=app, kind="app", name="")

    def new_recovery_codes(self, contact: Contact, password: object) -> tuple[str, ...]:
        """Ten new recovery codes, shown once; the older ones stop working."""
        fresh = self._may_change(contact, password, None)
        if not self.factors(fresh).any:
            raise ValidationError(_("Recovery codes come with a passkey or an authenticator app; set one up first."))
        with self._uow():
            codes = self._new_codes(fresh)
            self._notifier.tell("recovery_codes_new", key=secrets.token_hex(8), contact=fresh)
        return codes

    def reset(self, staff: object, contact_id: object) -> None:
        """``MANAGE_CONTACTS``: remove every second step of a contact who lost them all (their
        passkeys, app and codes), who then signs in with their password alone (or sets one up
        again where the company requires it); the contact is told."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        contact = lookup(self._storage, Contact, contact_id)
        app = self._app(contact, confirmed=True)
        self._remove(
            contact, self._storage.find(Passkey, contact_id=contact.id), app=app, kind="all", name="", by_staff=True
        )

    def purge(self) -> int:
        """Delete sign-in steps past their time (the worker runs this); return how many."""
        cutoff = self._clock.now() - timedelta(minutes=STEP_MINUTES)
        with self._uow():
            old = [s.id for s in self._storage.find(SignInStep) if s.created_at < cutoff]
            self._storage.delete_many(SignInStep, old)
        return len(old)

    # -- inside ---------------------------------------------------------------------------------------
    def _enabled(self) -> PortalConfig:
        config = self._settings.current
        if not config.enabled:
            raise PortalDisabled()
        return config

    def _relying_party(self) -> _passkeys.RelyingParty:
        rp = self.relying_party()
        if rp is None:
            raise PermissionDenied(_("Passkeys are not offered here."))
        return rp

    def _step(self, marker: object, purposes: Iterable[str], minutes: int = STEP_MINUTES) -> tuple[SignInStep, Contact]:
        """The sign-in step of ``marker`` and its contact, as long as it may go on."""
        ended = _("This sign-in has ended. Log in again.")
        self._enabled()
        try:
            step_id, epoch = self._signer.verify(SIGN_IN_STEP, marker, timedelta(minutes=minutes))
        except InvalidToken as exc:
            raise InvalidToken(ended) from exc
        step = self._storage.get(SignInStep, step_id)
        if step is None or step.purpose not in tuple(purposes):
            raise InvalidToken(ended)
        contact = self._storage.get(Contact, step.contact_id)
        if (
            contact is None
            or contact.credential_epoch != epoch
            or contact.portal_status is not PortalStatus.ENROLLED
            or contact.archived
        ):
            raise InvalidToken(ended)
        if contact.suspended:
            raise AccountSuspended(contact.suspension_note)
        return step, contact

    def _ceremony(self, marker: object, purpose: str, epoch: int | None) -> SignInStep:
        """The passkey ceremony of ``marker`` (``epoch``: the counter it must carry, if any)."""
        self._enabled()
        again = _("That took too long, or was done already. Try again.")
        try:
            step_id, counter = self._signer.verify(SIGN_IN_STEP, marker, timedelta(minutes=CEREMONY_MINUTES))
        except InvalidToken as exc:
            raise InvalidToken(again) from exc
        step = self._storage.get(SignInStep, step_id)
        if step is None or step.purpose != purpose or (epoch is not None and counter != epoch):
            raise InvalidToken(again)
        if purpose == PASSKEY_ADD:
            owner = self._storage.get(Contact, step.contact_id)
            if owner is None or owner.credential_epoch != counter:
                raise InvalidToken(again)
        return step

    def _set_challenge(self, step: SignInStep, challenge: bytes) -> SignInStep:
        try:
            with self._uow():
                fresh = self._storage.get(SignInStep, step.id)
                if fresh is None:
                    raise InvalidToken(_("This sign-in has ended. Log in again."))
                return self._storage.update(attrs.evolve(fresh, challenge=_passkeys.encode(challenge)))
        except Conflict as exc:
            raise InvalidToken(_("That took too long, or was done already. Try again.")) from exc

    def _take_challenge(self, step: SignInStep) -> tuple[SignInStep, str]:
        """The step's challenge, cleared (committed) before the answer is checked: a challenge is
        answered once, right or wrong, and an answer replayed finds none."""
        if not step.challenge:
            raise ValidationError(_("That took too long, or was done already. Try again."))
        try:
            with self._uow():
                taken = self._storage.update(attrs.evolve(step, challenge=""))
        except Conflict as exc:
            raise ValidationError(_("That took too long, or was done already. Try again.")) from exc
        return taken, step.challenge

    def _assert(
        self, response: object, challenge: str, *, user_verification: bool, owner: str | None
    ) -> tuple[Passkey, _passkeys.Assertion]:
        """The passkey that signed ``challenge`` in ``response`` (of contact ``owner``, if given)."""
        refused = _("That passkey could not sign you in.")
        rp = self._relying_party()
        try:
            answer = _passkeys.parse(response)
        except _passkeys.BadResponse as exc:
            raise AuthenticationFailed(refused) from exc
        found = self._storage.find(Passkey, credential_id=answer["id"]) if len(answer["id"]) <= 1400 else []
        passkey = found[0] if found else None
        handle = _passkeys.user_handle(answer)
        if (
            passkey is None
            or (owner is not None and passkey.contact_id != owner)
            or (handle is not None and handle != passkey.contact_id)
        ):
            raise AuthenticationFailed(refused)
        try:
            assertion = _passkeys.verify_assertion(
                answer, rp, challenge, passkey.public_key, passkey.sign_count, user_verification=user_verification
            )
        except _passkeys.BadResponse as exc:
            raise AuthenticationFailed(refused) from exc
        return passkey, assertion

    def _used(self, passkey: Passkey, assertion: _passkeys.Assertion) -> None:
        """Its counter moves on (a clone's lower count is refused next time); a lost race is a replay."""
        fresh = self._storage.get(Passkey, passkey.id)
        if fresh is None or fresh.version != passkey.version:
            raise AuthenticationFailed(_("That passkey could not sign you in."))
        self._storage.update(
            attrs.evolve(
                fresh,
                sign_count=assertion.new_sign_count,
                backed_up=assertion.backed_up,
                last_used_at=self._clock.now(),
            )
        )

    def _finish(self, step: SignInStep, contact: Contact) -> Session:
        """In the caller's unit of work: the step is used up (compare-and-swap, so two tabs get
        one session) and the session starts."""
        self._storage.update(step)  # its version moves: a racing finish conflicts
        self._storage.delete_many(SignInStep, [step.id])
        return self._accounts.start_session(contact, second_step_done=True)

    def _reserve(self, contact: Contact, ip_address: str | None) -> list[str]:
        """One second-step try, counted against the contact and the client address with the
        password's limits (``login_max_failures``, ``login_max_failures_per_ip``)."""
        config = self._settings.current
        ip = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        return self._throttle.reserve_login(f"second-step:{contact.id}", ip, config, ip_prefix="second-step-ip:")

    def _has_factor(self, contact: Contact) -> bool:
        return (
            bool(self._storage.find(Passkey, contact_id=contact.id)) or self._app(contact, confirmed=True) is not None
        )

    def _app(self, contact: Contact, *, confirmed: bool) -> AuthenticatorApp | None:
        return next(
            (
                a
                for a in self._storage.find(AuthenticatorApp, contact_id=contact.id)
                if (a.confirmed_at is not None) == confirmed
            ),
            None,
        )

    def _matched(self, app: AuthenticatorApp, contact: Contact, code: object) -> int:
        """The time step of ``code`` for ``app``, newer than any accepted before; else refused."""
        secret = self._box.open(app.secret, self._bound(contact)) if self._box is not None else None
        if secret is None:
            raise ValidationError(
                _("Your authenticator app has to be set up again; use a passkey or a recovery code."), field="code"
            )
        step = _app.matched_step(secret, code, self._clock.now())
        if step is None:
            raise ValidationError(_("That code is not right. Type the 6 digits the app shows now."), field="code")
        if step <= app.last_step:
            raise ValidationError(_("That code was used already. Wait for the next one."), field="code")
        return step

    def _bound(self, contact: Contact) -> str:
        return f"{contact.company_id}:{contact.id}"

    def _setup(self, contact: Contact, secret: str) -> AppSetup:
        config = self._settings.current
        uri = _app.uri(secret, contact.email or contact.name, config.company_name)
        return AppSetup(secret, uri, _app.qr_data_uri(uri))

    def _may_change(self, contact: Contact, password: object, pending: object) -> Contact:
        """The contact as stored, once they may change their second steps: their password is
        right, or ``pending`` is the marker of their sign-in that must set one up."""
        if pending is not None:
            _step, owner = self._step(pending, (ENROL,))
            if owner.id != contact.id:
                raise InvalidToken(_("This sign-in has ended. Log in again."))
            return owner
        return self._accounts.check_password(contact, password)

    def _new_codes(self, contact: Contact) -> tuple[str, ...]:
        """In the caller's unit of work: ten new recovery codes; every older one is void."""
        codes = tuple(_keys.new_recovery_code() for _ in range(RECOVERY_CODES))
        now = self._clock.now()
        self._storage.delete_many(RecoveryCode, [c.id for c in self._storage.find(RecoveryCode, contact_id=contact.id)])
        self._storage.insert_many(
            [
                RecoveryCode(
                    contact_id=contact.id,
                    code_hash=_keys.code_hash(contact.id, _keys.normal_code(code)),
                    created_at=now,
                )
                for code in codes
            ]
        )
        return codes

    def _remove(
        self,
        contact: Contact,
        passkeys: list[Passkey],
        *,
        app: AuthenticatorApp | None,
        kind: str,
        name: str,
        by_staff: bool = False,
    ) -> None:
        with self._uow():
            factors = self.factors(contact)
            gone = {p.id for p in passkeys}
            left = any(p.id not in gone for p in factors.passkeys) or (factors.app and app is None)
            if not left and not by_staff and self.required(contact):
                raise LastStepRequired()
            self._storage.delete_many(Passkey, list(gone))
            if app is not None:
                self._storage.delete_many(AuthenticatorApp, [app.id])
            if not left:  # no second step any more: the recovery codes (and an app half set up) go too
                self._storage.delete_many(
                    RecoveryCode, [c.id for c in self._storage.find(RecoveryCode, contact_id=contact.id)]
                )
                self._storage.delete_many(
                    AuthenticatorApp, [a.id for a in self._storage.find(AuthenticatorApp, contact_id=contact.id)]
                )
            self._notifier.tell(
                "factor_removed",
                key=secrets.token_hex(8),
                contact=contact,
                factor=kind,
                factor_name=name,
                last=not left,
                by_staff=by_staff,
            )
