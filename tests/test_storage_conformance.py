import pytest
from storages import make_storage

from portalkit.testing import StorageConformance


class TestStorages(StorageConformance):
    @pytest.fixture(params=["memory", "sqlite", "sqlite-memory", "postgres"])
    def storage(self, request):
        return make_storage(request.param, request)
