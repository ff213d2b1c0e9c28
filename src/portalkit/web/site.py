"""``PortalWeb``: runs a page handler for the framework glue and renders its templates.

Errors become pages by their ``public_message`` (404, 403 or 400), anything unexpected a generic
500 page and a log line, never a stack trace. Customer pages speak the contact's language, or
before login the one the visitor picked (``?lang=es``) or their browser asks for; staff pages
speak English (``i18n``). Templates are looked up in the host's folders
first (``<folder>/portalkit/<name>``, then the ``portalkit_template_dirs`` hook's folders), then
in the package, so a host overrides a page the way django-allauth's templates are overridden.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, TemplateNotFound, select_autoescape
from markupsafe import Markup

from .. import i18n, money
from .._core.files import MAX_LOGO_BYTES
from .._core.local_time import local_date, local_day, local_time
from ..config import HOSTNAME
from ..errors import (
    AlreadySignedUp,
    ConfigurationError,
    InvalidToken,
    LoginsBusy,
    NotFound,
    PermissionDenied,
    PortalError,
    SecondStepRequired,
    SessionExpired,
)
from ..i18n import _
from ..labels import label, method_name
from ..proposals._proposals import MAX_SIGNATURE_BYTES
from ..reports._reports import MAX_REPORT_BYTES
from . import ui
from .customer import FLASH, LANGUAGE, TOKEN, CustomerPages
from .http import FileResponse, Page, PageRequest, Redirect, Result
from .jobs import JobPages
from .plans import PlanPages
from .routes import (
    ANONYMOUS,
    BODIES,
    FILES,
    FORM_BODY,
    LOGO,
    REPORT,
    ROUTES,
    SIGNATURE,
    SMALL_BODY,
    WEBHOOK,
    WEBHOOK_BODY,
)
from .staff import StaffLoginRequired, StaffPages, StaffSignin
from .twostep import TwoStepPages

if TYPE_CHECKING:
    from ..portal import Portal

log = logging.getLogger(__name__)


def _origin(url: str, schemes: tuple[str, ...] = ("https",)) -> str:
    """``scheme://host[:port]`` of ``url``, rebuilt from its parsed host name and port (never its
    raw text, which could carry a ``;`` and a directive of its own); '' when it does not parse as
    a URL of one of ``schemes`` with a valid host."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return ""
    if parts.scheme not in schemes or not host:
        return ""
    if ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return ""
    elif not HOSTNAME.fullmatch(host):
        return ""
    return f"{parts.scheme}://{host}" + ("" if port is None else f":{port}")


_FRAME_SOURCE = re.compile(r"'self'|https?:|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def _frame_ancestors(value: str) -> str:
    """A CSP ``frame-ancestors`` source list: ``'none'``, or ``'self'`` and origins."""
    sources = value.split() if isinstance(value, str) else []
    if sources != ["'none'"] and not (sources and all(_FRAME_SOURCE.fullmatch(s) for s in sources)):
        raise ConfigurationError(
            f"frame_ancestors must be \"'none'\", \"'self'\" or origins like "
            f"https://intranet.example.com, not {value!r}"
        )
    return " ".join(sources)


STATIC_DIR = Path(__file__).with_name("static")
FRAME_OPTIONS = {"'none'": "DENY", "'self'": "SAMEORIGIN"}  # X-Frame-Options of a frame_ancestors choice
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),  # tokens never stay in a rendered URL; "no-referrer" would make
    # browsers send "Origin: null" on form posts, which CSRF origin checks (Django) refuse
    ("Cache-Control", "no-store"),
)
UrlFor = Callable[..., str]
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]+\Z")  # written the same, unquoted, by every framework


def _template_gettext(message: str, /, **variables: Any) -> Markup:
    """``_()`` and ``{% trans %}`` in a template: Jinja's new-style gettext (the translation is
    markup, its values are escaped, ``%`` is always formatted) for an autoescaped environment."""
    return Markup(i18n.gettext(message)) % variables


