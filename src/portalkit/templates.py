"""Invitation templates: ``[Token]`` expansion rendered by a sandboxed Jinja2 environment (INV-5).

``[ContactName]`` style tokens become Jinja2 variables; the template is compiled once per send
and rendered per contact. In HTML bodies every expanded value is escaped; a subject never gains
a line break.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import attrs
from jinja2 import StrictUndefined, TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .errors import MissingPortalLinkError, TemplateError, UnknownTokenError

TOKENS: dict[str, str] = {
    "ContactName": "First and last name of the contact",
    "ContactFirstName": "First name of the contact",
    "ContactLastName": "Last name of the contact",
    "CompanyName": "The service company's name",
    "CustomerPortalLink": "Hyperlink to the sign-up page, its text the link description",
    "PortalLinkDescription": "The configured link description",
    "PortalUrl": "The portal's address",
    "LinkValidDays": "Days the invitation link stays valid",
    "SenderName": "Name of the staff user sending the invitation",
}
PORTAL_LINK = "CustomerPortalLink"
_TOKEN = re.compile(r"\[([A-Za-z][A-Za-z0-9]*)\]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def tokens_in(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _to_jinja(text: str) -> str:
    return _TOKEN.sub(lambda m: "{{ " + m.group(1) + " }}", text)


@attrs.frozen
class InvitationTemplate:
    """A checked, compiled subject + body pair."""

    subject_source: str
    body_source: str
    html: bool
    _subject: Any = attrs.field(repr=False)
    _body: Any = attrs.field(repr=False)

    @classmethod
    def compile(cls, subject: str, body: str, *, html: bool) -> "InvitationTemplate":
        unknown = sorted({t for t in tokens_in(subject) + tokens_in(body) if t not in TOKENS})
        if unknown:
            raise UnknownTokenError(unknown)
        if PORTAL_LINK not in tokens_in(body):
            raise MissingPortalLinkError()
        if PORTAL_LINK in tokens_in(subject):
            raise TemplateError("[CustomerPortalLink] belongs in the body, not the subject.")
        try:
            subject_t = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined).from_string(_to_jinja(subject))
            body_t = SandboxedEnvironment(autoescape=html, undefined=StrictUndefined).from_string(_to_jinja(body))
        except JinjaTemplateError as exc:
            raise TemplateError(f"The template cannot be read: {exc}") from exc
        return cls(subject, body, html, subject_t, body_t)

    def render(self, values: Mapping[str, str], link_url: str) -> tuple[str, str]:
        """Return ``(subject, body)`` for one contact."""
        plain = {k: _LINE_BREAKS.sub(" ", str(v)) for k, v in values.items()}
        description = plain.get("PortalLinkDescription", link_url)
        link: str
        if self.html:
            link = Markup('<a href="{}">{}</a>').format(link_url, description)
        else:
            link = f"{description}: {link_url}"
        try:
            subject = self._subject.render({**plain, PORTAL_LINK: ""})
            body = self._body.render({**plain, PORTAL_LINK: link})
        except JinjaTemplateError as exc:
            raise TemplateError(f"The template cannot be rendered: {exc}") from exc
        return _LINE_BREAKS.sub(" ", subject).strip(), body


def html_to_text(html: str) -> str:
    """A plain-text alternative for an HTML body: links kept as 'text (url)'."""
    text = re.sub(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", html, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return str(Markup(text).unescape()).strip()

