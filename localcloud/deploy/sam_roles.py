"""The IAM roles and Lambda permissions SAM generates for functions, state machines and their
event sources.

SAM turns a function's `Policies` (policy templates, statements, managed policy ARNs) and its
implicit policies (basic execution, X-Ray for `Tracing: Active`, a rule's role to start a state
machine) into an `AWS::IAM::Role`. The local cloud asks SAM's own translator
(`aws-sam-translator`, which the SAM CLI uses) for those roles, so a role here has the
statements a deployment would have, and resolves their intrinsics against the stack.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

from localcloud.errors import TemplateError
from localcloud.template import load_yaml

_URIS = ("CodeUri", "DefinitionUri", "ContentUri")
GENERATED_TYPES = ("AWS::IAM::Role", "AWS::Lambda::Permission")


@functools.lru_cache(maxsize=8)
def _generated(
    path: Path, mtime_ns: int, region: str, account_id: str, stack_name: str
) -> dict[str, Any]:
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = load_yaml(path)
    sections = [
        {"Properties": section}
        for section in (template.get("Globals") or {}).values()
        if isinstance(section, dict)
    ]  # a CodeUri in Globals too
    for body in [*(template.get("Resources") or {}).values(), *sections]:
        props = body.get("Properties") if isinstance(body, dict) else None
        for key in _URIS:
            # Local folders, as before `sam package`: the translator wants an S3 location.
            if isinstance(props, dict) and isinstance(props.get(key), str):
                props[key] = f"s3://localcloud/{props[key].strip('/').replace('/', '-') or 'root'}"
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws",
        "AWS::StackName": stack_name,
    }
    try:
        # A managed policy named without its ARN (SAM would look the name up in the account)
        # is refused rather than guessed: the map of names is empty.
        translated = Translator(
            None, Parser(), boto_session=boto3.session.Session(region_name=region)
        ).translate(template, parameter_values=pseudo, get_managed_policy_map=dict)
    except InvalidDocumentException as exc:
        causes = "; ".join(str(cause) for cause in exc.causes)
        raise TemplateError(f"{path.name}: SAM cannot translate it: {causes}") from exc
    return {
        logical_id: body
        for logical_id, body in translated["Resources"].items()
        if body.get("Type") in GENERATED_TYPES
    }


def generated_roles(path: Path, region: str, account_id: str, stack_name: str) -> dict[str, Any]:
    """Logical id -> the role (`<Function>Role`, `<Machine>Role`, `<Machine><Event>Role`) or
    Lambda permission (`<Function><Event>Permission`) SAM generates, intrinsics unresolved."""
    stat = path.stat()
    return copy.deepcopy(
        _generated(path.resolve(), stat.st_mtime_ns, region, account_id, stack_name)
    )
