"""Staff-side records: staff users, customers, properties and contacts (ACC-5, ACC-6, ACC-7, INV-9).

Every change here is made by a staff user holding a permission: ``MANAGE_CONTACTS`` for
customers, properties and contacts, ``MANAGE_STAFF`` for staff users (who can grant only the
permissions they hold themselves). ``create_first_admin`` makes the one staff user a new
portal starts from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .. import inputs
from .._core import history
from .._core.lookups import by_host_ids
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import ROLE_PERMISSIONS, require
from ..accounts._invitations import Invitations
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..models import (
    Access,
    Contact,
    Counter,
    Customer,
    HistoryKind,
    Permission,
    PortalStatus,
    Property,
    Role,
    StaffUser,
    StatusEvent,
)
from ..ports import Clock, Storage
from ..settings import Settings

if TYPE_CHECKING:
    from ..accounts._email_change import EmailChanges
from .._core.uow import UnitOfWork

R = TypeVar("R")

_NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]+)*")
_FIRST_ADMIN = "first-admin"


def normalise_email(email: object, *, field: str = "email") -> str | None:
    """Lower-cased, trimmed, checked address; empty stays ``None``."""
    return inputs.optional_email(email, field)


def check_names(first_name: object, last_name: object) -> tuple[str, str]:
    """ACC-7: first name at least 2 letters, last name at least 1, no digits or symbols."""
    first = inputs.text(first_name, "first_name", required=False)
    last = inputs.text(last_name, "last_name", required=False)
    if len(first) < 2 or not _NAME.fullmatch(first):
        raise ValidationError(
            "First name must have at least 2 characters. Numbers and special characters are not allowed.",
            field="first_name",
        )
    if len(last) < 1 or not _NAME.fullmatch(last):
        raise ValidationError(
            "Last name must have at least 1 character. Numbers and special characters are not allowed.",
            field="last_name",
        )
    return first, last


def lookup(storage: Storage, cls: type[R], id: object) -> R:
    """The record of type ``cls`` with id ``id``; ``NotFound`` when there is none (or ``id`` is no id)."""
    record = storage.get(cls, id) if inputs.is_identifier(id) else None
    if record is None:
        raise NotFound(f"No {cls.__name__.lower()} {id}")
    return record


def contact_by_email(storage: Storage, email: object) -> Contact | None:
    """The contact with this address, if the address is valid and someone has it."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return None
    found = storage.find(Contact, email=address) if address else []
    return found[0] if found else None


def _permissions(values: object) -> frozenset[Permission]:
    return frozenset(inputs.member(v, Permission, "permissions") for v in inputs.items(values, "permissions"))


