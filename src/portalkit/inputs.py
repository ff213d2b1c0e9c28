"""Checks for what callers hand to public calls: every value of the wrong type, size or shape
becomes a ``ValidationError`` with a ``field``, before anything is read or written.

Services call these at their entry points, so a ``None``, a number or a megabyte where text is
expected is a typed refusal, never an ``AttributeError`` or ``TypeError`` from deep inside.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, TypeGuard, TypeVar

from email_validator import EmailNotValidError, validate_email

from .errors import ValidationError
from .i18n import LANGUAGES, N_, _

E = TypeVar("E", bound=enum.Enum)

MAX_EMAIL = 254
MAX_ID = 64
MAX_SHORT_TEXT = 200  # names, subjects, numbers
MAX_LONG_TEXT = 20_000  # notes, comments, descriptions, mail bodies
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
# Characters that end a line for str.splitlines(), and every other control character.
_LINE_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def text(
    value: object, field: str, *, max_length: int = MAX_SHORT_TEXT, required: bool = True, multiline: bool = False
) -> str:
    """Trimmed text of at most ``max_length`` characters; one line unless ``multiline``.

    One-line text has every line break and control character turned into a space (so it can
    never split a mail header); multi-line text keeps ``\\n`` and ``\\t`` and drops other controls.
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.") % {"field": _label(field)}, field=field)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = "".join(c for c in value if c in "\n\t" or not _LINE_OR_CONTROL.match(c))
    else:
        value = " ".join(_LINE_OR_CONTROL.sub(" ", value).split())
    value = value.strip()
    if required and not value:
        raise ValidationError(_("Enter the %(field)s.") % {"field": _label(field).lower()}, field=field)
    if len(value) > max_length:
        raise ValidationError(
            _("%(field)s has at most %(count)d characters.") % {"field": _label(field), "count": max_length},
            field=field,
        )
    return value


def one_line(value: str) -> str:
    """``value`` with every line break and control character made a space (mail headers)."""
    return " ".join(_LINE_OR_CONTROL.sub(" ", value).split())


def is_identifier(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def identifier(value: object, field: str = "id") -> str:
    """A record id as callers pass it: short, ASCII letters, digits, ``_`` and ``-``.

    Anything else cannot name a record, so it is refused as not found would be: the caller
    learns nothing about which ids exist.
    """
    if not is_identifier(value):
        raise ValidationError(_("That reference is not valid."), field=field)
    return str(value)


def items(values: object, field: str, *, max_count: int = 100_000) -> list[Any]:
    """The elements of a list, tuple, set or other iterable that is not text; at most ``max_count``."""
    if isinstance(values, (str, bytes, bytearray, dict)) or not isinstance(values, Iterable):
        raise ValidationError(_("%(field)s must be a list.") % {"field": _label(field)}, field=field)
    found = list(values)
    if len(found) > max_count:
        raise ValidationError(
            _("At most %(count)d %(field)s at once.") % {"count": max_count, "field": _label(field).lower()},
            field=field,
        )
    return found


def identifiers(values: object, field: str = "ids", *, max_count: int = 100_000) -> list[str]:
    """A list of record ids, without repeats, in the order given."""
    return list(dict.fromkeys(identifier(v, field) for v in items(values, field, max_count=max_count)))


def optional_identifier(value: object, field: str) -> str | None:
    return None if value is None or value == "" else identifier(value, field)


def flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("%(field)s must be true or false.") % {"field": _label(field)}, field=field)
    return value


def integer(value: object, field: str, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError(
            _("%(field)s must be a whole number from %(minimum)d to %(maximum)d.")
            % {"field": _label(field), "minimum": minimum, "maximum": maximum},
            field=field,
        )
    return value


def member(value: object, enum_cls: type[E], field: str) -> E:
    if not isinstance(value, enum_cls):
        choices = ", ".join(str(m.value) for m in enum_cls)
        raise ValidationError(
            _("%(field)s must be one of: %(choices)s.") % {"field": _label(field), "choices": choices}, field=field
        )
    return value


def language(value: object, field: str = "language") -> str:
    """One of the portal's languages by its code (``"es"``), as pages and mail speak them; a
    regional tag of one (``"es-MX"``, ``"es_US"``) is that language."""
    if isinstance(value, str) and len(value) <= 35 and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", value):
        value = value.replace("_", "-").split("-")[0].lower()
    if not isinstance(value, str) or value not in LANGUAGES:
        raise ValidationError(
            _("%(field)s must be one of: %(choices)s.") % {"field": _label(field), "choices": ", ".join(LANGUAGES)},
            field=field,
        )
    return value


def optional_email(value: object, field: str = "email") -> str | None:
    """``email`` for a value that may be left empty (then ``None``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return email(value, field)


def email(value: object, field: str = "email") -> str:
    """A single, syntactically valid address (email-validator), lower-cased. Lists (``a,b@x``),
    quoted local parts, display names and non-ASCII addresses are refused."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EMAIL:
        raise ValidationError(_("Enter a valid email."), field=field)
    try:
        checked = validate_email(
            value.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            test_environment=True,
        )  # also takes the reserved .test names
    except EmailNotValidError as exc:
        raise ValidationError(_("Enter a valid email."), field=field) from exc
    return checked.normalized.lower()


# The fields a customer fills in, named in their language; other fields by their own name.
FIELD_LABELS: dict[str, str] = {
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "email": N_("Email"),
    "password": N_("Password"),
    "subject": N_("Subject"),
    "notes": N_("Notes"),
    "text": N_("Comment"),
    "description": N_("Description"),
    "signature": N_("Signature"),
    "services": N_("Services"),
    "amount": N_("Amount"),
    "method": N_("Payment method"),
    "language": N_("Language"),
    "attachments": N_("Attachments"),
    "priority": N_("Priority"),
}


def _label(field: str) -> str:
    if field in FIELD_LABELS:
        return _(FIELD_LABELS[field])
    return unicodedata.normalize("NFC", field.replace("_", " ")).capitalize()
