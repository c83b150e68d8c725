"""Print template.yaml with every resource present: its resources' `Condition:` lines removed.

checkov evaluates each resource's Condition at the parameters' defaults and leaves out those it
finds false, so the automations that are off by default (ECS metrics, bearer-token rotation,
the DR stack's snapshot machine) would never be scanned. `make checkov` scans this copy too.

    python scripts/every_resource.py template.yaml > every-resource.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# A resource's own Condition: four spaces in, right under its two-space logical id and Type.
RESOURCE_CONDITION = re.compile(
    r"^(  [A-Za-z0-9]+:\n    Type: [A-Za-z0-9:]+\n)    Condition: \S+\n", re.M
)


def every_resource(text: str) -> str:
    resources = text.index("\nResources:\n")
    outputs = text.index("\nOutputs:\n")
    body, count = RESOURCE_CONDITION.subn(r"\1", text[resources:outputs])
    if count == 0:
        raise SystemExit("every_resource: no resource Condition found; has the layout changed?")
    return text[:resources] + body + text[outputs:]


if __name__ == "__main__":
    sys.stdout.write(every_resource(Path(sys.argv[1]).read_text(encoding="utf-8")))
