"""The company's portal configuration (BRD-1). Defaults are the manuals' values."""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from email.utils import formataddr
from typing import Any

import attrs

from . import inputs, money
from .errors import ValidationError
from .i18n import N_, gettext

# The company's texts a customer agrees to. Left as shipped, a customer reads them in their own
# language (and that text is what is recorded); once the company writes its own, they read that.
DEFAULT_SIGNATURE_CONSENT = N_(
    "By signing I accept this proposal, and I agree that my electronic signature is as "
    "binding as my signature on paper."
)
DEFAULT_ACH_MANDATE = N_(
    "By adding this bank account you authorise [CompanyName] to debit it for the payments you "
    "make in its customer portal, and, if a debit is returned, to debit it again; you can revoke "
    "this authorisation by removing the account."
)
DEFAULT_AUTOPAY_CONSENT = N_(
    "I authorise [CompanyName] to charge this payment method, on its due date, the full amount "
    "due of each of my invoices that comes due from today on; invoices already due are not "
    "charged. This lasts until I turn autopay off in my profile."
)
AUTOPAY_FEE_CLAUSE = N_("A convenience fee of [FeePercent] percent is added when this method is a credit card.")
DEFAULT_FEE_DISCLOSURE = N_(
    "A convenience fee of [FeePercent] percent is added to payments by credit card. Debit cards and "
    "bank accounts pay no fee."
)


def _as_read(text: str, default: str) -> str:
    return gettext(default) if text == default else text


_HEX_COLOUR = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
_FONT = re.compile(r"[A-Za-z0-9 ,'\"\-]{1,120}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")  # letters, digits, hyphens and dots (an IPv4 address too)
# https://host[:port][/path?query#fragment]: no userinfo; no space, control character, quote,
# semicolon, comma, backslash or angle bracket anywhere (it would end a CSP source or an attribute)
_HTTPS_URL = re.compile(
    r"https://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?:[/?#][!#-&(-+\--:=?-\[\]-_a-~]*)?"
)


