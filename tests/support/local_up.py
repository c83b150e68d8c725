"""`steward local up` as a real loopback server in a child process, and the aws CLI against it.

The aws CLI is the one `make bootstrap` installs (requirements/awscli.txt, in .venv-awscli),
run as a user would: a subprocess with the endpoint and the administrator's credentials in its
environment, and no config files of the developer's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from tests.support.paths import ROOT

AWS_CLI = ROOT / ".venv-awscli" / "bin" / "aws"
READY = "Steward local cloud on"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalUp:
    endpoint: str
    region: str
    home: Path
    output: list[str]  # what the server printed so far
    process: subprocess.Popen[str] | None = None
    port: int = 0
    ran: list[tuple[str, ...]] = field(default_factory=list)  # ("aws", "s3", "cp"), …

    def env(self) -> dict[str, str]:
        """The environment `local up` tells a user to export, and nothing of the developer's."""
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
            "AWS_CONFIG_FILE": str(self.home / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.home / "credentials"),
        }

    def _aws(self, args: Sequence[str], region: str | None) -> subprocess.CompletedProcess[str]:
        if not AWS_CLI.exists():
            raise RuntimeError(f"{AWS_CLI} is missing: `make bootstrap` installs the aws CLI")
        self.ran.append(("aws", *args[:2]))
        command = [str(AWS_CLI), *args, "--output", "json"]
        if region:
            command += ["--region", region]
        return subprocess.run(
            command,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )

    def aws(self, *args: str, region: str | None = None, parse: bool = True) -> Any:
        """Run `aws <args> --output json`: its parsed output (None when it printed nothing), or
        with `parse=False` what it printed (`aws s3 cp` prints progress, not JSON)."""
        done = self._aws(args, region)
        if done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {done.stderr.strip()}")
        if not parse:
            return done.stdout
        return json.loads(done.stdout) if done.stdout.strip() else None

    def aws_error(self, *args: str, region: str | None = None) -> str:
        """Run an aws command that must fail; what it said on stderr."""
        done = self._aws(args, region)
        if done.returncode == 0:
            raise AssertionError(f"aws {' '.join(args)} succeeded: {done.stdout.strip()}")
        return done.stderr.strip()

    def steward(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `steward <args>` as a user would, in the exported environment."""
        self.ran.append(("steward", *args[:2]))
        done = subprocess.run(
            [sys.executable, "-m", "steward_cli.main", *args],
            env={**self.env(), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=ROOT,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"steward {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def state_machine(self, logical_id: str) -> str:
        """The ARN of the one state machine whose name has `logical_id` in it (aws CLI)."""
        listed = self.aws("stepfunctions", "list-state-machines")["stateMachines"]
        (arn,) = [m["stateMachineArn"] for m in listed if logical_id in m["name"]]
        return str(arn)

    def executions(self, machine_arn: str) -> list[dict[str, Any]]:
        """The machine's executions, each described (input parsed), as the aws CLI lists them."""
        listed = self.aws("stepfunctions", "list-executions", "--state-machine-arn", machine_arn)
        described = []
        for execution in listed["executions"]:
            one = self.aws(
                "stepfunctions", "describe-execution", "--execution-arn", execution["executionArn"]
            )
            one["input"] = json.loads(one["input"])
            described.append(one)
        return described

    def client(self, service: str, region: str | None = None) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@contextmanager
def local_up(
    home: Path,
    *,
    template: Path | None = None,
    parameters: dict[str, str] | None = None,
    extra: Sequence[str] = (),
    region: str = "us-east-1",
    seconds: int = 300,
) -> Iterator[LocalUp]:
    """`steward local up` on a free port until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "steward_cli.main", "local", "up", "--port", str(port)]
    command += ["--seconds", str(seconds), *extra]
    if template is not None:
        command += ["-t", str(template)]
    if parameters:
        command += ["--parameter-overrides", *(f"{k}={v}" for k, v in parameters.items())]
    server = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    )
    seen: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:
            seen.append(line)
            if READY in line:
                break
        else:
            raise AssertionError("the server never said it was up:\n" + "".join(seen[-40:]))
        # Keep reading what it prints (its functions' logs), or a full pipe would stall it.
        stream = server.stdout
        threading.Thread(target=lambda: seen.extend(stream), daemon=True).start()
        yield LocalUp(f"http://127.0.0.1:{port}", region, home, seen, server, port)
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")
