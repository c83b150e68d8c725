"""The provider's URLs come from the function's environment; a malformed one is refused
before any request, without showing it (a URL may carry credentials)."""

from __future__ import annotations

import pytest

from bearer_token.x_oauth import ProviderSettings
from steward_common.errors import ConfigurationError


def test_the_defaults_are_x_s_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKEN_URL", "INVALIDATE_URL", "VERIFY_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = ProviderSettings.from_env()
    assert settings.token_url == "https://api.x.com/oauth2/token"
    assert settings.verify_url == "https://api.x.com/2/usage/tweets"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/oauth2/token", "https://api.x.com/t"])
def test_absolute_http_urls_are_accepted(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_URL", url)
    assert ProviderSettings.from_env().token_url == url


@pytest.mark.parametrize(
    "url",
    [
        "api.x.com/oauth2/token",  # no scheme
        "ftp://api.x.com/oauth2/token",
        "https:///oauth2/token",  # no host
        "https://user:s3cret@api.x.com:port/oauth2/token",  # a port that is not a number
        "",
    ],
)
@pytest.mark.parametrize("name", ["TOKEN_URL", "INVALIDATE_URL", "VERIFY_URL"])
def test_a_malformed_url_is_a_configuration_error_that_does_not_show_it(
    name: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, url)
    with pytest.raises(ConfigurationError, match=f"{name} is not an absolute http") as raised:
        ProviderSettings.from_env()
    assert url not in str(raised.value) or not url
    assert "s3cret" not in str(raised.value)
