#!/usr/bin/env python3
"""Validate every Amazon States Language file with asl-validator (`make asl`).

The ASL files are templates: SAM replaces `${Name}` placeholders from the state machine's
`DefinitionSubstitutions` at deploy time. asl-validator accepts a Resource that is one whole
placeholder, but rejects ARNs built from several (`arn:${AWS::Partition}:lambda:...`). So each
file is first copied to a temporary folder with every placeholder replaced by a value of the
right shape, and asl-validator runs once over all the copies; its messages name the original
paths. A missing folder or one with no ASL files passes quietly.

Usage: asl_check.py [--validator PATH] [FILE_OR_DIR ...]   (default: statemachines)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "steward",
}
PATTERNS = ("*.asl.json", "*.asl.yaml", "*.asl.yml")


def _token(name: str) -> str:
    return PSEUDO.get(name) or re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-") or "placeholder"


def substitute(value: Any) -> Any:
    """The definition with each `${...}` made concrete: a whole-string one becomes an ARN."""
    if isinstance(value, dict):
        return {key: substitute(item) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item) for item in value]
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) not in PSEUDO:
            return f"arn:aws:lambda:us-east-1:123456789012:function:{_token(whole.group(1))}"
        return PLACEHOLDER.sub(lambda match: _token(match.group(1)), value)
    return value


def load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml  # a dev dependency; only YAML definitions need it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from error


def collect(targets: list[str]) -> list[Path]:
    files: list[Path] = []
    for target in map(Path, targets):
        if target.is_dir():
            files.extend(sorted({p for pattern in PATTERNS for p in target.rglob(pattern)}))
        elif target.is_file():
            files.append(target)
        elif target.exists() or target.suffix:
            raise SystemExit(f"asl: no such file: {target}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["statemachines"])
    parser.add_argument("--validator", default="node_modules/.bin/asl-validator")
    args = parser.parse_args(argv)

    files = collect(args.paths)
    if not files:
        return 0
    validator = Path(args.validator).resolve()
    if not validator.exists():
        print(f"asl: {args.validator} not found: run `make bootstrap`", file=sys.stderr)
        return 2

    failed = False
    with tempfile.TemporaryDirectory(prefix="asl-check-") as scratch:
        command = [str(validator)]
        for path in files:
            try:
                definition = substitute(load(path))
            except (ValueError, OSError, ImportError) as error:  # syntax errors, unreadable
                print(f"✕ {path}: not parseable: {error}", file=sys.stderr)
                failed = True
                continue
            relative = Path(*[part for part in path.parts if part not in ("/", "..")])
            copy = Path(scratch, relative)  # always JSON inside, whatever the name says
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(json.dumps(definition, indent=2), encoding="utf-8")
            command += ["--json-path", str(copy.relative_to(scratch))]
        if len(command) > 1:
            failed |= subprocess.run(command, cwd=scratch, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
