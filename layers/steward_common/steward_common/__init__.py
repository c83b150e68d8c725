"""Steward's shared Lambda layer: only what several functions really share.

- `aws`: cached boto3 clients with adaptive retries (throttling backs off on its own).
- `errors`: the base error types state machines catch by name.
- `pagination`: every list/describe call paginated; batches for batched APIs.
- `settings`: reading configuration from the environment, failing fast.
- `alerts`: one readable message on the suite's AlertTopic.
"""

__version__ = "0.1.0"
