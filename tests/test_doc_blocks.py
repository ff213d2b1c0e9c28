"""The docs stay true (issue 23): every ```python block of README.md and docs/*.md runs here, or says
on its first line why it cannot run alone, and no page tells anyone to install a distribution
this project does not build.

The first line of a block that does not run here is one of:

- ``# fragment: <why>`` — part of a larger program (your models, your framework's objects):
  compiled only;
- ``# needs: <what>`` — an environment a test cannot give it alone (a Django project, a task
  backend): compiled only;
- ``# file: <path>`` (or ``# file: <path> (append)``) — a file of the complete apps at the end of
  docs/embedding-flask.md and docs/embedding-django.md: compiled here, written into a new app
  and run by tests/test_newcomer.py.

Every other block runs: the blocks of one page in order, in one namespace, in a fresh folder and a
process of their own (so that a page's global registrations stay there), with
``PORTALKIT_SECRET_KEY`` set.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INSTALL_PAGES = PAGES + sorted((ROOT / "adapters").glob("*/README.md")) + [ROOT / "adapters" / "README.md"]
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
_MARK = re.compile(r"#\s*(fragment|needs|file):\s*(.*)")
_FILE = re.compile(r"(?P<path>[\w./-]+\.py)(?P<append>\s+\(append\))?")


@attrs.frozen
class Block:
    page: Path
    line: int  # of the opening fence
    code: str
    kind: str  # "run", "fragment", "needs" or "file"
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def path(self) -> str:
        """A file block's path in its app."""
        return _FILE.fullmatch(self.note).group("path")

    @property
    def append(self) -> bool:
        """A file block added to the end of a file the framework made."""
        return bool(_FILE.fullmatch(self.note).group("append"))


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in _FENCE.finditer(text):
        code = match.group(1)
        first = code.splitlines()[0] if code.strip() else ""
        mark = _MARK.fullmatch(first.strip())
        kind, note = (mark.group(1), mark.group(2).strip()) if mark else ("run", "")
        found.append(Block(page, text.count("\n", 0, match.start()) + 1, code, kind, note))
    return found


def project_files(*pages: str) -> list[Block]:
    """The ``# file:`` blocks of these pages (paths relative to ROOT), in order."""
    return [b for page in pages for b in blocks(ROOT / page) if b.kind == "file"]


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]
RUN_PAGES = sorted({b.page for b in ALL_BLOCKS if b.kind == "run"})


def test_every_block_runs_or_says_why_not():
    assert len(ALL_BLOCKS) >= 20, "the pages' python blocks were not found"
    for block in ALL_BLOCKS:
        compile(block.code, block.label, "exec")  # every block is Python, whatever its kind
        if block.kind in ("fragment", "needs"):
            assert len(block.note) >= 10, f"{block.label}: say why it cannot run alone ({block.kind}: <why>)"
        if block.kind == "file":
            assert _FILE.fullmatch(block.note), f"{block.label}: '# file: <path>.py' or '# file: <path>.py (append)'"
    # most of them run: a fragment is the exception, not the way out
    assert sum(b.kind == "run" for b in ALL_BLOCKS) >= 10
    assert sum(b.kind == "fragment" for b in ALL_BLOCKS) <= 6


def test_every_file_block_is_built_by_the_newcomer_test():
    """A ``# file:`` block is run only by tests/test_newcomer.py: every page holding one is one
    that test follows, and no two blocks of one app write the same file."""
    import test_newcomer

    followed = {page for pages in test_newcomer.PROJECT_PAGES.values() for page in pages}
    holding = {str(b.page.relative_to(ROOT)) for b in ALL_BLOCKS if b.kind == "file"}
    assert holding <= followed, f"tests/test_newcomer.py builds no app from {sorted(holding - followed)}"
    for app, pages in test_newcomer.PROJECT_PAGES.items():
        written = [b.path for b in project_files(*pages) if not b.append]
        assert written and len(written) == len(set(written)), (app, written)


def test_the_roles_table_is_role_permissions():
    """docs/embedding.md lists every permission and each default role's permissions as the code has them."""
    from portalkit import ROLE_PERMISSIONS, Permission, Role

    page = (ROOT / "docs" / "embedding.md").read_text()
    section = page[page.index("## Staff, roles and permissions") :]
    listed = set(re.findall(r"`([A-Z_]+)`", section.split("\n\n")[1]))
    assert listed == {p.name for p in Permission}, listed ^ {p.name for p in Permission}
    for role in Role:
        row = re.search(rf"^\| `{role.name}` \| (.*) \|$", section, re.M).group(1)
        named = set(re.findall(r"`([A-Z_]+)`", row))
        if row == "all":
            named = {p.name for p in Permission}
        elif row.startswith("all but"):
            named = {p.name for p in Permission} - named
        assert named == {p.name for p in ROLE_PERMISSIONS[role]}, (
            role,
            named ^ {p.name for p in ROLE_PERMISSIONS[role]},
        )


