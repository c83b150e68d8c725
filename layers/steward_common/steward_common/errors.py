"""Base error types. State machines Catch/Retry on the raised class's own *name*, so names
are API, and a base class here never matches in ASL: a Retry lists the subclass a function
raises (`SnapshotLimitExceeded`, `S3ThrottledError`), which tests/unit/test_contracts.py
checks."""

from __future__ import annotations


class StewardError(Exception):
    """Base of every error Steward raises on purpose."""


class InvalidInputError(StewardError):
    """The input is malformed or refers to something that does not exist. Changes nothing."""


class ConfigurationError(StewardError):
    """The function's configuration (environment, parameters) is missing or invalid."""


class TransientError(StewardError):
    """Base of failures worth retrying; each state machine's Retry names the subclass."""
