"""The portal's records in Django's admin, for the host's staff: processor webhooks (with
"Process again"), the outbox (with "Send again") and contacts (read-only). Nothing is edited
here: changes go through the portal, whose services check permissions and keep the books.
Visible to superusers and to staff holding the portal permission the records belong to
(``manage_billing``, ``manage_settings``, ``manage_contacts``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ...labels import english
from ...models import Contact, OutboxMessage, PortalStatus, WebhookEvent
from .conf import get_portal
from .models import RECORD_MODELS


class _ReadOnly(admin.ModelAdmin):
    permission = ""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(
            request.user.is_active and request.user.is_staff and request.user.has_perm(f"portalkit.{self.permission}")
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(company_id=get_portal().settings.company_id)


class PortalStatusFilter(admin.SimpleListFilter):
    """Contacts by portal status, named by its words ("Not Enrolled"), not its stored code."""

    title = "portal status"
    parameter_name = "portal_status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(status.value, english(status)) for status in PortalStatus]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(portal_status=self.value()) if self.value() else queryset


@admin.register(RECORD_MODELS[WebhookEvent])
class WebhookEventAdmin(_ReadOnly):
    permission = "manage_billing"
    list_display = ("received_at", "processor", "kind", "event_id", "outcome", "attempts", "processed_at")
    list_filter = ("outcome", "processor", "kind")
    search_fields = ("event_id",)
    ordering = ("-received_at",)
    actions = ("process_again",)

    @admin.action(description="Process again (verified deliveries only)")
    def process_again(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        webhooks = get_portal().webhooks
        done = [webhooks.reprocess(None, record.id) for record in queryset if record.valid]
        failed = sum(1 for d in done if d.outcome == "error")
        self.message_user(
            request,
            f"Processed {len(done) - failed} again; {failed} failed again.",
            messages.WARNING if failed else messages.SUCCESS,
        )


@admin.register(RECORD_MODELS[OutboxMessage])
class OutboxMessageAdmin(_ReadOnly):
    permission = "manage_settings"
    list_display = ("created_at", "kind", "status", "attempts", "next_attempt_at", "last_error", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("dedup_key",)
    ordering = ("-created_at",)
    actions = ("send_again",)

    @admin.action(description="Send again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = get_portal().outbox.retry([record.id for record in queryset])
        self.message_user(request, f"{count} message(s) will be sent again by the worker.", messages.SUCCESS)


@admin.register(RECORD_MODELS[Contact])
class ContactAdmin(_ReadOnly):
    permission = "manage_contacts"
    list_display = ("first_name", "last_name", "email", "status", "suspended", "archived", "external_id")
    list_filter = (PortalStatusFilter, "suspended", "archived")
    search_fields = ("email", "last_name", "first_name", "external_id")
    ordering = ("last_name", "first_name")
    exclude = ("password_hash",)

    @admin.display(description="Portal status", ordering="portal_status")
    def status(self, record: Any) -> str:
        return english(PortalStatus(record.portal_status))
