"""A company's portal settings, persisted and versioned (BRD-1).

The config a ``Portal`` is built with is the company's starting point; once staff save settings
(``replace``, ``MANAGE_SETTINGS``) the saved ones win, for every ``Portal`` on the storage: each
process re-reads the company's settings row at the start of a request or unit of work
(``pinned``), and on every read outside one, so a save applies to every worker's next request.
Every save is an audit line (:class:`portalkit.models.SettingsRevision`): who, when, what changed.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import attrs

from .config import PortalConfig
from .errors import ValidationError
from .models import Permission, SettingsRevision, StaffUser, StoredSettings
from .permissions import require
from .ports import Clock, Storage
from .serialization import from_primitive, to_primitive


_UNREAD = object()  # pinned, not read yet


class Settings:
    def __init__(self, storage: Storage, clock: Clock, config: PortalConfig):
        self._storage, self._clock = storage, clock
        self._initial = checked_config(config)
        self.company_id = self._initial.company_id
        self._parsed: tuple[int, PortalConfig] | None = None  # (revision, config) last read
        self._local = threading.local()

    @property
    def current(self) -> PortalConfig:
        """The company's settings: pinned for this request or unit of work, else read now."""
        pinned = getattr(self._local, "config", None)
        if pinned is None:
            return self._read()
        if pinned is _UNREAD:  # pinned, first use: read now (inside the caller's transaction)
            pinned = self._local.config = self._read()
        return pinned

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the settings once, when first needed, and use them until the block ends (nested
        blocks share them). Lazy, so the read joins the first transaction that needs them."""
        if getattr(self._local, "config", None) is not None:
            yield
            return
        self._local.config = _UNREAD
        try:
            yield
        finally:
            self._local.config = None

    def _read(self) -> PortalConfig:
        stored = self._storage.get(StoredSettings, self.company_id)
        if stored is None:
            return self._initial
        parsed = self._parsed
        if parsed is None or parsed[0] != stored.revision:
            parsed = (stored.revision, attrs.evolve(from_primitive(stored.config, PortalConfig), company_id=self.company_id))
            self._parsed = parsed
        return parsed[1]

    def replace(self, staff: StaffUser, config: PortalConfig) -> PortalConfig:
        """``MANAGE_SETTINGS``: save ``config`` as the company's settings, with an audit line.
        A save that raced another one is refused (``Conflict``): reload and save again."""
        require(staff, Permission.MANAGE_SETTINGS, self.company_id)
        config = checked_config(config)
        if config.company_id != self.company_id:
            raise ValidationError("The company id cannot be changed.", field="company_id")
        with self._storage.transaction():
            stored = self._storage.get(StoredSettings, self.company_id)
            before = to_primitive(self._initial if stored is None else
                                  from_primitive(stored.config, PortalConfig))
            after = to_primitive(config)
            revision = (stored.revision if stored else 0) + 1
            if stored is None:
                self._storage.insert(StoredSettings(id=self.company_id, config=after, revision=revision))
            else:
                self._storage.update(attrs.evolve(stored, config=after, revision=revision))
            changed = tuple(sorted(k for k in after if after[k] != before.get(k)))
            self._storage.insert(SettingsRevision(revision=revision, staff_id=staff.id, staff_name=staff.name,
                                                  at=self._clock.now(), changed=changed, config=after))
        self._local.config = None if getattr(self._local, "config", None) is None else config
        return config

    def history(self, staff: StaffUser, limit: int = 50) -> list[SettingsRevision]:
        """``MANAGE_SETTINGS``: the latest saves, newest first."""
        require(staff, Permission.MANAGE_SETTINGS, self.company_id)
        return self._storage.page(SettingsRevision, order=("revision",), descending=True, limit=limit)


def checked_config(config: object) -> PortalConfig:
    if not isinstance(config, PortalConfig):
        raise ValidationError("The portal's settings must be a PortalConfig.", field="config")
    return config

