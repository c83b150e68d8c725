"""DeleteObjects in quiet mode answers only the keys it could not delete.

"The operation supports two modes for the response: verbose and quiet. By default, the
operation uses verbose mode in which the response includes the result of deletion of each key
in your request. In quiet mode the response includes only keys where the delete operation
encountered an error. For a successful deletion in a quiet mode, the operation does not return
any information about the delete in the response body." (S3 API Reference, DeleteObjects,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html)

moto lists every deleted key in both modes, so code that counted `Deleted` in a quiet answer
would pass here and count nothing on AWS. A key that does not exist is deleted as far as the
answer goes, as moto already says: "If the object specified in the request isn't found, Amazon
S3 confirms the deletion by returning the result as deleted." (same page)
"""

from __future__ import annotations

from typing import Any

from localcloud.core import Hooks
from localcloud.services.s3 import requests


def quiet(body: bytes | str | None) -> bool:
    """Whether a DeleteObjects request body asks for quiet mode ("Element to enable quiet mode
    for the request. When you add this element, you must set its value to true.")."""
    import xmltodict  # type: ignore[import-untyped]  # moto's dependency, without stubs

    if not body:
        return False
    delete = xmltodict.parse(body).get("Delete") or {}
    return str(delete.get("Quiet") or "").strip().lower() == "true"


def install_hooks(hooks: Hooks) -> None:
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    hooks.original(ActionResult, "result")  # read below: the result being serialized
    serialized = hooks.original(S3Response, "serialized")

    def serialized_quietly(self: Any, action_result: Any) -> Any:
        data = getattr(self, "data", None)
        result = action_result.result
        if (
            isinstance(data, dict)
            and data.get("Action") == "DeleteObjects"
            and isinstance(result, dict)
        ):
            current = requests.current()
            if quiet(current.body if current is not None else getattr(self, "body", None)):
                result.pop("Deleted", None)  # the errors stay: they are the answer
        return serialized(self, action_result)

    hooks.replace(S3Response, "serialized", serialized_quietly)
