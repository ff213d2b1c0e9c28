"""A feature package's public names, loaded when first used.

A package's ``__init__`` names what it exports and the private module each name lives in; the
module is imported on first access. So importing one of a package's modules does not import all
of them, and features that use each other (billing and the directory, accounts and the
directory) import without cycles.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Mapping
from typing import Any


class FeaturePackage(types.ModuleType):
    """A feature package whose public names live in its private modules (``_homes``: name →
    module). A name is loaded from its module when first read; setting one (a test's
    ``monkeypatch``) sets it in that module too, where the code reads it, as it did when the
    feature was one module."""

    _homes: dict[str, str]

    def _home(self, name: str) -> types.ModuleType | None:
        home = self.__dict__.get("_homes", {}).get(name)
        return None if home is None else importlib.import_module(f"{self.__name__}.{home}")

    def __getattr__(self, name: str) -> Any:
        home = self._home(name)
        if home is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(home, name)
        self.__dict__[name] = value
        return value

    def __dir__(self) -> list[str]:
        return sorted(self._homes)

    def __setattr__(self, name: str, value: Any) -> None:
        home = self._home(name)
        if home is not None:
            setattr(home, name, value)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        home = self._home(name)
        if home is not None:
            delattr(home, name)
        if name in self.__dict__:
            super().__delattr__(name)


def exports(package: str, homes: Mapping[str, str]) -> None:
    """Make ``package`` a ``FeaturePackage`` whose public name ``n`` lives in its private
    module ``homes[n]``."""
    module = importlib.import_module(package)
    module.__dict__["_homes"] = dict(homes)
    module.__class__ = FeaturePackage
