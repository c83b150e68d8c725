"""An in-process Lambda runtime: the real handler, its own environment, its own log stream.

Each handler runs in a thread of its own, started with the invocation's context, while the
caller (a Step Functions worker, the async dispatcher, a test) waits for it until the
function's `Timeout` has passed on the local cloud's clock. Two things are process-wide in
Python and would leak between concurrent invocations, so both are replaced while a local cloud
is up by views that follow the current invocation: `os.environ` and `sys.stdout`. Each
invocation sets context variables; threads with no invocation see the process's own
environment and stdout.

A handler that runs past its timeout cannot be killed in a thread as Lambda kills its process.
The caller stops waiting and answers Lambda's timeout error; what the handler did until then
remains (as on Lambda). What it would do afterwards, Lambda never lets it do, so the
invocation is marked expired: its AWS calls through boto3's default session fail before they
are sent, what it prints no longer reaches its log, and its result is discarded. (A client it
built on a session of its own, or work that is not an AWS call, still runs in the background:
in-process, nothing can stop that.)
"""

from __future__ import annotations

import contextvars
import importlib
import importlib.util
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from localcloud.core.clients import refuse_once_stopped
from localcloud.core.clock import ScaledClock
from localcloud.core.functions import FunctionSpec
from localcloud.services.lambda_.logs import stream_name

_CURRENT_ENV: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "localcloud_env", default=None
)
_CURRENT_LOG: contextvars.ContextVar[io.StringIO | None] = contextvars.ContextVar(
    "localcloud_log", default=None
)


class InvocationExpired(BaseException):
    """Raised in a handler still running after its invocation timed out, at its next AWS call.

    A BaseException, so a handler's `except Exception` does not carry on past its own end."""


class _Invocation:
    """One invocation's state, which its handler thread (and threads it copies context to)
    reads: whether Lambda has already given up on it."""

    def __init__(self) -> None:
        self.expired = threading.Event()


_CURRENT_INVOCATION: contextvars.ContextVar[_Invocation | None] = contextvars.ContextVar(
    "localcloud_invocation", default=None
)


def _refuse_expired(**_: Any) -> None:
    """botocore's before-call hook on each invocation's default session."""
    invocation = _CURRENT_INVOCATION.get()
    if invocation is not None and invocation.expired.is_set():
        raise InvocationExpired("the invocation timed out; Lambda stopped its handler")


class InvocationEnviron(MutableMapping[str, str]):
    """`os.environ` as the current invocation sees it; the real one outside invocations."""

    def __init__(self, base: MutableMapping[str, str]) -> None:
        self.base = base

    def _target(self) -> MutableMapping[str, str]:
        current = _CURRENT_ENV.get()
        return self.base if current is None else current

    def __getitem__(self, key: str) -> str:
        return self._target()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._target()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._target()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._target()))

    def __len__(self) -> int:
        return len(self._target())

    def copy(self) -> dict[str, str]:
        return dict(self._target())


class InvocationStdout(io.TextIOBase):
    """`sys.stdout` that writes to the current invocation's log buffer when there is one."""

    def __init__(self, base: TextIO) -> None:
        self.base = base

    def write(self, text: str) -> int:
        buffer = _CURRENT_LOG.get()
        if buffer is None:
            return self.base.write(text)
        invocation = _CURRENT_INVOCATION.get()
        if invocation is not None and invocation.expired.is_set():
            return len(text)  # a timed-out handler's process is gone on Lambda: nothing logged
        return buffer.write(text)

    def flush(self) -> None:
        if _CURRENT_LOG.get() is None and not getattr(self.base, "closed", False):
            self.base.flush()

    def isatty(self) -> bool:
        return _CURRENT_LOG.get() is None and self.base.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.base, "encoding", "utf-8")


TIMEOUT_ERROR = "Sandbox.Timedout"
_TIMEOUT_POLL_SECONDS = 0.005  # real seconds between looks at the clock while a handler runs

