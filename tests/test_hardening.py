"""Issue 21, the attack on the hosts: unsafe attachments (11), huge bodies on every route (12), a
logo URL that rewrote the Content-Security-Policy (13). Library calls, then both reference
hosts (Flask and Django) through their frameworks' test clients."""

from __future__ import annotations

import io
from datetime import date

import attrs
import pytest
import test_hosts
from conftest import build_world
from hosts import PREFIX, SECRET, Browser, File, demo_portal, make_app
from test_hosts import enrol, staff_browser

from examples.common.host import build_portal
from portalkit import Branding, PortalConfig, Upload, ValidationError
from portalkit.config import updated
from portalkit.errors import ConfigurationError
from portalkit.models import Attachment, Property, Report, ReportKind
from portalkit.web import PortalWeb
from portalkit.web.http import attachment_response

app, portal, django_ready = test_hosts.app, test_hosts.portal, test_hosts.django_ready  # both hosts' fixtures

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% report\n%%EOF\n"
SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
EVIL_LOGO = "https://cdn.example;script-src 'unsafe-inline' *;frame-ancestors */logo.png"
TWO_MB = 2 * 1024 * 1024


def directives(csp: str) -> dict[str, list[str]]:
    """The policy's directives by name; a name given twice fails the test (injected directives)."""
    found: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in csp.split(";"))):
        name, *values = part.split()
        assert name not in found, f"{name} twice in {csp!r}"
        found[name] = values
    return found


# -- 11: attachments are named and served by what their bytes are ---------------------------------
def test_attachment_named_html_or_svg_is_stored_with_the_extension_of_its_sniffed_type():
    w = build_world()
    alice = w.enrol(w.alice)
    issue = w.portal.issues.create(
        alice,
        w.prop.id,
        "Files",
        attachments=[
            Upload(filename="page.html", data=SCRIPT, content_type="text/html"),
            Upload(filename="logo.svg", data=SVG, content_type="image/svg+xml"),
            Upload(filename="x.svg", data=PNG, content_type="image/svg+xml"),
            Upload(filename="photo.PNG", data=PNG + b"2", content_type="image/png"),
            Upload(filename="notes.txt", data=b"Gate code 1234\n", content_type="text/plain"),
        ],
    )
    stored = [(a.filename, a.content_type) for a in w.portal.issues.attachments(alice, issue.id)[None]]
    assert stored == [
        ("page.html.txt", "text/plain"),
        ("logo.svg.txt", "text/plain"),
        ("x.svg.png", "image/png"),
        ("photo.PNG", "image/png"),
        ("notes.txt", "text/plain"),
    ]
    comment = w.portal.issues.comment(alice, issue.id, "One more", [Upload(filename="a.htm", data=SCRIPT)])
    assert [a.filename for a in w.portal.issues.attachments(alice, issue.id)[comment.id]] == ["a.htm.txt"]
    long_name = "x" * 195 + ".html"  # at the name limit: the type's extension still ends it
    issue = w.portal.issues.create(alice, w.prop.id, "Long", attachments=[Upload(filename=long_name, data=SCRIPT)])
    [attachment] = w.portal.issues.attachments(alice, issue.id)[None]
    assert attachment.filename.endswith(".txt") and len(attachment.filename) <= 200


def test_attachment_download_of_text_is_plain_text_and_an_attachment():
    """Also a file stored before names were typed: it is served under a typed name."""

    def served(name, kind):
        attachment = Attachment(issue_id="i", position=0, filename=name, content_type=kind, file_key="k", size=1)
        return attachment_response(attachment, b"x")

    text = served("page.html", "text/plain")
    assert (text.content_type, text.filename, text.inline) == ("text/plain; charset=utf-8", "page.html.txt", False)
    photo = served("x.svg", "image/png")
    assert (photo.content_type, photo.filename, photo.inline) == ("image/png", "x.svg.png", True)
    pdf = served("plan.pdf", "application/pdf")
    assert (pdf.content_type, pdf.filename, pdf.inline) == ("application/pdf", "plan.pdf", True)
    cut = served("x" * 95 + ".html.txt", "text/plain")  # cut to 100 characters: still ends in .txt
    assert cut.filename.endswith(".txt") and ".html" not in cut.filename[-5:]


