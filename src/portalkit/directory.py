"""Staff-side records: staff users, customers, properties and contacts (ACC-5, ACC-6, ACC-7, INV-9)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

import attrs

from .errors import Conflict, NotFound, PermissionDenied, ValidationError
from .models import (
    Access,
    Contact,
    Customer,
    HistoryKind,
    Permission,
    PortalStatus,
    Property,
    StaffUser,
    StatusEvent,
)

if TYPE_CHECKING:
    from .portal import Portal

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_NAME = re.compile(r"[^\W\d_]+(?:[ '\-.][^\W\d_]+)*")

def normalise_email(email: str | None, *, field: str = "email") -> str | None:
    """Lower-cased, trimmed, checked address; ``None`` stays ``None``."""
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise ValidationError("Enter a valid email", field=field)
    return email


def check_names(first_name: str, last_name: str) -> tuple[str, str]:
    """ACC-7: first name at least 2 letters, last name at least 1, no digits or symbols."""
    first, last = first_name.strip(), last_name.strip()
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


def require(staff: StaffUser, permission: Permission) -> None:
    if permission not in staff.permissions:
        raise PermissionDenied(f"{staff.name} lacks the {permission.value} permission")


class Directory:
    def __init__(self, portal: "Portal"):
        self._portal = portal

    # -- lookups ---------------------------------------------------------------------------
    def get(self, cls: type, id: str) -> Any:
        record = self._portal.storage.get(cls, id)
        if record is None:
            raise NotFound(f"No {cls.__name__.lower()} {id}")
        return record

    def contact(self, contact_id: str) -> Contact:
        return self.get(Contact, contact_id)

    def contact_by_email(self, email: str) -> Contact | None:
        try:
            address = normalise_email(email)
        except ValidationError:
            return None
        found = self._portal.storage.find(Contact, email=address) if address else []
        return found[0] if found else None

    def properties_of(self, customer_id: str) -> list[Property]:
        return self._portal.storage.find(Property, customer_id=customer_id)

    def contacts_by_status(self, status: PortalStatus, customer_id: str | None = None) -> list[Contact]:
        """INV-8: staff filter contacts by portal status."""
        where = {"customer_id": customer_id} if customer_id else {}
        found = self._portal.storage.find(Contact, **where)
        return sorted((c for c in found if c.portal_status is status), key=lambda c: (c.last_name, c.first_name))

    def history(self, contact_id: str) -> list[StatusEvent]:
        """INV-8: the contact's portal status history, oldest first."""
        return sorted(self._portal.storage.find(StatusEvent, contact_id=contact_id), key=lambda e: e.at)

    # -- creation --------------------------------------------------------------------------
    def add_staff(self, email: str, name: str, permissions: Iterable[Permission] = ()) -> StaffUser:
        address = normalise_email(email)
        if address is None:
            raise ValidationError("Enter a valid email", field="email")
        with self._portal.unit_of_work():
            return self._portal.storage.insert(StaffUser(email=address, name=name, permissions=frozenset(permissions)))

    def add_customer(self, name: str) -> Customer:
        if not name.strip():
            raise ValidationError("A customer needs a name", field="name")
        with self._portal.unit_of_work():
            return self._portal.storage.insert(Customer(name=name.strip()))

    def add_property(self, customer_id: str, name: str, **fields: Any) -> Property:
        with self._portal.unit_of_work():
            self.get(Customer, customer_id)
            for key in ("account_owner_email", "operations_manager_email"):
                if key in fields:
                    fields[key] = normalise_email(fields[key], field=key)
            return self._portal.storage.insert(Property(customer_id=customer_id, name=name, **fields))

    def add_contact(
        self,
        customer_id: str,
        first_name: str,
        last_name: str,
        email: str | None = None,
        *,
        property_ids: tuple[str, ...] = (),
        account_wide: bool = False,
        access: Access = Access(),
        invite: bool = False,
        invited_by: StaffUser | None = None,
    ) -> Contact:
        """Create a contact; invite it when asked or when the config auto-invites (INV-9)."""
        first, last = check_names(first_name, last_name)
        with self._portal.unit_of_work():
            self.get(Customer, customer_id)
            for pid in property_ids:
                self._check_property(customer_id, pid)
            contact = self._insert_contact(
                Contact(
                    customer_id=customer_id,
                    first_name=first,
                    last_name=last,
                    email=normalise_email(email),
                    property_ids=tuple(property_ids),
                    account_wide=account_wide,
                    access=access,
                )
            )
            if (invite or self._portal.config.auto_invite_new_contacts) and contact.email:
                if invited_by is not None:
                    self._portal.invitations.send(invited_by, [contact.id])
                else:
                    self._portal.invitations.send_as_company([contact.id])
                contact = self.contact(contact.id)
            return contact

    def _insert_contact(self, contact: Contact) -> Contact:
        try:
            return self._portal.storage.insert(contact)
        except Conflict as exc:
            raise ValidationError("That email is already used by another contact.", field="email") from exc

    def _check_property(self, customer_id: str, property_id: str) -> Property:
        prop = self.get(Property, property_id)
        if prop.customer_id != customer_id:
            raise ValidationError("The property belongs to another customer", field="property_ids")
        return prop

    # -- changes ---------------------------------------------------------------------------
    def link_property(self, contact_id: str, property_id: str, *, primary: bool = False) -> Contact:
        """VIS-1: link a contact to a building; ``primary`` makes it the property's primary contact."""
        with self._portal.unit_of_work():
            contact = self.contact(contact_id)
            prop = self._check_property(contact.customer_id, property_id)
            if property_id not in contact.property_ids:
                contact = self._portal.storage.update(
                    attrs.evolve(contact, property_ids=contact.property_ids + (property_id,))
                )
            if primary:
                self._portal.storage.update(attrs.evolve(prop, primary_contact_id=contact.id))
            return contact

    def set_primary_contact(self, property_id: str, contact_id: str | None) -> Property:
        with self._portal.unit_of_work():
            prop = self.get(Property, property_id)
            if contact_id is not None:
                self.link_property(contact_id, property_id)
                prop = self.get(Property, property_id)
            return self._portal.storage.update(attrs.evolve(prop, primary_contact_id=contact_id))

    def update_contact(self, contact_id: str, **changes: Any) -> Contact:
        """Staff edits: access flags, account_wide, main_contact_only, receipts, names."""
        allowed = {"access", "account_wide", "main_contact_only", "receipts_opt_in", "first_name", "last_name"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValidationError(f"Cannot change {', '.join(sorted(unknown))} here")
        with self._portal.unit_of_work():
            contact = self.contact(contact_id)
            if "first_name" in changes or "last_name" in changes:
                changes["first_name"], changes["last_name"] = check_names(
                    changes.get("first_name", contact.first_name), changes.get("last_name", contact.last_name)
                )
            return self._portal.storage.update(attrs.evolve(contact, **changes))

    def change_email(self, staff: StaffUser, contact_id: str, new_email: str) -> Contact:
        """ACC-5: the same password works with the new email."""
        require(staff, Permission.MANAGE_CONTACTS)
        email = normalise_email(new_email)
        if email is None:
            raise ValidationError("Enter a valid email", field="email")
        with self._portal.unit_of_work():
            contact = self.contact(contact_id)
            try:
                updated = self._portal.storage.update(attrs.evolve(contact, email=email))
            except Conflict as exc:
                raise ValidationError("That email is already used by another contact.", field="email") from exc
            self.record(contact_id, HistoryKind.EMAIL_CHANGED, f"{contact.email} -> {email}")
            return updated

    def suspend(self, staff: StaffUser, contact_id: str, note: str) -> Contact:
        """ACC-6: the contact cannot log in and is shown ``note``."""
        require(staff, Permission.MANAGE_CONTACTS)
        if not note.strip():
            raise ValidationError("Enter the note the customer will see", field="note")
        with self._portal.unit_of_work():
            contact = self.contact(contact_id)
            updated = self._portal.storage.update(
                attrs.evolve(contact, suspended=True, suspension_note=note.strip(),
                             credential_epoch=contact.credential_epoch + 1)
            )
            self.record(contact_id, HistoryKind.SUSPENDED, note.strip())
            return updated

    def unsuspend(self, staff: StaffUser, contact_id: str) -> Contact:
        require(staff, Permission.MANAGE_CONTACTS)
        with self._portal.unit_of_work():
            contact = self.contact(contact_id)
            updated = self._portal.storage.update(attrs.evolve(contact, suspended=False, suspension_note=""))
            self.record(contact_id, HistoryKind.UNSUSPENDED)
            return updated

    def record(self, contact_id: str, kind: HistoryKind, detail: str = "") -> None:
        self._portal.storage.insert(StatusEvent(contact_id=contact_id, kind=kind, at=self._portal.now(), detail=detail))
