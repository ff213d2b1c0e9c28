"""The JSON API's rules on both hosts (Flask and Django), attack by attack: another contact's,
customer's or company's ids (API-2), tokens and CSRF (API-3), problem details (API-4), pages and
money (API-5), body limits and headers (API-6). The OpenAPI contract is tests/test_api_contract.py."""

from __future__ import annotations

import io
import json
import logging
from datetime import date

import attrs
import pytest
from api_support import (
    BASE,
    Api,
    build_host,
    enrol_contact,
    invoice_id,
    job_id,
    property_id,
    proposal_id,
    sign_in,
    staff_of,
)
from conftest import PNG_SIGNATURE
from hosts import CUSTOMER_PASSWORD, SECRET, Browser
from test_hosts import django_ready, enrol  # noqa: F401  (django_ready: a fixture build_host asks for)

from examples.common.host import build_portal
from portalkit import Access, ReportKind
from portalkit._core.files import Upload
from portalkit.adapters.payments import card_token
from portalkit.api import OPERATIONS
from portalkit.models import Invoice, JobFile, LoginSession, Payment, PaymentMethod, Visit, VisitStatus

PDF = b"%PDF-1.4\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63"
    "d0cb360400019500cbad1c03850000000049454e44ae426082"
)
NOWHERE = "0" * 32  # an id no record has


@pytest.fixture(params=["flask", "django"])
def two_hosts(request, tmp_path):
    """Both integrations, for what storage does not change (auth, CSRF, problems, limits)."""
    return build_host(request.param, request, tmp_path)


@pytest.fixture(params=["flask", "django", "flask-postgres"])
def host(request, tmp_path):
    """Both integrations and PostgreSQL, where storage matters (keyset pages)."""
    return build_host(request.param, request, tmp_path)


# -- API-2: the same visibility and tenancy as the pages ---------------------------------------------
def _sams_records(app, portal):
    """Sam's (another customer's) invoice, payment, method, proposal, issue and its file, report,
    job, shared job file and visit, made through the API and the staff services."""
    staff = staff_of(portal)
    enrol_contact(portal, "sam@example.com")
    sam = sign_in(app, "sam@example.com")
    lawn = property_id(portal, "Maple Court Lawn")
    method = sam.post("/payment-methods", {"token": card_token("4242424242424242", 12, 2031)}).json()["id"]
    inv = invoice_id(portal, "INV-2001")
    payment = sam.post(
        "/payments", {"invoices": [{"invoice_id": inv}], "method_id": method, "idempotency_key": "sam-order-1"}
    ).json()["payments"][0]["id"]
    issue = sam.post(
        "/issues", {"property_id": lawn, "subject": "Dead tree"}, files={"files": [("tree.png", PNG, "image/png")]}
    ).json()
    report = portal.reports.add(
        staff, lawn, ReportKind.SERVICE, "Pruning report", date.today(), Upload(filename="r.pdf", data=PDF)
    )
    job = job_id(portal, "J-2001")
    [shared] = portal.jobs.add_files(staff, job, [Upload(filename="crew.png", data=PNG)], shared=True)
    [visit] = portal.storage.find(Visit, job_id=job)
    return {
        "lawn": lawn,
        "method": method,
        "invoice": inv,
        "payment": payment,
        "issue": issue["issue"]["id"],
        "issue_file": issue["files"][0]["id"],
        "report": report.id,
        "job": job,
        "job_file": shared.id,
        "visit": visit.id,
        "proposal": proposal_id(portal, "P-601"),
    }


