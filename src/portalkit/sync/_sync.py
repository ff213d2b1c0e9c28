"""Keeping portalkit in step with the host's own records, by the host's ids.

The host owns customers, properties, contacts, staff, invoices and proposals; portalkit keeps a
copy of what the portal needs. ``portal.sync.apply(batch)`` upserts a :class:`SyncBatch` in one
transaction, keyed by external id: a record it has not seen is created, one whose host fields
changed is updated (only those fields), one that did not change is left alone, so sending the
same batch twice changes nothing. References between records are the host's ids too
(``HostInvoice.property`` is the property's external id).

Deletions archive, never delete: an archived record leaves the portal (lists, links, logins)
but stays for the payments, signatures and history that refer to it; sending it again brings it
back. A batch archives the external ids in ``deleted``, and with ``complete`` (a nightly full
sync) every record of those kinds that the batch does not mention.

Fields the portal owns are never overwritten: a contact's portal status, password and sessions;
an invoice's pending payment. An invoice's amount due comes from the host unless a portal
payment is in flight; payments the portal collects reach the host as events carrying the
invoice's external id, so the host's own balance catches up.

This is a host-side call (a job, a signal handler), trusted like a database migration: it takes
no staff user and must never be reachable from a request.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .. import inputs, money
from .._core.permissions import ROLE_PERMISSIONS
from .._core.uow import UnitOfWork
from ..accounts._email_change import EmailChanges
from ..billing._deposits import checked_deposit, credit_deposit
from ..billing._invoices import MAX_TERMS, LineItem, checked_lines, replace_lines
from ..directory._directory import normalise_email
from ..errors import Conflict, ValidationError
from ..jobs import checked_crew
from ..models import (
    HOST_RECORD_TYPES,
    UNIQUE,
    Access,
    Contact,
    Customer,
    Invoice,
    InvoiceLine,
    Job,
    JobStatus,
    Permission,
    PortalStatus,
    Property,
    Proposal,
    ProposalStatus,
    Role,
    Service,
    StaffUser,
    Technician,
    Visit,
    VisitStatus,
)
from ..ports import Clock, In, Not, Storage

CHUNK = 500  # ids per IN query


@attrs.frozen(kw_only=True)
class HostCustomer:
    external_id: str
    name: str


@attrs.frozen(kw_only=True)
class HostProperty:
    external_id: str
    customer: str  # the customer's external id
    name: str
    primary_contact: str | None = None  # a contact's external id
    billing_contact: str | None = None  # a contact's external id: sees every invoice of the property
    account_owner_email: str | None = None
    operations_manager_email: str | None = None


@attrs.frozen(kw_only=True)
class HostContact:
    external_id: str
    customer: str
    first_name: str
    last_name: str
    email: str | None = None
    properties: tuple[str, ...] = ()  # external ids
    account_wide: bool = False
    main_contact_only: bool = False
    access: Access = Access()  # noqa: RUF009 - Access is frozen: one shared default is safe
    language: str | None = None  # "es", "es-MX": the host's record of it; None keeps the contact's own choice


@attrs.frozen(kw_only=True)
class HostStaff:
    external_id: str
    email: str
    name: str
    permissions: frozenset[Permission] = frozenset()
    role: Role | None = None  # a default role: its permissions, instead of ``permissions``


@attrs.frozen(kw_only=True)
class HostInvoice:
    external_id: str
    property: str
    number: str
    amount: Decimal | str
    amount_due: Decimal | str
    invoice_date: date
    net_days: int = 30
    billing_contact: str | None = None
    terms: str = ""
    lines: Sequence[LineItem] | None = None  # None: keep the lines the portal has
    proposal: str | None = None  # the proposal it bills (external id): its first invoice takes the paid deposit off


@attrs.frozen(kw_only=True)
class HostProposal:
    external_id: str
    property: str
    number: str
    description: str
    status: ProposalStatus
    estimated_start: date
    services: tuple[Service, ...] = ()
    sales_rep_email: str | None = None
    main_contact: str | None = None
    deposit: Decimal | str = "0.00"  # due at signing: an amount, or with deposit_percent a percent
    deposit_percent: bool = False


@attrs.frozen(kw_only=True)
class HostJob:
    """A job at a property (issue 26), by the host's ids: its type names the staff list told
    of requests of that type; ``main_contact`` scopes it for "main contact only" contacts."""

    external_id: str
    property: str
    number: str
    title: str
    job_type: str = ""
    status: JobStatus = JobStatus.SCHEDULED
    description: str = ""
    main_contact: str | None = None  # a contact's external id
    proposal: str | None = None  # a proposal's external id
    invoices: tuple[str, ...] = ()  # invoices' external ids
    created_at: datetime | None = None  # None: when the portal first sees it


@attrs.frozen(kw_only=True)
class HostVisit:
    """A visit of a job, by the host's ids: its arrival window (timezone-aware) and who comes.
    Sync tells no one; ``portal.jobs.host.scheduled(external_id)`` announces it."""

    external_id: str
    job: str  # the job's external id
    starts_at: datetime
    ends_at: datetime
    technicians: tuple[Technician, ...] = ()
    status: VisitStatus = VisitStatus.SCHEDULED


HOST_TYPES: dict[str, type] = {
    "customers": HostCustomer,
    "properties": HostProperty,
    "contacts": HostContact,
    "staff": HostStaff,
    "invoices": HostInvoice,
    "proposals": HostProposal,
    "jobs": HostJob,
    "visits": HostVisit,
}
KINDS: dict[str, type] = {
    "customers": Customer,
    "properties": Property,
    "contacts": Contact,
    "staff": StaffUser,
    "invoices": Invoice,
    "proposals": Proposal,
    "jobs": Job,
    "visits": Visit,
}
KIND_OF: dict[type, str] = {cls: kind for kind, cls in KINDS.items()}


class SyncRecordError(ValidationError):
    """One record of a batch is refused: ``kind`` ("contacts"), its host id ``external_id`` and
    the ``field`` at fault are attributes, and all three are in the message, so a host sending
    10,000 records knows which one to fix. Nothing of the batch was written."""

    def __init__(self, kind: str, external_id: str, field: str | None, message: str):
        where = f"{kind} {external_id!r}" + (f", {field}" if field else "")
        super().__init__(f"{where}: {message}", field=field)
        self.kind, self.external_id = kind, external_id


def _show(value: tuple[Any, ...]) -> str:
    return ", ".join(repr(v) for v in value)


@attrs.frozen(kw_only=True)
class SyncBatch:
    """What the host sends. ``deleted`` and ``complete`` name kinds as the fields here do."""

    customers: Sequence[HostCustomer] = ()
    properties: Sequence[HostProperty] = ()
    contacts: Sequence[HostContact] = ()
    staff: Sequence[HostStaff] = ()
    invoices: Sequence[HostInvoice] = ()
    proposals: Sequence[HostProposal] = ()
    jobs: Sequence[HostJob] = ()
    visits: Sequence[HostVisit] = ()
    deleted: Mapping[str, Sequence[str]] = attrs.field(factory=dict)
    complete: frozenset[str] = frozenset()


@attrs.frozen
class KindReport:
    """The external ids created, updated and archived, how many were already up to date, and
    the portal's id of every record the batch sent (``ids``: external id -> portal id), so a
    host needs no lookup to call the portal about them."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    archived: tuple[str, ...] = ()
    unchanged: int = 0
    ids: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class SyncReport:
    kinds: dict[str, KindReport]

    def __getitem__(self, kind: str) -> KindReport:
        return self.kinds[kind]

    @property
    def changed(self) -> bool:
        return any(r.created or r.updated or r.archived for r in self.kinds.values())


