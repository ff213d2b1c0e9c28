"""The Flask host's own staff accounts: a field-service app already has users; this stands in
for them. Each has their own bcrypt-hashed password and the portal permissions of their role."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

import attrs
import bcrypt

from portalkit import ROLE_PERMISSIONS, Permission, Role, StaffUser

from ..common.host import DEFAULT_STAFF_PASSWORD, STAFF_EMAIL

_DUMMY = bcrypt.hashpw(b"no-such-user", bcrypt.gensalt(4))


class StaffAccounts:
    def __init__(self, rounds: int = 12) -> None:
        self._accounts: dict[str, tuple[bytes, StaffUser]] = {}
        self._rounds = rounds

    def add(
        self, email: str, name: str, password: str, permissions: Iterable[Permission] = (), *, role: Role | None = None
    ) -> StaffUser:
        """A staff account with a default ``role`` (its permissions) or the ``permissions`` given."""
        granted = ROLE_PERMISSIONS[role] if role is not None else frozenset(permissions)
        user = StaffUser(
            id=f"host-{secrets.token_hex(6)}", email=email.lower(), name=name, permissions=granted, role=role
        )
        self._accounts[user.email] = (bcrypt.hashpw(password.encode(), bcrypt.gensalt(self._rounds)), user)
        return user

    def by_id(self, staff_id: str) -> StaffUser | None:
        """The account as it is now (its role may have changed), or ``None`` once removed."""
        return next((user for _hash, user in self._accounts.values() if user.id == staff_id), None)

    def remove(self, email: str) -> None:
        self._accounts.pop(email.lower(), None)

    def set_role(self, email: str, role: Role) -> None:
        hashed, user = self._accounts[email.lower()]
        self._accounts[user.email] = (hashed, attrs.evolve(user, role=role, permissions=ROLE_PERMISSIONS[role]))

    def authenticate(self, email: str, password: str) -> StaffUser | None:
        """The staff user with this email and password; the same bcrypt work when there is none."""
        hashed, user = self._accounts.get(email.lower(), (_DUMMY, None))
        ok = bcrypt.checkpw(password.encode()[:72], hashed) and len(password.encode()) <= 72
        return user if ok else None

    @classmethod
    def demo(cls) -> StaffAccounts:
        accounts = cls(rounds=int(os.environ.get("PORTALKIT_BCRYPT_ROUNDS", "12")))
        accounts.add(
            STAFF_EMAIL,
            "Morgan Manager",
            os.environ.get("PORTALKIT_STAFF_PASSWORD", DEFAULT_STAFF_PASSWORD),
            role=Role.SYSTEM_ADMINISTRATOR,
        )
        return accounts
