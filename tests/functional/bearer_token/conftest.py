"""Fixtures for the bearer-token rotation: moto Secrets Manager and the fake X provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.x_provider import FakeXProvider
from tests.support.x_apps import APP_A, APP_B


@pytest.fixture
def provider() -> Iterator[FakeXProvider]:
    with FakeXProvider() as fake:
        fake.register_app(**APP_A)
        fake.register_app(**APP_B)
        yield fake


@pytest.fixture
def provider_env(provider: FakeXProvider, monkeypatch: pytest.MonkeyPatch) -> FakeXProvider:
    monkeypatch.setenv("TOKEN_URL", provider.token_url)
    monkeypatch.setenv("INVALIDATE_URL", provider.invalidate_url)
    monkeypatch.setenv("VERIFY_URL", provider.verify_url)
    monkeypatch.setenv("HTTP_BACKOFF_SECONDS", "0.01")
    return provider
