"""TwilioTextMessenger's settings: malformed ones refused when it is built (``ConfigurationError``
naming the setting and its environment variable, never the value), the entry point reading every
setting from the environment, its registration, and the README's code blocks, run against the
local Twilio."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pluggy
import pytest
from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, SERVICE_SID
from portalkit_twilio import TwilioTextMessenger, plugin
from portalkit_twilio.messenger import ENVIRONMENT, REFUSALS

from portalkit import hookspecs
from portalkit.errors import ConfigurationError

ADAPTER = Path(__file__).resolve().parents[1]
README = ADAPTER / "README.md"
SETTINGS = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": FROM_NUMBER}
ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER}


@pytest.fixture
def clean_environment(monkeypatch):
    for variable in [*ENVIRONMENT.values(), "TWILIO_EDGE", "TWILIO_REGION"]:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


# -- the settings, checked at construction ------------------------------------------------------------
@pytest.mark.parametrize(
    "setting, value",
    [
        ("account_sid", ""),
        ("account_sid", None),
        ("account_sid", "AC"),
        ("account_sid", "AC" + "0" * 31),
        ("account_sid", "AC" + "0" * 33),
        ("account_sid", "AC" + "g" * 32),
        ("account_sid", "ac" + "0" * 32),
        ("account_sid", "MG" + "0" * 32),
        ("account_sid", "SK" + "0" * 32),
        ("account_sid", " " + ACCOUNT_SID),
        ("account_sid", ACCOUNT_SID + "\n"),
        ("account_sid", "AC 0123456789abcdef0123456789abcdef"),
        ("auth_token", ""),
        ("auth_token", None),
        ("auth_token", "0" * 31),
        ("auth_token", "0" * 33),
        ("auth_token", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE"),  # an API key secret: letters beyond f
        ("auth_token", AUTH_TOKEN + "\n"),
        ("auth_token", "your_auth_token"),
    ],
)
def test_an_empty_or_malformed_credential_is_refused_naming_the_setting_and_its_variable(setting, value):
    with pytest.raises(ConfigurationError) as refused:
        TwilioTextMessenger(**{**SETTINGS, setting: value})
    message = str(refused.value)
    assert setting in message and ENVIRONMENT[setting] in message
    if value and len(value.strip()) > 2:
        assert value.strip() not in message  # a secret is never repeated in logs


def test_an_api_key_sid_is_explained():
    with pytest.raises(ConfigurationError, match="API key SID"):
        TwilioTextMessenger(**{**SETTINGS, "account_sid": "SK" + "0" * 32})


@pytest.mark.parametrize(
    "senders, which",
    [
        ({}, "neither is set"),
        ({"from_number": FROM_NUMBER, "messaging_service_sid": SERVICE_SID}, "both are set"),
        ({"from_number": "", "messaging_service_sid": None}, "neither is set"),
    ],
)
def test_exactly_one_sender_is_required(senders, which):
    with pytest.raises(ConfigurationError) as refused:
        TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, **senders)
    message = str(refused.value)
    assert "TWILIO_FROM_NUMBER" in message and "TWILIO_MESSAGING_SERVICE_SID" in message and which in message


@pytest.mark.parametrize(
    "number",
    [
        "5555550100",
        "15555550100",
        "+1 555 555 0100",
        "+1-555-555-0100",
        "+0155555501",
        "GreenAcres",
        "12345",
        "+15555550100\n",
        "whatsapp:+15555550100",
    ],
)
def test_a_from_number_not_in_e164_is_refused_pointing_at_messaging_services(number):
    with pytest.raises(ConfigurationError, match="TWILIO_FROM_NUMBER.*E.164.*TWILIO_MESSAGING_SERVICE_SID"):
        TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, from_number=number)


@pytest.mark.parametrize("sid", ["MG", "MG" + "0" * 31, "PN" + "0" * 32, "MG" + "z" * 32, " " + SERVICE_SID])
def test_a_malformed_messaging_service_sid_is_refused(sid):
    with pytest.raises(ConfigurationError, match="messaging_service_sid.*TWILIO_MESSAGING_SERVICE_SID"):
        TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=sid)


@pytest.mark.parametrize(
    "api_base",
    [
        "localhost:8080",
        "api.twilio.com",
        "ftp://api.twilio.com",
        "https://",
        "https://api.twilio.com/?edge=dublin",
        "https://api.twilio.com/#x",
    ],
)
def test_an_api_base_that_is_not_an_http_url_is_refused(api_base):
    with pytest.raises(ConfigurationError, match="api_base.*TWILIO_API_BASE"):
        TwilioTextMessenger(**SETTINGS, api_base=api_base)


@pytest.mark.parametrize(
    "settings",
    [
        SETTINGS,
        {**SETTINGS, "account_sid": "AC" + ACCOUNT_SID[2:].upper(), "auth_token": AUTH_TOKEN.upper()},
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "messaging_service_sid": SERVICE_SID},
        {**SETTINGS, "from_number": "+447700900123", "api_base": "https://api.dublin.ie1.twilio.com/"},
        (ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER),  # positionally, as documented
    ],
)
def test_well_formed_settings_are_taken(settings):
    if isinstance(settings, tuple):
        messenger = TwilioTextMessenger(*settings)
    else:
        messenger = TwilioTextMessenger(**settings)
    assert messenger.name == "twilio" and not messenger.api_base.endswith("/")


# -- the entry point's environment ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"TWILIO_API_BASE": "http://127.0.0.1:8123"},
        {"TWILIO_ACCOUNT_SID": " ", "TWILIO_AUTH_TOKEN": "\n", "TWILIO_FROM_NUMBER": ""},
        {"TWILIO_EDGE": "dublin", "TWILIO_REGION": "ie1"},
    ],
)
def test_the_entry_point_answers_nothing_without_twilio_in_the_environment(environ):
    assert plugin.settings_from_environment(environ) is None
    assert plugin.messenger_from_environment(environ) is None


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_a_partly_configured_environment_is_refused_naming_the_missing_variable(missing):
    environ = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing):
        plugin.messenger_from_environment(environ)
    with pytest.raises(ConfigurationError, match=missing):
        plugin.messenger_from_environment({**environ, missing: "  "})


@pytest.mark.parametrize(
    "environ",
    [
        {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
        {**ENV, "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID},
    ],
)
def test_an_environment_without_exactly_one_sender_is_refused_naming_both(environ):
    with pytest.raises(ConfigurationError, match="TWILIO_FROM_NUMBER.*TWILIO_MESSAGING_SERVICE_SID"):
        plugin.messenger_from_environment(environ)


def test_a_sender_alone_is_a_partial_configuration_not_nothing():
    with pytest.raises(ConfigurationError, match="TWILIO_ACCOUNT_SID"):
        plugin.messenger_from_environment({"TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID})


def test_every_setting_comes_from_its_variable_stripped():
    environ = {
        "TWILIO_ACCOUNT_SID": f" {ACCOUNT_SID}\n",
        "TWILIO_AUTH_TOKEN": f"{AUTH_TOKEN}\n",
        "TWILIO_MESSAGING_SERVICE_SID": f"{SERVICE_SID} ",
        "TWILIO_FROM_NUMBER": " ",
        "TWILIO_API_BASE": " http://127.0.0.1:8123/ ",
    }
    assert plugin.settings_from_environment(environ) == {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": None,
        "messaging_service_sid": SERVICE_SID,
        "api_base": "http://127.0.0.1:8123/",
    }
    messenger = plugin.messenger_from_environment(environ)
    assert (messenger.messaging_service_sid, messenger.from_number) == (SERVICE_SID, None)
    assert messenger.api_base == "http://127.0.0.1:8123"
    assert plugin.messenger_from_environment(ENV).api_base == "https://api.twilio.com"  # the default


def test_a_malformed_api_base_in_the_environment_is_refused():
    with pytest.raises(ConfigurationError, match="TWILIO_API_BASE"):
        plugin.messenger_from_environment({**ENV, "TWILIO_API_BASE": "127.0.0.1:8123"})


def test_the_hook_reads_os_environ(clean_environment):
    assert plugin.portalkit_text_messenger() is None
    for variable, value in {**ENV, "TWILIO_API_BASE": "http://127.0.0.1:8123"}.items():
        clean_environment.setenv(variable, value)
    assert plugin.portalkit_text_messenger().api_base == "http://127.0.0.1:8123"
    clean_environment.setenv("TWILIO_AUTH_TOKEN", "")
    with pytest.raises(ConfigurationError, match="TWILIO_AUTH_TOKEN"):
        plugin.portalkit_text_messenger()


# -- the entry point, installed ---------------------------------------------------------------------------
def test_the_distribution_registers_its_entry_point():
    (entry,) = [e for e in importlib.metadata.entry_points(group=hookspecs.PROJECT) if e.name == "twilio"]
    assert entry.value == "portalkit_twilio.plugin" and entry.load() is plugin
    assert entry.dist is not None and entry.dist.name == "fieldportalkit-twilio"


def test_the_entry_point_answers_portalkits_hook(clean_environment):
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.load_setuptools_entrypoints(hookspecs.PROJECT, name="twilio")
    manager.check_pending()
    assert manager.hook.portalkit_text_messenger() is None
    for variable, value in ENV.items():
        clean_environment.setenv(variable, value)
    assert isinstance(manager.hook.portalkit_text_messenger(), TwilioTextMessenger)


def test_a_portal_loads_the_entry_point_and_a_hosts_messenger_wins(clean_environment):
    from portalkit import AdapterPlugin, Portal, PortalConfig, hookimpl
    from portalkit.testing import FakeProcessor, MemoryMailer, MemoryStorage

    for variable, value in ENV.items():
        clean_environment.setenv(variable, value)
    own = TwilioTextMessenger(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID)

    class Host:
        @hookimpl
        def portalkit_text_messenger(self):
            return own

    def portal(*plugins):
        return Portal(
            PortalConfig(sender_email="portal@example.test"),
            secret_key="entry-point-secret-0123",
            plugins=[
                AdapterPlugin(storage=MemoryStorage(), mailer=MemoryMailer(), processor=FakeProcessor()),
                *plugins,
            ],
        )

    assert portal().hook.portalkit_text_messenger().from_number == FROM_NUMBER  # the entry point's
    assert portal(Host()).hook.portalkit_text_messenger() is own


# -- the README ---------------------------------------------------------------------------------------------
def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(), flags=re.DOTALL | re.MULTILINE)


def test_the_readme_python_blocks_compile_and_run(clean_environment, tmp_path, twilio, capsys):
    """Each block is compiled, then all are run in order in one namespace (as a reader would paste
    them), with the environment they read pointing at the local Twilio."""
    blocks = _blocks("python")
    assert len(blocks) >= 4
    codes = [compile(block, f"README.md python block {n}", "exec") for n, block in enumerate(blocks, 1)]
    for variable, value in {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID,
        "TWILIO_API_BASE": twilio.url,
        "PORTAL_SECRET": "readme-secret-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }.items():
        clean_environment.setenv(variable, value)
    namespace: dict[str, object] = {"__name__": "readme"}
    for code in codes:
        exec(code, namespace)
    hosts = namespace["TwilioTexts"]().portalkit_text_messenger()  # type: ignore[operator]
    assert isinstance(hosts, TwilioTextMessenger) and hosts.messaging_service_sid == SERVICE_SID
    assert namespace["portal"].hook.portalkit_text_messenger().messaging_service_sid == SERVICE_SID  # type: ignore[attr-defined]
    assert isinstance(namespace["messenger"], TwilioTextMessenger)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("21614 Twilio refused the text to +15005550009: the number is not a mobile number")
    assert printed[1] == twilio.messages[-1]["sid"]
    assert twilio.received() == [("+15555550123", "Hello from the local Twilio")]


def test_the_readme_entry_point_is_the_distributions():
    (block,) = _blocks("toml")
    pyproject = tomllib.loads((ADAPTER / "pyproject.toml").read_text())
    assert tomllib.loads(block)["project"]["entry-points"] == pyproject["project"]["entry-points"]
    assert pyproject["project"]["name"] == "fieldportalkit-twilio"
    assert {"fieldportalkit", "twilio>=9"} <= set(pyproject["project"]["dependencies"])


def test_the_readme_names_every_setting_variable_and_refusal():
    text = README.read_text()
    for setting, variable in ENVIRONMENT.items():
        assert f"| `{setting}` | `{variable}` |" in text, setting
    assert "| `http_client` |" in text
    listed = {
        int(code) for row in re.findall(r"^\| ([0-9, ]+) \|", text, flags=re.MULTILINE) for code in row.split(",")
    }
    assert listed == set(REFUSALS)
    assert "<mount>/webhooks/texts" in text and "https://example.com/portal/webhooks/texts" in text
