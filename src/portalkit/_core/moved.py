"""Modules that moved into feature packages (issue 22; CHANGES.md lists them): the old dotted
name still imports, as the very same module object (so ``monkeypatch`` and ``isinstance`` see
one module), with a ``DeprecationWarning`` naming the new home. Installed by ``portalkit``."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

from .warnings import PortalkitDeprecationWarning

MOVED = {
    "portalkit.autopay": "portalkit.billing._autopay",
    "portalkit.data_migrations": "portalkit._core.data_migrations",
    "portalkit.deposits": "portalkit.billing._deposits",
    "portalkit.documents": "portalkit.billing._documents",
    "portalkit.email_change": "portalkit.accounts._email_change",
    "portalkit.files": "portalkit._core.files",
    "portalkit.history": "portalkit._core.history",
    "portalkit.invitations": "portalkit.accounts._invitations",
    "portalkit.invoices": "portalkit.billing._invoices",
    "portalkit.local_time": "portalkit._core.local_time",
    "portalkit.lookups": "portalkit._core.lookups",
    "portalkit.mails": "portalkit.notify._mails",
    "portalkit.outbox": "portalkit.notify._outbox",
    "portalkit.paging": "portalkit._core.paging",
    "portalkit.passwords": "portalkit._core.passwords",
    "portalkit.payments": "portalkit.billing._payments",
    "portalkit.permissions": "portalkit._core.permissions",
    "portalkit.phones": "portalkit.directory._phones",
    "portalkit.plans": "portalkit.billing._plans",
    "portalkit.retry": "portalkit._core.retry",
    "portalkit.serialization": "portalkit._core.serialization",
    "portalkit.signatures": "portalkit._core.signatures",
    "portalkit.staff_sessions": "portalkit.accounts._staff_sessions",
    "portalkit.statements": "portalkit.billing._statements",
    "portalkit.templates": "portalkit._core.templates",
    "portalkit.tenancy": "portalkit._core.tenancy",
    "portalkit.theme": "portalkit._core.theme",
    "portalkit.throttle": "portalkit._core.throttle",
    "portalkit.tips": "portalkit.billing._tips",
    "portalkit.tokens": "portalkit._core.tokens",
    "portalkit.uow": "portalkit._core.uow",
    "portalkit.visibility": "portalkit._core.visibility",
    "portalkit.warnings": "portalkit._core.warnings",
    "portalkit.webhooks": "portalkit.billing._webhooks",
}


class MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A finder, last on ``sys.meta_path``, for the names in ``MOVED`` only."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        new = MOVED[module.__name__]
        home = new.rsplit("._", 1)[0]  # portalkit.billing; portalkit for the private foundation
        warnings.warn(
            f"{module.__name__} moved into {new}, which is private: import its public names from {home} (CHANGES.md)",
            PortalkitDeprecationWarning,
            stacklevel=2,
        )
        sys.modules[module.__name__] = importlib.import_module(new)  # the import system returns this one


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
