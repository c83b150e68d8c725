"""Compatibility module: the bearer-token client is the `steward-bearer-token` package now.

The client lives in packages/steward-bearer-token (import `steward_bearer_token`), which
applications install on their own. The layer ships that package too, and this module keeps
what applications attaching the layer import today working:

    from steward_common.bearer_token import BearerToken

    x_token = BearerToken("steward/x/bearer-token")      # secret name or ARN
    response = x_token.request(session, "GET", "https://api.x.com/2/tweets/search/recent",
                               params={"query": "aws"})

As before, the default Secrets Manager client is Steward's cached one (`steward_common.aws`), and
a secret without an access_token raises an error that is an `InvalidInputError` (as it always
was) and the package's `BearerTokenError` (a `ValueError`) too. Everything else is the
package's: see its README.
"""

from __future__ import annotations

from typing import Any

import steward_bearer_token
from steward_common import aws
from steward_common.errors import InvalidInputError

__all__ = ["BearerToken", "BearerTokenError"]


class BearerTokenError(InvalidInputError, steward_bearer_token.BearerTokenError):
    """The secret holds no usable bearer token: both of the errors callers may catch."""


class BearerToken(steward_bearer_token.BearerToken):
    """`steward_bearer_token.BearerToken` with Steward's client and error, as it always had."""

    def __init__(self, secret_id: str, max_age: int = 300, secrets_client: Any = None) -> None:
        super().__init__(secret_id, max_age, secrets_client or aws.client("secretsmanager"))

    def token(self, refresh: bool = False) -> str:
        try:
            return super().token(refresh)
        except steward_bearer_token.BearerTokenError as error:
            raise BearerTokenError(str(error)) from None
