import os
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DjangoHostConfig(AppConfig):
    name = "examples.django_host"
    label = "django_host"

    def ready(self) -> None:
        post_migrate.connect(create_demo_manager)


def create_demo_manager(app_config: AppConfig, **_kwargs: Any) -> None:
    """The demo's data in the portal's tables, and its staff user: a Django user holding every
    portalkit permission (made once the portalkit app's tables and permissions exist; this app
    has no models, so it gets no signal of its own)."""
    from django.contrib.auth.models import Permission, User

    if app_config.label != "portalkit":
        return
    from portalkit.contrib.django.conf import get_portal

    from ..common.host import DEFAULT_STAFF_PASSWORD, STAFF_EMAIL, seed

    seed(get_portal(), STAFF_EMAIL)
    if User.objects.filter(email=STAFF_EMAIL).exists():
        return
    user = User.objects.create_user(
        "manager",
        STAFF_EMAIL,
        os.environ.get("PORTALKIT_STAFF_PASSWORD", DEFAULT_STAFF_PASSWORD),
        first_name="Morgan",
        last_name="Manager",
        is_staff=True,
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="portalkit"))
