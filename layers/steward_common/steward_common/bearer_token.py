"""Reading a rotated bearer token in an application: cached, refreshed once on a 401.

    from steward_common.bearer_token import BearerToken

    x_token = BearerToken("steward/x/bearer-token")      # secret name or ARN
    response = x_token.request(session, "GET", "https://api.x.com/2/tweets/search/recent",
                               params={"query": "aws"})

The token comes from the secret's AWSCURRENT version through Powertools Parameters, cached for
`max_age` seconds. A 401 means the token was rotated since it was cached: the helper fetches
the secret again and retries once. The token is never logged or shown in a repr.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from steward_common import aws
from steward_common.errors import InvalidInputError


class BearerToken:
    def __init__(self, secret_id: str, max_age: int = 300, secrets_client: Any = None) -> None:
        self.secret_id = secret_id
        self.max_age = max_age
        self._provider = SecretsProvider(
            boto3_client=secrets_client or aws.client("secretsmanager")
        )
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerToken({self.secret_id!r})"

    def token(self, refresh: bool = False) -> str:
        """The current bearer token; `refresh=True` bypasses the cache."""
        with self._lock:
            value = self._provider.get(
                self.secret_id, max_age=self.max_age, transform="json", force_fetch=refresh
            )
        if not isinstance(value, dict) or not value.get("access_token"):
            raise InvalidInputError(f"secret {self.secret_id} has no access_token")
        return str(value["access_token"])

    def headers(self, refresh: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(refresh)}"}

    def request(self, session: Any, method: str, url: str, **kwargs: Any) -> Any:
        """`session.request` with the bearer token; on a 401, refresh the token and retry once."""
        extra = kwargs.pop("headers", None) or {}
        response = session.request(method, url, headers={**extra, **self.headers()}, **kwargs)
        if response.status_code == 401:
            response = session.request(
                method, url, headers={**extra, **self.headers(refresh=True)}, **kwargs
            )
        return response