CHUNKED_SIZE = 1000  # invoices or proposals per transaction of apply_chunked
CHUNKED_KINDS = ("invoices", "proposals")  # the kinds apply_chunked takes in chunks
AFTER_CHUNKS = ("jobs", "visits")  # kinds that refer to them: applied after them


@attrs.define
class SyncTotals:
    """What ``apply_chunked`` did, counted per kind (each chunk's own report, with the host ids,
    goes to its ``on_chunk``)."""

    chunks: int = 0
    created: dict[str, int] = attrs.field(factory=dict)
    updated: dict[str, int] = attrs.field(factory=dict)
    archived: dict[str, int] = attrs.field(factory=dict)
    unchanged: dict[str, int] = attrs.field(factory=dict)

    def add(self, report: SyncReport) -> None:
        self.chunks += 1
        for kind, done in report.kinds.items():
            for name, count in (
                ("created", len(done.created)),
                ("updated", len(done.updated)),
                ("archived", len(done.archived)),
                ("unchanged", done.unchanged),
            ):
                counts = getattr(self, name)
                counts[kind] = counts.get(kind, 0) + count


class Sync:
    def __init__(
        self,
        storage: Storage,
        uow: UnitOfWork,
        company_id: str,
        email_changes: EmailChanges,
        clock: Clock | None = None,
    ):
        self._storage, self._uow, self._company_id, self._clock = storage, uow, company_id, clock
        self._email_changes = email_changes

    def apply(self, batch: SyncBatch) -> SyncReport:
        """Upsert ``batch`` (see the module docs); all of it, or nothing and a ``ValidationError``."""
        if not isinstance(batch, SyncBatch):
            raise ValidationError("Send a SyncBatch.", field="batch")
        if not isinstance(batch.deleted, Mapping) or not isinstance(batch.complete, (set, frozenset)):
            raise ValidationError("deleted maps kinds to host ids; complete is a set of kinds.", field="deleted")
        for kind, host_type in HOST_TYPES.items():
            if not all(isinstance(h, host_type) for h in inputs.items(getattr(batch, kind), kind)):
                raise ValidationError(f"{kind} must be {host_type.__name__} records.", field=kind)
        unknown = (set(batch.deleted) | set(batch.complete)) - set(KINDS)
        if unknown:
            raise ValidationError(f"Unknown kinds: {', '.join(sorted(unknown))}.", field="deleted")
        try:
            with self._uow():
                return self._apply(batch)
        except Conflict as exc:  # checked before writing; here only when a change raced this batch
            raise ValidationError(
                "A value that must be unique (an email) was taken while the batch was applied; send it again.",
                field="batch",
            ) from exc

    def apply_chunked(
        self,
        batch: SyncBatch,
        *,
        chunk_size: int = CHUNKED_SIZE,
        on_chunk: Callable[[SyncReport], object] | None = None,
    ) -> SyncTotals:
        """``apply`` for batches of any size (a first sync of 100,000 invoices), in chunks, each
        its own transaction, so memory stays flat whatever the batch (issue 25). The records
        others refer to (customers, properties, contacts, staff) go first, in one transaction
        as ``apply`` takes them; then invoices and proposals ``chunk_size`` at a time (their
        ``Sequence`` may be any iterable: a generator reading the host's table keeps even the
        batch out of memory); then jobs and visits; then what ``deleted`` and ``complete`` archive
        of invoices and proposals, in chunks. Every chunk is all-or-nothing and ``on_chunk`` gets
        its report once it committed; what committed before a failure stays, and sending the
        same batch again is safe (records already up to date are left alone, so nothing is
        mailed twice). ``apply`` stays all-or-nothing for the whole batch."""
        size = inputs.integer(chunk_size, "chunk_size", minimum=1, maximum=100_000)
        if not isinstance(batch, SyncBatch):
            raise ValidationError("Send a SyncBatch.", field="batch")
        if not isinstance(batch.deleted, Mapping) or not isinstance(batch.complete, (set, frozenset)):
            raise ValidationError("deleted maps kinds to host ids; complete is a set of kinds.", field="deleted")
        totals = SyncTotals()

        def applied(part: SyncBatch) -> None:
            report = self.apply(part)
            totals.add(report)
            if on_chunk is not None:
                on_chunk(report)

        later = set(CHUNKED_KINDS) | set(AFTER_CHUNKS)
        applied(
            attrs.evolve(
                batch,
                **{k: () for k in later if hasattr(batch, k)},
                deleted={k: v for k, v in batch.deleted.items() if k not in later},
                complete=frozenset(batch.complete) - later,
            )
        )
        sent: dict[str, set[str]] = {kind: set() for kind in CHUNKED_KINDS}
        for kind in CHUNKED_KINDS:
            hosts = iter(getattr(batch, kind))
            while chunk := list(itertools.islice(hosts, size)):
                sent[kind].update(str(getattr(h, "external_id", "")) for h in chunk)
                applied(SyncBatch(**{kind: chunk}))  # type: ignore[arg-type]
        tail = {k: getattr(batch, k) for k in AFTER_CHUNKS if hasattr(batch, k)}
        if any(tail.values()) or any(k in batch.deleted or k in batch.complete for k in tail):
            applied(
                SyncBatch(
                    **tail,
                    deleted={k: v for k, v in batch.deleted.items() if k in tail},
                    complete=frozenset(batch.complete) & set(tail),
                )
            )
        for kind in CHUNKED_KINDS:
            gone = iter(batch.deleted.get(kind, ()))
            while chunk := list(itertools.islice(gone, size)):
                applied(SyncBatch(deleted={kind: chunk}))
            if kind in batch.complete:
                for chunk in self._unsent(KINDS[kind], sent[kind], size):
                    applied(SyncBatch(deleted={kind: chunk}))
        return totals

    def _unsent(self, cls: type, sent: set[str], size: int) -> Iterable[list[str]]:
        """The host ids of ``cls`` records still live that ``sent`` does not name, a chunk at a
        time, read in bounded pages (``complete`` of a chunked sync)."""
        found: list[str] = []
        after: Any = None
        while True:
            page: list[Any] = self._storage.page(
                cls, order=(), limit=size, after=after, archived=False, external_id=Not(None)
            )
            found += [r.external_id for r in page if r.external_id not in sent]
            while len(found) >= size:
                yield found[:size]
                found = found[size:]
            if len(page) < size:
                break
            after = page[-1]
        if found:
            yield found

    def _apply(self, batch: SyncBatch) -> SyncReport:
        run = _Run(self._storage, self._company_id, self._clock)
        # properties and contacts refer to each other: properties first, their primary contacts last
        reports = {
            "customers": run.upsert(Customer, batch.customers, self._customer),
            "properties": run.upsert(Property, batch.properties, self._property(run)),
            "contacts": run.upsert(Contact, batch.contacts, self._contact(run)),
            "staff": run.upsert(StaffUser, batch.staff, self._staff),
            "invoices": run.upsert(Invoice, batch.invoices, self._invoice(run)),
            "proposals": run.upsert(Proposal, batch.proposals, self._proposal(run)),
            "jobs": run.upsert(Job, batch.jobs, self._job(run)),
            "visits": run.upsert(Visit, batch.visits, self._visit(run)),
        }
        reports["invoices"] = run.lines(batch.invoices, reports["invoices"])
        primaries = run.upsert(Property, batch.properties, self._primary_contact(run))
        run.check_moved_contacts()
        for before, address in run.readdressed:
            self._email_changes.changed_by_host(before, address)
        done = reports["properties"]
        later = tuple(e for e in primaries.updated if e not in done.created and e not in done.updated)
        reports["properties"] = attrs.evolve(done, updated=done.updated + later, unchanged=done.unchanged - len(later))
        for kind, cls in KINDS.items():
            archived = run.archive(
                cls,
                batch.deleted.get(kind, ()),
                complete=kind in batch.complete,
                sent={h.external_id for h in getattr(batch, kind)},
            )
            reports[kind] = attrs.evolve(reports[kind], archived=archived)
        return SyncReport(reports)

    # -- host record -> the fields portalkit keeps ----------------------------------------
    def _job(self, run: _Run) -> Any:
        def fields(h: HostJob) -> dict[str, Any]:
            prop = run.record(Property, h.property, "property")
            if h.created_at is not None and (not isinstance(h.created_at, datetime) or h.created_at.tzinfo is None):
                raise ValidationError("created_at must be a timezone-aware datetime.", field="created_at")
            values: dict[str, Any] = {
                "property_id": prop.id,
                "number": inputs.text(h.number, "number", max_length=100),
                "title": inputs.text(h.title, "title", max_length=200),
                "job_type": inputs.text(h.job_type, "job_type", max_length=100, required=False),
                "status": inputs.member(h.status, JobStatus, "status"),
                "description": inputs.text(
                    h.description, "description", max_length=4000, multiline=True, required=False
                ),
                "main_contact_id": run.same_customer(prop.customer_id, Contact, h.main_contact, "main_contact")
                if h.main_contact
                else None,
                "proposal_id": run.ref(Proposal, h.proposal, "proposal") if h.proposal else None,
                "invoice_ids": tuple(run.ref(Invoice, i, "invoices") for i in inputs.items(h.invoices, "invoices")),
            }
            if h.created_at is not None:
                values["created_at"] = h.created_at
            return values

        return fields

    def _visit(self, run: _Run) -> Any:
        def fields(h: HostVisit) -> dict[str, Any]:
            job = run.record(Job, h.job, "job")
            for name in ("starts_at", "ends_at"):
                value = getattr(h, name)
                if not isinstance(value, datetime) or value.tzinfo is None:
                    raise ValidationError(f"{name} must be a timezone-aware datetime.", field=name)
            if h.ends_at <= h.starts_at:
                raise ValidationError("The arrival window must end after it starts.", field="ends_at")
            crew = checked_crew(h.technicians)
            return {
                "job_id": job.id,
                "property_id": job.property_id,
                "starts_at": h.starts_at.astimezone(UTC),
                "ends_at": h.ends_at.astimezone(UTC),
                "technicians": crew,
                "status": inputs.member(h.status, VisitStatus, "status"),
            }

        return fields

    @staticmethod
    def _customer(h: HostCustomer) -> dict[str, Any]:
        return {"name": inputs.text(h.name, "name")}

    def _contact(self, run: _Run) -> Any:
        def fields(h: HostContact) -> dict[str, Any]:
            if not isinstance(h.access, Access):
                raise ValidationError("access must be an Access.", field="access")
            customer_id = run.ref(Customer, h.customer, "customer")
            return {
                "customer_id": customer_id,
                "first_name": inputs.text(h.first_name, "first_name"),
                "last_name": inputs.text(h.last_name, "last_name", required=False),
                "email": normalise_email(h.email),
                "property_ids": tuple(
                    run.same_customer(customer_id, Property, p, "properties")
                    for p in inputs.items(h.properties, "properties")
                ),
                "account_wide": inputs.flag(h.account_wide, "account_wide"),
                "main_contact_only": inputs.flag(h.main_contact_only, "main_contact_only"),
                "access": h.access,
                **({} if h.language is None else {"language": inputs.language(h.language)}),
            }

        return fields

    def _property(self, run: _Run) -> Any:
        def fields(h: HostProperty) -> dict[str, Any]:
            return {
                "customer_id": run.ref(Customer, h.customer, "customer"),
                "name": inputs.text(h.name, "name"),
                "account_owner_email": inputs.optional_email(h.account_owner_email, "account_owner_email"),
                "operations_manager_email": inputs.optional_email(
                    h.operations_manager_email, "operations_manager_email"
                ),
            }

        return fields

    def _primary_contact(self, run: _Run) -> Any:
        def fields(h: HostProperty) -> dict[str, Any]:
            customer_id = run.ref(Customer, h.customer, "customer")
            return {
                "primary_contact_id": run.same_customer(customer_id, Contact, h.primary_contact, "primary_contact")
                if h.primary_contact
                else None,
                "billing_contact_id": run.same_customer(customer_id, Contact, h.billing_contact, "billing_contact")
                if h.billing_contact
                else None,
            }

        return fields

    @staticmethod
    def _staff(h: HostStaff) -> dict[str, Any]:
        role = None if h.role is None else inputs.member(h.role, Role, "role")
        permissions = (
            ROLE_PERMISSIONS[role]
            if role is not None
            else frozenset(
                inputs.member(p, Permission, "permissions") for p in inputs.items(h.permissions, "permissions")
            )
        )
        return {
            "email": inputs.email(h.email),
            "name": inputs.text(h.name, "name"),
            "permissions": permissions,
            "role": role,
        }

    def _invoice(self, run: _Run) -> Any:
        def fields(h: HostInvoice) -> dict[str, Any]:
            amount, due = money.parse(h.amount), money.parse(h.amount_due, field="amount_due")
            if amount <= 0 or not 0 <= due <= amount:
                raise ValidationError("The amount is positive and the amount due between 0 and it.", field="amount_due")
            if not isinstance(h.invoice_date, date):
                raise ValidationError("The invoice date must be a date.", field="invoice_date")
            net_days = inputs.integer(h.net_days, "net_days", minimum=0, maximum=3650)
            prop = run.record(Property, h.property, "property")
            return {
                "property_id": prop.id,
                "number": inputs.text(h.number, "number"),
                "amount": amount,
                "amount_due": due,
                "invoice_date": h.invoice_date,
                "net_days": net_days,
                "due_date": h.invoice_date + timedelta(days=net_days),
                "billing_contact_id": run.same_customer(prop.customer_id, Contact, h.billing_contact, "billing_contact")
                if h.billing_contact
                else None,
                "terms": inputs.text(h.terms, "terms", max_length=MAX_TERMS, multiline=True, required=False),
                "proposal_id": run.ref(Proposal, h.proposal, "proposal") if h.proposal else None,
            }

        return fields

    def _proposal(self, run: _Run) -> Any:
        def fields(h: HostProposal) -> dict[str, Any]:
            services = tuple(inputs.items(h.services, "services"))
            if not all(isinstance(s, Service) for s in services) or not isinstance(h.estimated_start, date):
                raise ValidationError("Services must be Services and the start a date.", field="services")
            prop = run.record(Property, h.property, "property")
            return {
                "property_id": prop.id,
                "number": inputs.text(h.number, "number"),
                "description": inputs.text(h.description, "description", multiline=True, max_length=4000),
                "status": inputs.member(h.status, ProposalStatus, "status"),
                "estimated_start": h.estimated_start,
                "services": services,
                "sales_rep_email": inputs.optional_email(h.sales_rep_email, "sales_rep_email"),
                "main_contact_id": run.same_customer(prop.customer_id, Contact, h.main_contact, "main_contact")
                if h.main_contact
                else None,
                "deposit": checked_deposit(h.deposit, inputs.flag(h.deposit_percent, "deposit_percent")),
                "deposit_percent": h.deposit_percent,
            }

        return fields


