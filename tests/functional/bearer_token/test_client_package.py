"""steward-bearer-token on its own: installed with `pip install --no-deps` into a fresh virtualenv
that sees only its declared dependencies, it reads a token from Secrets Manager (a moto server)
and retries a 401 once with the rotated token, never printing or logging the token.

Offline: the virtualenv gets the dev environment's own copies of the dependencies (their
closure, resolved from the package's pyproject.toml through importlib.metadata), and pip builds
the package with the dev environment's setuptools (--no-build-isolation, --no-index).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from packaging.requirements import Requirement

from tests.support.paths import ROOT

PACKAGE = ROOT / "packages" / "steward-bearer-token"
PYPROJECT = tomllib.loads((PACKAGE / "pyproject.toml").read_text(encoding="utf-8"))
# Importable in the dev environment, and must not be in the package's.
NOT_VISIBLE = ["steward_common", "localcloud", "fakes", "steward_cli", "moto", "requests"]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
REGION = "us-east-1"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions `requirements` need, transitively (extras and markers
    honoured), each checked to satisfy every requirement on it."""
    found: dict[str, metadata.Distribution] = {}
    extras_of: dict[str, set[str]] = {}
    todo = [Requirement(text) for text in requirements]
    while todo:
        req = todo.pop()
        name = canonical(req.name)
        dist = found.get(name) or metadata.distribution(req.name)
        assert req.specifier.contains(dist.version, prereleases=True), (req, dist.version)
        wanted = extras_of.get(name, set()) | set(req.extras)
        if name in found and wanted == extras_of[name]:
            continue
        found[name], extras_of[name] = dist, wanted
        for text in dist.requires or []:
            dep = Requirement(text)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in {"", *wanted}):
                todo.append(dep)
    return found


def expose(dists: Iterable[metadata.Distribution], into: Path) -> Path:
    """A directory holding symlinks to exactly these distributions' top-level modules and
    .dist-info folders (from their RECORD), and nothing else."""
    into.mkdir()
    for dist in dists:
        assert dist.files is not None, f"{dist.metadata['Name']} has no RECORD"
        base = Path(str(dist.locate_file("")))
        tops = {
            file.parts[0]
            for file in dist.files
            if file.parts[0] not in ("..", "__pycache__") and not file.parts[0].endswith(".pth")
        }
        for top in sorted(tops):
            assert not (into / top).exists(), f"{top} is in two distributions"
            (into / top).symlink_to(base / top)
    return into


