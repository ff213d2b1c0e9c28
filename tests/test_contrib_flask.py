"""portalkit.contrib.flask details: the host's templates win, ``current_contact``, wiring errors."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from flask import Flask

from portalkit.contrib.flask import PortalKit, current_contact
from portalkit.testing import make_portal


def test_the_hosts_template_folder_wins(tmp_path):
    (tmp_path / "portalkit").mkdir()
    (tmp_path / "portalkit" / "login.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Log in to Green Acres</h1>{{ csrf_field() }}{% endblock %}'
    )
    app = Flask(__name__, template_folder=str(tmp_path))
    app.secret_key = "override-test-secret-0123456789"
    PortalKit(app, make_portal(), url_prefix="/p")
    html = app.test_client().get("/p/login").get_data(as_text=True)
    assert "Log in to Green Acres" in html and 'name="csrf_token"' in html
    assert "Forgot Password?" not in html  # the package's login page is not used


def test_current_contact_is_the_logged_in_customer():
    portal = make_portal(company_name="Green Acres")
    admin = portal.directory.create_first_admin("owner@greenacres.test", "Olive Owner")
    customer = portal.directory.add_customer(admin, "Oak Street HOA")
    alice = portal.directory.add_contact(admin, customer.id, "Alice", "Green", "alice@example.com", invite=True)
    token = portal.invitations.link_for(portal.directory.contact(alice.id)).split("#", 1)[1]
    portal.accounts.sign_up(token, PASSWORD, PASSWORD)
    app = Flask(__name__)
    app.secret_key = "current-contact-secret-0123456789"

    @app.get("/whoami")
    def whoami():
        return current_contact.name if current_contact else "nobody"

    PortalKit(app, portal)
    client = app.test_client()
    assert client.get("/whoami").data == b"nobody"
    page = client.get("/portal/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/portal/login", data={"csrf_token": csrf, "email": "alice@example.com", "password": PASSWORD})
    assert client.get("/whoami").data == b"Alice Green"


def test_mounting_without_a_secret_key_or_portal_is_a_clear_error():
    with pytest.raises(RuntimeError, match="secret_key"):
        PortalKit(Flask(__name__), make_portal())
    app = Flask(__name__)
    app.secret_key = "x" * 32
    with pytest.raises(RuntimeError, match="needs a portalkit.Portal"):
        PortalKit(app)