_install_lock = threading.Lock()
_SAVED_SHOWWARNING: list[Any] = [warnings.showwarning]


def _install_warning_view() -> None:
    """Warnings a handler raises go to its invocation's log, as they would on Lambda."""
    original = warnings.showwarning
    _SAVED_SHOWWARNING[0] = original

    def showwarning(
        message: Any,
        category: Any,
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        buffer = _CURRENT_LOG.get()
        if buffer is None:
            original(message, category, filename, lineno, file, line)
        else:
            buffer.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = showwarning


def ensure_stdout_view() -> None:
    """Put the per-invocation view over whatever sys.stdout is now.

    Test runners swap sys.stdout between phases, so this is checked at every invocation;
    a logger that bound the view at import time keeps writing to the right invocation.
    """
    with _install_lock:
        if not isinstance(sys.stdout, InvocationStdout):
            sys.stdout = InvocationStdout(sys.stdout)


_install_depth = 0


_SAVED_DEFAULT_SESSION: list[Any] = []
_SESSIONS: dict[tuple[str | None, str | None], Any] = {}
# Set when the local cloud whose isolation made the sessions stops (`stop_sending`): a
# handler still running then must not reach the real AWS endpoint moto no longer intercepts.
_STOPPED: list[threading.Event] = [threading.Event()]


def stop_sending() -> None:
    """Every session the handlers' boto3 default sessions made refuses to send from now on."""
    _STOPPED[0].set()


def _install_default_session_view() -> None:
    """`boto3.client()` inside an invocation uses a session of that invocation's credentials.

    In a Lambda process boto3's default session holds the function's own role credentials; in
    one process shared by every function it would hold whichever credentials came first, so
    each invocation's identity gets its default session, made under its environment."""
    import boto3

    original = boto3._get_default_session
    _SAVED_DEFAULT_SESSION[:] = [original]

    def _get_default_session() -> Any:
        if _CURRENT_ENV.get() is None:
            return original()
        key = (os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_DEFAULT_REGION"))
        with _install_lock:
            if key not in _SESSIONS:
                session = boto3.session.Session()
                session.events.register("before-call", _refuse_expired)
                session.events.register("before-send", refuse_once_stopped(_STOPPED[0]))
                _SESSIONS[key] = session
            return _SESSIONS[key]

    boto3._get_default_session = _get_default_session


# package name -> the runtime (one per local cloud) that imported it
# (weakly: a stopped local cloud's runtime is not kept alive by having imported a package)
_PACKAGE_RUNTIME: weakref.WeakValueDictionary[str, Runtime] = weakref.WeakValueDictionary()


@contextmanager
def isolation() -> Iterator[None]:
    """Install the per-invocation views of os.environ, sys.stdout and boto3's default session
    (re-entrant)."""
    global _install_depth
    with _install_lock:
        if _install_depth == 0:
            _STOPPED[0] = threading.Event()
            _install_warning_view()
            _install_default_session_view()
            saved_environ = os.environ
            # Replacing (not clearing) os.environ is the point: the view delegates to it.
            os.environ = InvocationEnviron(saved_environ)  # type: ignore[assignment]  # noqa: B003
        _install_depth += 1
    ensure_stdout_view()
    try:
        yield
    finally:
        with _install_lock:
            _install_depth -= 1
            if _install_depth == 0:
                os.environ = os.environ.base  # type: ignore[attr-defined]  # noqa: B003
                warnings.showwarning = _SAVED_SHOWWARNING[0]
                import boto3

                boto3._get_default_session = _SAVED_DEFAULT_SESSION[0]
                _SESSIONS.clear()
                if isinstance(sys.stdout, InvocationStdout):
                    sys.stdout = sys.stdout.base


@dataclass
class LambdaContext:
    """The context object the Python Lambda runtime passes to a handler."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline_ms: int
    identity: Any = None
    client_context: Any = None
    # What is left of the timeout, measured as the runtime measures it to time the handler
    # out (see `_Budget`); without one, the system clock against deadline_ms.
    remaining: Callable[[], int] | None = None

    def get_remaining_time_in_millis(self) -> int:
        if self.remaining is not None:
            return self.remaining()
        return max(0, self.deadline_ms - int(time.time() * 1000))


class _Budget:
    """The time an invocation has had, as its timeout counts it on the local cloud's clock.

    What passes for a running handler: real time, what its own waits skip, and what the local
    cloud's driver skips (a test's or `local up`'s `clock.sleep`, on the main thread): a
    handler blocked while the driver skips fifteen minutes has run fifteen minutes. Not what
    another execution's Wait state or a queue's delay skips meanwhile: those pass for their
    own work (they would otherwise time out a handler that ran for a millisecond, or make its
    `get_remaining_time_in_millis` drop to nothing, whenever parallel work waits). The
    handler's context reads the same measure, so a handler that stops before its remaining
    time runs out is never timed out first.
    """

    def __init__(self, clock: ScaledClock, timeout: float) -> None:
        self.clock, self.timeout = clock, float(timeout)
        self._driver = threading.main_thread().ident or 0
        self._handler = 0
        self._started = time.monotonic()
        self._driver_before = clock.skipped_by(self._driver)
        self._handler_before = 0.0

    def start(self, handler: int) -> None:
        """From now, for the handler running in thread `handler`."""
        self._handler = handler
        self._handler_before = self.clock.skipped_by(handler)  # a reused id's earlier waits
        self._started = time.monotonic()
        self._driver_before = self.clock.skipped_by(self._driver)

    def elapsed(self) -> float:
        return (
            time.monotonic()
            - self._started
            + self.clock.skipped_by(self._driver)
            - self._driver_before
            + (self.clock.skipped_by(self._handler) - self._handler_before if self._handler else 0)
        )

    def remaining_ms(self) -> int:
        return max(0, int((self.timeout - self.elapsed()) * 1000))


@dataclass
class InvocationResult:
    payload: Any
    error_type: str | None
    error_message: str | None
    logs: str
    request_id: str
    stack_trace: list[str] = field(default_factory=list)
    # How long the handler ran, as its timeout counts it (Lambda's Duration metric).
    duration_ms: float = 0.0
    log_stream: str = ""  # the CloudWatch Logs stream the invocation logs to

    @property
    def failed(self) -> bool:
        return self.error_type is not None

    def as_lambda_payload(self) -> bytes:
        """The response body Lambda returns: the result, or the runtime's error document.

        As the Python runtime sends them: a result of bytes as it is, any other serialised
        to JSON; an error as `errorMessage`, `errorType`, `requestId` and `stackTrace`, with
        Python's default separators (Step Functions hands this document on as the cause).
        """
        if self.error_type is None:
            if isinstance(self.payload, bytes):
                return self.payload
            return json.dumps(self.payload).encode()
        if self.error_type == TIMEOUT_ERROR:  # the runtime's own error: no handler frames
            timed_out = {"errorType": self.error_type, "errorMessage": self.error_message or ""}
            return json.dumps(timed_out).encode()
        document = {
            "errorMessage": self.error_message or "",
            "errorType": self.error_type,
            "requestId": self.request_id,
            "stackTrace": self.stack_trace,
        }
        return json.dumps(document).encode()


class Runtime:
    """Loads each function's handler once (a warm container) and runs invocations."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self._extra_env = extra_env or {}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._load_lock = threading.Lock()
        self.on_log: Callable[[FunctionSpec, str], None] | None = None
        # The clock timeouts run on (the local cloud's); without one, a handler runs to its end.
        self.clock: ScaledClock | None = None
        # Told of every finished invocation (its metrics, `localcloud.services.lambda_.metrics`).
        self.on_result: Callable[[FunctionSpec, InvocationResult], None] | None = None

    def _environment(
        self, spec: FunctionSpec, request_id: str, credentials: dict[str, str] | None = None
    ) -> dict[str, str]:
        base = os.environ.base if isinstance(os.environ, InvocationEnviron) else os.environ
        env = dict(base)
        stream = stream_name(spec, request_id.replace("-", ""))
        env.update(
            {
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,  # its LoggingConfig
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "_HANDLER": spec.handler,
                # As under `sam local`: no X-Ray daemon to send segments to.
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        if credentials:  # the execution role's, as Lambda sets them for every invocation
            env.update(
                {
                    "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": credentials["SessionToken"],
                }
            )
        env.update(self._extra_env)
        env.update(spec.environment)
        return env

    def _load(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        key = f"{spec.code_dir}:{spec.handler}"
        with self._load_lock:
            if key in self._handlers:
                return self._handlers[key]
            module_path, _, attr = spec.handler.rpartition(".")
            if not module_path:
                raise ValueError(f"handler {spec.handler!r} is not module.function")
            for path in [spec.code_dir, *spec.layer_dirs]:
                if str(path) not in sys.path:
                    sys.path.append(str(path))
            source = spec.code_dir / (module_path.replace(".", "/") + ".py")
            if not source.exists():
                raise FileNotFoundError(f"{spec.name}: handler module {source} does not exist")
            if "." in module_path:
                module = self._import_qualified(spec, module_path, source)
            else:
                module = self._import_unique(spec, module_path, source)
            handler: Callable[[Any, Any], Any] | None = getattr(module, attr, None)
            if not callable(handler):
                raise AttributeError(f"{spec.name}: {source} has no function {attr!r}")
            self._handlers[key] = handler
            return handler

    def _import_qualified(self, spec: FunctionSpec, module_path: str, source: Path) -> ModuleType:
        """A handler in a package (`ebs_snapshots.handlers.tag`), imported by that name, as
        Lambda imports it: the package's modules import each other by qualified name and are
        loaded once per local cloud, whichever of its functions runs first (a new local cloud
        starts new execution environments, so what a module made at import, such as a client
        signing with an earlier cloud's credentials, is made again). In one process, two
        code folders may not hold a package of the same name."""
        package = module_path.split(".", 1)[0]
        if _PACKAGE_RUNTIME.get(package) is not self:
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]
            _PACKAGE_RUNTIME[package] = self
        loaded = sys.modules.get(package)
        where = getattr(loaded, "__file__", None) if loaded is not None else None
        if where is not None and not Path(where).resolve().is_relative_to(spec.code_dir.resolve()):
            raise ImportError(
                f"{spec.name}: package {package!r} is already loaded from {where}, not from "
                f"{spec.code_dir}: functions of different code folders need different packages"
            )
        module = importlib.import_module(module_path)
        if Path(str(module.__file__)).resolve() != source.resolve():
            raise ImportError(f"{spec.name}: {module_path} resolved to {module.__file__}")
        return module

    @staticmethod
    def _import_unique(spec: FunctionSpec, module_path: str, source: Path) -> ModuleType:
        """A top-level handler module (`app.lambda_handler`), under a name unique to its
        function: many templates give every function an `app.py`."""
        unique = f"_localcloud_fn_{abs(hash(str(spec.code_dir)))}_{module_path}"
        module_spec = importlib.util.spec_from_file_location(unique, source)
        assert module_spec is not None and module_spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(module_spec)
        sys.modules[unique] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[unique]
            raise
        return module

    def invoke(
        self, spec: FunctionSpec, event: Any, credentials: dict[str, str] | None = None
    ) -> InvocationResult:
        request_id = str(uuid.uuid4())
        env = self._environment(spec, request_id, credentials)
        log = io.StringIO()
        clock = self.clock
        budget = _Budget(clock, spec.timeout) if clock is not None else None
        context = LambdaContext(
            function_name=spec.name,
            function_version="$LATEST",
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=spec.memory,
            aws_request_id=request_id,
            log_group_name=env["AWS_LAMBDA_LOG_GROUP_NAME"],
            log_stream_name=env["AWS_LAMBDA_LOG_STREAM_NAME"],
            deadline_ms=int(time.time() * 1000) + spec.timeout * 1000,
            remaining=budget.remaining_ms if budget is not None else None,
        )
        ensure_stdout_view()
        invocation = _Invocation()
        log.write(f"START RequestId: {request_id} Version: $LATEST\n")
        outcome: list[InvocationResult] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append(self._run(spec, event, context, log, request_id))
            except InvocationExpired:
                pass  # it ran past its timeout and was stopped at an AWS call: nobody waits
            finally:
                done.set()

        env_token = _CURRENT_ENV.set(env)
        log_token = _CURRENT_LOG.set(log)
        invocation_token = _CURRENT_INVOCATION.set(invocation)
        try:
            handler_context = contextvars.copy_context()
        finally:
            _CURRENT_INVOCATION.reset(invocation_token)
            _CURRENT_LOG.reset(log_token)
            _CURRENT_ENV.reset(env_token)
        thread = threading.Thread(
            target=handler_context.run, args=(run,), name=f"lambda-{spec.name}", daemon=True
        )
        if budget is not None:
            budget.start(0)
        thread.start()
        if budget is None:
            done.wait()
        else:
            budget.start(thread.ident or 0)
            while not done.wait(_TIMEOUT_POLL_SECONDS):
                if budget.elapsed() >= budget.timeout:
                    break
        if outcome:
            result = outcome[0]
        else:
            invocation.expired.set()
            result = self._timed_out(spec, request_id)
            log.write(f"{result.error_message}\n")
        log.write(f"END RequestId: {request_id}\n")
        result.logs = log.getvalue()
        result.log_stream = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        if self.on_log is not None:
            self.on_log(spec, result.logs)
        if budget is not None:
            result.duration_ms = 1000 * min(budget.elapsed(), budget.timeout)
        if self.on_result is not None:
            self.on_result(spec, result)
        return result

    def _run(
        self,
        spec: FunctionSpec,
        event: Any,
        context: LambdaContext,
        log: io.StringIO,
        request_id: str,
    ) -> InvocationResult:
        """The handler's side of an invocation, in its own thread under its context."""
        try:
            handler = self._load(spec)  # under the invocation's env, as a cold start is
            payload = handler(event, context)
        except Exception as exc:  # noqa: BLE001 - any handler failure becomes a Lambda error
            log.write("".join(traceback.format_exception(exc)))
            return InvocationResult(
                None, type(exc).__name__, str(exc), "", request_id, _handler_stack(exc)
            )
        result = InvocationResult(payload, None, None, "", request_id)
        if not isinstance(payload, bytes):  # bytes go out as they are
            try:
                json.dumps(payload)
            except (TypeError, ValueError) as exc:  # Lambda fails what it cannot serialise
                message = f"Unable to marshal response: {exc}"
                log.write(f"[ERROR] Runtime.MarshalError: {message}\n")
                result = InvocationResult(None, "Runtime.MarshalError", message, "", request_id)
        return result

    @staticmethod
    def _timed_out(spec: FunctionSpec, request_id: str) -> InvocationResult:
        """Lambda's answer for a function that ran past its timeout: an Unhandled error
        `Sandbox.Timedout`, "RequestId: … Error: Task timed out after 3.00 seconds"."""
        seconds = max(float(spec.timeout), 0.0)
        message = f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds"
        return InvocationResult(None, TIMEOUT_ERROR, message, "", request_id)


def _handler_stack(exc: BaseException) -> list[str]:
    """The traceback as the Python runtime reports it: from the handler's frame on, each frame
    formatted by `traceback.format_list` (the runtime's own frames left out)."""
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and frames[0].filename == __file__:
        frames.pop(0)
    return traceback.format_list(frames)