def _attempts(sam: dict, alice: dict) -> dict[str, tuple[str, str, object, dict]]:
    """Per operation that takes an id: (method, path, body, query) aimed at Sam's records."""
    s = sam
    return {
        "getInvoice": ("GET", f"/invoices/{s['invoice']}", None, {}),
        "getInvoicePdf": ("GET", f"/invoices/{s['invoice']}/pdf", None, {}),
        "listInvoices": ("GET", "/invoices", None, {"property_id": s["lawn"]}),
        "payInvoices": (
            "POST",
            "/payments",
            {
                "invoices": [{"invoice_id": s["invoice"], "amount": "10.00"}],
                "method_id": alice["method"],
                "idempotency_key": "idor-0001",
            },
            {},
        ),
        "quotePayment": (
            "POST",
            "/payments/quote",
            {"invoices": [{"invoice_id": s["invoice"]}], "method_id": alice["method"]},
            {},
        ),
        "getPayment": ("GET", f"/payments/{s['payment']}", None, {}),
        "refreshPayment": ("POST", f"/payments/{s['payment']}/refresh", None, {}),
        "setDefaultPaymentMethod": ("POST", f"/payment-methods/{s['method']}/default", None, {}),
        "removePaymentMethod": ("DELETE", f"/payment-methods/{s['method']}", None, {}),
        "listProposals": ("GET", "/proposals", None, {"property_id": s["lawn"]}),
        "getProposal": ("GET", f"/proposals/{s['proposal']}", None, {}),
        "getProposalPdf": ("GET", f"/proposals/{s['proposal']}/pdf", None, {}),
        "signProposal": (
            "POST",
            f"/proposals/{s['proposal']}/signature",
            {"signature": PNG_SIGNATURE, "consent": True},
            {},
        ),
        "requestQuote": ("POST", "/quote-requests", {"property_id": s["lawn"], "description": "More trees"}, {}),
        "listIssues": ("GET", "/issues", None, {"property_id": s["lawn"]}),
        "createIssue": ("POST", "/issues", {"property_id": s["lawn"], "subject": "Mine now"}, {}),
        "getIssue": ("GET", f"/issues/{s['issue']}", None, {}),
        "addIssueComment": ("POST", f"/issues/{s['issue']}/comments", {"text": "Hello"}, {}),
        "getIssueFile": ("GET", f"/issues/{s['issue']}/files/{s['issue_file']}", None, {}),
        "listReports": ("GET", "/reports", None, {"property_id": s["lawn"]}),
        "getReportPdf": ("GET", f"/reports/{s['report']}/pdf", None, {}),
        "listJobs": ("GET", "/jobs", None, {"property_id": s["lawn"]}),
        "getJob": ("GET", f"/jobs/{s['job']}", None, {}),
        "getJobFile": ("GET", f"/jobs/{s['job']}/files/{s['job_file']}", None, {}),
        "requestJob": (
            "POST",
            "/job-requests",
            {"property_id": s["lawn"], "job_type": "Tree care", "description": "Prune"},
            {},
        ),
        "listVisits": ("GET", "/visits", None, {"property_id": s["lawn"]}),
        "getVisitCalendar": ("GET", f"/visits/{s['visit']}/calendar.ics", None, {}),
        "requestVisitChange": (
            "POST",
            f"/visits/{s['visit']}/change-requests",
            {"kind": "cancel", "reason": "Not needed"},
            {},
        ),
        "rateVisit": ("POST", f"/visits/{s['visit']}/rating", {"stars": 1}, {}),
        # the contact's own records with another contact's method
        "payInvoices:method": (
            "POST",
            "/payments",
            {"invoices": [{"invoice_id": alice["invoice"]}], "method_id": s["method"], "idempotency_key": "idor-0002"},
            {},
        ),
        "quotePayment:method": (
            "POST",
            "/payments/quote",
            {"invoices": [{"invoice_id": alice["invoice"]}], "method_id": s["method"]},
            {},
        ),
        "signProposal:method": (
            "POST",
            f"/proposals/{alice['deposit_proposal']}/signature",
            {"typed_name": "Alice Green", "consent": True, "deposit_method_id": s["method"]},
            {},
        ),
    }


ID_FIELDS = {"property_id", "method_id", "invoices", "deposit_method_id"}