def _template_ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
    variables.setdefault("num", num)
    return Markup(i18n.ngettext(singular, plural, num)) % variables


def _no_staff_signin(req: PageRequest, email: str, password: str) -> bool:
    return False


def _no_staff_signout(req: PageRequest) -> None:
    return None


class PortalWeb(CustomerPages, StaffPages, JobPages, PlanPages, TwoStepPages):
    """The pages of one portal. The glue supplies ``staff_signin(req, email, password) -> bool``
    and ``staff_signout(req)`` on the framework's own authentication. ``frame_ancestors`` is who
    may show the pages in a frame (the CSP's source list): ``'none'`` by default, ``'self'`` for
    the host's own pages, or origins; ``X-Frame-Options`` follows it (``DENY``, ``SAMEORIGIN``,
    or left out for origins, which only the CSP can name)."""

    def __init__(
        self,
        portal: Portal,
        *,
        host_template_dirs: Iterable[str | Path] = (),
        staff_signin: StaffSignin = _no_staff_signin,
        staff_signout: Callable[[PageRequest], None] = _no_staff_signout,
        frame_ancestors: str = "'none'",
    ):
        self.portal = portal
        self.frame_ancestors = _frame_ancestors(frame_ancestors)
        frame_options = FRAME_OPTIONS.get(self.frame_ancestors)
        self._headers = tuple((name, value) for name, value in SECURITY_HEADERS[1:] if name != "X-Frame-Options") + (
            (("X-Frame-Options", frame_options),) if frame_options else ()
        )
        self.staff_signin = staff_signin
        self.staff_signout = staff_signout
        folders = [str(Path(d) / "portalkit") for d in host_template_dirs]
        folders += [str(Path(d) / "pages") for found in portal.hook.portalkit_template_dirs() for d in found]
        # compiled once per process: no file checked for changes on every page (issue 25);
        # PORTALKIT_TEMPLATE_RELOAD=1 while editing templates
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(folders), PackageLoader("portalkit.web")]),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            cache_size=-1,
            auto_reload=os.environ.get("PORTALKIT_TEMPLATE_RELOAD") == "1",
        )
        self._url_shapes: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._static_urls: dict[tuple[str, str], str] = {}
        self.env.policies["ext.i18n.trimmed"] = True
        self.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
        # the same "new style" gettext, called directly rather than through the template's context
        # (three calls less each; a page says a hundred things), and the design system's pieces
        self.env.globals.update(
            _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext, icon=ui.icon, badge=ui.badge
        )
        self.env.filters.update(
            money=money.display,
            label=label,
            method=method_name,
            day=i18n.day,
            short_day=i18n.short_day,
            moment=i18n.moment,
            local_day=local_day,
            local_date=local_date,
            local_time=local_time,
        )
        self.env.globals["passkeys_offered"] = lambda: portal.twostep.passkeys_offered  # the login page's button
        # a host's optional additions, looked up once (not a failed search of every folder per page)
        self.env.globals["host_templates"] = frozenset(
            name for name in ("theme_extra.html", "staff_payments_extra.html") if self._found(name)
        )
        self._handlers: dict[str, Callable[..., Result]] = {
            route.endpoint: getattr(self, route.endpoint) for route in ROUTES if route.endpoint != "static"
        }

    def _found(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except TemplateNotFound:
            return False
        return True

    # -- running a handler ----------------------------------------------------------------------
    def handle(self, endpoint: str, req: PageRequest, **params: Any) -> Result:
        """Run the handler of ``endpoint`` (the company's settings read once for it); every refusal
        becomes a page, never an exception."""
        with i18n.override(self.language(req, endpoint)):
            return self._handle(endpoint, req, **params)

    def _handle(self, endpoint: str, req: PageRequest, **params: Any) -> Result:
        try:
            with self.portal.page_scope():
                return self._handlers[endpoint](req, **params)
        except StaffLoginRequired:
            return Redirect("staff_login")
        except SecondStepRequired as exc:  # the password was right; no session before the second step
            return self.second_step_started(req, exc)
        except SessionExpired:
            req.session.pop(TOKEN, None)
            return Redirect("login")
        except NotFound as exc:
            return self.message(_("Not found"), exc.public_message, 404)
        except LoginsBusy as exc:  # 429: the glue adds Retry-After from the page's "retry_after"
            busy = {"error": exc.public_message, "retry_after": exc.retry_after_seconds}
            if endpoint == "login":
                return Page("login.html", {**busy, "email": req.field("email")}, 429)
            return Page("message.html", {**busy, "title": _("Not possible"), "message": exc.public_message}, 429)
        except PortalError as exc:
            page = self.message(
                _("Not possible"), exc.public_message, 403 if isinstance(exc, PermissionDenied) else 400
            )
            if isinstance(exc, (AlreadySignedUp, InvalidToken)) and not endpoint.startswith("staff"):
                return Page(page.template, {**page.context, "link": ("login", _("Log in"))}, page.status)
            return page
        except Exception:
            log.exception("error on portal page %s", endpoint)
            return self.message(_("Something went wrong"), _("Please try again in a moment."), 500)

    @staticmethod
    def language(req: PageRequest, endpoint: str = "") -> str:
        """The language of a page: English for staff; else ``?lang=`` (remembered in the
        session), the signed-in contact's (kept in the session at login), the host framework's
        choice, or the browser's."""
        if endpoint.startswith("staff"):
            return i18n.DEFAULT_LANGUAGE
        asked = i18n.supported(req.arg("lang"))
        if asked:
            req.session[LANGUAGE] = asked
        return (
            i18n.supported(req.session.get(LANGUAGE))
            or i18n.supported(req.host_language)
            or i18n.negotiate(req.headers.get("Accept-Language", ""))
        )

    def security_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers of every page; the CSP admits the payment processor's hosted fields (its
        script, API and frames), the company's logo when it is a link to an https site rather
        than an upload (served from the portal), and nothing else from elsewhere. Each origin is
        rebuilt from its URL's parsed host and port; a URL that does not parse is left out."""
        fields = self.portal.payments.hosted_fields()
        origins = " ".join(
            sorted(
                {_origin(fields[k], ("https", "http")) for k in ("js_url", "api") if isinstance(fields.get(k), str)}
                - {""}
            )
        )
        brand = self.portal.config.branding
        logos = () if brand.logo_key else (brand.login_logo_url, brand.nav_logo_url)
        images = "".join(sorted({" " + _origin(u) for u in logos if u} - {" "}))
        scripts = f"script-src 'self' {origins}; connect-src 'self' {origins}; frame-src {origins}; " if origins else ""
        csp = (
            f"default-src 'self'; {scripts}img-src 'self' data:{images}; style-src 'self' 'unsafe-inline'; "
            f"frame-ancestors {self.frame_ancestors}; form-action 'self'; base-uri 'none'"
        )
        return (("Content-Security-Policy", csp),) + self._headers

    def signed_in(self, session: Any) -> bool:
        """Whether the session holds a live customer session (not merely a token: one logged out,
        expired or ended by a password change unlocks nothing)."""
        token = session.get(TOKEN)
        if not token:
            return False
        try:
            self.portal.accounts.authenticate(token)
        except PortalError:
            return False
        return True

    def body_limit(self, endpoint: str, *, customer: Callable[[], bool], staff: Callable[[], bool]) -> int:
        """The largest request body ``endpoint`` takes, in bytes, by its route's body-size class
        (``web.routes``). More than ``SMALL_BODY`` only for a signed-in visitor of the page's
        side: ``staff()`` for a staff page, ``customer()`` (a customer session) for the others;
        each is asked only when it matters. The glue refuses a larger Content-Length with 413
        before reading the body."""
        body = BODIES.get(endpoint, ANONYMOUS)
        if body == WEBHOOK:
            return WEBHOOK_BODY
        if body == ANONYMOUS or not (staff() if endpoint.startswith("staff") else customer()):
            return SMALL_BODY
        if body == FILES:
            config = self.portal.config
            return FORM_BODY + config.max_issue_attachments * config.max_attachment_bytes
        # a logo travels twice at most: uploaded, or kept across Preview in the form as base64
        extra = {SIGNATURE: 2 * MAX_SIGNATURE_BYTES, REPORT: MAX_REPORT_BYTES, LOGO: MAX_LOGO_BYTES * 4 // 3 + 4}
        return FORM_BODY + extra.get(body, 0)

    @staticmethod
    def message(title: str, text: str, status: int) -> Page:
        return Page("message.html", {"title": title, "message": text}, status)

    @staticmethod
    def static_file(name: str) -> FileResponse:
        """A file of the package's ``static`` folder; anything outside it is not found."""
        path = (STATIC_DIR / name).resolve()
        if STATIC_DIR.resolve() not in path.parents or not path.is_file():
            raise NotFound("No such file.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path.read_bytes(), content_type, path.name)

    # -- rendering ---------------------------------------------------------------------------
    def fast_urls(self, url: UrlFor, static: Callable[[str], str]) -> tuple[UrlFor, Callable[[str], str]]:
        """``url`` and ``static`` that ask the framework once per shape of URL (an endpoint and
        the names of its parameters), with markers for the values, and fill in later values
        themselves: a page of 50 invoices builds its "Pay" link once, not 50 times (issue 25).
        Only plain values (letters, digits, ``-._~``: ids, ``1``), which every framework writes
        as they are, are filled in; anything else, and anything new, goes to the framework. The
        shapes, and the static files' URLs, are kept per mount point (the framework's URL of the
        dashboard, built once per page), so a host that serves the portal under two prefixes
        gets each one's URLs."""
        shapes = self._url_shapes
        mount = url("dashboard")

        def fast(endpoint: str, **params: Any) -> str:
            values = [str(v) for v in params.values() if isinstance(v, (str, int)) and not isinstance(v, bool)]
            if len(values) != len(params) or not all(_PLAIN.match(v) for v in values):
                return url(endpoint, **params)
            key = (mount, endpoint, *params)
            shape = shapes.get(key)
            if shape is None:
                built = url(endpoint, **{name: f"pkurl{n}x" for n, name in enumerate(params)})
                pieces = re.split(r"pkurl(\d+)x", built)
                if sorted(int(n) for n in pieces[1::2]) != list(range(len(params))):
                    return url(endpoint, **params)  # a value the framework changed or left out: no shape
                if len(shapes) > 4096:
                    shapes.clear()
                shape = shapes[key] = tuple(pieces)
            return "".join(piece if k % 2 == 0 else values[int(piece)] for k, piece in enumerate(shape))

        statics = self._static_urls

        def static_file(name: str) -> str:  # asked once per mount point and file
            key = (mount, name)
            found = statics.get(key)
            if found is None:
                if len(statics) > 4096:
                    statics.clear()
                found = statics[key] = static(name)
            return found

        return fast, static_file

    def render(
        self,
        page: Page,
        req: PageRequest,
        *,
        url: UrlFor,
        static: Callable[[str], str],
        csrf_field: Callable[[], Markup],
    ) -> str:
        """``page`` as HTML; ``url(endpoint, **params)``, ``static(name)`` and ``csrf_field()``
        come from the framework glue."""
        config = page.context.get("portal_config") or self.portal.config
        staff_page = page.template.startswith("staff_")
        url, static = self.fast_urls(url, static)
        with i18n.override(i18n.DEFAULT_LANGUAGE if staff_page else self.language(req)) as language:
            context = {
                "config": config,
                "brand": config.branding,
                "contact": None,
                "staff": req.staff,
                "flash": req.session.pop(FLASH, None),
                "url": url,
                "static": static,
                "csrf_field": csrf_field,
                "language": language,
                "languages": {} if staff_page else i18n.LANGUAGES,
                **page.context,
            }
            return self.env.get_template(page.template).render(context)
