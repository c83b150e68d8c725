"""Steward's shared Lambda layer: only what every automation may use.

- `aws`: cached boto3 clients with adaptive retries (throttling backs off on its own), one per
  identity.
- `errors`: the base error types state machines catch by name.
- `settings`: reading configuration from the environment, failing fast.
- `inputs`: parsing an event into its typed model, or a clear InvalidInputError.
- `pagination`: every list/describe call paginated; batches for batched APIs.
- `alerts`: one readable message on the suite's AlertTopic.
- `clock`: the time, so the local cloud can scale it.
- `observability`: each handler's Powertools (logs with a correlation id, traces, metrics).
- `bearer_token`: the bearer-token client for applications (the `steward_bearer_token`
  package, kept here for applications that attach the layer).

Code of one automation lives in that automation's package under functions/.
"""

__version__ = "0.1.0"
