"""API-1, API-5: every operation of the JSON API is in its OpenAPI 3.1 document, the document
validates, and every operation — exercised here on the Flask host (SQLite and PostgreSQL) and
the Django host — answers with a status and a body the document gives it (each answer is
checked by ``api_support.Api``). Lists are walked page by page through their cursors."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from api_support import (
    DOC,
    EXERCISED,
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
from hosts import CUSTOMER_PASSWORD
from openapi_spec_validator import validate
from test_hosts import django_ready  # noqa: F401  (a fixture build_host asks for)

from portalkit import Access, ReportKind
from portalkit._core.files import Upload
from portalkit.adapters.payments import card_token
from portalkit.api import OPERATIONS
from portalkit.models import Contact, Visit, VisitStatus

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63"
    "d0cb360400019500cbad1c03850000000049454e44ae426082"
)


@pytest.fixture(params=["flask", "django", "flask-postgres"])
def host(request, tmp_path):
    """The Flask host on SQLite and PostgreSQL, the Django host on Django's database."""
    return build_host(request.param, request, tmp_path)


def test_api_1_the_document_is_valid_openapi_3_1_generated_from_the_route_table():
    validate(DOC)  # openapi-spec-validator: OpenAPI 3.1 with JSON Schema 2020-12
    ids = [op["operationId"] for item in DOC["paths"].values() for op in item.values()]
    assert sorted(ids) == sorted(op.id for op in OPERATIONS) and len(set(ids)) == len(ids)
    for item in DOC["paths"].values():
        for op in item.values():
            assert op["responses"] and op["summary"], op["operationId"]
            problems = [r for code, r in op["responses"].items() if code >= "400"]
            assert problems and all("application/problem+json" in r["content"] for r in problems)


def _pages(api: Api, path: str, query: dict) -> list[dict]:
    """API-5: every item of a list, one page at a time, through ``next_after``."""
    items, after = [], None
    while True:
        page = api.get(path, query={**query, "limit": 1, **({"after": after} if after else {})}).json()
        assert len(page["items"]) <= 1
        items += page["items"]
        after = page["next_after"]
        if after is None:
            return items


