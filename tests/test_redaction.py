"""One redaction for logs and error texts: the secret settings come from the registry."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from enrichment.redaction import SERVICE_SECRETS, contains_secret, redact, secret_names
from enrichment.sources.registry import all_credentials

KEY = "k3y/with+odd=chars-0123"


def test_the_secret_settings_are_the_registrys_secret_credentials_and_the_services() -> None:
    secret = [c.variable for c in all_credentials() if c.secret]
    public = [c.variable for c in all_credentials() if not c.secret]
    assert set(secret_names()) == {*SERVICE_SECRETS, *secret}
    assert public and not set(public) & set(secret_names())


@pytest.mark.parametrize("credential", [c for c in all_credentials() if c.secret])
def test_every_secret_credential_is_redacted_as_written_and_url_quoted(
    settings: Any, credential: Any
) -> None:
    setattr(settings, credential.variable, KEY)
    text = f"sent {KEY}, then {quote(KEY, safe='')} and {quote_plus(KEY)}"
    assert redact(text) == "sent [redacted], then [redacted] and [redacted]"
    assert contains_secret(text) and not contains_secret(redact(text))


def test_values_given_for_one_text_are_redacted_too() -> None:
    assert redact("issued tok-4455667788 for you", also=["tok-4455667788"]) == (
        "issued [redacted] for you"
    )
    assert redact("tok", also=["tok"]) == "tok"  # too short to replace word for word
