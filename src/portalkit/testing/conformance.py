"""The storage conformance suite: what every :class:`portalkit.ports.Storage` must do.

Run it against your own adapter by subclassing and providing a ``storage`` fixture that
returns a fresh, empty storage::

    import pytest
    from portalkit.testing import StorageConformance

    class TestMyStorage(StorageConformance):
        @pytest.fixture
        def storage(self):
            return MyStorage(...)
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

from ..errors import Conflict
from ..models import (
    Access,
    Attachment,
    AutopayConsent,
    Comment,
    Contact,
    Invoice,
    InvoiceLine,
    MethodKind,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    Payment,
    Permission,
    PortalStatus,
    Proposal,
    ProposalStatus,
    Report,
    ReportKind,
    Service,
    Signature,
    StaffUser,
)
from ..ports import AtLeast, In, Not, Storage

WHEN = datetime(2026, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)
T = TypeVar("T")


def _stored(storage: Storage, cls: type[T], id: str) -> T:
    record = storage.get(cls, id)
    assert record is not None, f"{cls.__name__} {id} was not stored"
    return record


def samples() -> list[Any]:
    return [
        StaffUser(email="s@x.co", name="S", permissions=frozenset({Permission.MANAGE_ISSUES})),
        Contact(
            customer_id="cu",
            first_name="Ada",
            last_name="L",
            email="ada@x.co",
            property_ids=("p1", "p2"),
            access=Access(invoices=False),
            portal_status=PortalStatus.INVITED,
        ),
        Invoice(
            number="I-1",
            property_id="p1",
            amount=Decimal("12345678.91"),
            amount_due=Decimal("0.01"),
            invoice_date=date(2026, 2, 28),
            paid_on=None,
        ),
        Proposal(
            number="P-1",
            property_id="p1",
            description="Mulch",
            status=ProposalStatus.DELIVERED,
            estimated_start=date(2026, 3, 1),
            services=(Service(name="A", price=Decimal("9.99"), optional=True),),
            signature=Signature(
                image_key="ef" * 32,
                signer_contact_id="c",
                signer_name="Ada L",
                signed_at=WHEN,
                ip_address="::1",
                total=Decimal("9.99"),
            ),
        ),
        Comment(issue_id="i", author_name="A", by_staff=False, text="héllo ✓", at=WHEN),
        Attachment(
            issue_id="i",
            comment_id="c1",
            position=2,
            filename="a.png",
            content_type="image/png",
            file_key="cd" * 32,
            size=256,
            shared=False,
        ),
        OutboxMessage(dedup_key="d1", kind="mail", payload={"to": ["a@b.co"], "n": 1}, created_at=WHEN),
        InvoiceLine(
            invoice_id="i1",
            position=3,
            description="Mowing ✓",
            quantity=Decimal("1.50"),
            unit_price=Decimal("40.00"),
            amount=Decimal("60.00"),
        ),
        Report(
            property_id="p1",
            kind=ReportKind.SERVICE,
            title="Start-up",
            performed_on=date(2026, 3, 2),
            filename="s.pdf",
            file_key="ab" * 32,
            size=10,
            external_id="R-1",
        ),
        AutopayConsent(
            contact_id="c",
            method_id="m",
            consent_text="I authorise",
            accepted_at=WHEN,
            ip_address="::1",
            revoked_at=None,
        ),
    ]


class StorageConformance:
    """Subclass with a ``storage`` fixture; every test here must pass."""

    def test_round_trips_every_kind_of_field(self, storage: Storage) -> None:
        for record in samples():
            with storage.transaction():
                storage.insert(record)
            assert storage.get(type(record), record.id) == record

    def test_get_missing_is_none(self, storage: Storage) -> None:
        assert storage.get(Contact, "nope") is None

    def test_find_by_equality_including_enums_and_none(self, storage: Storage) -> None:
        a = Contact(customer_id="c1", first_name="Ab", last_name="A", email=None)
        b = Contact(
            customer_id="c1", first_name="Bc", last_name="B", email="b@x.co", portal_status=PortalStatus.ENROLLED
        )
        c = Contact(customer_id="c2", first_name="Cd", last_name="C", email="c@x.co")
        for r in (a, b, c):
            storage.insert(r)
        assert {r.id for r in storage.find(Contact, customer_id="c1")} == {a.id, b.id}
        assert [r.id for r in storage.find(Contact, portal_status=PortalStatus.ENROLLED)] == [b.id]
        assert [r.id for r in storage.find(Contact, email=None)] == [a.id]
        assert [r.id for r in storage.find(Contact, customer_id="c1", email="b@x.co")] == [b.id]
        assert len(storage.find(Contact)) == 3

    def test_kinds_and_statuses_come_back_as_their_enums(self, storage: Storage) -> None:
        """Stored codes read back as members (issue 22), and a finder takes either."""
        message = OutboxMessage(dedup_key="e1", kind="mail", payload={}, created_at=WHEN)
        storage.insert(message)
        [found] = storage.find(OutboxMessage, status=OutboxStatus.PENDING)
        assert (found.kind, found.status) == (OutboxKind.MAIL, OutboxStatus.PENDING)
        assert type(found.kind) is OutboxKind and type(found.status) is OutboxStatus
        assert [m.id for m in storage.find(OutboxMessage, kind="mail")] == [message.id]

    def test_insert_refuses_duplicate_id_and_unique_values(self, storage: Storage) -> None:
        c = Contact(customer_id="c", first_name="Ab", last_name="A", email="same@x.co")
        storage.insert(c)
        with pytest.raises(Conflict):
            storage.insert(c)
        with pytest.raises(Conflict):
            storage.insert(Contact(customer_id="c", first_name="Cd", last_name="C", email="same@x.co"))
        storage.insert(Contact(customer_id="c", first_name="Ef", last_name="E", email=None))
        storage.insert(Contact(customer_id="c", first_name="Gh", last_name="G", email=None))

    def test_update_is_compare_and_swap_on_version(self, storage: Storage) -> None:
        inv = storage.insert(
            Invoice(
                number="1",
                property_id="p",
                amount=Decimal("5.00"),
                amount_due=Decimal("5.00"),
                invoice_date=date(2026, 1, 1),
            )
        )
        first = storage.update(attrs.evolve(inv, amount_due=Decimal("4.00")))
        assert first.version == 1 and storage.get(Invoice, inv.id) == first
        with pytest.raises(Conflict):
            storage.update(attrs.evolve(inv, amount_due=Decimal("3.00")))
        assert _stored(storage, Invoice, inv.id).amount_due == Decimal("4.00")
        with pytest.raises(Conflict):
            storage.update(
                Invoice(
                    number="x", property_id="p", amount=Decimal(1), amount_due=Decimal(1), invoice_date=date(2026, 1, 1)
                )
            )

    def test_update_refuses_a_unique_clash(self, storage: Storage) -> None:
        a = storage.insert(Contact(customer_id="c", first_name="Ab", last_name="A", email="a@x.co"))
        storage.insert(Contact(customer_id="c", first_name="Bc", last_name="B", email="b@x.co"))
        with pytest.raises(Conflict):
            storage.update(attrs.evolve(a, email="b@x.co"))
        assert _stored(storage, Contact, a.id).email == "a@x.co"

    def test_transaction_rolls_back_everything_on_error(self, storage: Storage) -> None:
        kept = storage.insert(Contact(customer_id="c", first_name="Ab", last_name="A"))
        with pytest.raises(RuntimeError):
            with storage.transaction():
                storage.insert(Contact(customer_id="c", first_name="Bc", last_name="B"))
                storage.update(attrs.evolve(kept, first_name="Changed"))
                with storage.transaction():  # nested joins the outer one
                    storage.insert(Contact(customer_id="c", first_name="Cd", last_name="C"))
                raise RuntimeError("boom")
        assert [c.first_name for c in storage.find(Contact)] == ["Ab"]

    def test_conflict_inside_transaction_rolls_it_back(self, storage: Storage) -> None:
        storage.insert(
            Payment(
                invoice_id="i",
                contact_id="c",
                method_id="m",
                method_kind=MethodKind.ACH,
                amount=Decimal(1),
                fee=Decimal(0),
                idempotency_key="k",
                created_at=WHEN,
            )
        )
        with pytest.raises(Conflict):
            with storage.transaction():
                storage.insert(Contact(customer_id="c", first_name="Ab", last_name="A"))
                storage.insert(
                    Payment(
                        invoice_id="i",
                        contact_id="c",
                        method_id="m",
                        method_kind=MethodKind.ACH,
                        amount=Decimal(1),
                        fee=Decimal(0),
                        idempotency_key="k",
                        created_at=WHEN,
                    )
                )
        assert storage.find(Contact) == []

    def test_concurrent_updates_from_one_version_have_one_winner(self, storage: Storage) -> None:
        inv = storage.insert(
            Invoice(
                number="1",
                property_id="p",
                amount=Decimal("5.00"),
                amount_due=Decimal("5.00"),
                invoice_date=date(2026, 1, 1),
            )
        )
        barrier, outcomes = threading.Barrier(8), []

        def worker(n: int) -> None:
            barrier.wait()
            try:
                with storage.transaction():
                    current = _stored(storage, Invoice, inv.id)
                    if current.pending_amount:
                        outcomes.append("pending")
                        return
                    storage.update(attrs.evolve(current, pending_amount=Decimal(n + 1)))
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count("won") == 1 and len(outcomes) == 8
        assert _stored(storage, Invoice, inv.id).version == 1

    def test_times_keep_their_instant_and_zone(self, storage: Storage) -> None:
        later = WHEN + timedelta(days=1)
        msg = storage.insert(
            OutboxMessage(dedup_key="t", kind="event", payload={}, created_at=WHEN, next_attempt_at=later)
        )
        got = _stored(storage, OutboxMessage, msg.id)
        assert got.created_at == WHEN and got.next_attempt_at == later and got.created_at.utcoffset() == timedelta(0)

    def test_get_many_returns_the_found_ones(self, storage: Storage) -> None:
        a, b = (Contact(customer_id="c", first_name=n, last_name="X") for n in ("Ab", "Bc"))
        storage.insert_many([a, b])
        assert storage.get_many(Contact, [a.id, "missing", b.id]) == {a.id: a, b.id: b}
        assert storage.get_many(Contact, []) == {}

    def test_insert_many_is_all_or_nothing_unless_skipping(self, storage: Storage) -> None:
        first = OutboxMessage(dedup_key="k1", kind="mail", payload={}, created_at=WHEN)
        storage.insert(first)
        again = OutboxMessage(dedup_key="k1", kind="mail", payload={"x": 1}, created_at=WHEN)
        fresh = OutboxMessage(dedup_key="k2", kind="mail", payload={}, created_at=WHEN)
        with pytest.raises(Conflict):
            with storage.transaction():
                storage.insert_many([fresh, again])
        assert [m.dedup_key for m in storage.find(OutboxMessage)] == ["k1"]
        storage.insert_many([fresh, again, first], skip_existing=True)
        assert sorted(m.dedup_key for m in storage.find(OutboxMessage)) == ["k1", "k2"]
        assert _stored(storage, OutboxMessage, first.id).payload == {}

    def test_delete_many_removes_and_frees_unique_values(self, storage: Storage) -> None:
        a = storage.insert(Contact(customer_id="c", first_name="Ab", last_name="X", email="a@x.co"))
        b = storage.insert(Contact(customer_id="c", first_name="Bc", last_name="X"))
        storage.delete_many(Contact, [a.id, "missing"])
        assert [c.id for c in storage.find(Contact)] == [b.id] and storage.get(Contact, a.id) is None
        storage.insert(Contact(customer_id="c", first_name="Cd", last_name="X", email="a@x.co"))
        with pytest.raises(RuntimeError):
            with storage.transaction():
                storage.delete_many(Contact, [b.id])
                raise RuntimeError("boom")
        assert storage.get(Contact, b.id) == b

    def test_update_many_is_all_or_conflict(self, storage: Storage) -> None:
        a, b = (Contact(customer_id="c", first_name=n, last_name="X") for n in ("Ab", "Bc"))
        storage.insert_many([a, b])
        done = storage.update_many([attrs.evolve(a, last_name="Y"), attrs.evolve(b, last_name="Y")])
        assert [r.version for r in done] == [1, 1]
        with pytest.raises(Conflict):
            with storage.transaction():
                storage.update_many([attrs.evolve(done[0], last_name="Z"), attrs.evolve(b, last_name="Z")])
        assert {r.last_name for r in storage.find(Contact)} == {"Y"}

    def test_find_conditions_in_at_least_and_not(self, storage: Storage) -> None:
        day = date(2026, 3, 1)
        rows = [
            Invoice(
                number=f"I-{n}",
                property_id="p",
                amount=Decimal("1.00"),
                amount_due=Decimal("1.00"),
                invoice_date=day + timedelta(days=n),
                paid_on=None if n % 2 else day + timedelta(days=n),
            )
            for n in range(6)
        ]
        storage.insert_many(rows)

        def numbers(found: list[Invoice]) -> list[str]:
            return sorted(i.number for i in found)

        assert numbers(storage.find(Invoice, number=In(["I-1", "I-4", "nope"]))) == ["I-1", "I-4"]
        assert numbers(storage.find(Invoice, invoice_date=AtLeast(day + timedelta(days=4)))) == ["I-4", "I-5"]
        assert numbers(storage.find(Invoice, paid_on=Not(None))) == ["I-0", "I-2", "I-4"]
        assert numbers(storage.find(Invoice, paid_on=Not(day))) == ["I-2", "I-4"]  # a missing value matches no Not
        assert storage.find(Invoice, number=In([])) == []

    def test_page_is_keyset_pagination_in_either_direction(self, storage: Storage) -> None:
        day = date(2026, 3, 1)
        rows = [
            Invoice(
                number=f"I-{n % 4}",
                property_id="p" if n < 23 else "q",
                amount=Decimal("1.00"),
                amount_due=Decimal("1.00"),
                invoice_date=day + timedelta(days=n % 3),
            )
            for n in range(25)
        ]
        storage.insert_many(rows)
        for descending in (False, True):
            expected = sorted(
                (r for r in rows if r.property_id == "p"),
                key=lambda r: (r.due_date, r.number, r.id),
                reverse=descending,
            )
            seen: list[Any] = []
            while True:
                page = storage.page(
                    Invoice,
                    order=("due_date", "number"),
                    limit=7,
                    descending=descending,
                    after=seen[-1] if seen else None,
                    property_id="p",
                )
                seen += page
                if len(page) < 7:
                    break
            assert [r.id for r in seen] == [r.id for r in expected]

    def test_unique_values_are_unique_per_company(self, storage: Storage) -> None:
        storage.insert(Contact(customer_id="c", first_name="Ab", last_name="X", email="a@x.co", company_id="one"))
        storage.insert(Contact(customer_id="c", first_name="Ab", last_name="X", email="a@x.co", company_id="two"))
        storage.insert(Contact(customer_id="c", first_name="Ab", last_name="X", external_id="h-1", company_id="one"))
        storage.insert(Contact(customer_id="c", first_name="Ab", last_name="X", external_id="h-1", company_id="two"))
        with pytest.raises(Conflict):
            storage.insert(Contact(customer_id="c", first_name="Ab", last_name="Y", email="a@x.co", company_id="one"))
        with pytest.raises(Conflict):
            storage.insert(
                Contact(customer_id="c", first_name="Ab", last_name="Y", external_id="h-1", company_id="two")
            )
        assert len(storage.find(Contact, company_id="two")) == 2
