"""docs/architecture.md's arrows, enforced: each module of ``src/portalkit`` imports only from the
layers its own layer may import (imports under ``if TYPE_CHECKING:`` are for types only and do not
count). A new module must be given a layer here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "portalkit"

FOUNDATION = {
    "models",
    "errors",
    "ports",
    "hookspecs",
    "events",
    "inputs",
    "money",
    "i18n",
    "labels",
    "config",
    "settings",
    "clock",
    "_core",  # the private foundation: paging, tokens, visibility, permissions, units of work...
}
NOTIFY = {"notify", "mails", "outbox"}  # mails and outbox: notify's private _mails and _outbox
SERVICES = {
    "accounts",
    "twostep",
    "directory",
    "billing",
    "proposals",
    "issues",
    "reports",
    "jobs",
    "sync",
}
ROOT = {"portal", "plugins", ""}  # "" is the package's __init__ (the public surface)
INTERFACES = {"web", "api"}
LAYERS = {
    "foundation": (FOUNDATION, FOUNDATION),
    "notify": (NOTIFY, FOUNDATION | NOTIFY),
    "services": (SERVICES, FOUNDATION | NOTIFY | SERVICES),
    "root": (ROOT, FOUNDATION | NOTIFY | SERVICES | ROOT | {"adapters", "worker"}),
    "pages and API": (INTERFACES, (FOUNDATION - {"ports"}) | NOTIFY - {"outbox", "mails"} | SERVICES | INTERFACES),
    "framework glue": (
        {"contrib"},
        FOUNDATION | ROOT | INTERFACES | {"contrib", "adapters", "sync", "worker"},
    ),
    "worker": ({"worker"}, FOUNDATION | ROOT),
    "adapters": ({"adapters"}, FOUNDATION | {"adapters"}),
    "testing": ({"testing"}, None),  # may import anything
}


def _module(path: Path) -> list[str]:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of the statements under ``if TYPE_CHECKING:``."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imported_top_modules(path: Path) -> set[str]:
    """The top-level portalkit modules ``path`` imports at run time."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_only(tree)
    here = _module(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and (node.module == "portalkit" or node.module.startswith("portalkit.")):
                target = node.module.split(".")[1:]
            else:
                continue
            if target:
                found.add(_unit(target))
            else:  # "from . import i18n": the names are modules (or the package's own names)
                found.update(
                    alias.name
                    for alias in node.names
                    if (SRC / alias.name).exists() or (SRC / f"{alias.name}.py").exists()
                )
                found.update(
                    ""
                    for alias in node.names
                    if not ((SRC / alias.name).exists() or (SRC / f"{alias.name}.py").exists())
                )
        elif isinstance(node, ast.Import):
            found.update(_unit(a.name.split(".")[1:]) for a in node.names if a.name.startswith("portalkit."))
    return found


def _unit(target: list[str]) -> str:
    """The layered unit an import reaches: its top-level name, except notify's private outbox
    and mail rendering, which pages may not use (they are named ``outbox`` and ``mails``)."""
    if target[0] == "notify" and len(target) > 1 and target[1] in ("_outbox", "_mails"):
        return target[1][1:]
    return target[0]


def layer_of(top: str) -> str:
    for name, (members, _allowed) in LAYERS.items():
        if top in members:
            return name
    raise AssertionError(
        f"portalkit.{top} has no layer: give it one in tests/test_architecture.py and docs/architecture.md"
    )


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_each_module_imports_only_what_its_layer_may(path):
    here = _module(path)
    top = here[0] if here else ""
    layer = layer_of(top)
    allowed = LAYERS[layer][1]
    if allowed is None:
        return
    wrong = sorted(t for t in imported_top_modules(path) if t != top and t not in allowed)
    assert wrong == [], f"{layer} module portalkit.{'.'.join(here)} imports {wrong}"


def test_nothing_in_production_imports_the_testing_kit():
    offenders = [
        str(p.relative_to(SRC))
        for p in MODULES
        if _module(p)[:1] != ["testing"] and "testing" in imported_top_modules(p)
    ]
    assert offenders == []


def test_only_the_framework_glue_imports_a_web_framework():
    offenders = []
    for path in MODULES:
        if _module(path)[:1] == ["contrib"]:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in ("flask", "django")]
    assert offenders == []


