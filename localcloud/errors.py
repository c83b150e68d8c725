"""Errors the local cloud raises. Each says what was wrong and where."""

from __future__ import annotations


class LocalCloudError(Exception):
    """Base class for every error the local cloud raises itself."""


class LocalCloudStoppedError(LocalCloudError):
    """A call made after its local cloud stopped (by work still running then), refused rather
    than sent to the real AWS endpoint moto no longer intercepts."""


class TemplateError(LocalCloudError):
    """The template (or samconfig.toml) cannot be stood up as written."""


class UnknownResourceError(LocalCloudError, KeyError):
    """A logical id that no deployed stack defines."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else "unknown resource"


class MalformedEventError(LocalCloudError, ValueError):
    """An event that EventBridge (or a function) would reject."""


class FunctionError(LocalCloudError):
    """A function invoked synchronously raised; carries the Lambda error type."""

    def __init__(self, function: str, error_type: str, message: str) -> None:
        super().__init__(f"{function} failed with {error_type}: {message}")
        self.function = function
        self.error_type = error_type
        self.error_message = message


class RotationTestError(FunctionError):
    """Secrets Manager's test of a rotation configuration (the function's testSecret step,
    run for a RotationSchedule that does not rotate immediately) failed."""

    def __init__(self, resource: str, function: str, error_type: str, message: str) -> None:
        super().__init__(function, error_type, message)
        self.args = (
            f"{resource}: Secrets Manager's configuration test (testSecret) of {function} "
            f"failed with {error_type}: {message}",
        )
        self.resource = resource


class IdleTimeoutError(LocalCloudError, TimeoutError):
    """wait_idle() ran out of time while work was still under way."""