def _takes_an_id(op) -> bool:
    """An id in its path, or a member of its query or body that names a record."""
    fields = {f.name for shape in (op.query, op.body) if shape is not None for f in shape.__attrs_attrs__}
    return bool(op.params or fields & ID_FIELDS)


def test_api_2_every_id_of_another_contact_is_not_found_as_a_wrong_id_is(two_hosts):
    """IDOR: Alice aims every id-taking operation at Sam's records (another customer): each is a
    404 whose problem is the very one a made-up id gets; nothing of Sam's changes."""
    app, portal = two_hosts
    sam = _sams_records(app, portal)
    alice_record = enrol_contact(portal, "alice@example.com")
    portal.directory.update_contact(
        staff_of(portal), alice_record.id, access=Access(quote_requests=True, job_requests=True)
    )  # so the id is checked
    alice = sign_in(app, "alice@example.com")
    mine = {
        "method": alice.post("/payment-methods", {"token": card_token("4242424242424242", 1, 2032)}).json()["id"],
        "invoice": invoice_id(portal, "INV-1001"),
        "deposit_proposal": proposal_id(portal, "P-503"),
    }
    attempts = _attempts(sam, mine)
    tried = {name.partition(":")[0] for name in attempts}
    assert tried == {op.id for op in OPERATIONS if _takes_an_id(op)}, "an id-taking operation is untested"
    for operation, (method, path, body, query) in attempts.items():
        answer = alice.call(method, path, body, query=query)
        assert answer.status == 404, (operation, answer.status, answer.data)
        assert answer.json()["type"] == "urn:portalkit:problem:not-found", operation
        for key, value in sam.items():  # the same answer as for an id that names nothing
            if key != "lawn" and value in path:
                nowhere = alice.call(method, path.replace(value, NOWHERE), body, query=query)
                assert (nowhere.status, nowhere.json()["type"]) == (404, answer.json()["type"]), operation
        lawn = query.get("property_id") or (body or {}).get("property_id") if isinstance(body, dict) or query else None
        if lawn:
            nowhere = alice.call(
                method,
                path,
                {**(body or {}), "property_id": NOWHERE} if body else None,
                query={**query, "property_id": NOWHERE} if query else {},
            )
            assert nowhere.data == answer.data, operation
    assert portal.storage.get(PaymentMethod, sam["method"]).removed is False
    assert [p.status.value for p in portal.storage.find(Payment, invoice_id=sam["invoice"])] == ["processing"]
    assert not any(v.status is VisitStatus.CANCELED for v in portal.storage.find(Visit, job_id=sam["job"]))


def test_api_2_ids_are_checked_against_the_contact_and_the_company_too(two_hosts, tmp_path):
    """VIS-2: Bob (the same customer, not the invoice's contact) gets 404 for INV-1001; a cursor
    from another property's list is 404; a record of another company on the same database too;
    a file id of another issue, asked through one's own issue, is 404."""
    app, portal = two_hosts
    enrol_contact(portal, "bob@example.com")
    enrol_contact(portal, "alice@example.com")
    bob, alice = sign_in(app, "bob@example.com"), sign_in(app, "alice@example.com")
    inv = invoice_id(portal, "INV-1001")
    assert bob.get(f"/invoices/{inv}").status == 404
    assert alice.get(f"/invoices/{inv}").status == 200
    commons = property_id(portal, "Oak Street Commons")
    pool_invoice = invoice_id(portal, "INV-1003")
    assert alice.get("/invoices", query={"property_id": commons, "after": pool_invoice}).status == 404
    other = build_portal(
        storage=portal.shared_storage,
        secret=SECRET,
        bcrypt_rounds=4,
        company_id="acme",
        base_url="http://localhost/acme",
    )  # the demo data again, another company's
    theirs = other.storage.find(Invoice, number="INV-1001")[0]
    assert theirs.id != inv and alice.get(f"/invoices/{theirs.id}").status == 404
    assert alice.get(f"/invoices/{theirs.id}/pdf").status == 404
    lawn = property_id(portal, "Maple Court Lawn")
    sams = alice.post(
        "/issues", {"property_id": commons, "subject": "Mine"}, files={"files": [("a.png", PNG, "image/png")]}
    ).json()
    enrol_contact(portal, "sam@example.com")
    sam_issue = (
        sign_in(app, "sam@example.com")
        .post("/issues", {"property_id": lawn, "subject": "Theirs"}, files={"files": [("b.png", PNG, "image/png")]})
        .json()
    )
    crossed = f"/issues/{sams['issue']['id']}/files/{sam_issue['files'][0]['id']}"
    assert alice.get(crossed).status == 404
    job = job_id(portal, "J-1040")
    lawn_file = portal.jobs.add_files(
        staff_of(portal), job_id(portal, "J-2001"), [Upload(filename="x.png", data=PNG)], shared=True
    )[0]
    assert alice.get(f"/jobs/{job}/files/{lawn_file.id}").status == 404
    assert portal.storage.find(JobFile, id=lawn_file.id)


