"""From the workflow input (shared fields + one object per tool) to one job description per tool."""

from __future__ import annotations

from typing import Any

from batch_jobs.genomics_tools import TOOLS
from batch_jobs.templates import fill
from steward_common.errors import InvalidInputError


class InvalidWorkflowInputError(InvalidInputError):
    """The workflow input lacks a field a tool needs (all such fields are named)."""


def _fill(text: str, context: dict[str, Any], missing: list[str]) -> str:
    filled, absent = fill(text, context)
    missing += absent
    return filled


def plan_jobs(workflow_input: dict[str, Any]) -> dict[str, Any]:
    missing: list[str] = []
    jobs: dict[str, Any] = {}
    for tool, recipe in TOOLS.items():
        settings = workflow_input.get(tool)
        if not isinstance(settings, dict):
            missing.append(tool)
            continue
        template = settings.get("commandTemplate")
        if template is not None:
            command = [_fill(str(part), workflow_input, missing) for part in template]
        else:
            command = [_fill(str(part), workflow_input, missing) for part in recipe["args"]]
            for flag, value in recipe["optional"]:
                probe: list[str] = []
                filled = _fill(value, workflow_input, probe)
                if not probe and filled:
                    command += [flag, filled]
        for field in ("jobDefinition", "jobQueue"):
            if not settings.get(field):
                missing.append(f"{tool}.{field}")
        jobs[tool] = {
            "name": _fill(str(recipe["name"]), workflow_input, missing),
            "queue": settings.get("jobQueue", ""),
            "definition": settings.get("jobDefinition", ""),
            "command": command,
            "tags": {
                "steward:workflow": "genomics",
                "steward:sample": str(workflow_input.get("sampleId", "")),
            },
        }
    if missing:
        raise InvalidWorkflowInputError(f"the workflow input lacks {sorted(set(missing))}")
    return jobs
