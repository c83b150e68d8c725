"""Base error types. State machines Catch/Retry on the class *name*, so names are API."""

from __future__ import annotations


class StewardError(Exception):
    """Base of every error Steward raises on purpose."""


class InvalidInputError(StewardError):
    """The input is malformed or refers to something that does not exist. Changes nothing."""


class ConfigurationError(StewardError):
    """The function's configuration (environment, parameters) is missing or invalid."""


class TransientError(StewardError):
    """A failure worth retrying (the state machine's Retry lists it)."""
