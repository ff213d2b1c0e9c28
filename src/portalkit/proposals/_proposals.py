"""Proposals: lists, view, Sign and Select-and-Sign (PRO-1..6).

Sign is open only to Approved and Delivered proposals that carry no signature; In Production
is view-only. Signing records the signature (image, signer, time, IP, chosen optional services
and the recomputed total), leaves the status Delivered, and mails the sales representative.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import enum
import io
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from PIL import Image, UnidentifiedImageError

from .. import inputs, money
from .._core.files import Files
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.signatures import SignatureCheck, check_signature, document_sha256
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility
from ..billing._deposits import checked_deposit, deposit_for, deposit_invoice
from ..billing._documents import Documents
from ..billing._payments import Payments
from ..config import PortalConfig
from ..directory._directory import lookup, normalise_email
from ..errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationError
from ..events import ProposalSigned, QuoteRequested, external_ids
from ..i18n import N_, _
from ..labels import label
from ..models import (
    Contact,
    Invoice,
    Permission,
    Property,
    Proposal,
    ProposalStatus,
    QuoteRequest,
    Service,
    Signature,
    StaffUser,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import AtLeast, Clock, In, Storage
from ..settings import Settings

SIGNABLE = frozenset({ProposalStatus.APPROVED, ProposalStatus.DELIVERED})
OPEN_STATUSES = frozenset({ProposalStatus.APPROVED, ProposalStatus.DELIVERED})
WORK_IN_PROCESS = frozenset({ProposalStatus.IN_PRODUCTION})
_PNG_PREFIX = "data:image/png;base64,"
MAX_SIGNATURE_BYTES = 512 * 1024
MAX_SIGNATURE_PIXELS = 4000 * 1000


class ProposalFilter(enum.Enum):
    OPEN = N_("Open")
    WORK_IN_PROCESS = N_("Work-In-Process")


def can_sign(proposal: Proposal) -> bool:
    """PRO-2: Approved or Delivered, and not signed yet."""
    return proposal.status in SIGNABLE and proposal.signature is None


def check_signature_image(data_url: object) -> bytes:
    """PRO-4: an empty signature cannot be saved. The image is a PNG data URL with ink on it:
    an untouched pad (every pixel transparent, or every pixel white) is refused."""
    if not isinstance(data_url, str) or not data_url.startswith(_PNG_PREFIX):
        raise ValidationError(_("Sign in the signature area before saving."), field="signature")
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(_PNG_PREFIX) + 4:
        raise ValidationError(_("The signature image is too large."), field="signature")
    try:
        raw = base64.b64decode(data_url[len(_PNG_PREFIX) :], validate=True)
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if image.width * image.height > MAX_SIGNATURE_PIXELS:
                raise ValidationError(_("The signature image is too large."), field="signature")
            inked = _has_ink(image)
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("The signature image is not readable."), field="signature") from exc
    if not inked:
        raise ValidationError(_("Sign in the signature area before saving."), field="signature")
    return raw


MAX_TYPED_NAME = 100


# Italic faces a server may have (searched in the system's font folders), else Pillow's own font, slanted.
SIGNATURE_FONTS = (
    "DejaVuSerif-Italic.ttf",
    "LiberationSerif-Italic.ttf",
    "georgiai.ttf",
    "timesi.ttf",
    "Times New Roman Italic.ttf",
    "DejaVuSans-Oblique.ttf",
)


def _signature_font(size: int) -> tuple[Any, bool]:
    """A font for a typed signature and whether it is italic already."""
    from PIL import ImageFont

    for name in SIGNATURE_FONTS:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    try:  # Pillow's own FreeType font at this size (Pillow 10.1 and later)
        return ImageFont.load_default(size=size), False
    except TypeError:  # an older Pillow: its small bitmap font
        return ImageFont.load_default(), False


def typed_signature_image(name: object) -> bytes:
    """A typed name as a signature (the WCAG alternative to drawing one): the name the signer
    typed, in dark ink and an italic face, on a transparent PNG the size of the drawing pad. It
    is stored and shown exactly like a drawn signature."""
    from PIL import ImageDraw

    text = inputs.text(name, "typed_name", max_length=MAX_TYPED_NAME, required=False)
    if not any(c.isalpha() for c in text):
        raise ValidationError(_("Type your full name to sign."), field="typed_name")
    width, height, size = 1000, 320, 150
    while True:
        font, italic = _signature_font(size)
        box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
        if box[2] - box[0] <= width - 80 or size <= 24:
            break
        size -= 6
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).text(
        ((width - (box[2] - box[0])) / 2 - box[0], (height - (box[3] - box[1])) / 2 - box[1]),
        text,
        font=font,
        fill=(17, 24, 39, 255),
    )
    if not italic:
        image = image.transform(
            image.size, Image.Transform.AFFINE, (1, 0.22, -35, 0, 1, 0), resample=Image.Resampling.BICUBIC
        )
    out = io.BytesIO()
    image.resize((500, 160), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def _has_ink(image: Image.Image) -> bool:
    """True when some pixel, laid over white, is not white."""
    rgba = image.convert("RGBA")
    page = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    extrema: Any = Image.alpha_composite(page, rgba).convert("L").getextrema()
    return bool(extrema[0] < 250)


def total_for(proposal: Proposal, selected: Iterable[str]) -> Decimal:
    """Required services plus the chosen optional ones (PRO-3)."""
    chosen = set(selected)
    return sum((s.price for s in proposal.services if not s.optional or s.id in chosen), Decimal("0.00"))


def _service(entry: object) -> Service:
    """One ``(name, price, optional)`` triple of a proposal."""
    if not isinstance(entry, tuple) or len(entry) != 3:
        raise ValidationError(_("Each service is a (name, price, optional) triple."), field="services")
    name, price, optional = entry
    return Service(
        name=inputs.text(name, "service"),
        price=money.parse(price, field="price"),
        optional=inputs.flag(optional, "optional"),
    )


@attrs.frozen
class ProposalRow:
    proposal: Proposal
    property_name: str
    can_sign: bool
    sign_label: str  # "Sign", "Select and Sign", or "" when only View is offered


@attrs.frozen
class StaffProposal:
    """A proposal as the staff's list shows it, with its property (``None`` once gone)."""

    proposal: Proposal
    property: Property | None


