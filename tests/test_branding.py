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
    for name in ("domain", "link_description", "show_invoices", "show_proposals", "show_issues", "proposal_window_days"):
        assert hasattr(c, name)
    for name in ("login_logo_url", "page_text", "display_font", "input_font", "background_colour", "border_colour",
                 "nav_bar_colour", "button_colour", "dashboard_text_colour", "dashboard_text", "title"):
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


def test_brd_3_host_preview_renders_without_saving(tmp_path):
    from examples.flask_host import create_app

    from hosts import STAFF_PASSWORD, csrf_of, demo_site

    site = demo_site(tmp_path)
    client = create_app(site, secure_cookies=False).test_client()
    csrf = csrf_of(client.get("/staff/login").get_data(as_text=True))
    client.post("/staff/login", data={"csrf": csrf, "email": "manager@greenacres.example", "password": STAFF_PASSWORD})
    form = {"csrf": csrf, "title": "Blue Sky Portal", "nav_bar_colour": "#0055AA", "button_colour": "#112233",
            "page_text": "Hello <b>", "dashboard_text": "", "show_invoices": "1", "show_proposals": "1"}
    html = client.post("/staff/branding", data={**form, "action": "preview"}).get_data(as_text=True)
    assert "--nav: #0055AA" in html and "Blue Sky Portal" in html and "Hello &lt;b&gt;" in html
    assert site.portal.config.branding.nav_bar_colour != "#0055AA"  # not saved
    bad = client.post("/staff/branding", data={**form, "nav_bar_colour": "0055AA", "action": "preview"})
    assert bad.status_code == 400 and "hex colour" in bad.get_data(as_text=True)
    client.post("/staff/branding", data={**form, "action": "save"})
    assert site.portal.config.branding.nav_bar_colour == "#0055AA" and not site.portal.config.show_issues
