"""A feature package's public names, loaded when first used (PEP 562).

A package's ``__init__`` names what it exports and the private module each name lives in; the
module is imported on first access. So importing one of a package's modules does not import all
of them, and features that use each other (billing and the directory, accounts and the
directory) import without cycles.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable, Mapping
from typing import Any


class FeaturePackage(types.ModuleType):
    """A feature package: setting one of its public names (a test's ``monkeypatch``) sets it in
    the private module whose code reads it, too, as it did when the feature was one module."""

    def __setattr__(self, name: str, value: Any) -> None:
        home = self.__dict__.get("_homes", {}).get(name)
        if home is not None:
            setattr(importlib.import_module(f"{self.__name__}.{home}"), name, value)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        home = self.__dict__.get("_homes", {}).get(name)
        if home is not None:
            delattr(importlib.import_module(f"{self.__name__}.{home}"), name)
        if name in self.__dict__:
            super().__delattr__(name)


def exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose public name ``n`` lives in its private
    module ``where[n]``."""
    module = importlib.import_module(package)
    namespace = module.__dict__
    namespace["_homes"] = dict(where)
    module.__class__ = FeaturePackage

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
