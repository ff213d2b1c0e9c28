import json
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portalkit._core.serialization import from_primitive, to_primitive
from portalkit.models import (
    RECORD_TYPES,
    Attachment,
    AuthenticatorApp,
    Comment,
    Contact,
    Counter,
    Customer,
    HistoryKind,
    Instalment,
    InstalmentStatus,
    Invoice,
    Issue,
    Job,
    JobFile,
    JobRequest,
    JobStatus,
    LoginSession,
    LoginThrottle,
    MethodKind,
    OutboxMessage,
    Passkey,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    Permission,
    PlanConsent,
    PlanStatus,
    Priority,
    ProcessedEvent,
    Property,
    Proposal,
    ProposalStatus,
    QuoteRequest,
    RecoveryCode,
    Refund,
    RefundStatus,
    Service,
    SettingsRevision,
    Signature,
    SignInStep,
    StaffSession,
    StaffUser,
    StatusEvent,
    StoredSettings,
    Technician,
    Visit,
    VisitRating,
    VisitRequest,
    VisitStatus,
    WebhookEvent,
)

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SAMPLES = [
    StaffUser(email="a@b.co", name="A", permissions=frozenset({Permission.MANAGE_BILLING})),
    Contact(customer_id="c", first_name="Al", last_name="B", property_ids=("p1", "p2")),
    Invoice(
        number="1", property_id="p", amount=Decimal("10.50"), amount_due=Decimal("3.10"), invoice_date=date(2026, 1, 1)
    ),
    Proposal(
        number="P",
        property_id="p",
        description="d",
        status=ProposalStatus.DELIVERED,
        estimated_start=date(2026, 2, 1),
        services=(Service(name="Mulch", price=Decimal("99.99"), optional=True),),
        signature=Signature(
            image_key="00" * 32,
            signer_contact_id="c",
            signer_name="n",
            signed_at=NOW,
            ip_address="127.0.0.1",
            selected_service_ids=("s",),
            total=Decimal("1.00"),
        ),
    ),
    Comment(issue_id="i", author_name="a", by_staff=True, text="t", at=NOW),
    Attachment(issue_id="i", filename="f.png", content_type="image/png", file_key="ab" * 32, size=4),
    OutboxMessage(dedup_key="k", kind="mail", payload={"a": [1, "b"]}, created_at=NOW),
]


MORE_SAMPLES = [  # with SAMPLES and conformance.samples(): every record type
    Customer(name="C"),
    Property(customer_id="c", name="P", primary_contact_id="x"),
    StatusEvent(contact_id="c", kind=HistoryKind.LINK_OPENED, at=NOW),
    PaymentMethod(
        contact_id="c",
        kind=MethodKind.CARD,
        label="Visa",
        last4="4242",
        token="tok_1",
        exp_month=1,
        exp_year=2030,
        funding="credit",
    ),
    ProcessedEvent(id="evt_1", payment_id="p", kind="succeeded", received_at=NOW),
    Payment(
        invoice_id="i",
        contact_id="c",
        method_id="m",
        method_kind=MethodKind.ACH,
        amount=Decimal("1.00"),
        fee=Decimal("0.00"),
        idempotency_key="k",
        created_at=NOW,
        settled_at=NOW,
        status=PaymentStatus.SETTLED,
    ),
    Issue(number=3, property_id="p", subject="s", priority=Priority.HIGH, created_at=NOW, last_updated=NOW),
    QuoteRequest(contact_id="c", property_id="p", description="d", created_at=NOW),
    Counter(id="issue", value=4),
    LoginThrottle(id="a@b.co", failures=2, window_start=NOW),
    LoginSession(contact_id="c", created_at=NOW),
    StaffSession(staff_id="host-7", created_at=NOW),
    Refund(
        payment_id="p",
        amount=Decimal("2.50"),
        status=RefundStatus.SUCCEEDED,
        request_key="form-1",
        requested_by="staff@x.co",
        created_at=NOW,
        completed_at=NOW,
    ),
    Job(
        number="J-1",
        property_id="p",
        title="Spring clean-up",
        job_type="Maintenance",
        created_at=NOW,
        invoice_ids=("i1",),
        status=JobStatus.IN_PROGRESS,
    ),
    Visit(
        job_id="j",
        property_id="p",
        starts_at=NOW,
        ends_at=NOW,
        status=VisitStatus.ON_THE_WAY,
        eta=NOW,
        technicians=(Technician(name="Tess Tech", photo_key="ab" * 32),),
    ),
    JobFile(job_id="j", filename="after.jpg", content_type="image/jpeg", file_key="cd" * 32, size=9, added_at=NOW),
    VisitRequest(
        visit_id="v", contact_id="c", kind="reschedule", reason="Away", preferred_times="Fri AM", created_at=NOW
    ),
    VisitRating(visit_id="v", contact_id="c", stars=5, comment="Great", created_at=NOW),
    JobRequest(
        contact_id="c",
        property_id="p",
        job_type="Irrigation",
        description="Leak",
        created_at=NOW,
        file_keys=("ef" * 32,),
    ),
    WebhookEvent(processor="fake", received_at=NOW, body="{}", valid=True, event={"id": "e"}, outcome="applied"),
    StoredSettings(id="acme", config={"company_name": "Acme"}, revision=2, company_id="acme"),
    PaymentPlan(
        invoice_id="i",
        contact_id="c",
        amount=Decimal("100.01"),
        count=3,
        interval="monthly",
        status=PlanStatus.ACTIVE,
        offered_by="staff@x.co",
        created_at=NOW,
        accepted_at=NOW,
    ),
    Instalment(
        plan_id="pl",
        number=1,
        due_on=date(2026, 3, 1),
        amount=Decimal("33.35"),
        status=InstalmentStatus.PAID,
        attempts=1,
        paid_at=NOW,
    ),
    PlanConsent(
        plan_id="pl",
        contact_id="c",
        method_id="m",
        method_label="Visa ending 4242",
        consent_text="I authorise",
        accepted_at=NOW,
        ip_address="::1",
        user_agent="UA",
    ),
    SettingsRevision(
        revision=2, staff_id="s", staff_name="S", at=NOW, changed=("company_name",), config={"company_name": "Acme"}
    ),
    Passkey(
        contact_id="c",
        credential_id="Y3JlZA",
        public_key="cHVi",
        sign_count=3,
        name="Phone",
        transports=("internal", "hybrid"),
        backed_up=True,
        created_at=NOW,
        last_used_at=NOW,
    ),
    AuthenticatorApp(contact_id="c", secret="v1.sealed", confirmed_at=NOW, last_step=59_000_000, created_at=NOW),
    RecoveryCode(contact_id="c", code_hash="ab" * 32, created_at=NOW, used_at=NOW),
    SignInStep(purpose="second_step", contact_id="c", challenge="Y2g", created_at=NOW),
]


