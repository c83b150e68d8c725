"""What each enabled automation still needs before it can do its work, read from what was
deployed (the functions' environment, the secrets), with the same rules the functions apply.

`steward local up` prints these at start-up, so a sync refused for want of a source bucket is
said before the first run fails rather than after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_FUNCTION = "AWS::Serverless::Function"


def _env_list(environment: dict[str, str], name: str) -> tuple[str, ...]:
    """As `steward_common.settings.env_list` reads it: comma-separated, blanks dropped."""
    return tuple(i.strip() for i in environment.get(name, "").split(",") if i.strip())


def _environments(cloud: Any, stack: Any) -> Iterator[tuple[str, dict[str, str]]]:
    lam = cloud.client("lambda", region=stack.region)
    for logical_id, deployed in sorted(stack.resources.items()):
        if deployed.type != _FUNCTION:
            continue
        config = lam.get_function_configuration(FunctionName=deployed.ref)
        yield logical_id, dict((config.get("Environment") or {}).get("Variables") or {})


def needs(cloud: Any) -> list[str]:
    """One line per unmet need, each naming the stack, the automation and the parameter."""
    found: list[str] = []
    regions = {s.region for s in cloud.stacks}
    for stack in cloud.stacks:
        where = f"[{stack.name}]"
        for _logical_id, env in _environments(cloud, stack):
            # bucket_sync.request.validate: a bucket not listed (and no "*") is refused.
            for variable, parameter, role in (
                ("SOURCE_BUCKETS", "BucketSyncSourceBuckets", "source"),
                ("DESTINATION_BUCKETS", "BucketSyncDestinationBuckets", "destination"),
            ):
                if variable in env and not _env_list(env, variable):
                    found.append(
                        f"{where} bucket sync: no {role} buckets configured ({parameter}); "
                        "every sync will be refused"
                    )
            # cost_controls.policy_swap.SwapSettings.from_env: no targets is an error.
            kinds = ("COST_CONTROL_GROUPS", "COST_CONTROL_ROLES", "COST_CONTROL_USERS")
            if all(k in env for k in kinds) and not any(_env_list(env, k) for k in kinds):
                found.append(
                    f"{where} cost controls: no groups, roles or users to swap (CostControlGroups, "
                    "CostControlRoles, CostControlUsers); every policy swap will fail"
                )
            if (
                all(k in env for k in kinds)
                and env.get("FULL_POLICY_ARN")
                and env.get("FULL_POLICY_ARN") == env.get("RESTRICTED_POLICY_ARN")
            ):
                found.append(
                    f"{where} cost controls: the full and restricted policies are the same "
                    "policy; every policy swap will fail"
                )
            # ebs_snapshots: the copies go to DR_REGION, where the DR stack manages them.
            dr_region = env.get("DR_REGION", "")
            if dr_region and dr_region not in regions:
                line = (
                    f"{where} snapshot management: copies go to {dr_region}, where no stack "
                    "runs (serve the DR stack with --config-env default)"
                )
                if line not in found:
                    found.append(line)
        # bearer_token.steps: an API-key secret without consumer_key and consumer_secret
        # fails every rotation (MalformedSecretError "lacks [...]").
        arns = str(stack.outputs.get("BearerApiKeySecretArns") or "")
        sm = cloud.client("secretsmanager", region=stack.region)
        for arn in filter(None, arns.split(",")):
            text = sm.get_secret_value(SecretId=arn).get("SecretString") or ""
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                data = {}
            data = data if isinstance(data, dict) else {}
            missing = [f for f in ("consumer_key", "consumer_secret") if not data.get(f)]
            if missing:
                found.append(
                    f"{where} bearer-token rotation: the API-key secret {arn} has no "
                    f"{' or '.join(missing)}; every rotation will fail until your X app's keys "
                    "are in it"
                )
    return found
