"""The storage conformance suite on DjangoStorage (run by tests/test_django_storage.py in a
process of its own, with tests/django_orm/settings.py)."""

import django
import pytest

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from portalkit.contrib.django.storage import DjangoStorage  # noqa: E402
from portalkit.testing import StorageConformance  # noqa: E402


@pytest.fixture(scope="session")
def migrated():
    call_command("migrate", verbosity=0)
    yield
    connections.close_all()


class TestDjangoStorage(StorageConformance):
    @pytest.fixture
    def storage(self, migrated):
        storage = DjangoStorage()
        storage.truncate_all()
        return storage


def test_portal_writes_join_the_hosts_transaction(migrated):
    """A portal operation inside the host's ``transaction.atomic`` commits or rolls back with it."""
    from django.db import transaction

    from portalkit import Portal, PortalConfig
    from portalkit.models import Customer
    from portalkit.testing import InMemoryPlugin

    storage = DjangoStorage()
    storage.truncate_all()
    portal = Portal(
        PortalConfig(enabled=True, bcrypt_rounds=4, sender_email="portal@example.test"),
        secret_key="django-atomic-test-key",
        plugins=[InMemoryPlugin(storage=storage)],
    )
    staff = portal.directory.create_first_admin("boss@example.com", "Boss")
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            portal.directory.add_customer(staff, "Rolled Back HOA")
            raise RuntimeError("the host's own write failed")
    with transaction.atomic():
        portal.directory.add_customer(staff, "Kept HOA")
    assert [c.name for c in portal.storage.find(Customer)] == ["Kept HOA"]