@attrs.frozen
class StaffQuote:
    """A quote request as staff see it (PRO-7), with the contact who asked and the property
    (each ``None`` once gone)."""

    request: QuoteRequest
    contact: Contact | None
    property: Property | None


class Proposals:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        outbox: Outbox,
        notifier: Notifier,
        documents: Documents,
        files: Files,
        payments: Payments,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._outbox, self._notifier, self._documents, self._files = (
            visibility,
            outbox,
            notifier,
            documents,
            files,
        )
        self._payments = payments

    # -- staff -----------------------------------------------------------------------------
    def add(
        self,
        staff: StaffUser,
        property_id: str,
        number: str,
        description: str,
        estimated_start: date,
        *,
        status: ProposalStatus = ProposalStatus.DELIVERED,
        services: Iterable[tuple[str, object, bool]] = (),
        sales_rep_email: str | None = None,
        main_contact_id: str | None = None,
        deposit: object = "0",
        deposit_percent: bool = False,
    ) -> Proposal:
        """Staff (``MANAGE_PROPOSALS``): publish a proposal. ``services`` are (name, price, optional)
        triples; ``deposit`` is due at signing, an amount or (``deposit_percent``) a percent."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        number = inputs.text(number, "number")
        description = inputs.text(description, "description", max_length=inputs.MAX_LONG_TEXT, multiline=True)
        if not isinstance(estimated_start, date):
            raise ValidationError(_("The estimated start must be a date."), field="estimated_start")
        status = inputs.member(status, ProposalStatus, "status")
        main_contact_id = inputs.optional_identifier(main_contact_id, "main_contact_id")
        items = tuple(_service(entry) for entry in inputs.items(services, "services", max_count=200))
        deposit_percent = inputs.flag(deposit_percent, "deposit_percent")
        deposit_value = checked_deposit(deposit, deposit_percent)
        with self._uow():
            lookup(self._storage, Property, property_id)
            return self._storage.insert(
                Proposal(
                    number=number,
                    property_id=property_id,
                    description=description,
                    status=status,
                    estimated_start=estimated_start,
                    services=items,
                    sales_rep_email=normalise_email(sales_rep_email, field="sales_rep_email"),
                    main_contact_id=main_contact_id,
                    deposit=deposit_value,
                    deposit_percent=deposit_percent,
                )
            )

    def set_status(self, staff: StaffUser, proposal_id: str, status: ProposalStatus) -> Proposal:
        """Staff: win, move to production, complete or lose a proposal (PRO-4)."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        status = inputs.member(status, ProposalStatus, "status")
        with self._uow():
            proposal = lookup(self._storage, Proposal, proposal_id)
            return self._storage.update(attrs.evolve(proposal, status=status))

    def staff_proposals(
        self,
        staff: StaffUser,
        status: ProposalStatus | None = None,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[Proposal]:
        """``MANAGE_PROPOSALS``: every proposal (in ``status``), latest start first; one page."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        where: dict[str, Any] = {"archived": False}
        if status is not None:
            where["status"] = inputs.member(status, ProposalStatus, "status")
        return fetch(
            self._storage,
            Proposal,
            order=("estimated_start", "number"),
            descending=True,
            after=after,
            limit=limit,
            **where,
        )

    def staff_list(
        self,
        staff: StaffUser,
        status: ProposalStatus | None = None,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[StaffProposal]:
        """``MANAGE_PROPOSALS``: the staff's proposals page (PRO-4, PRO-6): ``staff_proposals``, each
        with its property; one page."""
        page = self.staff_proposals(staff, status, after=after, limit=limit)
        props = self._storage.get_many(Property, {p.property_id for p in page})
        return Page(tuple(StaffProposal(p, props.get(p.property_id)) for p in page), page.next_after)

    def staff_pdf(self, staff: StaffUser, proposal_id: str) -> bytes:
        """``MANAGE_PROPOSALS``: the proposal's PDF, as the customer gets it."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        proposal = lookup(self._storage, Proposal, proposal_id)
        return self._documents.proposal(proposal, lookup(self._storage, Property, proposal.property_id))

    def signature(self, staff: StaffUser, proposal_id: str) -> Signature | None:
        """PRO-6: staff see the signature, the signer and the time."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        return lookup(self._storage, Proposal, proposal_id).signature

    def signer(self, staff: StaffUser, signature: Signature) -> Contact | None:
        """PRO-6: the contact who made ``signature`` (one ``signature`` returned), as they are now
        (their current email); ``None`` once they are gone."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        return self._storage.get(Contact, signature.signer_contact_id)

    def verify_signature(self, staff: StaffUser, proposal_id: str) -> SignatureCheck:
        """``MANAGE_PROPOSALS``: whether the proposal is still the document that was signed."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        proposal = lookup(self._storage, Proposal, proposal_id)
        return check_signature(proposal, lookup(self._storage, Property, proposal.property_id))

    def signature_image(self, staff: StaffUser, proposal_id: str) -> bytes:
        """PRO-6: the PNG the signer drew."""
        signature = self.signature(staff, proposal_id)
        image = self._files.get(signature.image_key) if signature else None
        if image is None:
            raise NotFound(_("This proposal has no signature image."))
        return image

    # -- customer --------------------------------------------------------------------------
    def list(
        self,
        contact: Contact,
        property_id: str,
        which: ProposalFilter = ProposalFilter.OPEN,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[ProposalRow]:
        """PRO-1: Open (not won, start within the window) or Work-In-Process, by start date; one page."""
        with self._settings.pinned():
            prop = self._visibility.require_list(contact, Section.PROPOSALS, property_id)
            return self._list(contact, prop, which, after, limit, self._settings.current)

    def _list(
        self,
        contact: Contact,
        prop: Property,
        which: ProposalFilter,
        after: str | None,
        limit: int,
        config: PortalConfig,
    ) -> Page[ProposalRow]:
        where: dict[str, Any] = {"property_id": prop.id, "archived": False}
        if inputs.member(which, ProposalFilter, "filter") is ProposalFilter.OPEN:
            earliest = self._clock.now().date() - timedelta(days=config.proposal_window_days)
            where.update(status=In(OPEN_STATUSES), estimated_start=AtLeast(earliest))
        else:
            where.update(status=In(WORK_IN_PROCESS))
        if contact.main_contact_only:  # VIS-6
            where["main_contact_id"] = contact.id
        return fetch(
            self._storage,
            Proposal,
            order=("estimated_start", "number"),
            after=after,
            limit=limit,
            row=lambda p: self._row(p, prop),
            **where,
        )

    def _row(self, proposal: Proposal, prop: Property) -> ProposalRow:
        signable = can_sign(proposal)
        label = (_("Select and Sign") if proposal.has_optional_services else _("Sign")) if signable else ""
        return ProposalRow(proposal, prop.name, signable, label)

    def get(self, contact: Contact, proposal_id: str) -> Proposal:
        return self._visibility.require_job(contact, Proposal, proposal_id, Section.PROPOSALS)[0]

    def deposit(self, contact: Contact, proposal: Proposal) -> Invoice | None:
        """The invoice the deposit of ``proposal`` (one ``get`` or ``sign`` returned to
        ``contact``) is billed on: its amount and whether it is paid or being paid, as the
        proposal's page shows them; ``None`` while nothing was billed (PRO-2, issue 15)."""
        if not proposal.deposit_invoice_id:
            return None
        invoice = self._storage.get(Invoice, proposal.deposit_invoice_id)
        return invoice if invoice is not None and invoice.proposal_id == proposal.id else None

    def pdf(self, contact: Contact, proposal_id: str) -> bytes:
        proposal, prop = self._visibility.require_job(contact, Proposal, proposal_id, Section.PROPOSALS)
        return self._documents.proposal(proposal, prop)

    def sign(
        self,
        contact: Contact,
        proposal_id: str,
        image_data_url: str,
        ip_address: str,
        selected_service_ids: Iterable[str] = (),
        *,
        user_agent: str = "",
        deposit_method_id: str | None = None,
        typed_name: str | None = None,
    ) -> Proposal:
        """Sign (or Select and Sign) a proposal. A second signature, even at the same instant, is
        refused. The signature keeps its audit trail: the signer's name and email, address, user
        agent, the consent text they agreed to and the SHA-256 of the proposal as shown.

        A proposal asking for a deposit is signed only with ``deposit_method_id``, a saved method
        of the signer's; the deposit is billed on an invoice of its own and charged right after
        the signature is saved (a declined charge leaves that invoice open to pay later).

        ``typed_name``: the signer typed their name instead of drawing (WCAG 2.2's alternative to
        a drawn signature); the image is then made from it (``typed_signature_image``) and
        ``image_data_url`` is not read. The audit trail is the same either way."""
        image = typed_signature_image(typed_name) if typed_name is not None else check_signature_image(image_data_url)
        ip_address = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        user_agent = inputs.text(user_agent, "user_agent", max_length=512, required=False)
        selected = tuple(inputs.identifiers(selected_service_ids, "services"))
        try:
            with self._uow():
                proposal, prop = self._visibility.require_job(contact, Proposal, proposal_id, Section.PROPOSALS)
                if proposal.signature is not None:
                    raise InvalidTransition(_("This proposal is already signed."))
                if proposal.status not in SIGNABLE:
                    raise InvalidTransition(
                        _("A proposal that is %(status)s can be viewed but not signed.")
                        % {"status": label(proposal.status)}
                    )
                optional = {s.id for s in proposal.services if s.optional}
                if not set(selected) <= optional:
                    raise ValidationError(_("Only the proposal's optional services can be selected."), field="services")
                total = total_for(proposal, selected)
                deposit = deposit_for(proposal, total)
                if deposit > 0:
                    if not deposit_method_id:
                        raise ValidationError(
                            _("Choose how to pay the deposit of %(deposit)s.") % {"deposit": money.display(deposit)},
                            field="deposit_method",
                        )
                    self._payments.require_method(contact, deposit_method_id)
                signature = Signature(
                    image_key=self._files.put(image),
                    signer_contact_id=contact.id,
                    signer_name=contact.name,
                    signed_at=self._clock.now(),
                    ip_address=ip_address,
                    selected_service_ids=selected,
                    total=total,
                    signer_email=contact.email or "",
                    user_agent=user_agent,
                    consent_text=self._settings.current.signature_consent_text,
                    document_sha256=document_sha256(proposal, prop),
                )
                billed = (
                    self._storage.insert(deposit_invoice(proposal, contact, deposit, self._clock.now().date()))
                    if deposit > 0
                    else None
                )
                signed = self._storage.update(
                    attrs.evolve(
                        proposal,
                        signature=signature,
                        status=ProposalStatus.DELIVERED,
                        deposit_invoice_id=billed.id if billed else None,
                    )
                )
                self._notify_sales_rep(signed, prop, contact)
        except Conflict as exc:  # a double click raced us; the other click signed it
            raise InvalidTransition(_("This proposal is already signed.")) from exc
        if billed is not None and deposit_method_id:
            self._payments.pay(contact, billed.id, deposit_method_id, deposit, f"deposit:{signed.id}")
        return signed

    # -- quote requests (PRO-7) ---------------------------------------------------------------
    def request_quote(self, contact: Contact, property_id: str, description: str) -> QuoteRequest:
        """A contact with the quote-request permission asks for new work; staff are mailed."""
        if not contact.access.quote_requests:
            raise PermissionDenied(_("You cannot request quotes from the portal."))
        description = inputs.text(description, "description", max_length=4000, multiline=True, required=False)
        if not description:
            raise ValidationError(_("Describe the work you would like quoted."), field="description")
        with self._uow():
            prop = self._visibility.require_property(contact, property_id)
            request = self._storage.insert(
                QuoteRequest(
                    contact_id=contact.id, property_id=prop.id, description=description, created_at=self._clock.now()
                )
            )
            self._notifier.tell("quote_request", key=request.id, contact=contact, property=prop, request=request)
            self._outbox.event(
                QuoteRequested(
                    event_id=f"quote:{request.id}",
                    company_id=self._settings.current.company_id,
                    quote_request_id=request.id,
                    property_id=prop.id,
                    contact_id=contact.id,
                    external_ids=external_ids(property=prop, contact=contact),
                )
            )
            return request

    def quote_requests(self, staff: StaffUser, *, handled: bool = False) -> builtins.list[QuoteRequest]:
        """PRO-7: the requests staff see, oldest first."""
        require(staff, Permission.MANAGE_PROPOSALS, self._settings.company_id)
        return sorted(self._storage.find(QuoteRequest, handled=handled), key=lambda q: q.created_at)

    def quote_list(self, staff: StaffUser, *, handled: bool = False) -> builtins.list[StaffQuote]:
        """PRO-7: the staff's quote requests page: ``quote_requests``, oldest first, each with the
        contact who asked and the property."""
        requests = self.quote_requests(staff, handled=handled)
        contacts = self._storage.get_many(Contact, {q.contact_id for q in requests})
        props = self._storage.get_many(Property, {q.property_id for q in requests})
        return [StaffQuote(q, contacts.get(q.contact_id), props.get(q.property_id)) for q in requests]

    def _notify_sales_rep(self, proposal: Proposal, prop: Property, contact: Contact) -> None:
        """PRO-5: the sales representative hears of the signature."""
        sig = proposal.signature
        if sig is None:
            return
        chosen = [s.name for s in proposal.services if s.id in sig.selected_service_ids]
        self._notifier.tell(
            "proposal_signed",
            key=proposal.id,
            contact=contact,
            proposal=proposal,
            property=prop,
            signature=sig,
            chosen=chosen,
        )
        self._outbox.event(
            ProposalSigned(
                event_id=f"signed:{proposal.id}",
                company_id=self._settings.current.company_id,
                proposal_id=proposal.id,
                property_id=prop.id,
                contact_id=contact.id,
                total=sig.total,
                selected_service_ids=sig.selected_service_ids,
                external_ids=external_ids(proposal=proposal, property=prop, contact=contact),
            )
        )