_RUNNER = r"""
import json, sys, traceback
namespace = {"__name__": "__main__"}
for label, code in json.load(sys.stdin):
    try:
        exec(compile(code, label, "exec"), namespace)
    except BaseException:
        print(f"FAILED {label}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
print("ok")
"""


@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_blocks_of_a_page_run(page, tmp_path):
    runnable = [(b.label, b.code) for b in blocks(page) if b.kind == "run"]
    env = {**os.environ, "PORTALKIT_SECRET_KEY": "doc-blocks-secret-" + "x" * 32, "PYTHONPATH": str(ROOT)}
    for name in ("PORTALKIT_DB_URL", "STRIPE_API_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        env.pop(name, None)  # the blocks' own defaults: SQLite in the folder, no Stripe
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(runnable),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-4000:]


# -- install lines ---------------------------------------------------------------------------------
# The distributions this project builds: its own and each adapter's (adapters/*/pyproject.toml).
OURS = {
    tomllib.loads(path.read_text())["project"]["name"]
    for path in [ROOT / "pyproject.toml", *sorted((ROOT / "adapters").glob("*/pyproject.toml"))]
}
THIRD_PARTY = {
    "gunicorn": "the WSGI server of docs/deploy.md; no extra of ours installs it",
    "localstripe": "the Stripe emulator the adapter's tests run against (its test extra also brings it)",
    "pytest": "the test runner",
}
_INSTALL = re.compile(r"\bpip3?\s+install\b(?P<args>(?:[^\n`|;&#:]|:(?!\s))*)")  # to the end of the command
_OPTION_WITH_VALUE = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "--python",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_requests(text: str) -> list[str]:
    """What each ``pip install`` of a page asks for — in code blocks, indented code and inline
    code (a line wrapped inside inline code too) — its options and editable paths left out."""
    blocks_ = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    spans = [s.replace("\\\n", " ") for s in blocks_]
    spans += [line for line in prose.splitlines() if line.startswith("    ")]  # indented code
    spans += [s.replace("\n", " ") for s in re.findall(r"`([^`]+)`", prose)]  # inline code
    wanted = []
    for span in spans:
        for match in _INSTALL.finditer(span):
            skip = False
            for word in shlex.split(match.group("args")):
                if skip:
                    skip = False
                elif word in _OPTION_WITH_VALUE or word in ("-e", "--editable"):
                    skip = True
                elif not word.startswith("-"):
                    wanted.append(word)
    return wanted


def refused(requirement: str) -> str | None:
    """Why a page must not ask for this, or None: a path or a wheel of ours, or an allowed name."""
    bare = re.sub(r"\[.*?\]$", "", requirement)
    if bare.endswith(".whl"):
        name, version = Path(bare).name.split("-")[:2]
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        if _normal(name) == "fieldportalkit" and version != project["version"]:
            return f"{requirement}: the wheel pyproject.toml builds is version {project['version']}"
        return None if _normal(name) in OURS else f"{requirement}: not a wheel this project builds"
    if bare.startswith((".", "/", "~", "$")) or "/" in bare:
        return None  # a checkout, a folder of it, a wheel's path
    name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", bare)
    if name is None:
        return f"{requirement}: not a requirement"
    if _normal(name.group(0)) in OURS | set(THIRD_PARTY):
        return None
    return f"{requirement}: this project builds only {sorted(OURS)} (add a third-party name to THIRD_PARTY with why)"


def test_the_install_line_checker_catches_a_wrong_name():
    text = (
        "Install: `pip install 'portalkit[flask]'`; or\n```sh\npip install -e '.[test]' fieldportalkit-stripe\n"
        "pip install ./adapters/portalkit-stripe && pip install 'dist/fieldportalkit-0.0.1-py3-none-any.whl[x]'\n```\n"
        "and `pip install\n'fieldportalkit[django]'`"
    )
    found = install_requests(text)
    assert found == [
        "fieldportalkit-stripe",
        "./adapters/portalkit-stripe",
        "dist/fieldportalkit-0.0.1-py3-none-any.whl[x]",
        "portalkit[flask]",
        "fieldportalkit[django]",
    ], found
    assert [r for r in found if refused(r)] == ["dist/fieldportalkit-0.0.1-py3-none-any.whl[x]", "portalkit[flask]"]


def test_every_install_line_names_this_projects_distributions():
    assert {"fieldportalkit", "fieldportalkit-stripe"} <= OURS
    wrong = [
        f"{page.relative_to(ROOT)}: {why}"
        for page in INSTALL_PAGES
        for why in map(refused, install_requests(page.read_text()))
        if why
    ]
    assert not wrong, "\n".join(wrong)
    readme = install_requests((ROOT / "README.md").read_text())
    assert any(_normal(re.sub(r"\[.*", "", r)) == "fieldportalkit" for r in readme), "README installs fieldportalkit"
