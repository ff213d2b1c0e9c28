from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal

import attrs
import pytest
from PIL import Image, ImageDraw
from storages import KINDS, make_storage

from portalkit import Portal, PortalConfig
from portalkit.adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer, MemoryStorage
from portalkit.adapters.payments import FakeProcessor
from portalkit.plugins import AdapterPlugin

SECRET = "test-secret-key-0123456789"
PASSWORD = "garden-2026"


def signature_png(ink: bool = True, background=(0, 0, 0, 0)) -> str:
    """A signature pad's PNG data URL: a stroke on a transparent pad, or the untouched pad."""
    image = Image.new("RGBA", (300, 100), background)
    if ink:
        ImageDraw.Draw(image).line([(20, 70), (80, 20), (140, 75), (260, 30)], fill=(20, 20, 60, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


PNG_SIGNATURE = signature_png()


class Adapters(AdapterPlugin):
    """Test plugin: the given storage, a mailer to read, a clock to move, the fake processor."""

    def __init__(self, storage=None, mailer=None, file_store=None, texts=None):
        super().__init__(
            storage=storage or MemoryStorage(),
            mailer=mailer or MemoryMailer(),
            clock=FrozenClock(),
            processor=FakeProcessor(),
            file_store=file_store or MemoryFileStore(),
            texts=texts,
        )


def make_config(**changes) -> PortalConfig:
    base = PortalConfig(
        enabled=True,
        company_name="Green Acres Landscaping",
        bcrypt_rounds=4,
        base_url="https://portal.greenacres.test",
        domain="greenacres.test",
        sender_email="portal@greenacres.test",
        convenience_fee_percent=Decimal("3.00"),
    )
    return attrs.evolve(base, **changes)


@attrs.define(slots=False)
class World:
    portal: Portal
    adapters: Adapters
    staff: object
    customer: object
    prop: object
    other_prop: object
    alice: object  # primary contact of prop
    bob: object  # linked to prop, not primary
    stranger: object  # another customer's contact

    @property
    def mailer(self) -> MemoryMailer:
        return self.adapters.mailer

    @property
    def clock(self) -> FrozenClock:
        return self.adapters.clock

    def enrol(self, contact, password: str = PASSWORD):
        self.portal.invitations.send(self.staff, [contact.id])
        token = self.portal.invitations.link_for(self.portal.directory.contact(contact.id)).split("#", 1)[1]
        self.portal.accounts.sign_up(token, password, password)
        return self.portal.directory.contact(contact.id)


def build_world(storage=None, *, mailer=None, file_store=None, processor=None, texts=None, **config) -> World:
    adapters = Adapters(storage, mailer, file_store, texts)
    if processor is not None:
        adapters.processor = processor
    portal = Portal(make_config(**config), secret_key=SECRET, plugins=[adapters])
    d = portal.directory
    staff = d.create_first_admin("manager@greenacres.test", "Morgan Manager")
    customer = d.add_customer(staff, "Oak Street HOA")
    prop = d.add_property(
        staff,
        customer.id,
        "Oak Street Commons",
        account_owner_email="owner@greenacres.test",
        operations_manager_email="ops@greenacres.test",
    )
    other_prop = d.add_property(staff, customer.id, "Oak Street Pool")
    alice = d.add_contact(staff, customer.id, "Alice", "Green", "alice@example.com", property_ids=(prop.id,))
    d.set_primary_contact(staff, prop.id, alice.id)
    bob = d.add_contact(staff, customer.id, "Bob", "Stone", "bob@example.com", property_ids=(prop.id,))
    other = d.add_customer(staff, "Maple Court")
    other_prop_2 = d.add_property(staff, other.id, "Maple Court Lawn")
    stranger = d.add_contact(staff, other.id, "Sam", "Stranger", "sam@example.com", property_ids=(other_prop_2.id,))
    d.set_primary_contact(staff, other_prop_2.id, stranger.id)
    return World(portal, adapters, staff, customer, prop, other_prop, d.contact(alice.id), bob, d.contact(stranger.id))


@pytest.fixture(scope="session")
def pg_storage():
    """One PostgreSQL server and schema for the session; each test starts from empty tables."""
    from portalkit.adapters.sql import SqlStorage
    from portalkit.testing.postgres import NoPostgres, postgres_url

    try:
        with postgres_url() as url:
            storage = SqlStorage(url)
            yield storage
            storage.dispose()
    except NoPostgres as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")


@pytest.fixture(params=KINDS)
def storage(request):
    return make_storage(request.param, request)


@pytest.fixture
def world(storage) -> World:
    return build_world(storage)


@pytest.fixture
def enrolled(world: World) -> World:
    world.alice = world.enrol(world.alice)
    world.bob = world.enrol(world.bob)
    world.stranger = world.enrol(world.stranger)
    return world


def invoice(world: World, number="INV-1", amount="500.00", billing=None, **kw):
    return world.portal.invoices.add(
        world.staff, world.prop.id, number, amount, date(2026, 1, 5), billing_contact_id=billing, **kw
    )
