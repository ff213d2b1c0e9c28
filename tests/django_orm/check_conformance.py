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
