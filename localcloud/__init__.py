"""The Docker-free local cloud: Steward's whole SAM template running on moto, in process.

Development only: never deployed. See README.md, "The local cloud". The public API is
`LocalCloud` and the errors here, plus `localcloud.testing` (what tests and the demo set up
and read) and `localcloud.metering` (counting API calls).
"""

from localcloud.cloud import LocalCloud
from localcloud.core import AsyncFailure, MotoChangedError
from localcloud.errors import (
    FunctionError,
    IdleTimeoutError,
    LocalCloudError,
    MalformedEventError,
    RotationTestError,
    TemplateError,
    UnknownResourceError,
)

__all__ = [
    "AsyncFailure",
    "FunctionError",
    "IdleTimeoutError",
    "LocalCloud",
    "LocalCloudError",
    "MalformedEventError",
    "MotoChangedError",
    "RotationTestError",
    "TemplateError",
    "UnknownResourceError",
]