PORTAL_INTERNALS = {"storage", "shared_storage", "processor", "unit_of_work"}


def internals_reached(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every ``.storage``, ``.processor`` or ``.unit_of_work`` attribute read in
    ``tree``, whatever the object is called (``self.portal``, ``call.portal``, ``portal``)."""
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in PORTAL_INTERNALS
    ]


def test_internals_reached_finds_every_spelling():
    tree = ast.parse(
        "self.portal.storage.get(X, 1)\nwith call.portal.unit_of_work(): pass\n"
        "p = portal\np.processor.hosted_fields()\nget = portal.shared_storage.get"
    )
    assert sorted(name for _line, name in internals_reached(tree)) == sorted(PORTAL_INTERNALS)


def test_pages_and_api_reach_no_storage_processor_or_transaction():
    """``portalkit/web`` and ``portalkit/api`` only call services (docs/architecture.md): no
    storage, payment processor or unit of work of the portal is touched there."""
    offenders = [
        f"{path.relative_to(SRC)}:{line}: .{name}"
        for path in MODULES
        if _module(path)[:1] in (["web"], ["api"])
        for line, name in internals_reached(ast.parse(path.read_text()))
    ]
    assert offenders == []


PUBLIC_MODULES = (FOUNDATION - {"_core"}) | (ROOT - {""}) | {"__init__", "worker"}  # the flat modules
PACKAGES = SERVICES | INTERFACES | {"_core", "notify", "contrib", "adapters", "testing"}


def test_features_live_in_packages_and_the_flat_modules_left_are_the_small_core():
    """Issue 22: one package per feature, the foundation's internals private (``_core``); a new
    flat module must be argued for here."""
    flat = {p.stem for p in SRC.glob("*.py")}
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert flat == PUBLIC_MODULES and packages == PACKAGES
    for package in packages - {"_core", "web", "api", "contrib", "adapters", "testing"}:
        modules = {p.stem for p in (SRC / package).glob("*.py")} - {"__init__"}
        assert all(m.startswith("_") for m in modules), f"{package}: {modules}"


def test_each_feature_package_names_only_what_it_can_give():
    import importlib

    for package in ("accounts", "directory", "billing", "proposals", "issues", "reports", "sync", "notify", "jobs"):
        module = importlib.import_module(f"portalkit.{package}")
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], f"portalkit.{package} names {missing}"


def test_moved_modules_import_by_their_old_names_as_the_same_module():
    """Every old dotted name still imports, as the same module object, with a DeprecationWarning."""
    import subprocess
    import sys

    script = (
        "import importlib, warnings\n"
        "from portalkit._core.moved import MOVED\n"
        "for old, new in MOVED.items():\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        module = importlib.import_module(old)\n"
        "    assert module is importlib.import_module(new), old\n"
        "    assert any(issubclass(w.category, DeprecationWarning) and old in str(w.message) for w in caught), old\n"
        "from portalkit.payments import Payments\n"
        "import portalkit, portalkit.billing\n"
        "assert Payments is portalkit.billing.Payments\n"
        "assert portalkit.paging is importlib.import_module('portalkit._core.paging')\n"
        "print(len(MOVED))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) >= 30


def test_a_name_set_on_a_feature_package_is_set_where_its_code_reads_it(monkeypatch):
    """``monkeypatch.setattr(portalkit.sync, "CHUNK", 2)`` reaches the code, as when ``sync`` was
    one module; undone, both are back."""
    import portalkit
    import portalkit.sync
    from portalkit.sync import _sync

    before = _sync.CHUNK
    monkeypatch.setattr(portalkit.sync, "CHUNK", 2)
    assert _sync.CHUNK == 2 and portalkit.sync.CHUNK == 2
    monkeypatch.undo()
    assert _sync.CHUNK == before == portalkit.sync.CHUNK
    assert portalkit.Page.__module__ == "portalkit._core.paging"  # what public signatures return