def test_every_record_type_round_trips_through_json():
    from portalkit.testing.conformance import samples

    everything = SAMPLES + samples() + MORE_SAMPLES
    assert {type(s) for s in everything} == set(RECORD_TYPES)
    for sample in everything:
        data = json.loads(json.dumps(to_primitive(sample)))
        assert from_primitive(data, type(sample)) == sample


def test_money_is_never_a_float_in_primitives():
    data = to_primitive(SAMPLES[2])
    assert data["amount"] == "10.50" and isinstance(data["amount_due"], str)


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.text(max_size=20))
def test_invoice_round_trip_property(amount, number):
    inv = Invoice(number=number, property_id="p", amount=amount, amount_due=amount, invoice_date=date(2026, 1, 1))
    assert from_primitive(json.loads(json.dumps(to_primitive(inv))), Invoice) == inv


def test_string_kinds_are_enums_equal_to_their_codes():
    """Issue 22: no string-typed kind beside real enums; a StrEnum still equals its stored code."""
    from datetime import UTC, datetime

    import pytest

    from portalkit.models import OutboxKind, OutboxMessage, OutboxStatus, VisitRequest, VisitRequestKind

    message = OutboxMessage(dedup_key="k", kind="text", payload={}, created_at=datetime.now(UTC))
    assert message.kind is OutboxKind.TEXT and message.status is OutboxStatus.PENDING and message.status == "pending"
    with pytest.raises(ValueError):
        OutboxMessage(dedup_key="k", kind="fax", payload={}, created_at=datetime.now(UTC))
    request = VisitRequest(visit_id="v", contact_id="c", kind="cancel", reason="away", created_at=datetime.now(UTC))
    assert request.kind is VisitRequestKind.CANCEL


def test_record_maker_fills_slots_only_where_the_constructor_would_do_no_more():
    """Issue 25: storages make records by filling their slots; a class whose constructor
    validates, converts, caches its hash or is its own (or a subclass's) is still made by its
    constructor."""
    import attrs
    import pytest

    from portalkit._core.serialization import record_maker

    @attrs.frozen(kw_only=True)
    class Plain:
        a: int
        b: str

    @attrs.frozen
    class Checked:
        a: int = attrs.field(validator=attrs.validators.gt(0))

    @attrs.frozen
    class Converted:
        a: int = attrs.field(converter=int)

    @attrs.frozen(cache_hash=True)
    class Hashed:
        a: int

    @attrs.frozen(init=False)
    class OwnInit:
        a: int

        def __init__(self, a: int) -> None:
            self.__attrs_init__(a=a * 2)

    class NotAttrs(Plain):  # a subclass without slots or attrs' own constructor
        def __init__(self, **values: object) -> None:
            super().__init__(**values)  # type: ignore[arg-type]
            object.__setattr__(self, "seen", True)

    made = record_maker(Plain, ["a", "b"])((1, "x"))
    assert made == Plain(a=1, b="x") and hash(made) == hash(Plain(a=1, b="x"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]
    with pytest.raises(ValueError):
        record_maker(Checked, ["a"])((0,))
    assert record_maker(Converted, ["a"])(("7",)).a == 7
    assert hash(record_maker(Hashed, ["a"])((3,))) == hash(Hashed(3))
    assert record_maker(OwnInit, ["a"])((2,)).a == 4
    assert record_maker(NotAttrs, ["a", "b"])((1, "x")).seen
    assert record_maker(Plain, ["a", "b"]).__name__ == "fill_slots"
    assert {record_maker(c, ["a"]).__name__ for c in (Checked, Converted, Hashed, OwnInit)} == {"construct"}
    with pytest.raises(TypeError):
        record_maker(Plain, ["a", "b"])((1,))  # a short row is an error, as the constructor's
