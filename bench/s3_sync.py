"""Benchmark: Steward's S3 bucket sync against `aws s3 sync --delete`, on one moto server.

Run: `.venv/bin/python bench/s3_sync.py [--rounds N]` (about 75 s a round on 2 cores, most
of it building buckets; the first run also installs the AWS CLI, see below). With N rounds,
each tool runs N times on fresh buckets and wall times are medians.

Data (seeded, identical for both tools): a source bucket of 5,000 objects of 0.5 to 8 KiB
(some keys with spaces, '+' and non-ASCII characters) and a destination bucket as a previous
sync left it, then changed: 500 source objects differ from their destination copy (250 with a
different size, 250 with the SAME size and different bytes), and 500 orphans exist only in
the destination. The destination is written after the source, so every destination object is
at least as new as its source, as after a sync that ran after the source last changed. The
CLI copies an object only if the sizes differ or the source is newer than the destination
(awscli/customizations/s3/syncstrategy/base.py, `compare_time`), so it is expected to miss
the 250 same-size changes; Steward compares ETags (bucket_sync/compare.py).

Each tool runs on a fresh pair of buckets built identically:

- steward: the bucket sync's deployed handlers (`bucket_sync.handlers.validate` and
  `bucket_sync.handlers.page`), in this process, with the environment template.yaml gives
  them (parameters at their defaults: page size, copy concurrency, multipart threshold) and
  `steward_common.aws.client("s3")` pointed at the server through AWS_ENDPOINT_URL. Each gets
  the event statemachines/bucket_sync/sync.asl.json and pages.asl.json send it: Validate, then
  copy pages until done, scan pages until done (staging orphans in a state bucket on the same
  server), the guard, then delete pages until done, each page's input the previous page's
  output. Copy and scan run side by side in a Parallel state when deployed; here they run one
  after the other (they are independent), so Steward's wall time here is the sum of both (the
  time with the two side by side is also printed, derived from the phase times). No Lambda or
  Step Functions latency is included, and Steward's modules are imported before the clock
  starts (a warm Lambda).
- cli: `aws s3 sync s3://SRC s3://DST --delete` (AWS CLI v1 from PyPI, pinned by
  requirements/awscli.txt, in the virtualenv .venv-awscli that `make bootstrap` makes), as a subprocess with its default
  settings (10 concurrent requests) and no user config files. Its wall time includes starting
  the CLI's Python process, printed separately as `aws --version`.

The moto server (moto's own WSGI app under werkzeug's threaded server, as ThreadedMotoServer
builds it) runs in a child process on 127.0.0.1 and a free port, so neither tool shares a
Python interpreter (and its GIL) with the server. A middleware counts every HTTP request by S3
operation and bucket (retries included: they are requests), the server's time on them (summed
over its threads) and the answers with an error status; counters are reset before each tool
runs, and set-up and checking happen outside the counted window. The server's stderr (moto's
tracebacks) goes to .bench/moto-server.log. Results are checked against the server's own
stored bytes: after each run the destination must hold exactly the source's keys with the same
MD5 of the body, and the source must be untouched.

Exit status 1 if Steward's result is not an exact copy, if Steward made more requests than the
CLI, or if the CLI failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
for _path in (
    ROOT / "functions" / "bucket_sync",
    ROOT / "layers" / "steward_common",
):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

OBJECTS = 5000
CHANGED = 500  # 10% of the objects
SAME_SIZE = CHANGED // 2  # of which half keep their size
ORPHANS = 500  # 10%, in the destination only
SEED = 20240601
STATE_BUCKET = "bench-sync-state"
CONTROL = "/__bench__/"
TOOL_VENV = ROOT / ".venv-awscli"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}

# S3 operation -> the group it is reported in
GROUPS = {
    "ListObjectsV2": "LIST",
    "ListObjects": "LIST",
    "ListBuckets": "LIST",
    "HeadObject": "HEAD",
    "HeadBucket": "HEAD",
    "GetObject": "GET",
    "GetBucketLocation": "GET",
    "GetObjectTagging": "GET",
    "PutObject": "PUT/COPY",
    "CopyObject": "PUT/COPY",
    "UploadPartCopy": "PUT/COPY",
    "CreateMultipartUpload": "PUT/COPY",
    "CompleteMultipartUpload": "PUT/COPY",
    "DeleteObject": "DELETE",
    "DeleteObjects": "DELETE(batch)",
}
GROUP_ORDER = ("LIST", "HEAD", "GET", "PUT/COPY", "DELETE", "DELETE(batch)", "OTHER")


# ------------------------------------------------------------------------------ the server
def s3_operation(environ: dict[str, Any]) -> tuple[str, str]:
    """(S3 operation, bucket) of a path-style request, from its method, path, query, headers."""
    method = environ["REQUEST_METHOD"]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    path = environ.get("PATH_INFO", "/").lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket:
        return ("ListBuckets" if method == "GET" else f"{method} /"), ""
    if not key:  # bucket-level
        if method == "GET":
            if query.get("list-type") == ["2"]:
                return "ListObjectsV2", bucket
            if "location" in query:
                return "GetBucketLocation", bucket
            subresource = next(iter(query), "")
            return ("ListObjects" if not subresource else f"GetBucket:{subresource}"), bucket
        if method == "POST" and "delete" in query:
            return "DeleteObjects", bucket
        return {"HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(
            method, f"{method} bucket"
        ), bucket
    if method == "PUT":
        if environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            return ("UploadPartCopy" if "partNumber" in query else "CopyObject"), bucket
        if "tagging" in query:
            return "PutObjectTagging", bucket
        return ("UploadPart" if "partNumber" in query else "PutObject"), bucket
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload", bucket
        if "uploadId" in query:
            return "CompleteMultipartUpload", bucket
    if method == "GET":
        return ("GetObjectTagging" if "tagging" in query else "GetObject"), bucket
    if method == "DELETE":
        return ("AbortMultipartUpload" if "uploadId" in query else "DeleteObject"), bucket
    if method == "HEAD":
        return "HeadObject", bucket
    return f"{method} object", bucket


class CountingMiddleware:
    """Counts every S3 request by (operation, bucket), with the time the server spent on them,
    and the answers with an error status by (operation, status). Requests to CONTROL are the
    bench's own: counts, reset, and the MD5 of every object of a bucket (from moto's store)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.seconds: Counter[tuple[str, str]] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL):
            return self._control(path[len(CONTROL) :], start_response)
        operation, bucket = s3_operation(environ)
        with self.lock:
            self.counts[operation, bucket] += 1

        def counting_start_response(status: str, headers: Any, *rest: Any) -> Any:
            if not status.startswith(("2", "3")):
                with self.lock:
                    self.errors[operation, status.split()[0]] += 1
            return start_response(status, headers, *rest)

        began = time.perf_counter()
        try:
            return self.app(environ, counting_start_response)
        except Exception:
            # werkzeug answers 500 for an exception in the app (a moto bug); count it as one
            with self.lock:
                self.errors[operation, "500"] += 1
            raise
        finally:
            with self.lock:
                self.seconds[operation, bucket] += time.perf_counter() - began

    def _control(self, command: str, start_response: Callable[..., Any]) -> list[bytes]:
        if command == "counts":
            with self.lock:
                body: Any = {
                    "requests": [
                        [op, bucket, n, self.seconds[op, bucket]]
                        for (op, bucket), n in self.counts.items()
                    ],
                    "errors": [[op, status, n] for (op, status), n in self.errors.items()],
                }
        elif command == "reset":
            with self.lock:
                self.counts.clear()
                self.seconds.clear()
                self.errors.clear()
            body = "ok"
        elif command.startswith("digest/"):
            body = bucket_digest(command[len("digest/") :])
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown bench command"]
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [data]