class _Run:
    """One batch: the records found by external id, and what it wrote."""

    def __init__(self, storage: Storage, company_id: str, clock: Clock | None = None):
        self._storage, self._company_id, self._clock = storage, company_id, clock
        self._known: dict[type, dict[str, Any]] = {cls: {} for cls in HOST_RECORD_TYPES}
        self.moved: list[Contact] = []  # contacts this batch moved to another customer
        self.readdressed: list[tuple[Contact, str]] = []  # enrolled contacts whose email it changed

    def load(self, cls: type, external_ids: Iterable[str]) -> None:
        wanted = [e for e in dict.fromkeys(external_ids) if e not in self._known[cls]]
        for start in range(0, len(wanted), CHUNK):
            found: list[Any] = self._storage.find(cls, external_id=In(wanted[start : start + CHUNK]))
            self._known[cls].update((record.external_id, record) for record in found)

    def ref(self, cls: type, external_id: object, field: str = "external_id") -> str:
        """The portal id of the host's record ``external_id`` (loaded, or created by this batch)."""
        return str(self.record(cls, external_id, field).id)

    def record(self, cls: type, external_id: object, field: str) -> Any:
        key = inputs.text(external_id, field, max_length=200)
        self.load(cls, [key])
        record = self._known[cls].get(key)
        if record is None:
            raise ValidationError(
                f"No {cls.__name__.lower()} with the host id {key!r}: send it in this batch or an earlier one.",
                field=field,
            )
        return record

    def same_customer(self, customer_id: str, cls: type, external_id: object, field: str) -> str:
        """The portal id of ``external_id``, a record of the customer ``customer_id``: a contact
        is linked only to its own customer's properties and documents (as staff pages refuse)."""
        record = self.record(cls, external_id, field)
        if record.customer_id != customer_id:
            raise ValidationError(
                f"The {cls.__name__.lower()} {record.external_id!r} belongs to another customer.", field=field
            )
        return str(record.id)

    @staticmethod
    def checked(kind: str, external_id: str, fields: Any, host: Any) -> dict[str, Any]:
        """``fields(host)``, a refusal naming the record it is about."""
        try:
            return fields(host)  # type: ignore[no-any-return]
        except SyncRecordError:
            raise
        except ValidationError as exc:
            raise SyncRecordError(kind, external_id, exc.field, exc.public_message) from exc

    def upsert(self, cls: type, hosts: Sequence[Any], fields: Any) -> KindReport:
        kind = KIND_OF[cls]
        hosts = inputs.items(hosts, kind)
        seen: set[str] = set()
        for h in hosts:
            key = inputs.text(getattr(h, "external_id", None), "external_id", max_length=200)
            if key in seen:
                raise SyncRecordError(kind, key, "external_id", "This host id is sent twice.")
            seen.add(key)
        self.load(cls, seen)
        created, updated, unchanged, new, changed = [], [], 0, [], []
        for h in hosts:
            values = self.checked(kind, h.external_id, fields, h)
            current = self._known[cls].get(h.external_id)
            if current is None:
                record = self._new(cls, h.external_id, values)
                new.append(record)
                created.append(h.external_id)
                self._known[cls][h.external_id] = record
                continue
            values = self._keep_portal_owned(current, values)
            if current.archived:
                values["archived"] = False
            if all(getattr(current, k) == v for k, v in values.items()):
                unchanged += 1
                continue
            record = attrs.evolve(current, **values)
            changed.append(record)
            updated.append(h.external_id)
            self._known[cls][h.external_id] = record
        self.check_unique(cls, new + changed)
        self._storage.insert_many(new)
        if changed:
            stored = self._storage.update_many(changed)
            for record in stored:
                self._known[cls][record.external_id] = record
        return KindReport(
            tuple(created),
            tuple(updated),
            (),
            unchanged,
            {h.external_id: self._known[cls][h.external_id].id for h in hosts},
        )

    def check_moved_contacts(self) -> None:
        """A contact moved to another customer may not stay the primary or billing contact of
        its old customer's properties, nor of their invoices and proposals (nobody would see
        them): refused, naming the record to send along with it."""
        for before in self.moved:
            contact = self._known[Contact][str(before.external_id)]
            left = [
                p
                for p in self._storage.find(Property, primary_contact_id=contact.id)
                + self._storage.find(Property, billing_contact_id=contact.id)
                if p.customer_id != contact.customer_id
            ]
            if left:
                raise SyncRecordError(
                    "contacts",
                    contact.external_id,
                    "customer",
                    f"It is still the primary or billing contact of property "
                    f"{left[0].external_id or left[0].id!r} of its former customer; send that "
                    "property with another contact in this batch.",
                )
            props = {p.id: p for p in self._storage.find(Property, customer_id=contact.customer_id)}
            for cls, field in ((Invoice, "billing_contact_id"), (Proposal, "main_contact_id")):
                named: list[Any] = self._storage.find(cls, **{field: contact.id})
                stale = [r for r in named if r.property_id not in props]
                if stale:
                    raise SyncRecordError(
                        "contacts",
                        contact.external_id,
                        "customer",
                        f"{cls.__name__} {stale[0].external_id or stale[0].id!r} of its former "
                        "customer still names it; send that record with another contact.",
                    )

    def check_unique(self, cls: type, written: list[Any]) -> None:
        """Values that must be unique (emails) taken by another record — of this batch, or one
        already here — are refused naming both, before anything is written."""
        for group in UNIQUE.get(cls, ()):
            names = [n for n in group if n != "company_id"]
            if names == ["external_id"] or not written:
                continue
            holders: dict[tuple[Any, ...], Any] = {}
            for record in written:
                value = tuple(getattr(record, n) for n in names)
                if None in value:
                    continue
                if value in holders:
                    raise SyncRecordError(
                        KIND_OF[cls],
                        record.external_id,
                        names[0],
                        f"{_show(value)} is also sent for {holders[value].external_id!r}.",
                    )
                holders[value] = record
            if len(names) != 1 or not holders:
                continue
            ids = {r.id for r in written}
            wanted = [v[0] for v in holders]
            for start in range(0, len(wanted), CHUNK):
                others: list[Any] = self._storage.find(cls, **{names[0]: In(wanted[start : start + CHUNK])})
                for other in others:
                    if other.id in ids:
                        continue
                    record = holders[(getattr(other, names[0]),)]
                    owner = f"host id {other.external_id!r}" if other.external_id else "a record staff added"
                    raise SyncRecordError(
                        KIND_OF[cls],
                        record.external_id,
                        names[0],
                        f"{_show((getattr(other, names[0]),))} already belongs to {owner}.",
                    )

    def lines(self, hosts: Sequence[HostInvoice], report: KindReport) -> KindReport:
        """Replace the lines of the invoices sent with lines, where they differ; an invoice whose
        lines alone changed counts as updated."""
        sent = {h.external_id: checked_lines(h.lines) for h in hosts if h.lines is not None}
        invoices = {e: self._known[Invoice][e] for e in sent}
        stored: dict[str, list[InvoiceLine]] = {}
        ids = [i.id for i in invoices.values()]
        for start in range(0, len(ids), CHUNK):
            for line in self._storage.find(InvoiceLine, invoice_id=In(ids[start : start + CHUNK])):
                stored.setdefault(line.invoice_id, []).append(line)
        changed = [
            e
            for e, lines in sent.items()
            if replace_lines(self._storage, invoices[e], lines, stored.get(invoices[e].id, ()))
        ]
        later = tuple(e for e in changed if e not in report.created and e not in report.updated)
        return attrs.evolve(report, updated=report.updated + later, unchanged=report.unchanged - len(later))

    def _new(self, cls: type, external_id: str, values: dict[str, Any]) -> Any:
        if cls is Invoice:  # paid in the host: the paid date is the invoice's, as for staff-added ones
            values = {**values, "paid_on": values["invoice_date"] if values["amount_due"] == 0 else None}
            return credit_deposit(self._storage, cls(external_id=external_id, company_id=self._company_id, **values))
        if cls is Job and "created_at" not in values:  # first seen now
            values = {**values, "created_at": self._clock.now() if self._clock else datetime.now(UTC)}
        return cls(external_id=external_id, company_id=self._company_id, **values)

    def _keep_portal_owned(self, current: Any, values: dict[str, Any]) -> dict[str, Any]:
        if isinstance(current, Invoice) and "amount_due" in values:
            if current.deposit_credit:  # the deposit the portal took off stays off
                values["amount_due"] = max(values["amount_due"] - current.deposit_credit, Decimal("0.00"))
            if current.pending_amount > 0:  # a portal payment is in flight: its outcome decides the balance
                values = {k: v for k, v in values.items() if k != "amount_due"}
            else:
                values["paid_on"] = (current.paid_on or values["invoice_date"]) if values["amount_due"] == 0 else None
        if isinstance(current, Contact):
            if values["customer_id"] != current.customer_id:
                self.moved.append(current)
            if values["email"] != current.email and current.portal_status is PortalStatus.ENROLLED and current.email:
                # the host changed the sign-in address: what was mailed to the old one stops working
                values = {
                    **values,
                    "pending_email": None,
                    "credential_epoch": current.credential_epoch + 1,
                    "login_link_nonce": current.login_link_nonce + 1,
                    "calendar_nonce": current.calendar_nonce + 1,
                }
                self.readdressed.append((current, values["email"]))
        return values

    def archive(self, cls: type, external_ids: Sequence[str], *, complete: bool, sent: set[str]) -> tuple[str, ...]:
        gone = {inputs.text(e, "deleted", max_length=200) for e in inputs.items(external_ids, "deleted")}
        if gone & sent:
            raise SyncRecordError(
                KIND_OF[cls], sorted(gone & sent)[0], "deleted", "A record cannot be sent and deleted in one batch."
            )
        self.load(cls, gone)
        targets = [self._known[cls][e] for e in gone if e in self._known[cls]]
        if complete:
            live: list[Any] = self._storage.find(cls, archived=False, external_id=Not(None))
            targets += [r for r in live if r.external_id not in sent and r.external_id not in gone]
        targets = [r for r in targets if not r.archived]
        if targets:
            self._storage.update_many([attrs.evolve(r, archived=True) for r in targets])
        return tuple(sorted(r.external_id for r in targets))
