"""A company's portal settings, persisted and versioned (BRD-1).

Two kinds of field (``config.DEPLOY_FIELDS`` and ``config.STAFF_FIELDS``). Deploy-time ones —
``base_url``, ``bcrypt_rounds``, the password and attempt limits — always come from the config the
host's code builds the ``Portal`` with, so a redeploy changes them. The company's own — names,
texts, branding, switches, fees, quotas — start from that config too; once staff save settings
(``replace``, ``MANAGE_SETTINGS``) the saved value of each of those fields wins, field by field,
for every ``Portal`` on the storage: each process re-reads the company's settings row at the start
of a request or unit of work (``pinned``), and on every read outside one, so a save applies to
every worker's next request. A save that changes a deploy-time field is refused. Every save is an
audit line (:class:`portalkit.models.SettingsRevision`): who, when, what changed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from ._core.permissions import require
from ._core.serialization import from_primitive, to_primitive
from .config import DEPLOY_FIELDS, STAFF_FIELDS, PortalConfig
from .errors import ValidationError
from .models import Permission, SettingsRevision, StaffUser, StoredSettings
from .ports import Clock, Storage, reading

log = logging.getLogger(__name__)
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

    def expected(self) -> list[tuple[type, str]]:
        """The settings' record for ``ports.expect`` when ``current`` would read it next (not
        pinned, or pinned and not read yet), so it is read with the records a block reads first."""
        pinned = getattr(self._local, "config", None)
        return [(StoredSettings, self.company_id)] if pinned is None or pinned is _UNREAD else []

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the settings once, when first needed, and use them until the block ends (nested
        blocks share them). Lazy, so the read joins the first transaction that needs them. The
        block's reads outside transactions share one connection where the storage can
        (``reading()``: a request's or an operation's reads, issue 25)."""
        if getattr(self._local, "config", None) is not None:
            yield
            return
        self._local.config = _UNREAD
        try:
            with reading(self._storage):
                yield
        finally:
            self._local.config = None

    def _read(self) -> PortalConfig:
        stored = self._storage.get(StoredSettings, self.company_id)
        if stored is None:
            return self._initial
        parsed = self._parsed
        if parsed is None or parsed[0] != stored.revision:
            parsed = (stored.revision, self._merged(stored.config))
            self._parsed = parsed
        return parsed[1]

    def _merged(self, saved: dict[str, Any]) -> PortalConfig:
        """The code's config with the company's saved value of every field staff edit. A saved
        value that a newer release refuses (a logo address that could rewrite the page's
        security policy, say) is dropped, with a warning, and the code's value is used: the
        portal keeps running, and staff see the value to fix on the settings page."""
        initial = to_primitive(self._initial)
        values = {**initial, **{k: v for k, v in saved.items() if k in STAFF_FIELDS}}
        if isinstance(saved.get("branding"), dict):
            values["branding"] = {**initial["branding"], **saved["branding"]}
        for _attempt in range(len(values) + len(values["branding"])):
            try:
                return from_primitive(values, PortalConfig)
            except Exception as failure:  # cattrs groups the validators' and converters' errors
                reverted = _revert_failed(failure, values, initial)
                if not reverted:
                    raise
                log.warning(
                    "saved setting(s) %s of company %s no longer valid (%s); using the code's value",
                    ", ".join(reverted),
                    self.company_id,
                    failure,
                )
        return from_primitive(values, PortalConfig)

    def replace(self, staff: StaffUser, config: PortalConfig) -> PortalConfig:
        """``MANAGE_SETTINGS``: save ``config`` as the company's settings, with an audit line.
        A save that raced another one is refused (``Conflict``): reload and save again."""
        require(staff, Permission.MANAGE_SETTINGS, self.company_id)
        config = checked_config(config)
        if config.company_id != self.company_id:
            raise ValidationError("The company id cannot be changed.", field="company_id")
        deployed = to_primitive(self._initial)
        wanted = to_primitive(config)
        for name in sorted(DEPLOY_FIELDS):
            if wanted[name] != deployed[name]:
                raise ValidationError(
                    f"{name} is deployment configuration: set it in the PortalConfig the host's "
                    "code builds the Portal with; it is not a saved setting.",
                    field=name,
                )
        with self._storage.transaction():
            stored = self._storage.get(StoredSettings, self.company_id)
            before = {
                k: v
                for k, v in to_primitive(self._initial if stored is None else self._merged(stored.config)).items()
                if k in STAFF_FIELDS
            }
            after = {k: v for k, v in wanted.items() if k in STAFF_FIELDS}
            revision = (stored.revision if stored else 0) + 1
            if stored is None:
                self._storage.insert(StoredSettings(id=self.company_id, config=after, revision=revision))
            else:
                self._storage.update(attrs.evolve(stored, config=after, revision=revision))
            changed = tuple(sorted(k for k in after if after[k] != before.get(k)))
            self._storage.insert(
                SettingsRevision(
                    revision=revision,
                    staff_id=staff.id,
                    staff_name=staff.name,
                    at=self._clock.now(),
                    changed=changed,
                    config=after,
                )
            )
        self._local.config = None if getattr(self._local, "config", None) is None else config
        return config

    def history(self, staff: StaffUser, limit: int = 50) -> list[SettingsRevision]:
        """``MANAGE_SETTINGS``: the latest saves, newest first."""
        require(staff, Permission.MANAGE_SETTINGS, self.company_id)
        return self._storage.page(SettingsRevision, order=("revision",), descending=True, limit=limit)


def _revert_failed(failure: BaseException, values: dict[str, Any], initial: dict[str, Any]) -> list[str]:
    """Put back the code's value of every saved field ``failure`` is about (a wrong type, a value
    a validator refuses); the names reverted, none when it names no field that differs."""
    from cattrs import transform_error

    named = {path.rpartition(" @ $.")[2].split(".")[0].split("[")[0] for path in transform_error(failure)}
    problem = _validation_error(failure)
    if problem is not None and problem.field:
        named.add(problem.field)
    reverted = []
    for name in sorted(named):
        if name in values["branding"] and values["branding"][name] != initial["branding"].get(name):
            values["branding"] = {**values["branding"], name: initial["branding"][name]}
            reverted.append("branding." + name)
        elif name in values and name != "branding" and values[name] != initial.get(name):
            values[name] = initial[name]
            reverted.append(name)
    if not reverted and "branding" in named and values["branding"] != initial["branding"]:
        values["branding"] = initial["branding"]
        reverted.append("branding")
    return reverted


def _validation_error(error: BaseException) -> ValidationError | None:
    """The first ``ValidationError`` in ``error`` or the exception groups around it."""
    if isinstance(error, ValidationError):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = _validation_error(inner)
        if found is not None:
            return found
    return None


def checked_config(config: object) -> PortalConfig:
    if not isinstance(config, PortalConfig):
        raise ValidationError("The portal's settings must be a PortalConfig.", field="config")
    return config
