"""The Docker-free local cloud: Steward's whole SAM template running on moto, in process.

Development only: never deployed. See README.md, "The local cloud".
"""

from localcloud.cloud import LocalCloud
from localcloud.errors import (
    FunctionError,
    IdleTimeoutError,
    LocalCloudError,
    MalformedEventError,
    TemplateError,
    UnknownResourceError,
)

__all__ = [
    "FunctionError",
    "IdleTimeoutError",
    "LocalCloud",
    "LocalCloudError",
    "MalformedEventError",
    "TemplateError",
    "UnknownResourceError",
]
