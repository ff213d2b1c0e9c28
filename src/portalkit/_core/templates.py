"""Invitation templates written by staff: ``[Token]`` substitution and nothing else (INV-5).

Staff text is data, not code: only the bracket tokens are replaced, everything else (``{{ }}``,
``{% %}``, ``{# #}``) stays as written. Subject and body are bounded in length and every token
value is bounded too, so rendering is linear in size and cheap. In HTML bodies every expanded
value is escaped; a subject never gains a line break.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs
from markupsafe import Markup, escape

from .. import inputs
from ..errors import MissingPortalLinkError, TemplateError, UnknownTokenError

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
MAX_SUBJECT = 255
MAX_BODY = inputs.MAX_LONG_TEXT
_TOKEN = re.compile(r"\[([A-Za-z][A-Za-z0-9]*)\]")


def tokens_in(text: str) -> list[str]:
    return _TOKEN.findall(text)


@attrs.frozen
class InvitationTemplate:
    """A checked subject + body pair."""

    subject: str
    body: str
    html: bool

    @classmethod
    def compile(cls, subject: object, body: object, *, html: bool) -> InvitationTemplate:
        subject = inputs.text(subject, "subject", max_length=MAX_SUBJECT)
        body = inputs.text(body, "body", max_length=MAX_BODY, multiline=True)
        unknown = sorted({t for t in tokens_in(subject) + tokens_in(body) if t not in TOKENS})
        if unknown:
            raise UnknownTokenError(unknown)
        if PORTAL_LINK not in tokens_in(body):
            raise MissingPortalLinkError()
        if PORTAL_LINK in tokens_in(subject):
            raise TemplateError("[CustomerPortalLink] belongs in the body, not the subject.")
        return cls(subject, body, html)

    def render(self, values: Mapping[str, str], link_url: str) -> tuple[str, str]:
        """Return ``(subject, body)`` for one contact."""
        plain = {k: inputs.one_line(str(v))[: inputs.MAX_SHORT_TEXT] for k, v in values.items()}
        description = plain.get("PortalLinkDescription", link_url)
        if self.html:
            link = f'<a href="{escape(link_url)}">{escape(description)}</a>'  # as Markup.format would, faster
            body_values = {k: str(escape(v)) for k, v in plain.items()}
        else:
            link, body_values = f"{description}: {link_url}", plain
        subject = _substitute(self.subject, {**plain, PORTAL_LINK: ""})
        body = _substitute(self.body, {**body_values, PORTAL_LINK: link})
        return inputs.one_line(subject), body


def _substitute(text: str, values: Mapping[str, str]) -> str:
    return _TOKEN.sub(lambda m: values[m.group(1)], text)


def html_to_text(html: str) -> str:
    """A plain-text alternative for an HTML body: links kept as 'text (url)'."""
    text = re.sub(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", html, flags=re.S | re.I)
    text = re.sub(r"<br\s*/?>|</p>", "\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return str(Markup(text).unescape()).strip()