def _colour(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """BRD-2: colours are #RGB or #RRGGBB, the leading # required."""
    if not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
        raise ValidationError(
            f"{attribute.name} must be a hex colour like #1A2B3C, not {value!r}", field=attribute.name
        )


def _font(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A CSS font-family list: letters, digits, spaces, commas, quotes and hyphens only."""
    if not isinstance(value, str) or not _FONT.fullmatch(value):
        raise ValidationError(
            f"{attribute.name} must be a font list like 'Helvetica, Arial, sans-serif'", field=attribute.name
        )


def is_https_url(value: str) -> bool:
    """An https URL with a valid host (name or IP address) and port, no userinfo, and a path and
    query without spaces, quotes, semicolons or commas."""
    match = _HTTPS_URL.fullmatch(value)
    if match is None or (match["port"] is not None and not 0 < int(match["port"]) < 65536):
        return False
    host = match["host"]
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    return HOSTNAME.fullmatch(host) is not None


def _logo_url(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """BRD-1: a logo link is '' or an https URL (it becomes an ``img-src`` of the portal's CSP)."""
    inputs.text(value, attribute.name, required=False)
    if value and not is_https_url(str(value)):
        raise ValidationError(
            f"{attribute.name} must be empty or an https:// address such as "
            "https://cdn.example.com/logo.png, without spaces, quotes, semicolons or commas",
            field=attribute.name,
        )


def _line(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    inputs.text(value, attribute.name, required=False)


def _paragraph(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    inputs.text(value, attribute.name, required=False, multiline=True, max_length=2000)


def _currency(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ValidationError("currency is an ISO 4217 code such as USD", field=attribute.name)


def _time_zone(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"{attribute.name} must be a time zone such as America/Chicago", field=attribute.name
        ) from exc


def _region(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise ValidationError("phone_region is a two-letter country code such as US", field=attribute.name)


def _job_lists(value: object) -> dict[str, tuple[str, ...]]:
    """Job type -> staff addresses, each checked."""
    if not isinstance(value, dict):
        raise ValidationError("job_notification_emails maps a job type to addresses", field="job_notification_emails")
    return {
        inputs.text(k, "job_notification_emails", max_length=100): tuple(
            inputs.email(e, "job_notification_emails") for e in inputs.items(v, "job_notification_emails")
        )
        for k, v in value.items()
    }


def _optional_address(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    inputs.optional_email(value, attribute.name)


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{attribute.name} must be a whole number, not negative", field=attribute.name)


def _fee_percent(value: object) -> Decimal:
    """PAY-5: an exact percent; a float such as 2.9 is refused, since it is not 2.9 in binary."""
    return money.percent(value, field="convenience_fee_percent")


MAX_PLAN_INSTALMENTS = 36  # what staff may offer at most; customers choose up to plan_max_instalments


def _tip_percents(value: object) -> tuple[Decimal, ...]:
    """TIP-1: the suggested tips, exact percents above 0 and at most 100, at most five of them."""
    found = tuple(money.percent(v, field="tip_percents") for v in inputs.items(value, "tip_percents", max_count=5))
    if any(p <= 0 for p in found):
        raise ValidationError("tip_percents are above 0", field="tip_percents")
    return found


def _tip_cap(value: object) -> Decimal:
    return money.percent(value, field="tip_max_percent", maximum=Decimal(100))


def _plan_instalments(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_PLAN_INSTALMENTS:
        raise ValidationError(
            f"{attribute.name} is a whole number from 2 to {MAX_PLAN_INSTALMENTS}", field=attribute.name
        )


def _plan_minimum(value: object) -> Decimal:
    return money.parse(value, field="plan_min_instalment")


# The invitation as shipped: left as it is, each contact reads it in their own language.
DEFAULT_SUBJECT = N_("[ContactName], you've been invited to the [CompanyName] Customer Portal!")
DEFAULT_BODY = N_(
    "<p>Hello [ContactName],</p>\n"
    "<p>[CompanyName] invites you to its customer portal, where you can see your invoices, "
    "proposals and issues.</p>\n<p>[CustomerPortalLink]</p>\n"
    "<p>This link is valid for [LinkValidDays] days.</p>"
)
DEFAULT_LINK_DESCRIPTION = N_("Sign up for the Customer Portal")


@attrs.frozen(kw_only=True)
class Branding:
    """Look of the portal: logos, text, fonts and colours (BRD-1, BRD-2)."""

    title: str = attrs.field(default="Customer Portal", validator=_line)
    login_logo_url: str = attrs.field(default="", validator=_logo_url)  # '' or https://host/path (is_https_url)
    nav_logo_url: str = attrs.field(default="", validator=_logo_url)
    logo_key: str = attrs.field(default="", validator=_line)  # an uploaded logo in the file store (``logo``)
    page_text: str = attrs.field(default="Welcome to our customer portal.", validator=_paragraph)
    dashboard_text: str = attrs.field(default="", validator=_paragraph)
    display_font: str = attrs.field(default="Helvetica, Arial, sans-serif", validator=_font)
    input_font: str = attrs.field(default="Helvetica, Arial, sans-serif", validator=_font)
    button_font: str = attrs.field(default="Helvetica, Arial, sans-serif", validator=_font)
    dashboard_font: str = attrs.field(default="Helvetica, Arial, sans-serif", validator=_font)
    background_colour: str = attrs.field(default="#FFFFFF", validator=_colour)
    border_colour: str = attrs.field(default="#CCCCCC", validator=_colour)
    nav_bar_colour: str = attrs.field(default="#1F4E79", validator=_colour)
    nav_text_colour: str = attrs.field(default="#FFFFFF", validator=_colour)
    button_colour: str = attrs.field(default="#2E7D32", validator=_colour)
    button_text_colour: str = attrs.field(default="#FFFFFF", validator=_colour)
    dashboard_text_colour: str = attrs.field(default="#222222", validator=_colour)

    @property
    def palette(self) -> Any:
        """The colours pages and mails show (``portalkit._core.theme.palette``): these, with every text
        colour moved just enough to be read at 4.5:1 on its background (a property, not a setting)."""
        from ._core.theme import palette

        return palette(self)


@attrs.frozen(kw_only=True)
class PortalConfig:
    """Everything a company configures about its portal. Build a new one with ``attrs.evolve``."""

    enabled: bool = False
    company_id: str = "default"
    company_name: str = "Your Service Company"
    base_url: str = "http://localhost:5000"
    domain: str = ""
    link_description: str = DEFAULT_LINK_DESCRIPTION
    invite_subject: str = DEFAULT_SUBJECT
    invite_body: str = DEFAULT_BODY
    invite_body_is_html: bool = True
    invite_link_days: int = attrs.field(default=30, validator=_non_negative)
    reset_link_hours: int = attrs.field(default=2, validator=_non_negative)
    login_links_enabled: bool = True  # "email me a sign-in link" next to passwords
    login_link_minutes: int = attrs.field(default=15, validator=_non_negative)
    # Contacts who can pay or sign (access to invoices or proposals) sign in with a second step:
    # a passkey or an authenticator app (portalkit.twostep); one without is walked through
    # setting one up right after the password. Off by default; anyone may add one anyway.
    require_second_step: bool = False
    auto_invite_new_contacts: bool = False
    invite_notification_emails: tuple[str, ...] = ()
    show_invoices: bool = True
    show_proposals: bool = True
    show_issues: bool = True
    show_reports: bool = True
    proposal_window_days: int = attrs.field(default=90, validator=_non_negative)
    signature_consent: str = DEFAULT_SIGNATURE_CONSENT
    electronic_payment_enabled: bool = True
    partial_payments: bool = True  # customers may pay part of an invoice (PAY-5); off: its whole amount due
    # No fee unless the company turns one on: card networks require registering a surcharge and
    # disclosing it, several US states forbid one (docs/payments.md, "Convenience fees").
    convenience_fee_percent: Decimal = attrs.field(default=Decimal("0.00"), converter=_fee_percent)
    fee_disclosure: str = DEFAULT_FEE_DISCLOSURE  # shown on the pay page while a fee is on
    currency: str = attrs.field(default="USD", validator=_currency)  # ISO 4217: what every amount is in (deploy-time)
    sender_email: str = attrs.field(
        default="", validator=_optional_address
    )  # every mail's From (deploy-time; required)
    payer_receipts: bool = True  # the contact who paid (or whose autopay paid) always gets a receipt
    max_fee_percent: Decimal = attrs.field(default=Decimal("3.00"), converter=_fee_percent)  # deploy-time: the cap
    fee_on_debit: bool = False
    ach_mandate: str = DEFAULT_ACH_MANDATE
    fee_on_prepaid: bool = False
    autopay_enabled: bool = True
    autopay_consent: str = DEFAULT_AUTOPAY_CONSENT
    autopay_retry_days: tuple[int, ...] = (0, 3, 7)  # attempt n on the due date + this many days
    password_min_length: int = 8
    bcrypt_rounds: int = attrs.field(default=12)
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 30
    login_window_seconds: int = 900
    reset_max_requests: int = 3
    reset_max_requests_per_ip: int = 20
    reset_window_seconds: int = 3600
    max_issue_attachments: int = 5
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_issue_upload_bytes: int = 50 * 1024 * 1024  # all files of one issue and its comments
    max_contact_upload_bytes: int = 500 * 1024 * 1024  # everything one contact ever uploads
    allowed_attachment_types: tuple[str, ...] = (
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
    )
    time_zone: str = attrs.field(default="UTC", validator=_time_zone)  # the company's (IANA): quiet hours, visit times
    show_jobs: bool = True  # the Jobs view (issue 26)
    phone_region: str = attrs.field(default="US", validator=_region)  # how a number without "+" is read
    # job type -> staff addresses told of a new job request of that type ("*": of every type)
    job_notification_emails: dict[str, tuple[str, ...]] = attrs.field(factory=dict, converter=_job_lists)
    # Tips at payment (issue 27): off unless the company turns them on. Suggested percents of the
    # invoices' amount and a custom amount; never a fee on a tip; above tip_max_percent of the
    # amount paid a tip is refused as a typo (docs/payments.md, "Tips").
    tips_enabled: bool = False
    tip_percents: tuple[Decimal, ...] = attrs.field(
        default=(Decimal("10"), Decimal("15"), Decimal("20")), converter=_tip_percents
    )
    tip_max_percent: Decimal = attrs.field(default=Decimal("50"), converter=_tip_cap)
    # Payment plans (issue 27): staff offer them; customers set one up themselves only where the
    # company allows it, in at most plan_max_instalments instalments of at least plan_min_instalment.
    plans_customer_choice: bool = False
    plan_max_instalments: int = attrs.field(default=6, validator=_plan_instalments)
    plan_min_instalment: Decimal = attrs.field(default=Decimal("25.00"), converter=_plan_minimum)
    branding: Branding = Branding()

    @max_fee_percent.validator
    def _check_fee_cap(self, attribute: attrs.Attribute[Any], value: Decimal) -> None:
        """Card networks cap surcharges: the fee may not exceed the configured cap (3 %)."""
        if self.convenience_fee_percent > value:
            raise ValidationError(f"The convenience fee is at most {value} percent.", field="convenience_fee_percent")

    @bcrypt_rounds.validator
    def _check_rounds(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if not 4 <= value <= 31:
            raise ValidationError("bcrypt_rounds must be between 4 and 31", field="bcrypt_rounds")

    @property
    def portal_url(self) -> str:
        return self.base_url.rstrip("/")

    def invitation_texts(self, subject: str | None = None, body: str | None = None) -> tuple[str, str, str]:
        """The invitation's subject, body and link text in the active language: the shipped ones
        are read in it (a Spanish contact gets the Spanish invitation); a company's own, or a
        send's own ``subject`` and ``body``, stay as written."""
        return (
            _as_read(self.invite_subject, DEFAULT_SUBJECT) if subject is None else subject,
            _as_read(self.invite_body, DEFAULT_BODY) if body is None else body,
            _as_read(self.link_description, DEFAULT_LINK_DESCRIPTION),
        )

    @property
    def signature_consent_text(self) -> str:
        """What a signer agrees to, as shown and recorded with the signature (in the signer's language)."""
        return _as_read(self.signature_consent, DEFAULT_SIGNATURE_CONSENT)

    @property
    def autopay_consent_text(self) -> str:
        """What a contact agrees to when turning autopay on, fee included (recorded word for word)."""
        text = _as_read(self.autopay_consent, DEFAULT_AUTOPAY_CONSENT).replace("[CompanyName]", self.company_name)
        if self.convenience_fee_percent > 0:
            text += " " + gettext(AUTOPAY_FEE_CLAUSE).replace("[FeePercent]", str(self.convenience_fee_percent))
        return text

    @property
    def fee_disclosure_text(self) -> str:
        """The pay page's note on the convenience fee ("" while there is none)."""
        if self.convenience_fee_percent <= 0:
            return ""
        return _as_read(self.fee_disclosure, DEFAULT_FEE_DISCLOSURE).replace(
            "[FeePercent]", str(self.convenience_fee_percent)
        )

    @property
    def sender(self) -> str:
        """The From of the company's mail: its name and ``sender_email``."""
        return formataddr((self.company_name, self.sender_email)) if self.sender_email else ""

    @property
    def ach_mandate_text(self) -> str:
        """The ACH debit authorisation as shown to the customer and stored with the account."""
        return _as_read(self.ach_mandate, DEFAULT_ACH_MANDATE).replace("[CompanyName]", self.company_name)

    @property
    def default_view(self) -> str | None:
        """VIS-4: the dashboard opens on open invoices when invoices are shown."""
        for name, shown in (
            ("invoices", self.show_invoices),
            ("proposals", self.show_proposals),
            ("issues", self.show_issues),
        ):
            if shown:
                return name
        return None


# Deploy-time settings: where and how this installation runs, and its security policy. They come
# from the ``PortalConfig`` the host's code builds the ``Portal`` with, on every start; staff never
# save them, so a redeploy that changes one takes effect (issue 21). Every other field is the
# company's to edit: saved settings win for those, field by field (``portalkit.settings``).
DEPLOY_FIELDS: frozenset[str] = frozenset(
    {
        "company_id",
        "base_url",
        "sender_email",
        "currency",
        "max_fee_percent",
        "bcrypt_rounds",
        "password_min_length",
        "login_max_failures",
        "login_max_failures_per_ip",
        "login_window_seconds",
        "reset_max_requests",
        "reset_max_requests_per_ip",
        "reset_window_seconds",
        "allowed_attachment_types",
    }
)
STAFF_FIELDS: frozenset[str] = frozenset(f.name for f in attrs.fields(PortalConfig)) - DEPLOY_FIELDS


def updated(config: PortalConfig, **changes: Any) -> PortalConfig:
    """A checked copy of ``config`` with ``changes`` (``branding`` may be a dict of its own
    changes). Nothing is saved: a host previews the result (BRD-3), then keeps it or not."""
    branding = changes.pop("branding", None)
    try:
        if isinstance(branding, dict):
            changes["branding"] = attrs.evolve(config.branding, **branding)
        elif branding is not None:
            changes["branding"] = branding
        return attrs.evolve(config, **changes)
    except TypeError as exc:
        raise ValidationError(f"Unknown or malformed setting: {exc}") from exc
