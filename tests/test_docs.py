"""The docs stay true: every rule-named test is listed on docs/rules.md under its rule.

Run with ``PORTALKIT_WRITE_DOCS=1`` to rewrite the page's test column from the tests.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES_PAGE = ROOT / "docs" / "rules.md"
_ROW = re.compile(r"^\| (?P<rule>[A-Z]{3}-\d+) \| (?P<summary>.*?) \| (?P<tests>.*) \|$")


def rule_tests() -> dict[str, list[str]]:
    """``{"ACC-2": ["test_accounts.py::test_acc_2_...", ...]}`` from the test modules' function names."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            match = isinstance(node, ast.FunctionDef) and re.match(r"test_(?:host_)?([a-z]{3})_(\d+)_", node.name)
            if match:
                rule = f"{match.group(1).upper()}-{match.group(2)}"
                found.setdefault(rule, []).append(f"{path.name}::{node.name}")
    return found


def rendered_page() -> str:
    tests = rule_tests()
    lines = []
    for line in RULES_PAGE.read_text().splitlines():
        row = _ROW.match(line)
        if row:
            cell = "<br>".join(f"`{t}`" for t in tests.get(row["rule"], [])) or "**none**"
            line = f"| {row['rule']} | {row['summary']} | {cell} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_rules_page_lists_every_rule_test():
    expected = rendered_page()
    if os.environ.get("PORTALKIT_WRITE_DOCS") == "1":
        RULES_PAGE.write_text(expected)
    assert RULES_PAGE.read_text() == expected, "docs/rules.md is stale: rerun with PORTALKIT_WRITE_DOCS=1"
    rules_on_page = {m["rule"] for m in map(_ROW.match, expected.splitlines()) if m}
    assert set(rule_tests()) <= rules_on_page, "a test names a rule the page does not list"
    assert "**none**" not in expected, "a rule has no test"


def test_every_hook_event_and_mail_is_documented():
    """datasette-style: a hookspec, event class or mail template without a doc section fails."""
    import inspect

    from portalkit import hookspecs
    from portalkit.events import EVENT_TYPES
    from portalkit.notify import MAIL_NAMES

    page = (ROOT / "docs" / "hooks.md").read_text()
    hooks = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("portalkit_")]
    assert len(hooks) == 9
    for name in hooks + list(EVENT_TYPES) + list(MAIL_NAMES):
        assert f"### `{name}`" in page, f"docs/hooks.md has no section for {name}"


def test_every_mail_has_its_three_templates():
    from portalkit.notify import MAIL_NAMES

    folder = ROOT / "src" / "portalkit" / "mail_templates"
    for name in MAIL_NAMES:
        for suffix in ("_subject.txt", ".txt", ".html"):
            assert (folder / f"{name}{suffix}").is_file(), f"{name}{suffix} is missing"
    names = {p.name.removesuffix("_subject.txt") for p in folder.glob("*_subject.txt")}
    assert names == set(MAIL_NAMES), "a template set is not listed in MAIL_NAMES"
