"""Mail rendered from templates: every message the portal sends has a subject, a text and an
HTML template in ``portalkit/mail_templates`` (``<name>_subject.txt``, ``<name>.txt``,
``<name>.html``), branded from the portal's settings. A host overrides any of them by placing a
file of the same name in a folder it returns from the ``portalkit_template_dirs`` hook: the
host's folders are searched first, the way django-allauth's templates are overridden.

Every sentence of a template is a ``{% trans %}`` block: a mail is rendered in the language
given (the contact's own; staff mail in English), money and dates in its locale (``i18n``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, Template, select_autoescape

from . import i18n, money
from .ports import Mail
from .settings import Settings

MAIL_NAMES: tuple[str, ...] = (
    "invitation",
    "invitation_notice",
    "password_reset",
    "password_reset_no_account",
    "login_link",
    "receipts_on",
    "payment_receipt",
    "payment_failed",
    "payment_returned",
    "autopay_failed",
    "proposal_signed",
    "issue_created",
    "issue_comment",
    "quote_request",
)


class MailTemplates:
    def __init__(self, settings: Settings, host_dirs: Iterable[str | Path] = ()):
        self._settings = settings
        loaders = [FileSystemLoader([str(Path(d) / "mail") for d in host_dirs]), PackageLoader("portalkit", "mail_templates")]
        # Mail templates do not change while the portal runs: no up-to-date check per render.
        self._env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, keep_trailing_newline=True,
                                extensions=["jinja2.ext.i18n"],
                                autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
                                auto_reload=False, cache_size=-1)
        self._sets: dict[str, tuple[Template, Template, Template]] = {}
        self._env.policies["ext.i18n.trimmed"] = True
        self._env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self._env.filters["money"] = money.display
        self._env.filters["day"] = i18n.day

    def render(self, name: str, to: Iterable[str], *, sender: str | None = None,
               language: str = i18n.DEFAULT_LANGUAGE, **context: Any) -> Mail:
        """The mail ``name`` to ``to`` in ``language``, its templates given ``context`` plus the
        company's ``company``, ``portal_url`` and ``brand``."""
        config = self._settings.current
        with i18n.override(language) as spoken:
            values = {"company": config.company_name, "portal_url": config.portal_url, "brand": config.branding,
                      "language": spoken, **context}
            subject, text, html = (template.render(values) for template in self._templates(name))
        return Mail(to=tuple(to), subject=subject, text=text.strip() + "\n", html=html, sender=sender)

    def _templates(self, name: str) -> tuple[Template, Template, Template]:
        """The subject, text and HTML templates of mail ``name``, loaded once."""
        if name not in self._sets:
            subject, text, html = (self._env.get_template(f"{name}{suffix}") for suffix in ("_subject.txt", ".txt", ".html"))
            self._sets[name] = (subject, text, html)
        return self._sets[name]


__all__ = ["MAIL_NAMES", "MailTemplates"]