def test_api_1_every_operation_answers_as_the_document_says(host):
    """The walk: anonymous calls, sign-in, every read and write of a contact, sign-out."""
    app, portal = host
    kind = app[0]
    EXERCISED.pop(kind, None)
    staff = staff_of(portal)
    anon = Api(app)
    spec = anon.get("/openapi.json")
    assert spec.status == 200 and spec.json()["servers"] == [{"url": "/portal/api/v1"}]
    validate(spec.json())
    assert anon.get("/csrf").json()["header"] == "X-CSRFToken"
    alice_record = enrol_contact(portal, "alice@example.com")
    assert anon.post("/session", {"email": "alice@example.com", "password": "wrong-password"}).status == 401
    alice = sign_in(app, "alice@example.com")
    commons = property_id(portal, "Oak Street Commons")

    # the contact and the dashboard
    me = alice.get("/me").json()
    assert me["email"] == "alice@example.com" and "invoices" in me["access"]["sections"]
    changed = alice.call("PATCH", "/me", {"first_name": "Alicia", "receipts": True, "language": "es"}).json()
    assert (changed["first_name"], changed["receipts"], changed["language"]) == ("Alicia", True, "es")
    assert alice.call("PATCH", "/me", {"first_name": "1"}).status == 422
    alice.call("PATCH", "/me", {"language": "en"})
    board = alice.get("/dashboard").json()
    assert board["summary"]["balance"] == "1655.50"  # INV-1001, INV-1002 (billed to Bob: Alice is primary), INV-1003
    assert {p["name"] for p in board["properties"]} == {"Oak Street Commons", "Oak Street Pool"}

    # invoices, one page at a time
    open_items = _pages(alice, "/invoices", {"property_id": commons})
    assert [i["number"] for i in open_items] == ["INV-1001", "INV-1002"]  # by due date
    assert [i["number"] for i in _pages(alice, "/invoices", {"property_id": commons, "status": "all_paid"})] == [
        "INV-0950"
    ]
    inv = invoice_id(portal, "INV-1001")
    detail = alice.get(f"/invoices/{inv}").json()
    assert detail["invoice"]["amount_due"] == "1250.00" and detail["invoice"]["pdf_url"].endswith(f"/{inv}/pdf")
    pdf = alice.get(f"/invoices/{inv}/pdf")
    assert pdf.content_type == "application/pdf" and pdf.data.startswith(b"%PDF")

    # payment methods and payments
    setup = alice.post("/payment-methods/setup").json()
    assert setup["processor"]["kind"] == "fake" and setup["client_secret"]
    visa = alice.post("/payment-methods", {"token": card_token("4242424242424242", 12, 2031)})
    assert visa.status == 201 and visa.json()["is_default"]
    secure = alice.post("/payment-methods", {"token": card_token("4000000000003184", 12, 2031, "debit")}).json()
    assert next(m["id"] for m in alice.get("/payment-methods").json()["items"]) == visa.json()["id"]
    assert alice.post(f"/payment-methods/{secure['id']}/default").json()["is_default"]
    quote = alice.post(
        "/payments/quote", {"invoices": [{"invoice_id": inv, "amount": "250.00"}], "method_id": visa.json()["id"]}
    ).json()
    assert (quote["subtotal"], quote["fee"], quote["total"]) == ("250.00", "7.50", "257.50")  # PAY-5
    order = {
        "invoices": [{"invoice_id": inv, "amount": "250.00"}],
        "method_id": visa.json()["id"],
        "idempotency_key": "order-0001",
    }
    paid = alice.post("/payments", order)
    assert paid.status == 201 and paid.json()["payments"][0]["status"] == "processing"
    assert alice.post("/payments", order).json()["payments"][0]["id"] == paid.json()["payments"][0]["id"]  # once
    pool_invoice = invoice_id(portal, "INV-1003")
    waiting = alice.post(
        "/payments",
        {"invoices": [{"invoice_id": pool_invoice}], "method_id": secure["id"], "idempotency_key": "order-0002"},
    ).json()
    action = waiting["next_action"]
    assert action["type"] == "confirm_payment" and action["client_secret"] and action["processor"]["kind"] == "fake"
    payment_id = waiting["payments"][0]["id"]
    assert alice.get(f"/payments/{payment_id}").json()["status"] == "requires_action"
    ref = portal.storage.get(type(portal.payments.own_payment(alice_record, payment_id)), payment_id).processor_ref
    portal.processor.complete_action(ref)  # the bank said yes in the processor's script
    refreshed = alice.post(action["refresh_url"].removeprefix("/portal/api/v1")).json()
    assert refreshed["status"] == "processing" and refreshed["next_action"] is None
    listed = _pages(alice, "/payments", {})
    assert [p["id"] for p in listed] == [payment_id, paid.json()["payments"][0]["id"]]  # newest first
    assert alice.call("DELETE", f"/payment-methods/{secure['id']}").status == 204
    today = date.today()
    statement = alice.get("/statement", query={"start": str(today - timedelta(days=120)), "end": str(today)}).json()
    assert statement["pdf_url"].startswith("/portal/api/v1/statement/pdf?")
    assert alice.get(
        "/statement/pdf", query={"start": str(today - timedelta(days=120)), "end": str(today)}
    ).data.startswith(b"%PDF")

    # proposals: Select and Sign, and a deposit at signing
    rows = _pages(alice, "/proposals", {"property_id": commons})
    assert {"P-501", "P-502", "P-503"} <= {p["number"] for p in rows}
    assert [
        p["number"]
        for p in alice.get("/proposals", query={"property_id": commons, "status": "work_in_process"}).json()["items"]
    ] == ["P-480"]
    p502 = proposal_id(portal, "P-502")
    shown = alice.get(f"/proposals/{p502}").json()
    drip = next(s for s in shown["services"] if s["name"].startswith("Drip"))
    assert shown["proposal"]["select_and_sign"] and not drip["chosen"]
    assert alice.get(f"/proposals/{p502}/pdf").data.startswith(b"%PDF")
    assert (
        alice.post(f"/proposals/{p502}/signature", {"signature": PNG_SIGNATURE, "services": [drip["id"]]}).status == 422
    )  # PRO-2: the consent is ticked
    signed = alice.post(
        f"/proposals/{p502}/signature", {"signature": PNG_SIGNATURE, "services": [drip["id"]], "consent": True}
    )
    assert signed.status == 201 and signed.json()["proposal"]["signature"]["total"] == "1580.00"
    assert alice.post(f"/proposals/{p502}/signature", {"typed_name": "Alice Green", "consent": True}).status == 409
    p503 = proposal_id(portal, "P-503")
    deposit = alice.post(
        f"/proposals/{p503}/signature",
        {"typed_name": "Alice Green", "consent": True, "deposit_method_id": visa.json()["id"]},
    ).json()
    assert deposit["deposit_payment"]["amount"] == "270.00"  # 20 percent of 1,350.00
    portal.directory.update_contact(staff, alice_record.id, access=Access(quote_requests=True, job_requests=True))
    asked = alice.post("/quote-requests", {"property_id": commons, "description": "A new flower bed"})
    assert asked.status == 201

    # issues with photos, comments, files
    made = alice.post(
        "/issues",
        {"property_id": commons, "subject": "Sprinkler leak", "priority": "high"},
        files={"files": [("leak.png", PNG, "image/png")]},
    )
    assert made.status == 201, made.data
    issue = made.json()
    [photo] = issue["files"]
    assert alice.get(photo["url"].removeprefix("/portal/api/v1")).data == PNG
    label = alice.post("/issues", {"property_id": commons, "subject": "Old client", "priority": "High"})
    assert label.status == 422 and "priority" in label.data.decode()  # the API speaks codes (issue 22)
    json_issue = alice.post("/issues", {"property_id": commons, "subject": "Gate squeaks", "notes": "north side"})
    assert json_issue.status == 201 and json_issue.json()["issue"]["priority"] == "medium"
    comment = alice.post(f"/issues/{issue['issue']['id']}/comments", {"text": "Still leaking"})
    assert comment.status == 201 and comment.json()["text"] == "Still leaking"
    with_file = alice.post(
        f"/issues/{issue['issue']['id']}/comments",
        {"text": "Photo of it"},
        files={"file": [("more.png", PNG, "image/png")]},
    )
    assert with_file.status == 201 and len(with_file.json()["files"]) == 1
    assert len(alice.get(f"/issues/{issue['issue']['id']}").json()["comments"]) == 2
    assert len(_pages(alice, "/issues", {"property_id": commons})) == 2
    assert alice.get("/issues", query={"property_id": commons, "status": "closed"}).json()["items"] == []

    # reports
    for n in range(2):
        portal.reports.add(
            staff,
            commons,
            ReportKind.INSPECTION,
            f"Backflow test {n}",
            today - timedelta(days=n),
            Upload(filename="r.pdf", data=PDF),
        )
    reports = _pages(alice, "/reports", {"property_id": commons})
    assert [r["title"] for r in reports] == ["Backflow test 0", "Backflow test 1"]
    assert alice.get(f"/reports/{reports[0]['id']}/pdf").data == PDF

    # jobs and visits
    jobs = _pages(alice, "/jobs", {"property_id": commons})
    assert {j["number"] for j in jobs} == {"J-1040", "J-1041"}
    mowing = alice.get(f"/jobs/{job_id(portal, 'J-1040')}").json()
    assert len(mowing["visits"]) == 3 and mowing["proposal_id"]
    [after_photo] = mowing["files"]
    assert alice.get(after_photo["url"].removeprefix("/portal/api/v1")).data.startswith(b"\x89PNG")
    upcoming = _pages(alice, "/visits", {"when": "upcoming"})
    assert [v["starts_at"] for v in upcoming] == sorted(v["starts_at"] for v in upcoming) and len(upcoming) == 3
    past = alice.get("/visits", query={"when": "past", "property_id": commons}).json()["items"]
    assert [v["status"] for v in past] == ["completed"]
    ics = alice.get(upcoming[0]["calendar_url"].removeprefix("/portal/api/v1"))
    assert ics.content_type.startswith("text/calendar") and b"BEGIN:VCALENDAR" in ics.data
    change = alice.post(f"/visits/{upcoming[0]['id']}/change-requests", {"kind": "reschedule", "reason": "Away"})
    assert change.status == 201
    rating = alice.post(f"/visits/{past[0]['id']}/rating", {"stars": 5, "comment": "Tidy work"})
    assert rating.status == 201 and alice.post(f"/visits/{past[0]['id']}/rating", {"stars": 4}).status == 409
    job_request = alice.post(
        "/job-requests",
        {"property_id": commons, "job_type": "Maintenance", "description": "Hedge trimming"},
        files={"photos": [("hedge.png", PNG, "image/png")]},
    )
    assert job_request.status == 201, job_request.data
    link = alice.get("/calendar-link").json()["url"]
    assert alice.post("/calendar-link").json()["url"] != link

    # notices and a mobile number (TXT-1)
    notices = alice.get("/notices").json()
    assert notices["texting"] and any(n["kind"] == "visit_scheduled" for n in notices["notices"])
    saved = alice.call(
        "PUT",
        "/notices",
        {
            "notices": {"visit_scheduled": []},
            "quiet_hours": {"from_hour": 21, "to_hour": 8},
            "time_zone": "America/Chicago",
        },
    ).json()
    assert saved["quiet_hours"] == {"from_hour": 21, "to_hour": 8}
    assert next(n for n in saved["notices"] if n["kind"] == "visit_scheduled")["chosen"] == []
    assert alice.post("/notices/phone", {"phone": "+1 312 555 0123"}).json()["phone"] == "+13125550123"
    assert alice.post("/notices/phone/verify", {"code": "000000x"}).status in (422, 400)
    code = re.search(r"\b(\d{6})\b", portal.texts.sent[-1].body).group(1)
    assert alice.post("/notices/phone/verify", {"code": code}).json()["phone_verified"]
    assert alice.call("DELETE", "/notices/phone").json()["phone"] is None

    # passwords, links, signing out
    assert anon.post("/password-reset", {"email": "alice@example.com"}).status == 202
    assert anon.post("/sign-in-links", {"email": "alice@example.com"}).status == 202
    mail = [m for m in portal.mailer.mails if "alice@example.com" in m.to and "/sign-in#" in m.text][-1]
    token = re.search(r"/sign-in#([\w.\-]+)", mail.text).group(1)
    linked = anon.post("/sign-in-links/redeem", {"token": f"https://x.example/portal/sign-in#{token}"})
    assert linked.status == 201 and linked.json()["token"]
    assert anon.post("/sign-in-links/redeem", {"token": token}).status == 400  # single use
    other = Api(app, token=linked.json()["token"])
    assert other.call("DELETE", "/session").status == 204 and other.get("/me").status == 401
    new = "garden-2027-new"
    assert alice.post("/me/password", {"current": CUSTOMER_PASSWORD, "password": new, "confirm": new}).status == 204
    assert alice.get("/me").status == 401  # ACC-4: the token ended with the password
    assert sign_in(app, "alice@example.com", new).get("/me").status == 200

    missing = {op.id for op in OPERATIONS} - EXERCISED[kind]
    assert not missing, f"operations no test exercised on {kind}: {sorted(missing)}"
    assert portal.storage.find(Visit, status=VisitStatus.COMPLETED) and portal.storage.find(Contact)
