"""The deployer: a template's resources made on moto, one provisioner module per family."""

from __future__ import annotations

from localcloud.deploy.deployer import PROVISIONERS, Deployer
from localcloud.deploy.stack import Deployed, Stack, new_stack

__all__ = ["PROVISIONERS", "Deployed", "Deployer", "Stack", "new_stack"]
