"""StripeProcessor's settings: malformed keys refused when it is built (``ConfigurationError``
naming the setting and its environment variable), the entry point reading every setting from the
environment (js_url following STRIPE_API_BASE unless STRIPE_JS_URL says otherwise), and the
README's code blocks, run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from portalkit_stripe import StripeProcessor, plugin
from portalkit_stripe.processor import _EVENTS, ENVIRONMENT

from portalkit.errors import ConfigurationError

ADAPTER = Path(__file__).resolve().parents[1]
README = ADAPTER / "README.md"
KEYS = {
    "api_key": "sk_test_portalkit",
    "publishable_key": "pk_test_portalkit",
    "webhook_secret": "whsec_portalkit_test_0123456789",
}
ENV = {
    "STRIPE_API_KEY": KEYS["api_key"],
    "STRIPE_PUBLISHABLE_KEY": KEYS["publishable_key"],
    "STRIPE_WEBHOOK_SECRET": KEYS["webhook_secret"],
}


# -- the keys, checked at construction ---------------------------------------------------------------
@pytest.mark.parametrize(
    "setting, value",
    [
        ("api_key", ""),
        ("api_key", None),
        ("api_key", "pk_test_portalkit"),
        ("api_key", "whsec_portalkit"),
        ("api_key", "sk_"),
        ("api_key", "sk_test_port kit"),
        ("api_key", "sk_test_portalkit\n"),
        ("api_key", "test_123"),
        ("publishable_key", ""),
        ("publishable_key", "sk_test_portalkit"),
        ("publishable_key", "pk_"),
        ("publishable_key", " pk_test_portalkit"),
        ("webhook_secret", ""),
        ("webhook_secret", "portalkit_test_0123456789"),
        ("webhook_secret", "whsec_"),
        ("webhook_secret", "sk_test_portalkit"),
        ("webhook_secret", "whsec_portalkit\t0123"),
    ],
)
def test_an_empty_or_malformed_key_is_refused_naming_the_setting_and_its_variable(setting, value):
    with pytest.raises(ConfigurationError) as refused:
        StripeProcessor(**{**KEYS, setting: value})
    message = str(refused.value)
    assert setting in message and ENVIRONMENT[setting] in message
    if value and value.strip() not in ("sk_", "pk_", "whsec_"):
        assert value.strip() not in message  # a secret is never repeated in logs


def test_a_publishable_key_is_required():
    with pytest.raises(TypeError):
        StripeProcessor(api_key=KEYS["api_key"], webhook_secret=KEYS["webhook_secret"])  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "api_key, publishable_key", [("sk_test_portalkit", "pk_live_portalkit"), ("rk_live_portalkit", "pk_test_portalkit")]
)
def test_test_and_live_keys_are_not_mixed(api_key, publishable_key):
    with pytest.raises(ConfigurationError, match="STRIPE_API_KEY.*STRIPE_PUBLISHABLE_KEY"):
        StripeProcessor(**{**KEYS, "api_key": api_key, "publishable_key": publishable_key})


@pytest.mark.parametrize(
    "api_key, publishable_key",
    [
        ("sk_live_portalkit", "pk_live_portalkit"),
        ("rk_test_portalkit", "pk_test_portalkit"),
        ("sk_portalkit", "pk_test_portalkit"),
    ],
)
def test_well_formed_keys_are_taken(api_key, publishable_key):
    processor = StripeProcessor(**{**KEYS, "api_key": api_key, "publishable_key": publishable_key})
    assert processor.hosted_fields()["publishable_key"] == publishable_key


@pytest.mark.parametrize(
    "setting, value",
    [
        ("api_base", "localhost:8420"),
        ("api_base", "ftp://localhost"),
        ("js_url", "js.stripe.com/v3/"),
        ("js_url", "https://"),
    ],
)
def test_urls_that_are_not_http_are_refused(setting, value):
    with pytest.raises(ConfigurationError, match=ENVIRONMENT[setting]):
        StripeProcessor(**KEYS, **{setting: value})


@pytest.mark.parametrize("method_types", [(), ("card", "ach"), ("sepa_debit",)])
def test_method_types_the_adapter_cannot_read_are_refused(method_types):
    with pytest.raises(ConfigurationError, match="STRIPE_METHOD_TYPES"):
        StripeProcessor(**KEYS, method_types=method_types)


def test_js_url_follows_api_base_when_constructed_too():
    fields = StripeProcessor(**KEYS, api_base="http://localhost:8420/").hosted_fields()
    assert (fields["api"], fields["js_url"]) == ("http://localhost:8420", "http://localhost:8420/js.stripe.com/v3/")
    fields = StripeProcessor(**KEYS).hosted_fields()
    assert (fields["api"], fields["js_url"]) == ("https://api.stripe.com", "https://js.stripe.com/v3/")
    fields = StripeProcessor(**KEYS, api_base="http://localhost:8420", js_url="https://cdn.test/v3/").hosted_fields()
    assert fields["js_url"] == "https://cdn.test/v3/"


# -- the entry point's environment ---------------------------------------------------------------------
def test_the_entry_point_answers_nothing_without_stripe_in_the_environment():
    assert plugin.settings_from_environment({}) is None
    assert (
        plugin.processor_from_environment({"STRIPE_API_BASE": "http://localhost:8420", "STRIPE_API_KEY": " "}) is None
    )


@pytest.mark.parametrize("missing", sorted(ENV))
def test_a_partly_configured_environment_is_refused_naming_the_missing_variable(missing):
    environ = {k: v for k, v in ENV.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing):
        plugin.processor_from_environment(environ)
    with pytest.raises(ConfigurationError, match=missing):
        plugin.processor_from_environment({**environ, missing: ""})


def test_a_portal_on_a_misconfigured_entry_point_fails_when_it_is_built(monkeypatch):
    from portalkit import AdapterPlugin, Portal, PortalConfig
    from portalkit.testing import MemoryMailer, MemoryStorage

    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("STRIPE_API_KEY", KEYS["api_key"])
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", KEYS["publishable_key"])
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "")
    with pytest.raises(ConfigurationError, match="STRIPE_WEBHOOK_SECRET"):
        Portal(
            PortalConfig(sender_email="portal@example.test"),
            secret_key="entry-point-secret-0123",
            plugins=[AdapterPlugin(storage=MemoryStorage(), mailer=MemoryMailer())],
        )


def test_js_url_follows_stripe_api_base():
    fields = plugin.processor_from_environment({**ENV, "STRIPE_API_BASE": "http://localhost:8420/"}).hosted_fields()
    assert fields["api"] == "http://localhost:8420"
    assert fields["js_url"] == "http://localhost:8420/js.stripe.com/v3/"


def test_without_stripe_api_base_everything_is_stripes_own():
    fields = plugin.processor_from_environment(ENV).hosted_fields()
    assert (fields["api"], fields["js_url"]) == ("https://api.stripe.com", "https://js.stripe.com/v3/")


def test_an_explicit_stripe_js_url_wins():
    environ = {**ENV, "STRIPE_API_BASE": "http://localhost:8420", "STRIPE_JS_URL": "https://js.stripe.com/v3/"}
    fields = plugin.processor_from_environment(environ).hosted_fields()
    assert (fields["api"], fields["js_url"]) == ("http://localhost:8420", "https://js.stripe.com/v3/")


def test_every_setting_comes_from_its_variable_stripped():
    environ = {
        "STRIPE_API_KEY": " sk_test_portalkit\n",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_portalkit\n",
        "STRIPE_WEBHOOK_SECRET": "whsec_portalkit_test_0123456789\n",
        "STRIPE_API_BASE": "http://localhost:8420",
        "STRIPE_JS_URL": "http://localhost:8420/js.stripe.com/v3/",
        "STRIPE_METHOD_TYPES": " card, us_bank_account ",
    }
    assert plugin.settings_from_environment(environ) == {
        **KEYS,
        "api_base": "http://localhost:8420",
        "js_url": "http://localhost:8420/js.stripe.com/v3/",
        "method_types": ("card", "us_bank_account"),
    }
    processor = plugin.processor_from_environment(environ)
    assert processor._method_types == ["card", "us_bank_account"]
    assert plugin.processor_from_environment(ENV)._method_types == ["card"]  # the default


def test_stripe_method_types_with_an_unknown_type_is_refused():
    with pytest.raises(ConfigurationError, match="STRIPE_METHOD_TYPES"):
        plugin.processor_from_environment({**ENV, "STRIPE_METHOD_TYPES": "card,ach"})


def test_the_hook_reads_os_environ(monkeypatch):
    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    assert plugin.portalkit_payment_processor() is None
    for variable, value in {**ENV, "STRIPE_API_BASE": "http://localhost:8420"}.items():
        monkeypatch.setenv(variable, value)
    assert plugin.portalkit_payment_processor().hosted_fields()["js_url"] == "http://localhost:8420/js.stripe.com/v3/"


# -- the README ------------------------------------------------------------------------------------------------
def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README.read_text(), flags=re.DOTALL | re.MULTILINE)


def test_the_readme_python_blocks_compile_and_run(monkeypatch, tmp_path):
    """Each block is compiled, then all are run in order in one namespace (as a reader would
    paste them), with the environment they read."""
    blocks = _blocks("python")
    assert len(blocks) >= 2
    codes = [compile(block, f"README.md python block {n}", "exec") for n, block in enumerate(blocks, 1)]
    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    for variable, value in {
        **ENV,
        "PORTAL_SECRET": "readme-secret-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }.items():
        monkeypatch.setenv(variable, value)
    namespace: dict[str, object] = {"__name__": "readme"}
    for code in codes:
        exec(code, namespace)
    assert isinstance(namespace["portal"].processor, StripeProcessor)  # type: ignore[attr-defined]
    assert isinstance(namespace["processor"], StripeProcessor)


def test_the_readme_entry_point_is_the_distributions():
    (block,) = _blocks("toml")
    pyproject = tomllib.loads((ADAPTER / "pyproject.toml").read_text())
    assert tomllib.loads(block)["project"]["entry-points"] == pyproject["project"]["entry-points"]
    assert pyproject["project"]["name"] == "fieldportalkit-stripe"
    assert "fieldportalkit" in pyproject["project"]["dependencies"]


def test_the_readme_names_every_variable_and_every_event_the_processor_reads():
    text = README.read_text()
    assert all(f"`{variable}`" in text for variable in ENVIRONMENT.values())
    handled = [*_EVENTS, "charge.refunded", "charge.failed", "charge.dispute.created", "charge.dispute.closed"]
    for event in handled:
        assert f"| `{event}` |" in text, event
    (listen,) = re.findall(r"--events (\S+)", text)
    assert sorted(listen.split(",")) == sorted(handled)
