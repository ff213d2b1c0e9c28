"""Text-message templates: ``text_templates/<kind>.txt`` in the package, one short message per
notice (what a phone shows: plain text, no markup), overridden by a host's
``<folder>/text/<kind>.txt`` (the ``portalkit_template_dirs`` hook), in the recipient's
language like every mail (``{% trans %}``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from .. import i18n, money
from .._core.local_time import local_day, local_time
from ..settings import Settings

MAX_TEXT = 640  # characters: four SMS segments at most


class TextTemplates:
    def __init__(self, settings: Settings, host_dirs: Iterable[str | Path] = ()):
        self._settings = settings
        loaders = [
            FileSystemLoader([str(Path(d) / "text") for d in host_dirs]),
            PackageLoader("portalkit", "text_templates"),
        ]
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            extensions=["jinja2.ext.i18n"],
            auto_reload=False,
            keep_trailing_newline=False,
        )
        self._env.policies["ext.i18n.trimmed"] = True
        self._env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self._env.filters.update(
            money=money.display, day=i18n.day, moment=i18n.moment, local_day=local_day, local_time=local_time
        )

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> str:
        config = self._settings.current
        with i18n.override(language):
            text = self._env.get_template(f"{kind}.txt").render(
                {"company": config.company_name, "portal_url": config.portal_url, **context}
            )
        text = " ".join(text.split())
        return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
