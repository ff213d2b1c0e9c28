import pytest

from portalkit import Branding, PortalConfig
from portalkit.config import updated
from portalkit.errors import ValidationError


@pytest.mark.parametrize("colour", ["#FFF", "#1a2B3c", "#000000"])
def test_brd_2_hex_colours_with_hash_accepted(colour):
    assert Branding(background_colour=colour).background_colour == colour


@pytest.mark.parametrize("colour", ["FFFFFF", "#FFFF", "#GGGGGG", "red", "#1234567", "", "#12345;}"])
def test_brd_2_anything_else_refused(colour):
    with pytest.raises(ValidationError) as err:
        Branding(nav_bar_colour=colour)
    assert err.value.field == "nav_bar_colour"


def test_brd_1_config_holds_every_setting_with_manual_defaults():
    c = PortalConfig()
    for name in (
        "domain",
        "link_description",
        "show_invoices",
        "show_proposals",
        "show_issues",
        "proposal_window_days",
    ):
        assert hasattr(c, name)
    for name in (
        "login_logo_url",
        "page_text",
        "display_font",
        "input_font",
        "background_colour",
        "border_colour",
        "nav_bar_colour",
        "button_colour",
        "dashboard_text_colour",
        "dashboard_text",
        "title",
    ):
        assert hasattr(c.branding, name)
    assert (c.invite_link_days, c.enabled) == (30, False)


def test_brd_3_preview_is_checked_and_nothing_is_saved():
    c = PortalConfig()
    preview = updated(c, company_name="Blue Sky HVAC", branding={"button_colour": "#0055AA"})
    assert preview.branding.button_colour == "#0055AA" and c.branding.button_colour != "#0055AA"
    with pytest.raises(ValidationError):
        updated(c, branding={"button_colour": "blue"})
    with pytest.raises(ValidationError):
        updated(c, no_such_setting=1)
