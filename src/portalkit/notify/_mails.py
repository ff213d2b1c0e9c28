"""Mail rendered from templates: every message the portal sends has a subject, a text and an
HTML template in ``portalkit/mail_templates`` (``<name>_subject.txt``, ``<name>.txt``,
``<name>.html``), branded from the portal's settings. A host overrides any of them by placing a
file of the same name in a folder it returns from the ``portalkit_template_dirs`` hook: the
host's folders are searched first, the way django-allauth's templates are overridden.

Every sentence of a template is a ``{% trans %}`` block: a mail is rendered in the language
given (the contact's own; staff mail in English), money and dates in its locale (``i18n``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from email.utils import formataddr
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    select_autoescape,
)
from markupsafe import Markup, escape

from .. import i18n, money
from .._core.local_time import local_day, local_time
from ..labels import label
from ..ports import Mail
from ..settings import Settings

MAIL_NAMES: tuple[str, ...] = (
    "invitation",
    "invitation_notice",
    "password_reset",
    "password_reset_no_account",
    "login_link",
    "email_change_confirm",
    "email_change_notice",
    "receipts_on",
    "factor_added",
    "factor_removed",
    "recovery_codes_new",
    "recovery_code_used",
    "payment_receipt",
    "payment_failed",
    "payment_returned",
    "autopay_failed",
    "plan_offered",
    "plan_accepted",
    "plan_revoked",
    "plan_instalment_missed",
    "plan_instalment_missed_staff",
    "proposal_signed",
    "issue_created",
    "issue_comment",
    "quote_request",
    "visit_scheduled",
    "visit_changed",
    "visit_on_the_way",
    "visit_completed",
    "visit_request",
    "visit_rated",
    "job_requested",
)


class MailTemplates:
    def __init__(self, settings: Settings, host_dirs: Iterable[str | Path] = ()):
        self._settings = settings
        loaders = [
            FileSystemLoader([str(Path(d) / "mail") for d in host_dirs]),
            PackageLoader("portalkit", "mail_templates"),
        ]
        # Mail templates do not change while the portal runs: no up-to-date check per render.
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            auto_reload=False,
            cache_size=-1,
        )
        self._sets: dict[str, tuple[Template, Template, Template]] = {}
        self._env.policies["ext.i18n.trimmed"] = True
        self._env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        self._env.filters["money"] = money.display
        self._env.filters["day"] = i18n.day
        self._env.filters["label"] = label
        self._env.filters.update(local_day=local_day, local_time=local_time)

    def render(
        self,
        name: str,
        to: Iterable[str],
        *,
        reply_to: str | None = None,
        language: str = i18n.DEFAULT_LANGUAGE,
        **context: Any,
    ) -> Mail:
        """The mail ``name`` to ``to`` in ``language``, from the company's sender address, its
        templates given ``context`` plus the company's ``company``, ``portal_url`` and ``brand``;
        ``reply_to`` (a staff member who sent it, say) gets the replies."""
        return self._mail(to, reply_to, self._parts(name, language, context))

    def render_each(
        self,
        name: str,
        recipients: Sequence[tuple[Iterable[str], str | None, Mapping[str, str]]],
        *,
        language: str = i18n.DEFAULT_LANGUAGE,
        from_name: str | None = None,
        **shared: Any,
    ) -> list[Mail]:
        """The mail ``name`` to each ``(to, reply_to, values)`` of ``recipients``: the same mail but
        for some text ``values`` (a bulk invitation). The templates are rendered once with a hole
        for each value and every copy is filled in, escaped as the template would have escaped
        it. The first copy is also rendered in full and compared: a template that does more with
        a value than print it (a filter, a test) is rendered in full for every recipient.
        ``from_name`` shows who sent it (the company's address stays the From's address)."""
        if len(recipients) < 2:
            return [
                self._mail(to, sender, self._parts(name, language, {**shared, **values}), from_name)
                for to, sender, values in recipients
            ]
        keys = sorted(recipients[0][2])
        mark = f"pk{secrets.token_hex(8)}h"
        holes = {
            key: Markup(f"{mark}{n}h") if isinstance(recipients[0][2][key], Markup) else f"{mark}{n}h"
            for n, key in enumerate(keys)
        }
        blank = self._parts(name, language, {**shared, **holes})
        hole = re.compile(re.escape(mark) + r"(\d+)h")

        def fill(part: str, ordered: list[str], as_html: bool) -> str:
            return hole.sub(
                lambda m: str(escape(ordered[int(m.group(1))]) if as_html else ordered[int(m.group(1))]), part
            )

        def filled(values: Mapping[str, str]) -> tuple[str, str, str]:
            ordered = [values[key] for key in keys]
            subject, text, html = blank
            return fill(subject, ordered, False), fill(text, ordered, False), fill(html, ordered, True)

        first_to, first_sender, first_values = recipients[0]
        first = self._parts(name, language, {**shared, **first_values})
        if filled(first_values) != first:
            return [
                self._mail(to, sender, self._parts(name, language, {**shared, **values}), from_name)
                for to, sender, values in recipients
            ]
        return [self._mail(first_to, first_sender, first, from_name)] + [
            self._mail(to, sender, filled(values), from_name) for to, sender, values in recipients[1:]
        ]

    def _mail(
        self, to: Iterable[str], reply_to: str | None, parts: tuple[str, str, str], from_name: str | None = None
    ) -> Mail:
        """Every mail is from the company's address (``PortalConfig.sender_email``), which its mail
        provider lets it send from; ``from_name`` (a staff member's) may show instead of its name."""
        subject, text, html = parts
        config = self._settings.current
        sender = formataddr((from_name, config.sender_email)) if from_name and config.sender_email else config.sender
        return Mail(
            to=tuple(to), subject=subject, text=text.strip() + "\n", html=html, sender=sender or None, reply_to=reply_to
        )

    def _parts(self, name: str, language: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
        """The rendered subject, text and HTML of mail ``name`` in ``language``."""
        config = self._settings.current
        with i18n.override(language) as spoken:
            values = {
                "company": config.company_name,
                "portal_url": config.portal_url,
                "brand": config.branding,
                "language": spoken,
                **context,
            }
            subject, text, html = (template.render(values) for template in self._templates(name))
        return subject, text, html

    def _templates(self, name: str) -> tuple[Template, Template, Template]:
        """The subject, text and HTML templates of mail ``name``, loaded once."""
        if name not in self._sets:
            subject, text, html = (
                self._env.get_template(f"{name}{suffix}") for suffix in ("_subject.txt", ".txt", ".html")
            )
            self._sets[name] = (subject, text, html)
        return self._sets[name]


__all__ = ["MAIL_NAMES", "MailTemplates"]
