"""The fake X provider over real HTTP: one token per app, OAuth 1.0a invalidation, failures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from requests_oauthlib import OAuth1

from fakes.x_provider import FakeXProvider, RequestRecord

KEY = "consumer-key-1"
SECRET = "consumer-secret-1"
ACCESS = "1234-access-token"
ACCESS_SECRET = "access-token-secret-1"
LEGACY_KEY = "legacy-key"
LEGACY_SECRET = "legacy-secret"
TIMEOUT = 5
FORM_UTF8 = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}


@pytest.fixture
def x() -> Iterator[FakeXProvider]:
    with FakeXProvider() as provider:
        provider.register_app(KEY, SECRET, ACCESS, ACCESS_SECRET)
        provider.register_app(
            LEGACY_KEY, LEGACY_SECRET, "9-legacy", "legacy-ts", allow_basic_invalidation=True
        )
        yield provider


def basic(key: str, secret: str) -> dict[str, str]:
    """The Authorization header X documents: base64(urlencode(key):urlencode(secret))."""
    raw = f"{quote(key, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def mint(x: FakeXProvider, key: str = KEY, secret: str = SECRET) -> requests.Response:
    return requests.post(
        x.token_url,
        headers={**basic(key, secret), **FORM_UTF8},
        data="grant_type=client_credentials",
        timeout=TIMEOUT,
    )


def invalidate_oauth1(
    x: FakeXProvider, token: str, consumer_secret: str = SECRET, **kwargs: Any
) -> requests.Response:
    auth = OAuth1(KEY, consumer_secret, ACCESS, ACCESS_SECRET)
    return requests.post(x.invalidate_url, auth=auth, timeout=TIMEOUT, **kwargs)


def verify(x: FakeXProvider, token: str, url: str | None = None) -> requests.Response:
    return requests.get(
        url or x.verify_url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )


def test_minting_twice_returns_the_same_live_token(x: FakeXProvider) -> None:
    first = mint(x)
    second = mint(x)

    assert first.status_code == second.status_code == 200
    assert first.json()["token_type"] == "bearer"
    token = first.json()["access_token"]
    assert token.startswith("AAAAAAAAAAAAAAAAAAAAA")
    assert second.json()["access_token"] == token == x.live_token(KEY)
    assert verify(x, token).status_code == 200
    assert verify(x, token, x.api_url).status_code == 200
    assert x.auth_failures == 0


def test_requests_basic_auth_and_form_dict_mint_like_a_client_library(x: FakeXProvider) -> None:
    response = requests.post(
        x.token_url,
        auth=(KEY, SECRET),
        data={"grant_type": "client_credentials"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert response.json()["access_token"] == x.live_token(KEY)


def test_oauth1_invalidation_kills_the_token_and_verify_then_counts_a_401(
    x: FakeXProvider,
) -> None:
    token = mint(x).json()["access_token"]

    response = invalidate_oauth1(x, token, data={"access_token": token})

    assert response.status_code == 200
    assert response.json() == {"access_token": token}
    assert x.live_token(KEY) is None
    dead = verify(x, token)
    assert dead.status_code == 401
    assert dead.json() == {
        "title": "Unauthorized",
        "type": "about:blank",
        "status": 401,
        "detail": "Unauthorized",
    }
    assert verify(x, token, x.api_url).status_code == 401
    assert x.auth_failures == 2


def test_oauth1_invalidation_accepts_the_token_in_the_query_string(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]

    response = invalidate_oauth1(x, token, params={"access_token": token})

    assert response.status_code == 200
    assert x.live_token(KEY) is None


def test_minting_after_invalidation_returns_a_different_token(x: FakeXProvider) -> None:
    old = mint(x).json()["access_token"]
    assert invalidate_oauth1(x, old, data={"access_token": old}).status_code == 200

    new = mint(x).json()["access_token"]

    assert new != old
    assert x.live_token(KEY) == new
    assert verify(x, new).status_code == 200
    assert verify(x, old).status_code == 401


def test_invalidating_a_dead_token_again_is_refused_with_348(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]
    assert invalidate_oauth1(x, token, data={"access_token": token}).status_code == 200
    replacement = mint(x).json()["access_token"]

    again = invalidate_oauth1(x, token, data={"access_token": token})

    assert again.status_code == 403
    assert again.json()["errors"][0]["code"] == 348
    assert x.live_token(KEY) == replacement


def test_bad_oauth1_signature_is_refused_with_401_and_changes_nothing(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]

    response = invalidate_oauth1(x, token, consumer_secret="wrong", data={"access_token": token})

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == 32
    assert x.live_token(KEY) == token
    assert verify(x, token).status_code == 200


def test_oauth1_signature_covers_the_body_so_a_swapped_token_is_refused(
    x: FakeXProvider,
) -> None:
    token = mint(x).json()["access_token"]
    signed = requests.Request(
        "POST",
        x.invalidate_url,
        data={"access_token": "AAAAAAAAAAAAAAAAAAAAAsomething-else"},
        auth=OAuth1(KEY, SECRET, ACCESS, ACCESS_SECRET),
    ).prepare()
    signed.body = f"access_token={quote(token, safe='')}"
    signed.headers["Content-Length"] = str(len(signed.body))

    with requests.Session() as session:
        response = session.send(signed, timeout=TIMEOUT)

    assert response.status_code == 401
    assert x.live_token(KEY) == token


def test_oauth1_with_another_access_token_is_refused(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]
    auth = OAuth1(KEY, SECRET, "5678-someone-else", ACCESS_SECRET)

    response = requests.post(
        x.invalidate_url, auth=auth, data={"access_token": token}, timeout=TIMEOUT
    )

    assert response.status_code == 401
    assert x.live_token(KEY) == token


def test_basic_invalidation_is_refused_unless_the_app_allows_it(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]

    refused = requests.post(
        x.invalidate_url,
        headers={**basic(KEY, SECRET), **FORM_UTF8},
        data=f"access_token={quote(token, safe='')}",
        timeout=TIMEOUT,
    )

    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == 348
    assert x.live_token(KEY) == token

    legacy = mint(x, LEGACY_KEY, LEGACY_SECRET).json()["access_token"]
    accepted = requests.post(
        x.invalidate_url,
        headers=basic(LEGACY_KEY, LEGACY_SECRET),
        data={"access_token": legacy},
        timeout=TIMEOUT,
    )

    assert accepted.status_code == 200
    assert x.live_token(LEGACY_KEY) is None


def test_basic_invalidation_with_a_wrong_secret_is_401_even_when_allowed(
    x: FakeXProvider,
) -> None:
    legacy = mint(x, LEGACY_KEY, LEGACY_SECRET).json()["access_token"]

    response = requests.post(
        x.invalidate_url,
        headers=basic(LEGACY_KEY, "wrong"),
        data={"access_token": legacy},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert x.live_token(LEGACY_KEY) == legacy


def test_rate_limited_minting_answers_403_code_99_until_lifted(x: FakeXProvider) -> None:
    x.rate_limit_minting(True)

    limited = mint(x)

    assert limited.status_code == 403
    assert limited.json() == {
        "errors": [
            {
                "code": 99,
                "message": "Unable to verify your credentials",
                "label": "authenticity_token_error",
            }
        ]
    }
    assert x.live_token(KEY) is None

    x.rate_limit_minting(False)
    assert mint(x).status_code == 200


def test_fail_next_injects_one_503_then_serves_normally(x: FakeXProvider) -> None:
    x.fail_next("/oauth2/token", 503, retry_after=2)

    failed = mint(x)

    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "2"
    assert failed.json()["errors"][0]["code"] == 130
    assert x.live_token(KEY) is None  # the injected answer minted nothing

    served = mint(x)

    assert served.status_code == 200
    assert served.json()["access_token"] == x.live_token(KEY)
    assert x.counts("/oauth2/token") == 2


def test_fail_next_takes_precedence_over_a_valid_bearer_and_is_not_an_auth_failure(
    x: FakeXProvider,
) -> None:
    token = mint(x).json()["access_token"]
    x.fail_next(x.verify_url, 429, times=2)

    statuses = [verify(x, token).status_code for _ in range(3)]

    assert statuses == [429, 429, 200]
    assert x.auth_failures == 0


def test_wrong_consumer_secret_on_token_is_401_code_32(x: FakeXProvider) -> None:
    response = mint(x, KEY, "wrong-secret")

    assert response.status_code == 401
    assert response.json() == {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
    assert x.live_token(KEY) is None


def test_token_without_client_credentials_grant_is_403_code_170(x: FakeXProvider) -> None:
    response = requests.post(
        x.token_url,
        headers={**basic(KEY, SECRET), **FORM_UTF8},
        data="grant_type=password",
        timeout=TIMEOUT,
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == 170
    assert x.live_token(KEY) is None


def test_someone_rotating_outside_secrets_manager_kills_the_stored_token(
    x: FakeXProvider,
) -> None:
    stored = mint(x).json()["access_token"]

    x.set_live_token(KEY, "AAAAAAAAAAAAAAAAAAAAArotated-elsewhere")

    assert verify(x, stored).status_code == 401
    assert verify(x, "AAAAAAAAAAAAAAAAAAAAArotated-elsewhere").status_code == 200
    assert mint(x).json()["access_token"] == "AAAAAAAAAAAAAAAAAAAAArotated-elsewhere"


def test_requests_are_recorded_by_auth_kind_without_secret_values(x: FakeXProvider) -> None:
    token = mint(x).json()["access_token"]
    verify(x, token)
    invalidate_oauth1(x, token, data={"access_token": token})
    requests.get(x.api_url, timeout=TIMEOUT)

    assert x.requests == [
        RequestRecord("POST", "/oauth2/token", "basic", 200),
        RequestRecord("GET", "/2/usage/tweets", "bearer", 200),
        RequestRecord("POST", "/oauth2/invalidate_token", "oauth1", 200),
        RequestRecord("GET", "/2/tweets/search/recent", "none", 401),
    ]
    recorded = repr(x.requests)
    for secret in (token, SECRET, ACCESS_SECRET, ACCESS):
        assert secret not in recorded
