"""S3's error answers as the bucket sync reads them, in one place for the page, multipart and
continuous code."""

from __future__ import annotations

from botocore.exceptions import ClientError

# S3's answers that mean "later, not never": SlowDown and the 5xx class. The SDK retries them
# with backoff first (adaptive mode, 10 attempts); what is left fails the page (or the
# message), which the state machine (or SQS) retries, never counted as a failed copy.
TRANSIENT_CODES = (
    "SlowDown",
    "503",
    "500",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "RequestLimitExceeded",
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "error"))


def is_transient(error: ClientError) -> bool:
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(error) in TRANSIENT_CODES or status >= 500
