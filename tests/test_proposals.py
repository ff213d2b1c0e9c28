import base64
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import PNG_SIGNATURE

from portalkit import ProposalFilter, ProposalStatus
from portalkit.errors import InvalidTransition, NotFound, ValidationError
from portalkit.models import Proposal


@pytest.fixture
def props(enrolled):
    w = enrolled
    p = w.portal.proposals
    start = w.clock.now().date() + timedelta(days=10)
    w.plain = p.add(
        w.staff,
        w.prop.id,
        "P-100",
        "Spring cleanup",
        start,
        services=[("Cleanup", "400.00", False)],
        sales_rep_email="rep@greenacres.test",
    )
    w.optional = p.add(
        w.staff,
        w.prop.id,
        "P-101",
        "Irrigation",
        start,
        status=ProposalStatus.APPROVED,
        services=[("Install", "1000.00", False), ("Drip line", "250.00", True), ("Timer", "80.00", True)],
        sales_rep_email="rep@greenacres.test",
    )
    w.wip = p.add(w.staff, w.prop.id, "P-102", "Weekly mowing", start, status=ProposalStatus.IN_PRODUCTION)
    w.old = p.add(w.staff, w.prop.id, "P-099", "Last year's mulch", start - timedelta(days=200))
    return w


def test_pro_1_open_and_work_in_process_lists(props):
    w = props
    rows = w.portal.proposals.list(w.alice, w.prop.id)
    assert [r.proposal.number for r in rows] == ["P-100", "P-101"]
    assert [r.proposal.number for r in w.portal.proposals.list(w.alice, w.prop.id, ProposalFilter.WORK_IN_PROCESS)] == [
        "P-102"
    ]
    w.portal.proposals.set_status(w.staff, w.plain.id, ProposalStatus.WON)
    assert [r.proposal.number for r in w.portal.proposals.list(w.alice, w.prop.id)] == ["P-101"]


def test_pro_2_approved_and_delivered_signable_in_production_view_only(props):
    w = props
    rows = {r.proposal.number: r for r in w.portal.proposals.list(w.alice, w.prop.id)}
    assert rows["P-100"].sign_label == "Sign" and rows["P-101"].sign_label == "Select and Sign"
    [wip] = w.portal.proposals.list(w.alice, w.prop.id, ProposalFilter.WORK_IN_PROCESS)
    assert not wip.can_sign and wip.sign_label == ""
    with pytest.raises(InvalidTransition):
        w.portal.proposals.sign(w.alice, w.wip.id, PNG_SIGNATURE, "10.0.0.1")
    assert w.portal.storage.get(Proposal, w.wip.id).signature is None


def test_pro_2_signed_cannot_be_signed_again(props):
    w = props
    w.portal.proposals.sign(w.alice, w.plain.id, PNG_SIGNATURE, "10.0.0.1")
    with pytest.raises(InvalidTransition):
        w.portal.proposals.sign(w.bob, w.plain.id, PNG_SIGNATURE, "10.0.0.2")
    assert w.portal.storage.get(Proposal, w.plain.id).signature.signer_contact_id == w.alice.id


def test_pro_2_double_click_on_sign_signs_once(props):
    w = props
    outcomes, barrier = [], threading.Barrier(4)

    def click():
        barrier.wait()
        try:
            w.portal.proposals.sign(w.alice, w.plain.id, PNG_SIGNATURE, "10.0.0.1")
            outcomes.append("signed")
        except InvalidTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=click) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["refused"] * 3 + ["signed"]
    assert len(w.mailer.to("rep@greenacres.test")) == 1


def test_pro_3_select_and_sign_records_choice_and_total(props):
    w = props
    drip = next(s for s in w.optional.services if s.name == "Drip line")
    signed = w.portal.proposals.sign(w.alice, w.optional.id, PNG_SIGNATURE, "203.0.113.9", [drip.id])
    sig = signed.signature
    assert sig.selected_service_ids == (drip.id,) and sig.total == Decimal("1250.00")
    assert (sig.signer_name, sig.ip_address, sig.signed_at) == ("Alice Green", "203.0.113.9", w.clock.now())


def test_pro_3_only_optional_services_can_be_selected(props):
    w = props
    install = next(s for s in w.optional.services if not s.optional)
    for chosen in ([install.id], ["made-up"]):
        with pytest.raises(ValidationError):
            w.portal.proposals.sign(w.alice, w.optional.id, PNG_SIGNATURE, "1.1.1.1", chosen)


@pytest.mark.parametrize(
    "image",
    [
        "",
        "data:image/png;base64,",
        "data:image/png;base64,!!!",
        "data:text/html;base64,PGI+",
        "data:image/png;base64,aGVsbG8=",
    ],
)
def test_pro_4_empty_signature_cannot_be_saved(props, image):
    w = props
    with pytest.raises(ValidationError):
        w.portal.proposals.sign(w.alice, w.plain.id, image, "1.1.1.1")
    assert w.portal.storage.get(Proposal, w.plain.id).signature is None


