"""The pages of a second step at sign-in (issue 27, rules MFA-*): the step after the password
(passkey, authenticator-app code or recovery code), setting one up when the company requires it
before the portal opens, signing in with a passkey alone, and the profile's "Sign-in security"
page where a contact adds and removes passkeys and an authenticator app and makes new recovery
codes. Every page only calls ``portal.twostep``.

The password step leaves no session: only the signed marker of the pending step (``PENDING``) in
the framework session, which these pages take. A passkey ceremony's marker (``CEREMONY``) is kept
there too, between the options the browser asked for and its answer (``static/passkeys.js``
posts both; the CSP allows no inline script).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import AuthenticationFailed, PortalError, SecondStepRequired, ValidationError
from ..i18n import _
from ..models import Contact
from ..twostep import Enrolled, PendingStep
from .customer import LANGUAGE, TOKEN, flash
from .http import Page, PageRequest, Redirect, Reply, Result

if TYPE_CHECKING:
    from ..accounts._accounts import Session
    from ..portal import Portal

PENDING = "portalkit_sign_in_step"
CEREMONY = "portalkit_passkey_ceremony"
JSON_TYPE = "application/json"


class TwoStepPages:
    """Mixed into ``PortalWeb`` beside ``CustomerPages``."""

    portal: Portal
    if TYPE_CHECKING:

        def contact(self, req: PageRequest) -> Contact: ...  # CustomerPages'

    # -- after the password ----------------------------------------------------------------------
    def second_step_started(self, req: PageRequest, started: SecondStepRequired) -> Result:
        """The password (or a sign-in link) was right and a second step follows: the framework
        session holds only the pending step's marker (a new session id), no portal session."""
        language: str | None
        try:  # the next pages speak the contact's language, as the portal after a login does
            language = self.portal.twostep.pending(started.pending).contact.language
        except PortalError:
            language = req.session.get(LANGUAGE)
        req.session.clear()
        if language:
            req.session[LANGUAGE] = language
        req.session[PENDING] = started.pending
        return Redirect("second_step_setup" if started.enrol else "second_step", session="rotate")

    def _signed_in(self, req: PageRequest, session: Session) -> Result:
        req.session.clear()
        req.session[TOKEN] = session.token
        req.session[LANGUAGE] = session.contact.language
        return Redirect("dashboard", session="rotate")

    def _pending(self, req: PageRequest) -> PendingStep:
        return self.portal.twostep.pending(req.session.get(PENDING))

    def second_step(self, req: PageRequest) -> Result:
        """The second step: a passkey, a code of the authenticator app, or a recovery code."""
        twostep = self.portal.twostep
        marker = req.session.get(PENDING)
        if req.method == "POST" and req.field("action") == "cancel":
            return self._cancel(req)
        pending = self._pending(req)
        if pending.enrol:
            return Redirect("second_step_setup")
        action = req.field("action")
        if req.method == "POST" and action == "passkey_options":
            return _json(lambda: twostep.passkey_options(marker))
        context = {
            "pending": pending,
            "factors": pending.factors,
            "passkeys_offered": twostep.passkeys_offered,
            "recovery": req.arg("use") == "recovery" or action == "recovery",
        }
        if req.method == "GET":
            return Page("twostep_verify.html", context)
        try:
            if action == "app":
                session = twostep.verify_app_code(marker, req.field("code"), req.ip)
            elif action == "recovery":
                session = twostep.use_recovery_code(marker, req.field("recovery_code"), req.ip)
            elif action == "passkey":
                session = twostep.verify_passkey(marker, req.field("credential"), req.ip)
            else:
                raise ValidationError(_("Choose how to confirm it is you."))
        except (ValidationError, AuthenticationFailed) as exc:
            return Page(
                "twostep_verify.html",
                {**context, "error": exc.public_message},
                429 if getattr(exc, "retry_after_seconds", None) else 400,
            )
        return self._signed_in(req, session)

    def second_step_setup(self, req: PageRequest) -> Result:
        """The company requires a second step and the contact has none: set one up now, see the
        recovery codes once, then into the portal."""
        twostep = self.portal.twostep
        marker = req.session.get(PENDING)
        action = req.field("action")
        if req.method == "POST" and action == "cancel":
            return self._cancel(req)
        pending = self._pending(req)
        if not pending.enrol:
            return Redirect("second_step")
        contact = pending.contact
        if req.method == "POST" and action == "passkey_options":
            return _json(lambda: _store_ceremony(req, twostep.begin_passkey(contact, pending=marker)))
        context: dict[str, Any] = {
            "pending": pending,
            "who": contact,
            "passkeys_offered": twostep.passkeys_offered,
            "app_offered": twostep.app_offered,
        }
        if req.method == "GET":
            setup = twostep.app_setup(contact) if req.arg("use") == "app" else None
            return Page("twostep_setup.html", {**context, "setup": setup})
        try:
            if action == "app_start":
                twostep.begin_app(contact)
                return Redirect("second_step_setup", {"use": "app"})
            if action == "app":
                done = twostep.confirm_app(contact, req.field("code"), pending=marker, ip_address=req.ip)
                return self._codes(req, done, enrolling=True)
            if action == "passkey":
                done = twostep.add_passkey(
                    contact, req.session.pop(CEREMONY, None), req.field("credential"), req.field("name")
                )
                return self._codes(req, done, enrolling=True)
            if action == "finish":
                return self._signed_in(req, twostep.finish_setup(marker))
            raise ValidationError(_("Choose a passkey or an authenticator app."))
        except (ValidationError, AuthenticationFailed) as exc:
            setup = twostep.app_setup(contact) if action == "app" else None
            return Page(
                "twostep_setup.html",
                {**context, "setup": setup, "error": exc.public_message},
                429 if getattr(exc, "retry_after_seconds", None) else 400,
            )

    def _cancel(self, req: PageRequest) -> Result:
        """Give up the pending sign-in: its marker stops working, wherever it was copied."""
        self.portal.twostep.cancel(req.session.get(PENDING))
        language = req.session.get(LANGUAGE)
        req.session.clear()
        return Redirect("login", {"lang": language} if language else {}, session="end")

    def _codes(self, req: PageRequest, done: Enrolled, *, enrolling: bool) -> Result:
        """The recovery codes, shown this once (in the answer itself: never stored to be shown
        again, never in a cookie)."""
        if not done.recovery_codes:
            if enrolling:
                return self._signed_in(req, self.portal.twostep.finish_setup(req.session.get(PENDING)))
            flash(req, _("Your second step is set up."))
            return Redirect("security")
        context: dict[str, Any] = {"codes": done.recovery_codes, "enrolling": enrolling}
        if not enrolling:
            context["contact"] = self.contact(req)
        return Page("twostep_codes.html", context)

    # -- a passkey alone -----------------------------------------------------------------------------
    def passkey_login(self, req: PageRequest) -> Result:
        """Sign in with a passkey: the options (JSON) for the browser, then its answer."""
        twostep = self.portal.twostep
        if req.field("action") == "options":
            return _json(lambda: _store_ceremony(req, twostep.begin_passkey_sign_in(req.ip)))
        try:
            session = twostep.sign_in_with_passkey(req.session.pop(CEREMONY, None), req.field("credential"), req.ip)
        except (AuthenticationFailed, ValidationError) as exc:
            return Page(
                "login.html", {"error": exc.public_message}, 429 if getattr(exc, "retry_after_seconds", None) else 401
            )
        return self._signed_in(req, session)

    # -- the profile's sign-in security ----------------------------------------------------------------
    def security(self, req: PageRequest) -> Result:
        """A contact's passkeys, authenticator app and recovery codes: add, remove, renew (each
        with their password)."""
        contact = self.contact(req)
        twostep = self.portal.twostep
        action = req.field("action")
        if req.method == "POST" and action == "passkey_options":
            return _json(lambda: _store_ceremony(req, twostep.begin_passkey(contact, req.field("password"))))
        if req.method == "POST":
            try:
                if action == "passkey":
                    done = twostep.add_passkey(
                        contact, req.session.pop(CEREMONY, None), req.field("credential"), req.field("name")
                    )
                    if done.recovery_codes:
                        return self._codes(req, done, enrolling=False)
                    flash(req, _('Passkey "%(name)s" added.') % {"name": done.passkey.name if done.passkey else ""})
                elif action == "app":
                    twostep.begin_app(contact)
                    return Redirect("security_app")
                elif action == "remove_passkey":
                    twostep.remove_passkey(contact, req.field("passkey"), req.field("password"))
                    flash(req, _("The passkey was removed."))
                elif action == "remove_app":
                    twostep.remove_app(contact, req.field("password"))
                    flash(req, _("The authenticator app was removed."))
                elif action == "new_codes":
                    codes = twostep.new_recovery_codes(contact, req.field("password"))
                    return self._codes(req, Enrolled(codes), enrolling=False)
                else:
                    raise ValidationError(_("Unknown action."))
            except PortalError as exc:  # a wrong password, a refusal, a ceremony that took too long
                return Page(
                    "twostep_security.html", {**self._security(self.contact(req)), "error": exc.public_message}, 400
                )
            return Redirect("security")
        return Page("twostep_security.html", self._security(contact))

    def security_app(self, req: PageRequest) -> Result:
        """Setting up an authenticator app: its QR code (or the secret), then its first code."""
        contact = self.contact(req)
        twostep = self.portal.twostep
        setup = twostep.app_setup(contact)
        if setup is None:
            return Redirect("security")
        context = {"contact": contact, "active": "profile", "setup": setup}
        if req.method == "GET":
            return Page("twostep_app.html", context)
        try:
            done = twostep.confirm_app(contact, req.field("code"), req.field("password"), ip_address=req.ip)
        except (ValidationError, AuthenticationFailed) as exc:
            return Page("twostep_app.html", {**context, "error": exc.public_message}, 400)
        return self._codes(req, done, enrolling=False)

    def _security(self, contact: Contact) -> dict[str, Any]:
        twostep = self.portal.twostep
        return {
            "contact": contact,
            "active": "profile",
            "factors": twostep.factors(contact),
            "required": twostep.required(contact),
            "passkeys_offered": twostep.passkeys_offered,
            "app_offered": twostep.app_offered,
        }


def _store_ceremony(req: PageRequest, ceremony: Any) -> str:
    req.session[CEREMONY] = ceremony.marker
    return str(ceremony.options)


def _json(options: Any) -> Reply:
    """The options a passkey ceremony starts with, as JSON; a refusal as ``{"error": ...}``."""
    try:
        return Reply(str(options()).encode(), 200, JSON_TYPE)
    except PortalError as exc:
        status = 429 if getattr(exc, "retry_after_seconds", None) else 400
        return Reply(json.dumps({"error": exc.public_message}).encode(), status, JSON_TYPE)
