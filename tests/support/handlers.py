"""A function's handler, as Lambda loads and calls it."""

from __future__ import annotations

import importlib
import time
from typing import Any

from tests.support.paths import ACCOUNT_ID


def load_handler(automation: str, step: str) -> Any:
    """A function's handler module, `<automation>.handlers.<step>`, as a new execution
    environment imports it: run afresh, so its Powertools logger and clients are made with
    the test's environment (functions/<automation> is on pytest's path)."""
    return importlib.reload(importlib.import_module(f"{automation}.handlers.{step}"))


def lambda_context(name: str = "test-function", timeout_s: int = 60) -> Any:
    """A Lambda context object with a working get_remaining_time_in_millis()."""
    from localcloud.services.lambda_ import LambdaContext

    return LambdaContext(
        function_name=name,
        function_version="$LATEST",
        invoked_function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:{name}",
        memory_limit_in_mb=256,
        aws_request_id="00000000-0000-4000-8000-000000000000",
        log_group_name=f"/aws/lambda/{name}",
        log_stream_name="2026/11/23/[$LATEST]test",
        deadline_ms=int(time.time() * 1000) + timeout_s * 1000,
    )


def invoke(automation: str, step: str, event: Any, **context: Any) -> Any:
    """Call `<automation>.handlers.<step>.lambda_handler` with `event` and a fresh context."""
    return load_handler(automation, step).lambda_handler(event, lambda_context(**context))