class Directory:
    """Contacts created with "invite" ticked, or auto-invited, are invited through ``invitations``."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        invitations: Invitations,
        email_changes: EmailChanges,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._invitations, self._email_changes = invitations, email_changes

    # -- lookups ---------------------------------------------------------------------------
    def get(self, cls: type[R], id: object) -> R:
        return lookup(self._storage, cls, id)

    def contact(self, contact_id: str) -> Contact:
        return lookup(self._storage, Contact, contact_id)

    def by_host_id(self, cls: type[R], external_id: object) -> R:
        """The record the host knows as ``external_id`` (its own id, as sync sent it): a
        ``Contact``, ``Property``, ``Customer``, ``Invoice``, ``Proposal`` or ``StaffUser``;
        ``NotFound`` when the portal has none."""
        found = by_host_ids(self._storage, cls, [external_id])
        return found[str(external_id)]

    def contact_by_host_id(self, external_id: str) -> Contact:
        return self.by_host_id(Contact, external_id)

    def property_by_host_id(self, external_id: str) -> Property:
        return self.by_host_id(Property, external_id)

    def contact_by_email(self, email: str) -> Contact | None:
        return contact_by_email(self._storage, email)

    def contacts(
        self,
        staff: StaffUser,
        status: PortalStatus | None = None,
        customer_id: str | None = None,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[Contact]:
        """Staff list contacts by name, of one customer or all, filtered by portal status (INV-8); one page."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        where: dict[str, Any] = {"customer_id": inputs.identifier(customer_id, "customer_id")} if customer_id else {}
        if status is not None:
            where["portal_status"] = inputs.member(status, PortalStatus, "status")
        return fetch(
            self._storage, Contact, order=("last_name", "first_name"), after=after, limit=limit, archived=False, **where
        )

    def history(self, staff: StaffUser, contact_id: str) -> list[StatusEvent]:
        """INV-8: the contact's portal status history, oldest first."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        contact = self.contact(contact_id)  # another company's contact is NotFound, as everywhere
        return sorted(self._storage.find(StatusEvent, contact_id=contact.id), key=lambda e: e.at)

    # -- staff users -----------------------------------------------------------------------
    def create_first_admin(self, email: str, name: str) -> StaffUser:
        """The first staff user, holding every permission; refused once any staff user exists."""
        user = StaffUser(
            email=inputs.email(email),
            name=inputs.text(name, "name"),
            permissions=ROLE_PERMISSIONS[Role.SYSTEM_ADMINISTRATOR],
            role=Role.SYSTEM_ADMINISTRATOR,
        )
        with self._uow():
            marker = f"{self._settings.current.company_id}:{_FIRST_ADMIN}"
            if self._storage.page(StaffUser, order=(), limit=1) or self._storage.get(Counter, marker) is not None:
                raise PermissionDenied("The portal already has staff users; an administrator adds more.")
            self._storage.insert(Counter(id=marker, value=1))
            return self._insert_with_email(user, "staff user")

    def add_staff(
        self, by: StaffUser, email: str, name: str, permissions: Iterable[Permission] = (), *, role: Role | None = None
    ) -> StaffUser:
        """``MANAGE_STAFF``: a staff user with a default ``role`` or the ``permissions`` given,
        none of which ``by`` does not hold."""
        role, granted = self._grant(by, permissions, role)
        user = StaffUser(email=inputs.email(email), name=inputs.text(name, "name"), permissions=granted, role=role)
        with self._uow():
            return self._insert_with_email(user, "staff user")

    def set_role(
        self, by: StaffUser, staff_id: str, role: Role | None, permissions: Iterable[Permission] = ()
    ) -> StaffUser:
        """``MANAGE_STAFF``: give a staff user a default role (its permissions) or, with ``role``
        None, the ``permissions`` given; never one ``by`` lacks, never ``by`` their own."""
        role, granted = self._grant(by, permissions, role)
        with self._uow():
            user = lookup(self._storage, StaffUser, staff_id)
            if user.id == by.id:
                raise PermissionDenied("Another administrator changes your own role.")
            return self._storage.update(attrs.evolve(user, role=role, permissions=granted))

    def staff_users(self, by: StaffUser) -> list[StaffUser]:
        """``MANAGE_STAFF``: the company's staff users (not archived), by name."""
        require(by, Permission.MANAGE_STAFF, self._settings.company_id)
        return sorted(self._storage.find(StaffUser, archived=False), key=lambda u: (u.name.lower(), u.email))

    def _grant(
        self, by: StaffUser, permissions: Iterable[Permission], role: Role | None
    ) -> tuple[Role | None, frozenset[Permission]]:
        require(by, Permission.MANAGE_STAFF, self._settings.company_id)
        role = None if role is None else inputs.member(role, Role, "role")
        granted = ROLE_PERMISSIONS[role] if role is not None else _permissions(permissions)
        if not granted <= by.permissions:
            raise PermissionDenied("You can grant only permissions you hold.")
        return role, granted

    def _insert_with_email(self, record: R, who: str) -> R:
        """Insert a staff user or contact; an email someone else has is a ``ValidationError``."""
        try:
            return self._storage.insert(record)
        except Conflict as exc:
            raise ValidationError(f"That email is already used by another {who}.", field="email") from exc

    # -- customers, properties, contacts ---------------------------------------------------
    def add_customer(self, staff: StaffUser, name: str) -> Customer:
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        customer = Customer(name=inputs.text(name, "name"))
        with self._uow():
            return self._storage.insert(customer)

    def add_property(
        self,
        staff: StaffUser,
        customer_id: str,
        name: str,
        *,
        account_owner_email: str | None = None,
        operations_manager_email: str | None = None,
    ) -> Property:
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        prop = Property(
            customer_id=inputs.identifier(customer_id, "customer_id"),
            name=inputs.text(name, "name"),
            account_owner_email=normalise_email(account_owner_email, field="account_owner_email"),
            operations_manager_email=normalise_email(operations_manager_email, field="operations_manager_email"),
        )
        with self._uow():
            self.get(Customer, customer_id)
            return self._storage.insert(prop)

    def add_contact(
        self,
        staff: StaffUser,
        customer_id: str,
        first_name: str,
        last_name: str,
        email: str | None = None,
        *,
        property_ids: Iterable[str] = (),
        account_wide: bool = False,
        access: Access = Access(),
        invite: bool = False,
    ) -> Contact:
        """Create a contact; invite it when ``invite`` is ticked (needs ``SEND_PORTAL_INVITATION``)
        or when the config auto-invites new contacts and the portal is enabled (INV-9)."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        if inputs.flag(invite, "invite"):
            require(staff, Permission.SEND_PORTAL_INVITATION, self._settings.company_id)
        first, last = check_names(first_name, last_name)
        contact = Contact(
            customer_id=inputs.identifier(customer_id, "customer_id"),
            first_name=first,
            last_name=last,
            email=normalise_email(email),
            property_ids=tuple(inputs.identifiers(property_ids, "property_ids")),
            account_wide=inputs.flag(account_wide, "account_wide"),
            access=_access(access),
        )
        config = self._settings.current
        with self._uow():
            self.get(Customer, customer_id)
            for pid in contact.property_ids:
                self._check_property(customer_id, pid)
            contact = self._insert_with_email(contact, "contact")
            if contact.email and invite:
                self._invitations.send(staff, [contact.id])
            elif contact.email and config.auto_invite_new_contacts and config.enabled:
                self._invitations.send_as_company([contact.id])
            return self.contact(contact.id)

    def _check_property(self, customer_id: str, property_id: str) -> Property:
        prop = self.get(Property, property_id)
        if prop.customer_id != customer_id:
            raise ValidationError("The property belongs to another customer", field="property_ids")
        return prop

    # -- changes ---------------------------------------------------------------------------
    def link_property(self, staff: StaffUser, contact_id: str, property_id: str, *, primary: bool = False) -> Contact:
        """VIS-1: link a contact to a building; ``primary`` makes it the property's primary contact."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        primary = inputs.flag(primary, "primary")
        with self._uow():
            contact = self.contact(contact_id)
            prop = self._check_property(contact.customer_id, property_id)
            if property_id not in contact.property_ids:
                contact = self._storage.update(
                    attrs.evolve(contact, property_ids=contact.property_ids + (property_id,))
                )
            if primary:
                self._storage.update(attrs.evolve(prop, primary_contact_id=contact.id))
            return contact

    def set_primary_contact(self, staff: StaffUser, property_id: str, contact_id: str | None) -> Property:
        """VIS-1, VIS-2: the property's primary contact (linked to it if they are not), or none."""
        return self._set_property_contact(staff, property_id, contact_id, "primary_contact_id")

    def set_billing_contact(self, staff: StaffUser, property_id: str, contact_id: str | None) -> Property:
        """VIS-2: the property's billing contact sees all of its invoices, as its primary contact does."""
        return self._set_property_contact(staff, property_id, contact_id, "billing_contact_id")

    def _set_property_contact(self, staff: StaffUser, property_id: str, contact_id: str | None, role: str) -> Property:
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        contact_id = inputs.optional_identifier(contact_id, "contact_id")
        with self._uow():
            prop = self.get(Property, property_id)
            if contact_id is not None:
                self.link_property(staff, contact_id, property_id)
                prop = self.get(Property, property_id)
            change: dict[str, Any] = {role: contact_id}
            return self._storage.update(attrs.evolve(prop, **change))

    def unlink_property(self, staff: StaffUser, contact_id: str, property_id: str) -> Contact:
        """VIS-1: the contact no longer sees the property (nor is its primary or billing contact)."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        with self._uow():
            contact = self.contact(contact_id)
            prop = self.get(Property, property_id)
            if contact.id in (prop.primary_contact_id, prop.billing_contact_id):
                self._storage.update(
                    attrs.evolve(
                        prop,
                        primary_contact_id=None if prop.primary_contact_id == contact.id else prop.primary_contact_id,
                        billing_contact_id=None if prop.billing_contact_id == contact.id else prop.billing_contact_id,
                    )
                )
            if property_id not in contact.property_ids:
                return contact
            return self._storage.update(
                attrs.evolve(contact, property_ids=tuple(p for p in contact.property_ids if p != property_id))
            )

    def customers(self, staff: StaffUser, *, after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page[Customer]:
        """``MANAGE_CONTACTS``: the customers (accounts), by name; one page."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        return fetch(self._storage, Customer, order=("name",), after=after, limit=limit, archived=False)

    def properties_of(self, staff: StaffUser, customer_id: str) -> list[Property]:
        """``MANAGE_CONTACTS``: a customer's properties (buildings), by name."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        customer = self.get(Customer, customer_id)
        return sorted(self._storage.find(Property, customer_id=customer.id, archived=False), key=lambda p: p.name)

    def update_contact(self, staff: StaffUser, contact_id: str, **changes: Any) -> Contact:
        """Staff edits: access flags, account_wide, main_contact_only, receipts, names, language."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        checks: dict[str, Callable[[Any], Any]] = {
            "access": _access,
            "account_wide": lambda v: inputs.flag(v, "account_wide"),
            "main_contact_only": lambda v: inputs.flag(v, "main_contact_only"),
            "receipts_opt_in": lambda v: inputs.flag(v, "receipts_opt_in"),
            "first_name": lambda v: v,
            "last_name": lambda v: v,
            "language": inputs.language,
        }
        unknown = set(changes) - set(checks)
        if unknown:
            raise ValidationError(f"Cannot change {', '.join(sorted(unknown))} here")
        changes = {k: checks[k](v) for k, v in changes.items()}
        with self._uow():
            contact = self.contact(contact_id)
            if "first_name" in changes or "last_name" in changes:
                changes["first_name"], changes["last_name"] = check_names(
                    changes.get("first_name", contact.first_name), changes.get("last_name", contact.last_name)
                )
            return self._storage.update(attrs.evolve(contact, **changes))

    def change_email(self, staff: StaffUser, contact_id: str, new_email: str) -> Contact:
        """ACC-5, ACC-8: an enrolled contact's new email becomes the sign-in once confirmed from
        that address (``pending_email`` until then; the old address is told); the password
        stays. A contact who has not signed up changes at once (``email_change``)."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        email = inputs.email(new_email)
        self.contact(contact_id)
        return self._email_changes.request(contact_id, email, f"{staff.name} (staff)")

    def save_details(
        self,
        staff: StaffUser,
        contact_id: str,
        *,
        first_name: str,
        last_name: str,
        email: str = "",
        receipts_opt_in: bool = False,
        language: str = "",
    ) -> Contact:
        """``MANAGE_CONTACTS``: the staff's contact form saved all at once, or nothing (one unit of
        work): names (ACC-7), receipts (PAY-7), language, and a new ``email`` (ACC-5, ACC-8:
        confirmed from the new address when the contact is enrolled; empty or the same keeps
        it). ``language`` empty keeps the contact's. The contact as saved."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        email = email.strip() if isinstance(email, str) else email
        with self._uow():
            if email and (not isinstance(email, str) or email.lower() != (self.contact(contact_id).email or "")):
                self.change_email(staff, contact_id, email)  # checks the address
            self.update_contact(
                staff,
                contact_id,
                first_name=first_name,
                last_name=last_name,
                receipts_opt_in=receipts_opt_in,
                language=language or self.contact(contact_id).language,
            )
        return self.contact(contact_id)

    def save_properties(
        self,
        staff: StaffUser,
        contact_id: str,
        *,
        linked: Iterable[str] = (),
        primary: Iterable[str] = (),
        billing: Iterable[str] = (),
        account_wide: bool = False,
    ) -> Contact:
        """``MANAGE_CONTACTS``: the staff's properties form saved all at once, or nothing (one unit
        of work): the contact's account-wide access and, for each property of their customer,
        whether they are linked to it (VIS-1) and its primary and billing contact (VIS-2), as
        ticked. A property ticked primary or billing is linked too; one left unticked is
        unlinked. The contact as saved."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        linked, primary, billing = (set(inputs.items(v, "property_ids")) for v in (linked, primary, billing))
        with self._uow():
            contact = self.contact(contact_id)
            self.update_contact(staff, contact_id, account_wide=account_wide)
            for prop in self.properties_of(staff, contact.customer_id):
                if prop.id in linked | primary | billing:
                    self.link_property(staff, contact_id, prop.id)
                elif prop.id in contact.property_ids or contact.id in (
                    prop.primary_contact_id,
                    prop.billing_contact_id,
                ):
                    self.unlink_property(staff, contact_id, prop.id)
                    continue
                if (prop.id in primary) != (prop.primary_contact_id == contact.id):
                    self.set_primary_contact(staff, prop.id, contact.id if prop.id in primary else None)
                if (prop.id in billing) != (prop.billing_contact_id == contact.id):
                    self.set_billing_contact(staff, prop.id, contact.id if prop.id in billing else None)
        return self.contact(contact_id)

    def suspend(self, staff: StaffUser, contact_id: str, note: str) -> Contact:
        """ACC-6: the contact cannot log in and is shown ``note``."""
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        note = inputs.text(note, "note", max_length=1000, multiline=True)
        with self._uow():
            contact = self.contact(contact_id)
            updated = self._storage.update(
                attrs.evolve(
                    contact, suspended=True, suspension_note=note, credential_epoch=contact.credential_epoch + 1
                )
            )
            self.record(contact_id, HistoryKind.SUSPENDED, note)
            return updated

    def unsuspend(self, staff: StaffUser, contact_id: str) -> Contact:
        require(staff, Permission.MANAGE_CONTACTS, self._settings.company_id)
        with self._uow():
            contact = self.contact(contact_id)
            updated = self._storage.update(attrs.evolve(contact, suspended=False, suspension_note=""))
            self.record(contact_id, HistoryKind.UNSUSPENDED)
            return updated

    def record(self, contact_id: str, kind: HistoryKind, detail: str = "") -> None:
        history.record(self._storage, self._clock, contact_id, kind, detail)


def _access(value: object) -> Access:
    if not isinstance(value, Access):
        raise ValidationError("Access flags must be an Access.", field="access")
    return value