# -- API-3: bearer tokens and CSRF --------------------------------------------------------------------
def test_api_3_a_token_in_a_url_is_never_accepted(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    token = sign_in(app, "alice@example.com").token
    anon = Api(app)
    for name in ("access_token", "token", "Access_Token"):
        answer = anon.get("/me", query={name: token})
        assert answer.status == 400 and answer.json()["type"] == "urn:portalkit:problem:token-in-url", name
        assert token not in answer.data.decode()
    refused = Api(app, token=token).get("/me", query={"access_token": token})  # even beside a good header
    assert refused.status == 400
    assert anon.get("/me").status == 401


def test_api_3_a_cookie_client_needs_the_csrf_header_for_every_unsafe_request(two_hosts):
    """The pages' session works for the API; without X-CSRFToken (or with a wrong one) nothing
    changes; with the token GET /csrf hands out, it does."""
    app, portal = two_hosts
    browser = enrol(app, portal, "alice@example.com")  # signed in through the pages
    api = Api(app, browser=browser)
    assert api.get("/me").json()["email"] == "alice@example.com"
    for forged in ("", "forged-token"):
        api.csrf = forged
        refused = api.call("PATCH", "/me", {"first_name": "Mallory"})
        assert refused.status == 403 and refused.json()["type"] == "urn:portalkit:problem:csrf"
        assert api.post("/payment-methods", {"token": card_token("4242424242424242", 12, 2031)}).status == 403
        assert api.call("DELETE", "/session").status == 403
    assert portal.directory.contact_by_email("alice@example.com").first_name == "Alice"
    assert not portal.storage.find(PaymentMethod)
    api.csrf = api.get("/csrf").json()["token"]
    assert api.call("PATCH", "/me", {"first_name": "Alicia"}).json()["first_name"] == "Alicia"
    assert api.call("DELETE", "/session").status == 204
    assert api.get("/me").status == 401
    assert browser.get("/dashboard").status_code == 303  # the pages' session ended with it


def test_api_3_a_browser_signs_in_with_a_new_session_and_a_new_csrf_token(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    browser = Browser(app)
    api = Api(app, browser=browser)
    login = {"email": "alice@example.com", "password": CUSTOMER_PASSWORD, "cookie": True}
    assert api.post("/session", login).status == 403  # no login CSRF
    api.csrf = api.get("/csrf").json()["token"]
    before = browser.session_cookie()
    started = api.post("/session", login)
    assert started.status == 201 and started.json()["token"] is None  # the session is the cookie
    assert browser.session_cookie() != before  # a new session: no fixation
    assert api.get("/me").status == 200 and browser.get("/dashboard").status_code == 200  # the pages' too
    assert api.call("PATCH", "/me", {"first_name": "Alicia"}).status == 403  # the old CSRF token ended
    api.csrf = api.get("/csrf").json()["token"]
    assert api.call("PATCH", "/me", {"first_name": "Alicia"}).status == 200


def test_api_3_bearer_requests_carry_no_cookies_and_need_no_csrf(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    enrol_contact(portal, "bob@example.com")
    anon = Api(app)
    started = anon.post("/session", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert not started.header("Set-Cookie")
    alice = Api(app, token=started.json()["token"])
    changed = alice.call("PATCH", "/me", {"first_name": "Alicia"})  # no CSRF token at all
    assert changed.status == 200 and not changed.header("Set-Cookie")
    bob_pages = _signed_in_browser(app, "bob@example.com")
    as_alice = Api(app, token=alice.token, browser=bob_pages)  # Bob's cookies, Alice's token: Alice's request
    assert as_alice.get("/me").json()["email"] == "alice@example.com"
    assert as_alice.call("PATCH", "/me", {"last_name": "Greene"}).status == 200  # and no CSRF for it
    assert portal.directory.contact_by_email("bob@example.com").last_name == "Stone"
    cookie_mix = Api(app, token=alice.token).post(
        "/session", {"email": "bob@example.com", "password": CUSTOMER_PASSWORD, "cookie": True}
    )
    assert cookie_mix.status == 422 and cookie_mix.json()["field"] == "cookie"


def _signed_in_browser(app, email):
    browser = Browser(app)
    r = browser.post("/login", {"email": email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 303
    return browser


def test_api_3_logout_and_a_password_change_end_tokens_as_they_end_sessions(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    phone, laptop = sign_in(app, "alice@example.com"), sign_in(app, "alice@example.com")
    pages = _signed_in_browser(app, "alice@example.com")
    assert phone.call("DELETE", "/session").status == 204
    assert phone.get("/me").status == 401 and laptop.get("/me").status == 200  # one device signed out
    new = "garden-2027-new"
    assert laptop.post("/me/password", {"current": "wrong", "password": new, "confirm": new}).status == 401
    assert laptop.post("/me/password", {"current": CUSTOMER_PASSWORD, "password": new, "confirm": new}).status == 204
    assert laptop.get("/me").status == 401
    assert pages.get("/dashboard").status_code == 303  # the pages' session ended too


def test_api_3_a_contact_with_a_second_step_gets_no_token_from_the_password(two_hosts):
    """MFA-3 through the API: the password alone starts no session; the answer says why
    (401 second-step-required) and carries no token."""
    app, portal = two_hosts
    alice = enrol_contact(portal, "alice@example.com")
    portal.settings.replace(staff_of(portal), attrs.evolve(portal.config, require_second_step=True))
    refused = Api(app).post("/session", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert refused.status == 401, refused.data
    assert refused.json()["type"] == "urn:portalkit:problem:second-step-required" and "token" not in refused.json()
    assert portal.storage.find(LoginSession, contact_id=alice.id) == []


def test_api_3_login_is_throttled_like_the_login_page(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    anon = Api(app)
    statuses = [
        anon.post("/session", {"email": "alice@example.com", "password": f"guess-{n}"}).status
        for n in range(portal.config.login_max_failures + 1)
    ]
    assert statuses[:-1] == [401] * portal.config.login_max_failures and statuses[-1] == 429
    locked = anon.post("/session", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert locked.status == 429 and int(locked.header("Retry-After")) > 0
    assert locked.json()["type"] == "urn:portalkit:problem:too-many-attempts" and locked.json()["retry_after"] > 0
    page = Browser(app).post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert page.status_code != 303  # the page's login counts against the same limit


def test_api_3_a_bearer_client_refused_hears_the_scheme(two_hosts):
    app, portal = two_hosts
    answer = Api(app, token="not-a-token").get("/me")
    assert answer.status == 401 and answer.header("WWW-Authenticate").startswith("Bearer")
    assert Api(app).get("/dashboard").status == 401
    assert Api(app).call("GET", "/me", headers={"Authorization": "Basic YWxpY2U6eA=="}).status == 401


# -- API-4: problem details -------------------------------------------------------------------------
def test_api_4_refusals_are_problem_details_with_the_public_message(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    alice = sign_in(app, "alice@example.com")
    bad = alice.call("PATCH", "/me", {"first_name": "R2D2"})
    problem = bad.json()
    assert bad.status == 422 and bad.content_type.startswith("application/problem+json")
    assert problem["field"] == "first_name" and problem["errors"][0]["field"] == "first_name"
    assert problem["detail"] and "Traceback" not in bad.data.decode()
    typed = alice.post("/payments/quote", {"invoices": [{"invoice_id": "x", "amount": 12.5}], "method_id": "m"})
    assert typed.status == 422 and typed.json()["field"] == "invoices[0].amount"  # never a float
    missing = alice.post("/payments/quote", {"method_id": "m"})
    assert missing.status == 422 and missing.json()["field"] == "invoices"
    assert alice.post("/payments/quote", raw=b"{not json").json()["type"] == "urn:portalkit:problem:malformed"
    form = alice.post("/payments/quote", raw=b"method_id=m", content_type="application/x-www-form-urlencoded")
    assert form.status == 415
    p502 = proposal_id(portal, "P-502")
    unsigned = alice.post(f"/proposals/{p502}/signature", {"signature": "", "consent": True})
    assert unsigned.status == 422 and unsigned.json()["detail"]  # PRO-4: no empty signature
    assert alice.get(f"/proposals/{p502}").json()["signature"] is None
    nothing = alice.get(f"/invoices/{NOWHERE}")
    assert nothing.status == 404 and nothing.json()["detail"] == "Not found."  # its public_message
    spanish = Api(app).post(
        "/session",
        {"email": "alice@example.com", "password": "nope-nope"},
        headers={"Accept-Language": "es-MX,es;q=0.9"},
    )
    assert spanish.status == 401 and spanish.json()["detail"] != "The email or password is not correct."
    alice.call("PATCH", "/me", {"language": "es"})  # signed in: the contact's own language
    assert alice.get(f"/invoices/{NOWHERE}").json()["detail"] != "Not found."


def test_api_4_an_unexpected_error_is_a_generic_500_and_a_log_line(two_hosts, caplog, monkeypatch):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    alice = sign_in(app, "alice@example.com")

    def broken(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(portal.invoices, "list", broken)
    with caplog.at_level(logging.ERROR, logger="portalkit.api.problems"):
        answer = alice.get("/invoices", query={"property_id": property_id(portal, "Oak Street Commons")})
    assert answer.status == 500 and answer.json()["type"] == "urn:portalkit:problem:server-error"
    assert "hunter2" not in answer.data.decode() and "Traceback" not in answer.data.decode()
    assert any("listInvoices" in r.getMessage() and r.exc_info for r in caplog.records)


# -- API-5: pages, money and times ------------------------------------------------------------------
def test_api_5_lists_are_keyset_pages_and_money_is_a_two_decimal_string(host):
    app, portal = host
    staff = staff_of(portal)
    pool = property_id(portal, "Oak Street Pool")
    for n in range(5):
        portal.invoices.add(staff, pool, f"POOL-{n}", f"{n + 1}0.5", date(2026, 2, 1 + n))
    enrol_contact(portal, "alice@example.com")
    alice = sign_in(app, "alice@example.com")
    seen, after = [], None
    while True:
        page = alice.get("/invoices", query={"property_id": pool, "limit": 2, **({"after": after} if after else {})})
        body = page.json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        after = body["next_after"]
        if not after:
            break
    numbers = [i["number"] for i in seen]
    assert numbers == ["POOL-0", "POOL-1", "POOL-2", "POOL-3", "POOL-4", "INV-1003"]  # by due date, each once
    assert [i["amount"] for i in seen[:2]] == ["10.50", "20.50"]
    raw = alice.get("/invoices", query={"property_id": pool, "limit": 1}).data.decode()
    assert '"amount":"10.50"' in raw and "10.5," not in raw
    assert alice.get("/invoices", query={"property_id": pool, "limit": 0}).status == 422
    assert alice.get("/invoices", query={"property_id": pool, "limit": 201}).status == 422
    me = alice.get("/jobs", query={"property_id": property_id(portal, "Oak Street Commons")}).json()["items"][0]
    assert me["created_at"].endswith("Z")


# -- API-6: body limits, headers ----------------------------------------------------------------------
class Unreadable(io.RawIOBase):
    """A request body that fails the test when anything reads it."""

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        raise AssertionError("the request body was read")

    readinto = readline = readall = read


def send_unread(app, path: str, length: int | None, content_type="application/json", token: str | None = None):
    """A POST claiming ``length`` bytes (None: chunked) whose body may not be read."""
    kind, flask_app = app
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    if kind == "flask":
        environ: dict = {"wsgi.input": Unreadable()}
        if length is not None:
            environ["CONTENT_LENGTH"] = str(length)
        headers = {**auth, **({"Transfer-Encoding": "chunked"} if length is None else {})}
        r = flask_app.test_client().post(
            BASE + path, content_type=content_type, headers=headers, environ_overrides=environ
        )
        return r.status_code, r.content_type, dict(r.headers)
    from django.test import Client

    extra = {"wsgi.input": Unreadable(), "CONTENT_TYPE": content_type}
    extra.update({"HTTP_TRANSFER_ENCODING": "chunked"} if length is None else {"CONTENT_LENGTH": str(length)})
    if token:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    r = Client().generic("POST", BASE + path, b"", **extra)
    return r.status_code, r["Content-Type"], dict(r.items())


def test_api_6_bodies_are_limited_before_they_are_read_as_the_pages_are(two_hosts):
    app, portal = two_hosts
    two_mb = 2 * 1024 * 1024
    status, kind, _h = send_unread(app, "/session", 64 * 1024)
    assert (status, kind) == (413, "application/problem+json")
    assert send_unread(app, "/session", None)[0] == 411
    assert send_unread(app, "/issues", two_mb, "multipart/form-data; boundary=x")[0] == 413  # nobody signed in
    enrol_contact(portal, "alice@example.com")
    alice = sign_in(app, "alice@example.com")
    assert send_unread(app, "/me/password", two_mb, token=alice.token)[0] == 413  # a plain form: modest
    assert send_unread(app, "/issues", 100 * 1024 * 1024, "multipart/form-data; boundary=x", alice.token)[0] == 413
    big = PNG + b"\0" * (300 * 1024)
    made = alice.post(
        "/issues",
        {"property_id": property_id(portal, "Oak Street Commons"), "subject": "Big photo"},
        files={"files": [("big.png", big, "image/png")]},
    )
    assert made.status == 201, made.data  # an upload's limit, for a signed-in contact


def test_api_6_every_answer_has_the_pages_security_headers_and_no_store(two_hosts):
    app, portal = two_hosts
    enrol_contact(portal, "alice@example.com")
    alice = sign_in(app, "alice@example.com")
    answers = [
        Api(app).get("/openapi.json"),
        alice.get("/me"),
        alice.get(f"/invoices/{NOWHERE}"),
        alice.get(f"/invoices/{invoice_id(portal, 'INV-1001')}/pdf"),
        Api(app).get("/me"),
    ]
    for answer in answers:
        assert answer.header("Cache-Control") == "no-store", answer.status
        assert answer.header("X-Content-Type-Options") == "nosniff"
        assert "frame-ancestors 'none'" in answer.header("Content-Security-Policy")
    assert json.loads(answers[0].data)["openapi"] == "3.1.0"