def test_report_pdf_is_stored_with_a_pdf_extension():
    w = build_world()
    report = w.portal.reports.add(
        w.staff,
        w.prop.id,
        ReportKind.INSPECTION,
        "Backflow",
        date(2026, 3, 2),
        Upload(filename="report.html", data=PDF),
    )
    assert report.filename == "report.html.pdf"
    kept = w.portal.reports.add(
        w.staff,
        w.prop.id,
        ReportKind.INSPECTION,
        "Again",
        date(2026, 3, 3),
        Upload(filename="Backflow.PDF", data=PDF + b"2"),
    )
    assert kept.filename == "Backflow.PDF"


def test_host_html_attachment_is_stored_as_txt_and_downloaded_as_plain_text(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    r = alice.post(
        f"/issues/new?property={prop.id}",
        {
            "property": prop.id,
            "subject": "See attached",
            "files": [
                File("page.html", SCRIPT, "text/html"),
                File("logo.svg", SVG, "image/svg+xml"),
                File("x.svg", PNG, "image/svg+xml"),
            ],
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    issue_id = r.location.rsplit("/", 1)[1]
    page, svg, png = sorted(portal.storage.find(Attachment, issue_id=issue_id), key=lambda a: a.position)
    assert (page.filename, svg.filename, png.filename) == ("page.html.txt", "logo.svg.txt", "x.svg.png")
    staff = staff_browser(app)
    for attachment in (page, svg):
        download = staff.get(f"/staff/issues/{issue_id}/files/{attachment.id}")
        assert download.status_code == 200 and download.get_data() in (SCRIPT, SVG)
        assert download.content_type == "text/plain; charset=utf-8"
        assert download.headers["Content-Disposition"] == f'attachment; filename="{attachment.filename}"'
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    mine = alice.get(f"/issues/{issue_id}/files/{page.id}")
    assert mine.content_type == "text/plain; charset=utf-8" and mine.headers["Content-Disposition"].startswith(
        "attachment"
    )
    image = staff.get(f"/staff/issues/{issue_id}/files/{png.id}")
    assert image.content_type == "image/png" and image.headers["Content-Disposition"] == 'inline; filename="x.svg.png"'


# -- 12: every route has a body-size limit, checked before the body is read ----------------------
class Unreadable(io.RawIOBase):
    """A request body that fails the test when anything reads it."""

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        raise AssertionError("the request body was read")

    readinto = readline = readall = read


def post_unread(browser: Browser, path: str, length: int | None, content_type="application/x-www-form-urlencoded"):
    """A POST that claims ``length`` bytes (``None``: chunked, no length declared) and whose body
    may not be read."""
    if browser.kind == "flask":
        environ: dict = {"wsgi.input": Unreadable()}
        headers = {"Transfer-Encoding": "chunked"} if length is None else {}
        if length is not None:
            environ["CONTENT_LENGTH"] = str(length)
        response = browser.client.post(
            PREFIX + path, content_type=content_type, headers=headers, environ_overrides=environ
        )
    else:
        extra = {"wsgi.input": Unreadable(), "CONTENT_TYPE": content_type}
        extra.update({"HTTP_TRANSFER_ENCODING": "chunked"} if length is None else {"CONTENT_LENGTH": str(length)})
        response = browser.client.generic("POST", PREFIX + path, b"", **extra)
    return browser._page(response)


def test_host_a_2mb_login_post_is_refused_413_unread(app, portal):
    b = Browser(app)
    b.get("/login")  # a CSRF cookie, as an attacker would fetch first
    r = post_unread(b, "/login", TWO_MB)
    assert r.status_code == 413
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = post_unread(b, "/staff/login", TWO_MB, "multipart/form-data; boundary=x")
    assert r.status_code == 413


def test_host_a_2mb_webhook_post_is_refused_413_unread(app, portal):
    r = post_unread(Browser(app), "/webhooks/processor", TWO_MB, "application/json")
    assert r.status_code == 413
    assert post_unread(Browser(app), "/webhooks/processor", 1024 * 1024 + 1, "application/json").status_code == 413


def test_host_upload_routes_take_large_bodies_only_from_signed_in_visitors(app, portal):
    anonymous = Browser(app)
    anonymous.get("/login")
    for path in ("/issues/new", "/issues/x/comments", "/staff/reports", "/staff/branding", "/staff/issues/x/comment"):
        assert post_unread(anonymous, path, TWO_MB, "multipart/form-data; boundary=x").status_code == 413, path
    assert post_unread(anonymous, "/profile", 64 * 1024).status_code == 413  # a plain form, nobody signed in
    alice = enrol(app, portal, "alice@example.com")
    assert post_unread(alice, "/login", TWO_MB).status_code == 413  # signed in: still a small form
    assert post_unread(alice, "/profile", TWO_MB).status_code == 413  # a plain form: modest
    assert post_unread(alice, "/staff/reports", TWO_MB, "multipart/form-data; boundary=x").status_code == 413
    staff = staff_browser(app)
    assert post_unread(staff, "/staff/invitations", TWO_MB).status_code == 413


def test_host_a_chunked_post_without_content_length_is_refused_411(app, portal):
    """A body streamed without a declared length; one with neither header is empty (RFC 9112 6.3)."""
    b = Browser(app)
    b.get("/login")
    assert post_unread(b, "/login", None).status_code == 411
    assert post_unread(b, "/webhooks/processor", None, "application/json").status_code == 411


def test_host_a_signed_in_issue_upload_of_a_few_mb_still_works(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    photo = PNG + b"\x00" * (3 * 1024 * 1024)
    r = alice.post(
        f"/issues/new?property={prop.id}",
        {"property": prop.id, "subject": "Big photo", "files": [File("site.png", photo, "image/png")]},
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    [stored] = portal.storage.find(Attachment, issue_id=r.location.rsplit("/", 1)[1])
    assert stored.size == len(photo)
    staff = staff_browser(app)
    pdf = b"%PDF-1.4\n" + b"%" * (3 * 1024 * 1024)
    r = staff.post(
        "/staff/reports",
        {
            "property": prop.id,
            "kind": "Inspection report",
            "title": "Big report",
            "performed_on": "2026-03-02",
            "pdf": [File("big.pdf", pdf, "application/pdf")],
        },
        page="/staff/reports",
    )
    assert r.status_code == 303 and [x.size for x in portal.storage.find(Report)] == [len(pdf)]


def test_body_limits_follow_the_route_class_and_the_company_config():
    w = build_world(max_issue_attachments=2, max_attachment_bytes=3 * 1024 * 1024)
    web = PortalWeb(w.portal)

    def limit(endpoint, customer=False, staff=False):
        return web.body_limit(endpoint, customer=lambda: customer, staff=lambda: staff)

    small = limit("login", customer=True, staff=True)
    assert small <= 16 * 1024 and small == limit("new_issue") == limit("profile") == limit("staff_reports")
    assert small == limit("new_issue", staff=True) == limit("staff_reports", customer=True)  # the other side's
    assert limit("processor_webhook") == 1024 * 1024
    assert 16 * 1024 < limit("profile", customer=True) < 1024 * 1024
    assert 6 * 1024 * 1024 < limit("new_issue", customer=True) < 7 * 1024 * 1024
    assert limit("staff_issue_action", staff=True) == limit("new_issue", customer=True)
    assert limit("staff_reports", staff=True) > 50 * 1024 * 1024
    assert 2 * 1024 * 1024 < limit("staff_branding", staff=True) < 3 * 1024 * 1024


# -- 13: nothing from a setting rewrites the Content-Security-Policy; no framing -----------------
@pytest.mark.parametrize(
    "url",
    [
        EVIL_LOGO,
        "http://cdn.example.com/logo.png",
        "https://user:pw@cdn.example.com/logo.png",
        "https://cdn.example.com/a logo.png",
        "https://cdn.example.com/logo.png?a='x'",
        'https://cdn.example.com/"x',
        "https://cdn.example.com/l.png;x",
        "https://cdn.example.com/a,b.png",
        "https://cdn_example.com/logo.png",
        "https://cdn.example.com:99999/logo.png",
        "javascript:alert(1)",
        "https://",
        "//cdn.example.com/logo.png",
        "https://cdn.example.com\\@evil.example/logo.png",
        "https://-cdn.example.com/logo.png",
    ],
)
def test_logo_url_that_rewrites_the_csp_is_refused_by_branding_and_updated(url):
    for field in ("login_logo_url", "nav_logo_url"):
        with pytest.raises(ValidationError) as err:
            Branding(**{field: url})
        assert err.value.field == field and "https" in err.value.public_message
        with pytest.raises(ValidationError):
            updated(PortalConfig(), branding={field: url})


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://cdn.example.com/logo.png",
        "https://cdn.example.com",
        "https://10.0.0.7:8443/img/logo.png?v=2",
        "https://[2001:db8::1]/l.png",
        "https://CDN.Example.com/path/logo%20big.png#top",
    ],
)
def test_logo_url_of_an_https_site_is_accepted(url):
    assert Branding(login_logo_url=url, nav_logo_url=url).nav_logo_url == url


def test_stored_bad_logo_url_never_reaches_the_csp():
    with attrs.validators.disabled():  # a config that got past the check somehow (older data, a bug)
        branding = Branding(login_logo_url=EVIL_LOGO, nav_logo_url="https://cdn.example.com:8443/logo.png")
    w = build_world(branding=branding)
    w.portal.processor.hosted_fields = lambda: {  # a processor plugin's URLs are no more trusted
        "kind": "evil",
        "js_url": "https://js.example;script-src 'unsafe-inline'/v3/",
        "api": "https://api.processor.example:444/v1",
    }
    csp = dict(PortalWeb(w.portal).security_headers())["Content-Security-Policy"]
    policy = directives(csp)
    assert "'unsafe-inline'" not in policy["script-src"] and "*" not in policy["script-src"]
    assert policy["script-src"] == ["'self'", "https://api.processor.example:444"]
    assert policy["img-src"] == ["'self'", "data:", "https://cdn.example.com:8443"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("kind", ["flask", "django"])
def test_host_stored_bad_logo_url_never_reaches_the_csp(kind, request, tmp_path):
    with attrs.validators.disabled():
        branding = Branding(login_logo_url=EVIL_LOGO, nav_logo_url=EVIL_LOGO)
    storage = None
    if kind == "django":
        request.getfixturevalue("django_ready")
        from portalkit.contrib.django.storage import DjangoStorage

        storage = DjangoStorage()
        storage.truncate_all()
    built = build_portal(
        f"sqlite:///{tmp_path}/host.sqlite3",
        base_url="http://localhost/portal",
        secret=SECRET,
        bcrypt_rounds=4,
        storage=storage,
        branding=branding,
    )
    login = Browser(make_app(kind, built)).get("/login")
    assert login.status_code == 200
    policy = directives(login.headers["Content-Security-Policy"])
    assert "script-src" not in policy and policy["frame-ancestors"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]


def test_host_staff_branding_refuses_a_csp_rewriting_logo_url(app, portal):
    staff = staff_browser(app)
    before = portal.config
    for field in ("login_logo_url", "nav_logo_url"):
        for action in ("preview", "save"):
            r = staff.post("/staff/branding", {"title": "Green Acres", field: EVIL_LOGO, "action": action})
            assert r.status_code == 400 and "https://" in r.get_data(as_text=True), (field, action)
    assert portal.config == before
    csp = Browser(app).get("/login").headers["Content-Security-Policy"]
    assert "unsafe-inline' *" not in csp and "script-src" not in csp


def test_host_pages_refuse_framing_by_default(app, portal):
    b = Browser(app)
    for response in (b.get("/login"), b.get("/static/portal.css"), post_unread(b, "/login", TWO_MB)):
        assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("kind", ["flask", "django"])
def test_host_frame_ancestors_option_is_followed(kind, request, tmp_path, monkeypatch):
    if kind == "flask":
        from flask import Flask

        from portalkit.contrib.flask import PortalKit

        flask_app = Flask(__name__)
        flask_app.secret_key = SECRET
        PortalKit(flask_app, demo_portal(tmp_path), frame_ancestors="'self'")
        client = flask_app.test_client()
        login = client.get(PREFIX + "/login")
        headers = login.headers
    else:
        request.getfixturevalue("django_ready")
        from django.conf import settings
        from django.test import Client

        from portalkit.contrib.django.storage import DjangoStorage

        storage = DjangoStorage()
        storage.truncate_all()
        make_app("django", demo_portal(tmp_path, storage=storage))
        monkeypatch.setattr(settings, "PORTALKIT", {**settings.PORTALKIT, "FRAME_ANCESTORS": "'self'"})
        headers = Client().get(PREFIX + "/login").headers
    assert directives(headers["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    with pytest.raises(ConfigurationError, match="frame_ancestors"):
        PortalWeb(build_world().portal, frame_ancestors="'self'; script-src *")
