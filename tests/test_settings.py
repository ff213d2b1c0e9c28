"""Persisted, versioned settings (BRD-1, issue 13): saved per company, seen by every Portal."""

import attrs
import pytest
from conftest import SECRET, Adapters, build_world, make_config

from portalkit import Branding, Permission, PermissionDenied, Portal, ValidationError
from portalkit.models import SettingsRevision, StoredSettings


def second_portal(world) -> Portal:
    """Another worker on the same storage, built from the same starting config."""
    return Portal(make_config(), secret_key=SECRET, plugins=[Adapters(world.portal.shared_storage)])


def test_brd_1_saved_settings_survive_a_restart_and_reach_every_portal(world):
    other = second_portal(world)
    branding = attrs.evolve(world.portal.config.branding, nav_bar_colour="#123456")
    world.portal.update_config(
        world.staff, attrs.evolve(world.portal.config, company_name="Green Acres & Sons", branding=branding)
    )
    assert other.config.company_name == "Green Acres & Sons" and other.config.branding.nav_bar_colour == "#123456"
    restarted = second_portal(world)
    assert restarted.config.company_name == "Green Acres & Sons"
    assert isinstance(restarted.config.branding, Branding)


def test_brd_1_every_save_is_an_audit_line_with_who_and_what(world):
    portal = world.portal
    portal.update_config(world.staff, attrs.evolve(portal.config, company_name="A"))
    portal.update_config(world.staff, attrs.evolve(portal.config, proposal_window_days=10, show_issues=False))
    [second, first] = portal.settings.history(world.staff)
    assert (first.revision, first.changed, first.staff_name) == (1, ("company_name",), "Morgan Manager")
    assert (second.revision, second.changed) == (2, ("proposal_window_days", "show_issues"))
    assert portal.shared_storage.get(StoredSettings, "default").revision == 2
    assert len(portal.storage.find(SettingsRevision)) == 2


def test_brd_1_saving_settings_needs_the_permission_and_keeps_the_company(world):
    portal = world.portal
    clerk = portal.directory.add_staff(world.staff, "clerk@greenacres.test", "Casey Clerk", [Permission.MANAGE_ISSUES])
    with pytest.raises(PermissionDenied):
        portal.update_config(clerk, attrs.evolve(portal.config, company_name="Mine"))
    with pytest.raises(PermissionDenied):
        portal.settings.history(clerk)
    with pytest.raises(ValidationError):
        portal.update_config(world.staff, attrs.evolve(portal.config, company_id="another"))
    with pytest.raises(ValidationError):
        portal.update_config(world.staff, {"company_name": "Not a config"})
    assert portal.storage.find(SettingsRevision) == [] and portal.config.company_name == "Green Acres Landscaping"


def test_brd_1_settings_are_per_company(storage):
    north = build_world(storage, company_id="north")
    south = build_world(storage, company_id="south", company_name="Blue Sky Pools")
    north.portal.update_config(north.staff, attrs.evolve(north.portal.config, company_name="North Lawns"))
    assert (north.portal.config.company_name, south.portal.config.company_name) == ("North Lawns", "Blue Sky Pools")


def test_one_operation_reads_the_settings_once(world):
    """A unit of work pins the settings: one read of the settings row, however often services look."""
    portal, reads = world.portal, []
    shared = portal.shared_storage
    original = shared.get

    def counting(cls, id):
        if cls is StoredSettings:
            reads.append(id)
        return original(cls, id)

    shared.get = counting
    try:
        with portal.unit_of_work():
            for _ in range(5):
                assert portal.config.company_name
    finally:
        shared.get = original
    assert reads == ["default"]


def test_staff_page_through_the_outbox_with_the_settings_permission(world):
    portal = world.portal
    portal.dispatch_inline = False
    portal.invitations.send(world.staff, [world.alice.id, world.bob.id])
    first = portal.outbox_messages(world.staff, limit=3)
    rest = portal.outbox_messages(world.staff, after=first.next_after, limit=3)
    assert len(first) == 3 and len(rest) == 1 and rest.next_after is None  # 2 mails + 2 events
    assert not {m.id for m in first} & {m.id for m in rest}
    clerk = portal.directory.add_staff(world.staff, "clerk@greenacres.test", "Casey Clerk", [Permission.MANAGE_ISSUES])
    with pytest.raises(PermissionDenied):
        portal.outbox_messages(clerk)
    with pytest.raises(ValidationError):
        portal.outbox_messages(world.staff, "lost")


def test_brd_1_deploy_time_fields_come_from_the_code_and_the_companys_from_storage(world):
    """Saved settings used to replace the whole config: a redeploy that moved ``base_url`` or
    raised ``bcrypt_rounds`` did nothing. Now deploy-time fields follow the code, field by field."""
    portal = world.portal
    portal.update_config(world.staff, attrs.evolve(portal.config, company_name="Green Acres & Sons"))
    redeployed = Portal(
        make_config(base_url="https://portal.greenacres.example", bcrypt_rounds=5),
        secret_key=SECRET,
        plugins=[Adapters(world.portal.shared_storage)],
    )
    assert redeployed.config.base_url == "https://portal.greenacres.example"
    assert redeployed.config.bcrypt_rounds == 5
    assert redeployed.config.company_name == "Green Acres & Sons"  # the company's own choice stays
    link = redeployed.invitations.link_for(redeployed.directory.contact(world.alice.id))
    assert link.startswith("https://portal.greenacres.example/signup#")


def test_brd_1_a_save_cannot_change_a_deploy_time_field(world):
    portal = world.portal
    for change in ({"base_url": "https://evil.example"}, {"bcrypt_rounds": 4 + 1}, {"login_max_failures": 1000}):
        with pytest.raises(ValidationError) as refused:
            portal.update_config(world.staff, attrs.evolve(portal.config, **change))
        assert refused.value.field == next(iter(change))
    assert portal.storage.find(SettingsRevision) == []


def test_brd_2_a_saved_value_a_newer_release_refuses_is_dropped_not_fatal(world, caplog):
    """A logo address saved before it was checked (it could rewrite the page's CSP) must not stop
    every page from loading: the code's value is used, with a warning."""
    portal = world.portal
    portal.update_config(world.staff, attrs.evolve(portal.config, company_name="Kept Name"))
    stored = portal.shared_storage.get(StoredSettings, "default")
    branding = {**stored.config["branding"], "login_logo_url": "https://cdn.example;script-src 'unsafe-inline' *"}
    portal.shared_storage.update(
        attrs.evolve(stored, config={**stored.config, "branding": branding}, revision=stored.revision + 1)
    )
    config = portal.config
    assert config.branding.login_logo_url == "" and config.company_name == "Kept Name"
    assert "no longer valid" in caplog.text
