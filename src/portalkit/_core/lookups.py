"""Finding records by the host's own ids (what sync sent as ``external_id``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from .. import inputs
from ..errors import NotFound
from ..ports import In, Storage

R = TypeVar("R")


def by_host_ids(storage: Storage, cls: type[R], external_ids: Iterable[object]) -> dict[str, R]:
    """The records of ``cls`` the host knows by these ids, by id; ``NotFound`` naming the first
    the portal does not have."""
    wanted = [inputs.text(e, "external_id", max_length=200) for e in inputs.items(external_ids, "external_ids")]
    found: dict[str, R] = (
        {getattr(r, "external_id"): r for r in storage.find(cls, external_id=In(wanted))} if wanted else {}
    )
    missing = [e for e in wanted if e not in found]
    if missing:
        raise NotFound(f"No {cls.__name__.lower()} with the host id {missing[0]!r}")
    return found
