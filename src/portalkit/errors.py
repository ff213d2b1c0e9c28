"""Typed exceptions. Every refusal the portal makes is one of these; none leaves partial state."""

from __future__ import annotations

from .i18n import N_, gettext


class PortalError(Exception):
    """Base of every portalkit error. ``public_message`` is safe to show a customer.

    ``str(error)`` may carry detail for logs and staff (ids, permission names). Where a class
    sets ``message_is_public``, its messages are written for the customer ("Enter an amount
    like 125.00.") and become the ``public_message`` too; elsewhere the class's own stays. Both
    are in the active language (``i18n``): raisers pass ``_("...")``.
    """

    public_message = N_("The request could not be completed.")
    message_is_public = False

    def __init__(self, message: str | None = None):
        # Raised while a page or mail speaks a language: the class's message is read in it.
        self.public_message = message if message and self.message_is_public else gettext(self.public_message)
        super().__init__(message or self.public_message)


class NotFound(PortalError):
    public_message = N_("Not found.")


class PermissionDenied(PortalError):
    public_message = N_("You do not have access to this.")


class PortalDisabled(PermissionDenied):
    public_message = N_("The customer portal is not enabled.")


class ValidationError(PortalError):
    public_message = N_("Some of the information entered is not valid.")
    message_is_public = True

    def __init__(self, message: str | None = None, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class TemplateError(ValidationError):
    public_message = N_("The invitation template is not valid.")


class UnknownTokenError(TemplateError):
    def __init__(self, tokens: list[str]):
        super().__init__("Unknown token(s): " + ", ".join(f"[{t}]" for t in tokens))
        self.tokens = tokens


class MissingPortalLinkError(TemplateError):
    public_message = N_("The invitation body must contain the [CustomerPortalLink] token.")


class InvalidToken(PortalError):
    public_message = N_("This link is not valid.")
    message_is_public = True


class ExpiredToken(InvalidToken):
    public_message = N_("This link has expired. Ask for a new one.")


class AlreadySignedUp(PortalError):
    public_message = N_("You have already signed up. Please log in.")


class AuthenticationFailed(PortalError):
    public_message = N_("The email or password is not correct.")
    message_is_public = True


class AccountSuspended(AuthenticationFailed):
    def __init__(self, note: str):
        super().__init__(note or gettext("Your portal access has been suspended."))
        self.note = note


class TooManyAttempts(AuthenticationFailed):
    public_message = N_("Too many failed attempts. Try again later.")

    def __init__(self, retry_after_seconds: int, message: str | None = None):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class SessionExpired(AuthenticationFailed):
    public_message = N_("Your session has ended. Please log in again.")


class SecondStepRequired(PortalError):
    """The password (or a mailed sign-in link) was right and the contact signs in with a second
    step (``portal.twostep``): no session was started. ``pending`` is a short-lived signed
    marker for the host's framework session, which the second step takes; with ``enrol`` the
    contact must first set one up, as the company requires (``require_second_step``)."""

    public_message = N_("Confirm it is you with your second step.")

    def __init__(self, pending: str, *, enrol: bool = False):
        super().__init__()
        self.pending, self.enrol = pending, enrol


class InvalidTransition(PortalError):
    """A state machine refused a step (e.g. signing a proposal in production)."""

    public_message = N_("That action is not available now.")
    message_is_public = True


class PaymentPending(InvalidTransition):
    public_message = N_("A payment is already pending on this invoice.")


class PaymentsDisabled(InvalidTransition):
    public_message = N_("Electronic payment is not available.")


class AutopayRevoked(PermissionDenied):
    """The contact turned autopay off (or removed its method) before the charge was written."""

    public_message = N_("Autopay was turned off; nothing was charged.")


class RefundRefused(ValidationError):
    """The processor refused a refund; nothing was refunded and nothing changed here."""

    public_message = N_("The payment processor refused the refund; nothing was refunded.")


class Conflict(PortalError):
    """A concurrent change won the race; nothing of this request was written."""

    public_message = N_("This record was changed by someone else. Please reload and try again.")


class InvalidWebhook(PortalError):
    """A webhook whose signature, timestamp or body does not verify; nothing was applied."""

    public_message = N_("The notification could not be verified.")


class ConfigurationError(PortalError):
    """The host wired the portal wrongly: a missing or misspelt hook, an adapter that is not one.
    Raised when the ``Portal`` is built, never while serving a customer."""

    public_message = N_("The portal is not set up correctly.")


class StorageError(PortalError):
    public_message = N_("The portal is temporarily unavailable. Please try again.")


class LoginsBusy(PortalError):
    """Every password-check slot of the host is taken (a burst of logins): refused at once,
    without reading or counting anything, so logins never occupy every worker that serves pages.
    Hosts answer HTTP 429 with ``Retry-After: retry_after_seconds`` (both glues do)."""

    public_message = N_("Please try again in a moment.")

    def __init__(self, retry_after_seconds: int = 1):
        super().__init__()
        self.retry_after_seconds = retry_after_seconds


_RETRYABLE_STATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock (PostgreSQL)
_RETRYABLE_WORDS = ("could not serialize", "deadlock", "database is locked")


def database_error(driver_error: BaseException) -> Conflict | StorageError:
    """What a storage raises for an error of its database driver (DB-API), the same for every
    storage (``SqlStorage`` gives its ``exc.orig``, ``DjangoStorage`` its ``exc.__cause__``): a
    unique clash or a lost race (serialization failure, deadlock, a locked SQLite file) is a
    ``Conflict``, which services retry; anything else a ``StorageError``, naming only the
    driver's error class (never its text, which may hold values)."""
    if any(cls.__name__ == "IntegrityError" for cls in type(driver_error).__mro__):
        return Conflict("A record with the same key already exists.")
    state = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    if state in _RETRYABLE_STATES or any(word in str(driver_error) for word in _RETRYABLE_WORDS):
        return Conflict()
    return StorageError(f"Database error: {type(driver_error).__name__}")