def test_pro_4_signed_stays_delivered_until_staff_win_it(props):
    w = props
    signed = w.portal.proposals.sign(w.alice, w.optional.id, PNG_SIGNATURE, "1.1.1.1")
    assert signed.status is ProposalStatus.DELIVERED
    assert w.portal.proposals.set_status(w.staff, signed.id, ProposalStatus.WON).status is ProposalStatus.WON


def test_pro_5_signing_mails_the_sales_rep(props):
    w = props
    w.portal.proposals.sign(w.alice, w.plain.id, PNG_SIGNATURE, "1.1.1.1")
    [mail] = w.mailer.to("rep@greenacres.test")
    assert mail.subject == "Proposal P-100 signed by Alice Green" and "Total: $400.00" in mail.text


def test_pro_6_staff_see_signature_signer_and_time(props):
    w = props
    w.portal.proposals.sign(w.alice, w.plain.id, PNG_SIGNATURE, "1.1.1.1")
    sig = w.portal.proposals.signature(w.staff, w.plain.id)
    image = w.portal.proposals.signature_image(w.staff, w.plain.id)
    assert (
        PNG_SIGNATURE.endswith(base64.b64encode(image).decode())
        and sig.signer_name == "Alice Green"
        and sig.signed_at == w.clock.now()
    )


def test_proposals_of_other_customers_are_unreachable(props):
    w = props
    for pid in (w.plain.id, w.optional.id, w.wip.id):
        with pytest.raises(NotFound):
            w.portal.proposals.get(w.stranger, pid)
        with pytest.raises(NotFound):
            w.portal.proposals.sign(w.stranger, pid, PNG_SIGNATURE, "1.1.1.1")


def test_proposal_pdf_holds_number_and_cost(props):
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(props.portal.proposals.pdf(props.alice, props.optional.id))).pages[0].extract_text()
    assert "Proposal P-101" in text and "Cost: $1,000.00" in text and "Drip line Optional $250.00" in text


def test_pro_6_signed_proposal_pdf_shows_chosen_services_and_the_signature(props):
    from io import BytesIO

    from pypdf import PdfReader

    w = props
    drip = next(s for s in w.optional.services if s.name == "Drip line")
    w.portal.proposals.sign(w.alice, w.optional.id, PNG_SIGNATURE, "10.0.0.1", [drip.id])
    page = PdfReader(BytesIO(w.portal.proposals.pdf(w.alice, w.optional.id))).pages[0]
    text = page.extract_text()
    assert "Drip line Optional, chosen $250.00" in text and "Timer Optional, not chosen $80.00" in text
    assert "Accepted total: $1,250.00" in text and "Signed by Alice Green" in text and "from 10.0.0.1" in text
    assert len(page.images) == 1  # the drawn signature


def test_signature_audit_trail_and_certificate_detect_a_changed_proposal(props):
    """Issue 15.1: signing keeps the signer's email, address, browser, the consent text and the
    SHA-256 of the proposal as shown; the signed PDF ends in a certificate page; a proposal
    changed after signing no longer verifies."""
    from io import BytesIO

    import attrs
    from pypdf import PdfReader

    w = props
    signed = w.portal.proposals.sign(
        w.alice, w.plain.id, PNG_SIGNATURE, "10.0.0.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Chrome/120"
    )
    sig = signed.signature
    assert (sig.signer_email, sig.user_agent, sig.consent_text) == (
        "alice@example.com",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
        w.portal.config.signature_consent,
    )
    assert len(sig.document_sha256) == 64 and w.portal.proposals.verify_signature(w.staff, w.plain.id).unchanged
    pages = PdfReader(BytesIO(w.portal.proposals.pdf(w.alice, w.plain.id))).pages
    certificate = pages[-1].extract_text()
    assert len(pages) == 2 and "Electronic signature certificate" in certificate
    assert sig.document_sha256 in certificate and "unchanged since signing" in certificate
    stored = w.portal.storage.get(type(signed), signed.id)  # the host changes the price afterwards
    w.portal.storage.update(attrs.evolve(stored, services=(attrs.evolve(stored.services[0], price=Decimal("450.00")),)))
    check = w.portal.proposals.verify_signature(w.staff, w.plain.id)
    assert not check.unchanged and check.recorded_sha256 == sig.document_sha256 != check.current_sha256
    assert (
        "CHANGED since signing"
        in PdfReader(BytesIO(w.portal.proposals.pdf(w.alice, w.plain.id))).pages[-1].extract_text()
    )
    assert not w.portal.proposals.verify_signature(w.staff, w.optional.id).unchanged  # never signed