@dataclass
class Venv:
    python: Path
    runtime: set[str]  # canonical names of the distributions it sees, the package's included

    def run(self, code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
        # -I: no PYTHONPATH, no user site, no script or working directory on sys.path.
        return subprocess.run(
            [str(self.python), "-I", "-c", code],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def base_env(home: Path) -> dict[str, str]:
    """No proxies, no AWS profile or config of the developer's, no PYTHON* variables."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "NO_PROXY": "127.0.0.1,localhost",
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    tmp_path = tmp_path_factory.mktemp("bearer-token-venv")
    runtime = closure(PYPROJECT["project"]["dependencies"])
    build = closure(PYPROJECT["build-system"]["requires"])
    deps = expose(runtime.values(), tmp_path / "deps")
    build_deps = expose(build.values(), tmp_path / "build-deps")

    root = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    [site] = (root / "lib").glob("python3*/site-packages")
    (site / "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    python = root / "bin" / "python"

    # Built from a copy, so the build leaves no build/ or *.egg-info in the repository; pip runs
    # as the new interpreter (--python), its build backend seeing setuptools for this step only.
    source = tmp_path / "source"
    shutil.copytree(
        PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "--isolated", "--python", str(python), "install",
         "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir",
         str(source)],
        env=base_env(tmp_path) | {"PYTHONPATH": str(build_deps)},
        cwd=tmp_path,
        check=True,
        timeout=120,
    )  # fmt: skip
    return Venv(python, {*runtime, canonical(PYPROJECT["project"]["name"])})


def test_the_venv_sees_only_the_package_and_its_declared_dependencies(
    venv: Venv, tmp_path: Path
) -> None:
    assert set(venv.runtime) >= {"aws-lambda-powertools", "boto3", "botocore"}
    answer = venv.run(
        "import importlib.metadata as m, importlib.util as u, json, steward_bearer_token as p\n"
        "print(json.dumps({'dists': sorted(d.metadata['Name'] for d in m.distributions()),\n"
        f"  'hidden': [n for n in {NOT_VISIBLE!r} if u.find_spec(n) is None],\n"
        "  'file': p.__file__, 'version': p.__version__}))",
        base_env(tmp_path),
        tmp_path,
    )
    assert answer.returncode == 0, answer.stderr
    seen = json.loads(answer.stdout)
    assert {canonical(name) for name in seen["dists"]} == venv.runtime
    assert seen["hidden"] == NOT_VISIBLE
    assert Path(seen["file"]).is_relative_to(venv.python.parent.parent)  # installed, not a link
    assert seen["version"] == metadata.version("steward-bearer-token") == "0.1.0"


# --------------------------------------------------------------------- using it, from the venv


@dataclass
class SecretsManager:
    client: Any
    created: list[str] = field(default_factory=list)  # removed afterwards: moto's state is
    # this process's, shared with the tests that run in it next

    def create(self, name: str, value: dict[str, str]) -> str:
        self.created.append(name)
        return str(self.client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"])


@pytest.fixture
def secrets_manager() -> Iterator[SecretsManager]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=CREDENTIALS["AWS_SESSION_TOKEN"],
    )
    manager = SecretsManager(client)
    try:
        yield manager
    finally:
        for name in manager.created:
            client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        server.stop()


@dataclass
class FakeApi:
    """An HTTP API that answers 200 to the live token only; POST /rotate rotates it elsewhere
    (a new secret value, then the old token dies), as Steward's rotation would."""

    rotate: Any
    live: str
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def serve(self) -> ThreadingHTTPServer:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ok = self.headers.get("Authorization") == f"Bearer {api.live}"
                status = 200 if ok else 401
                api.calls.append(
                    (self.headers.get("Authorization", ""), self.headers.get("X-Trace", ""), status)
                )
                self.answer(status, b'{"data": []}' if ok else b'{"title": "Unauthorized"}')

            def do_POST(self) -> None:
                api.live = api.rotate()
                self.answer(204, b"")

            def answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


# Runs in the venv: an application with no HTTP library but the standard one, logging at DEBUG
# (botocore's own DEBUG log prints response bodies by design, so it stays at INFO).
APPLICATION = r"""
import json, logging, os, sys, urllib.error, urllib.request

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
for noisy in ("botocore", "boto3", "urllib3"):
    logging.getLogger(noisy).setLevel(logging.INFO)

from steward_bearer_token import BearerToken, BearerTokenError


class Response:
    def __init__(self, status_code):
        self.status_code = status_code


class Session:
    # All BearerToken.request needs: request(method, url, headers=..., **kwargs) -> .status_code
    def request(self, method, url, headers=None, timeout=None):
        request = urllib.request.Request(url, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status)
        except urllib.error.HTTPError as error:
            error.close()
            return Response(error.code)


api = os.environ["API_URL"]
x_token = BearerToken(os.environ["SECRET_ID"], max_age=3600)
session = Session()
statuses = [x_token.request(session, "GET", api + "/2/tweets", timeout=5).status_code]
urllib.request.urlopen(urllib.request.Request(api + "/rotate", method="POST"), timeout=5).close()
statuses.append(
    x_token.request(session, "GET", api + "/2/tweets", timeout=5, headers={"X-Trace": "2"})
    .status_code
)
try:
    BearerToken(os.environ["EMPTY_SECRET_ID"]).token()
    error = None
except BearerTokenError as caught:
    error = caught
    logging.getLogger("app").error("no token: %s", caught)
print(json.dumps({
    "statuses": statuses,
    "repr": repr(x_token),
    "error": None if error is None else [type(error).__name__, isinstance(error, ValueError)],
}))
"""


def test_the_installed_package_reads_the_token_and_retries_a_401_once(
    venv: Venv, secrets_manager: SecretsManager, tmp_path: Path
) -> None:
    old, new = (f"AAAA-{which}-{secrets.token_hex(8)}" for which in ("old", "new"))
    name = f"x/bearer-{secrets.token_hex(4)}"
    arn = secrets_manager.create(name, {"access_token": old, "token_type": "bearer"})
    secrets_manager.create(f"{name}-empty", {"token_type": "bearer"})

    def rotate() -> str:
        value = json.dumps({"access_token": new, "token_type": "bearer"})
        secrets_manager.client.put_secret_value(SecretId=arn, SecretString=value)
        return new

    api = FakeApi(rotate=rotate, live=old)
    server = api.serve()
    try:
        host, port = server.server_address[:2]
        env = (
            base_env(tmp_path)
            | CREDENTIALS
            | {
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": secrets_manager.client.meta.endpoint_url,
                "API_URL": f"http://{host!s}:{port}",
                "SECRET_ID": arn,
                "EMPTY_SECRET_ID": f"{name}-empty",
            }
        )
        answer = venv.run(APPLICATION, env, tmp_path)
    finally:
        server.shutdown()
        server.server_close()

    assert answer.returncode == 0, answer.stderr
    result = json.loads(answer.stdout)
    assert result["statuses"] == [200, 200]
    # The cached token first; after the rotation, its 401, then one retry with the new token,
    # the caller's own headers kept on both.
    assert api.calls == [
        (f"Bearer {old}", "", 200),
        (f"Bearer {old}", "2", 401),
        (f"Bearer {new}", "2", 200),
    ]
    assert result["repr"] == f"BearerToken({arn!r})"
    assert result["error"] == ["BearerTokenError", True]
    assert "refused (401)" in answer.stderr  # the logs were on, at DEBUG
    assert f"{name}-empty has no access_token" in answer.stderr
    for token in (old, new):
        assert token not in answer.stdout
        assert token not in answer.stderr
    assert "AAAA" not in answer.stdout + answer.stderr
