"""The portal's current configuration, shared by every service of one Portal.

Services read ``settings.current`` on every call, so a saved change applies to the next request.
Staff replace it through ``replace`` (``MANAGE_SETTINGS``, BRD-1).
"""

from __future__ import annotations

from .config import PortalConfig
from .permissions import require
from .errors import ValidationError
from .models import Permission, StaffUser


class Settings:
    def __init__(self, config: PortalConfig):
        self.current = _checked(config)

    def replace(self, staff: StaffUser, config: PortalConfig) -> None:
        """``MANAGE_SETTINGS``: make ``config`` the portal's configuration."""
        require(staff, Permission.MANAGE_SETTINGS)
        self.current = _checked(config)


def _checked(config: object) -> PortalConfig:
    if not isinstance(config, PortalConfig):
        raise ValidationError("The portal's settings must be a PortalConfig.", field="config")
    return config