def bucket_digest(bucket: str) -> dict[str, str]:
    """key -> MD5 of the stored body, for every current object of the bucket (moto's store,
    read without a request so that the counts stay the sync's own)."""
    from localcloud.testing import bucket_digest as digest

    return digest(bucket)


def serve() -> None:
    """The child process: moto's server on a free loopback port, which it prints first."""
    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = CountingMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@dataclass
class Counters:
    requests: Counter[tuple[str, str]]  # (operation, bucket) -> requests
    seconds: Counter[tuple[str, str]]  # (operation, bucket) -> server time, summed over threads
    errors: Counter[tuple[str, str]]  # (operation, HTTP status) -> error answers


class Server:
    """The moto server child process and the bench's control requests to it."""

    def __init__(self) -> None:
        log = (ROOT / ".bench" / "moto-server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, **CREDENTIALS},
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _control(self, command: str) -> Any:
        with urllib.request.urlopen(f"{self.endpoint}{CONTROL}{command}", timeout=120) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self._control("reset")

    def counts(self) -> Counters:
        answer = self._control("counts")
        return Counters(
            Counter({(op, bucket): n for op, bucket, n, _ in answer["requests"]}),
            Counter({(op, bucket): s for op, bucket, _, s in answer["requests"]}),
            Counter({(op, status): n for op, status, n in answer["errors"]}),
        )

    def digest(self, bucket: str) -> dict[str, str]:
        return self._control(f"digest/{bucket}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# -------------------------------------------------------------------------------- the data
@dataclass
class Dataset:
    source: dict[str, bytes]  # the source's objects, as they are now
    destination: dict[str, bytes]  # the destination as the last sync left it, plus orphans
    size_changed: set[str] = field(default_factory=set)
    same_size_changed: set[str] = field(default_factory=set)
    orphans: set[str] = field(default_factory=set)


def key_name(i: int) -> str:
    kind = i % 40
    if kind == 0:
        return f"reports/q{i % 4 + 1} summary {i:05d}.csv"  # spaces
    if kind == 1:
        return f"a+b/c+{i:05d}+d.txt"  # '+' (a space in a form-encoded query)
    if kind == 2:
        return f"données/résumé-{i:05d}-ü.txt"
    if kind == 3:
        return f"日本語/ファイル {i:05d}.txt"
    return f"data/{i % 16:02x}/obj-{i:05d}.bin"


def make_dataset() -> Dataset:
    rng = random.Random(SEED)
    keys = [key_name(i) for i in range(OBJECTS + ORPHANS)]
    rng.shuffle(keys)
    source_keys, orphan_keys = keys[:OBJECTS], keys[OBJECTS:]
    source = {k: rng.randbytes(rng.randint(512, 8192)) for k in source_keys}
    destination = dict(source)
    changed = rng.sample(source_keys, CHANGED)
    same_size, size_changed = set(changed[:SAME_SIZE]), set(changed[SAME_SIZE:])
    for key in changed:
        old = source[key]
        if key in same_size:
            destination[key] = bytes(b ^ 0xFF for b in old[:16]) + old[16:]
        else:
            destination[key] = rng.randbytes(len(old) + rng.choice((-1, 1)) * rng.randint(1, 400))
    for key in orphan_keys:
        destination[key] = rng.randbytes(rng.randint(512, 8192))
    return Dataset(source, destination, size_changed, same_size, set(orphan_keys))


def setup_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        config=Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 5}),
    )


def fill(s3: Any, bucket: str, objects: dict[str, bytes]) -> None:
    s3.create_bucket(Bucket=bucket)

    def put(item: tuple[str, bytes]) -> None:
        s3.put_object(Bucket=bucket, Key=item[0], Body=item[1])

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, objects.items()))


def build_pair(s3: Any, data: Dataset, source: str, destination: str) -> None:
    """The source first, then the destination, so no destination object is older than its
    source (the CLI's size-and-time rule then skips every same-size object)."""
    fill(s3, source, data.source)
    time.sleep(1.1)  # LastModified has a one-second resolution
    fill(s3, destination, data.destination)


# ------------------------------------------------------------------------------- the tools
@dataclass(frozen=True)
class Context:
    """The Lambda context the page function gets: its remaining time is the function's
    Timeout (each page is a fresh invocation)."""

    function_name: str
    timeout_ms: int
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    aws_request_id: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_ms


def _resolve(value: Any, parameters: dict[str, Any], refs: dict[str, str]) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        return refs[name] if name in refs else str(parameters[name].get("Default", ""))
    return str(value)


def function_setup(logical_id: str, refs: dict[str, str]) -> tuple[dict[str, str], int]:
    """A function's environment and Timeout as template.yaml deploys them (parameters at their
    defaults, `refs` for the resources it names), so the benchmark runs the deployed settings."""
    from localcloud.template import load_yaml

    template = load_yaml(ROOT / "template.yaml")
    parameters, globals_ = template["Parameters"], template["Globals"]["Function"]
    props = template["Resources"][logical_id]["Properties"]
    variables = {
        **globals_.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    env = {name: _resolve(value, parameters, refs) for name, value in variables.items()}
    return env, int(props.get("Timeout", globals_.get("Timeout", 3)))


def run_steward(source: str, destination: str, run_id: str) -> dict[str, Any]:
    """The bucket sync, as its state machines drive it: the deployed handlers
    (`bucket_sync.handlers.validate` and `.page`) get the events the ASL sends them
    (statemachines/bucket_sync/sync.asl.json and pages.asl.json) and return what it reads."""
    import bucket_sync.handlers.page as page_handler
    import bucket_sync.handlers.validate as validate_handler
    from steward_common import aws

    refs = {
        "BucketSyncStateBucket": STATE_BUCKET,
        "AlertTopic": "arn:aws:sns:us-east-1:000000000000:bench-alerts",
    }
    env, _ = function_setup("BucketSyncValidateFunction", refs)
    env |= {"SOURCE_BUCKETS": source, "DESTINATION_BUCKETS": destination}
    page_env, timeout = function_setup("BucketSyncPageFunction", refs)
    quiet = {"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
    aws.clear_clients()

    def call(handler: Any, environment: dict[str, str], event: dict[str, Any]) -> Any:
        os.environ.update({**environment, **quiet})
        return handler.lambda_handler(event, Context(handler.__name__, timeout * 1000))

    began = time.perf_counter()
    # Validate: {"request": the execution input, "run_id": the execution's name}
    config = call(
        validate_handler,
        env,
        {"request": {"source": source, "destination": destination}, "run_id": run_id},
    )

    def phase(name: str) -> dict[str, Any]:
        """One BucketSyncPages execution: Page until done, each page a fresh invocation
        whose input is the previous page's output (OutputPath $.Payload)."""
        event: dict[str, Any] = {"phase": name, "config": config, "cursor": "", "handovers": 0}
        while True:
            event = call(page_handler, page_env, event)
            if event["done"]:
                return dict(event["totals"])

    times = {"validate": time.perf_counter() - began}
    mark = time.perf_counter()
    copied = phase("copy")
    times["copy"], mark = time.perf_counter() - mark, time.perf_counter()
    scanned = phase("scan")
    times["scan"], mark = time.perf_counter() - mark, time.perf_counter()
    decision = call(
        page_handler,
        page_env,
        {"phase": "guard", "config": config, "copy": copied, "scan": scanned},
    )
    deleted: dict[str, int] = {}
    if decision["delete"]:
        deleted = phase("delete")
    times["guard+delete"] = time.perf_counter() - mark
    return {
        "copy": copied,
        "scan": scanned,
        "guard": decision,
        "delete": deleted,
        "times": times,
    }


def aws_cli() -> Path:
    """The AWS CLI pinned by requirements/awscli.txt, in the venv `make bootstrap` makes."""
    aws = TOOL_VENV / "bin" / "aws"
    if not aws.exists():
        raise SystemExit(f"{aws} is missing: run `make bootstrap` (it installs the AWS CLI)")
    return aws


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        **CREDENTIALS,
        "AWS_CONFIG_FILE": os.devnull,  # no user settings (concurrency, profiles)
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_cli(
    aws: Path, endpoint: str, source: str, destination: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(aws),
            "s3",
            "sync",
            f"s3://{source}",
            f"s3://{destination}",
            "--delete",
            "--no-progress",
            "--only-show-errors",
            "--endpoint-url",
            endpoint,
        ],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )


# ------------------------------------------------------------------------ checking results
@dataclass
class Check:
    missing: list[str]  # in the source, not in the destination
    extra: list[str]  # in the destination, not in the source (orphans left)
    different: list[str]  # in both, with different bytes
    source_intact: bool

    @property
    def exact(self) -> bool:
        return not (self.missing or self.extra or self.different) and self.source_intact

    def describe(self, data: Dataset) -> str:
        if self.exact:
            return "exact copy"
        parts = []
        if self.different:
            same = sum(k in data.same_size_changed for k in self.different)
            sized = sum(k in data.size_changed for k in self.different)
            other = len(self.different) - same - sized
            parts.append(
                f"{len(self.different)} objects differ ({same} same-size changes, "
                f"{sized} size changes, {other} others)"
            )
        if self.missing:
            parts.append(f"{len(self.missing)} missing")
        if self.extra:
            orphans = sum(k in data.orphans for k in self.extra)
            parts.append(f"{len(self.extra)} extra ({orphans} orphans)")
        if not self.source_intact:
            parts.append("SOURCE CHANGED")
        return "; ".join(parts)


def check(server: Server, data: Dataset, source: str, destination: str) -> Check:
    expected = {k: hashlib.md5(v).hexdigest() for k, v in data.source.items()}
    src, dst = server.digest(source), server.digest(destination)
    return Check(
        missing=sorted(set(src) - set(dst)),
        extra=sorted(set(dst) - set(src)),
        different=sorted(k for k in set(src) & set(dst) if src[k] != dst[k]),
        source_intact=src == expected,
    )


# ------------------------------------------------------------------------------- reporting
@dataclass
class Run:
    name: str
    seconds: float
    counts: Counters
    check: Check
    phases: dict[str, float] = field(default_factory=dict)

    def total(self, buckets: Iterable[str] | None = None) -> int:
        wanted = None if buckets is None else set(buckets)
        return sum(n for (_, b), n in self.counts.requests.items() if wanted is None or b in wanted)

    def by_operation(self) -> tuple[Counter[str], Counter[str]]:
        """(requests, server seconds) by operation"""
        requests: Counter[str] = Counter()
        seconds: Counter[str] = Counter()
        for (op, bucket), n in self.counts.requests.items():
            requests[op] += n
            seconds[op] += self.counts.seconds[op, bucket]
        return requests, seconds

    def errors(self) -> str:
        errors = self.counts.errors
        if not errors:
            return "none"
        return ", ".join(f"{n} x {op} {status}" for (op, status), n in sorted(errors.items()))


def group_of(operation: str) -> str:
    return GROUPS.get(operation, "OTHER")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def report(steward: list[Run], cli: list[Run], data: Dataset, cli_start: float) -> None:
    """Requests of the first round (every round's totals too if they differ), median wall
    times, and every round's result."""
    (s_ops, s_secs), (c_ops, c_secs) = steward[0].by_operation(), cli[0].by_operation()

    def row(label: str, s_n: int, c_n: int, s_s: float, c_s: float, show_ratio: bool) -> None:
        shown = ratio(c_n, s_n) if show_ratio else ""
        print(f"{label:36}{s_n:>9}{c_n:>9}{shown:>13}{s_s:>11.2f}{c_s:>9.2f}")

    print()
    print(f"{'':36}{'requests':^31}{'server time, s':^20}".rstrip())
    print(f"{'':36}{'Steward':>9}{'CLI':>9}{'CLI/Steward':>13}{'Steward':>11}{'CLI':>9}")
    print("-" * 87)
    row(
        "total",
        steward[0].total(),
        cli[0].total(),
        sum(s_secs.values()),
        sum(c_secs.values()),
        show_ratio=True,
    )
    for group in GROUP_ORDER:
        ops = sorted({op for op in (*s_ops, *c_ops) if group_of(op) == group})
        if not ops:
            continue
        row(
            f"  {group}",
            sum(s_ops[op] for op in ops),
            sum(c_ops[op] for op in ops),
            sum(s_secs[op] for op in ops),
            sum(c_secs[op] for op in ops),
            show_ratio=True,
        )
        for op in ops:
            row(f"    {op}", s_ops[op], c_ops[op], s_secs[op], c_secs[op], show_ratio=False)
    print(f"{'  (Steward: to its state bucket)':36}{steward[0].total([STATE_BUCKET]):>9}")
    print("-" * 87)
    s_time = statistics.median(r.seconds for r in steward)
    c_time = statistics.median(r.seconds for r in cli)
    label = "wall time, s" + (f" (median of {len(steward)})" if len(steward) > 1 else "")
    print(f"{label:36}{s_time:>9.2f}{c_time:>9.2f}{ratio(c_time, s_time):>13}")
    print(f"{'  CLI process start (aws --version)':36}{'':>9}{cli_start:>9.2f}")
    print("(server time: summed over the server's threads, so it can exceed the wall time)")
    print()
    if len({(r.total(), c.total()) for r, c in zip(steward, cli, strict=True)}) > 1:
        for i, (r, c) in enumerate(zip(steward, cli, strict=True), start=1):
            print(f"round {i}: requests Steward {r.total()}, CLI {c.total()}")
    if len(steward) > 1:
        for i, (r, c) in enumerate(zip(steward, cli, strict=True), start=1):
            print(f"round {i}: wall time Steward {r.seconds:.2f} s, CLI {c.seconds:.2f} s")
    phases = {k: statistics.median(r.phases[k] for r in steward) for k in steward[0].phases}
    side_by_side = phases["validate"] + max(phases["copy"], phases["scan"]) + phases["guard+delete"]
    print(
        "Steward's phases, s: "
        + ", ".join(f"{k} {v:.2f}" for k, v in phases.items())
        + f"; with copy and scan side by side, as deployed: {side_by_side:.2f} s"
        + " (derived, not measured)"
    )
    for runs in (steward, cli):
        errors = "; ".join(f"round {i}: {r.errors()}" for i, r in enumerate(runs, start=1))
        print(f"error answers to {runs[0].name} (a 5xx is retried, adding a request): {errors}")
    print()
    for runs in (steward, cli):
        results = {r.check.describe(data) for r in runs}
        every = "every round: " if len(runs) > 1 and len(results) == 1 else ""
        print(f"{runs[0].name:8} result: {every}{'; '.join(sorted(results))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs of each tool, each on fresh buckets (wall times are medians); default 1",
    )
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0

    aws = aws_cli()
    cli_version = subprocess.run(
        [str(aws), "--version"], env=cli_env(), capture_output=True, text=True, check=True
    ).stdout.split()[0]
    starts = []
    for _ in range(3):
        began = time.perf_counter()
        subprocess.run([str(aws), "--version"], env=cli_env(), capture_output=True, check=True)
        starts.append(time.perf_counter() - began)
    cli_start = statistics.median(starts)

    # imported before timing: a warm Lambda has its modules loaded (the CLI's time includes
    # its start, shown separately)
    import moto

    import bucket_sync.handlers.page
    import bucket_sync.handlers.validate  # noqa: F401

    server = Server()
    os.environ.update(CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    runs: dict[str, list[Run]] = {"steward": [], "cli": []}
    cli_failed = False
    try:
        data = make_dataset()
        size = sum(len(v) for v in data.source.values())
        print(
            f"Steward bucket sync vs `aws s3 sync --delete` ({cli_version}), "
            f"moto {moto.__version__} server at {server.endpoint}"
        )
        print(
            f"data: {OBJECTS} source objects ({size / 1024**2:.1f} MiB), {CHANGED} changed "
            f"({len(data.size_changed)} new size, {len(data.same_size_changed)} same size), "
            f"{ORPHANS} orphans; destination written after the source"
        )
        s3 = setup_client()
        s3.create_bucket(Bucket=STATE_BUCKET)
        for round_ in range(1, args.rounds + 1):
            for name in ("steward", "cli"):
                source = f"bench-{name}-{round_}-source"
                destination = f"bench-{name}-{round_}-destination"
                began = time.perf_counter()
                build_pair(s3, data, source, destination)
                print(
                    f"round {round_}, {name}: buckets built in "
                    f"{time.perf_counter() - began:.1f} s; syncing ...",
                    flush=True,
                )
                server.reset()
                began = time.perf_counter()
                if name == "steward":
                    outcome = run_steward(source, destination, run_id=f"bench-s3-sync-{round_}")
                else:
                    result = run_cli(aws, server.endpoint, source, destination)
                seconds = time.perf_counter() - began
                counts = server.counts()
                phases: dict[str, float] = {}
                if name == "steward":
                    copy, delete = outcome["copy"], outcome["delete"]
                    phases = outcome["times"]
                    print(
                        f"  steward: copied {copy['copied']}, skipped {copy['skipped']}, "
                        f"failed {copy['failed']}; orphans {outcome['scan']['orphans']}; "
                        f"guard: {outcome['guard']['reason']}; deleted {delete.get('deleted', 0)}"
                    )
                else:
                    print(f"  cli: exit status {result.returncode}")
                    if result.returncode != 0:
                        cli_failed = True
                        print(result.stderr.strip()[-2000:])
                outcome_check = check(server, data, source, destination)
                runs[name].append(Run(name, seconds, counts, outcome_check, phases))
    finally:
        server.stop()

    steward, cli = runs["steward"], runs["cli"]
    report(steward, cli, data, cli_start)
    failures = []
    if not all(r.check.exact for r in steward):
        failures.append("Steward's destination is not an exact copy of the source")
    if any(r.total() > c.total() for r, c in zip(steward, cli, strict=True)):
        failures.append(
            f"Steward made more requests than the CLI ({steward[0].total()} > {cli[0].total()})"
        )
    if cli_failed:
        failures.append("the AWS CLI failed")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
