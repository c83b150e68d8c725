"""BucketSyncPageFunction: one page of a phase of a bucket sync (copy, scan, delete, guard, summary)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from bucket_sync.config import SyncConfig
from bucket_sync.copying import MAX_SINGLE_COPY, CopySettings
from bucket_sync.pages import (
    COUNTERS,
    PageSettings,
    add_counts,
    archived_keys,
    copy_page,
    delete_page,
    guard,
    scan_page,
)
from steward_common import aws
from steward_common.errors import InvalidInputError
from steward_common.observability import Powertools
from steward_common.settings import env_int, env_str

ops = Powertools()
logger, metrics = ops.logger, ops.metrics
PHASES = ("copy", "scan", "delete", "guard", "summary")


def _settings() -> PageSettings:
    return PageSettings(
        page_size=env_int("PAGE_SIZE", 1000, minimum=1),
        concurrency=env_int("COPY_CONCURRENCY", 16, minimum=1),
        copy=CopySettings(
            multipart_threshold=env_int(
                "MULTIPART_THRESHOLD_BYTES", MAX_SINGLE_COPY, minimum=5 * 1024**2
            ),
            part_size=env_int("MULTIPART_PART_BYTES", 512 * 1024**2, minimum=5 * 1024**2),
        ),
    )


@ops.handler(correlation_id_path="config.run_id")
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    phase = event.get("phase") if isinstance(event, dict) else None
    if phase not in PHASES or not isinstance(event.get("config"), dict):
        raise InvalidInputError(f'a page request needs "config" and a "phase" in {PHASES}')
    config = SyncConfig.from_dict(event["config"])
    settings = _settings()
    # A connection per thread that may copy at once (each copy thread, and for a large object
    # its window of parts), and a few for the page's own listings: with botocore's default
    # pool of 10, the threads beyond it would wait for a connection.
    pool = settings.concurrency * max(1, settings.copy.part_concurrency) + 4
    s3 = aws.client("s3", max_pool_connections=pool)
    if phase == "guard":
        return guard(config, event.get("copy") or {}, event.get("scan") or {})
    state_bucket = env_str("STATE_BUCKET")
    if phase == "summary":
        return summarize(event, archived_keys(s3, config, state_bucket))
    budget = env_int("ITERATIONS_PER_EXECUTION", 2000, minimum=1)
    iterations_left = int(event.get("iterations_left") or budget) - 1
    cursor = str(event.get("cursor") or "")
    errors: list[str] = []
    pages_so_far = int((event.get("totals") or {}).get("pages", 0))
    if phase == "copy":
        cursor, done, counts, errors = copy_page(
            s3,
            config,
            cursor,
            settings,
            context.get_remaining_time_in_millis,
            state_bucket,
            pages_so_far,
        )
    elif phase == "scan":
        cursor, done, counts = scan_page(s3, config, cursor, settings, state_bucket, pages_so_far)
    else:
        cursor, done, counts, errors = delete_page(s3, config, cursor, state_bucket)
    totals = add_counts(event.get("totals") or {}, **counts)
    for name in ("copied", "skipped", "failed", "archived", "deleted", "orphans"):
        if counts.get(name):
            metrics.add_metric(
                name=f"BucketSync{name.capitalize()}", unit=MetricUnit.Count, value=counts[name]
            )
    metrics.add_metric(name="BucketSyncPages", unit=MetricUnit.Count, value=1)
    if errors:
        logger.warning("page had failures", extra={"phase": phase, "errors": errors})
    return {
        "phase": phase,
        "config": event["config"],
        "cursor": cursor,
        "done": done,
        "totals": totals,
        "iterations_left": iterations_left,
        "handovers": int(event.get("handovers") or 0),
        "errors": (list(event.get("errors") or []) + errors)[:10],
    }


def summarize(event: dict[str, Any], archived: list[str]) -> dict[str, Any]:
    copy_totals = event.get("copy") or {}
    scan_totals = event.get("scan") or {}
    delete_totals = event.get("deletion") or {}
    merged = {
        k: int(copy_totals.get(k, 0)) + int(scan_totals.get(k, 0)) + int(delete_totals.get(k, 0))
        for k in COUNTERS
    }
    config = event["config"]
    decision = event.get("guard") or {}
    return {
        "source": f"s3://{config['source']}/{config['source_prefix']}",
        "destination": f"s3://{config['destination']}/{config['destination_prefix']}",
        "dry_run": config["dry_run"],
        "copied": merged["copied"],
        "copied_bytes": merged["copied_bytes"],
        "skipped": merged["skipped"],
        "excluded": merged["excluded"],
        "deleted": merged["deleted"],
        "failed": merged["failed"] + merged["delete_failed"],
        "would_copy": merged["would_copy"],
        "would_copy_bytes": merged["would_copy_bytes"],
        "would_delete": merged["would_delete"] or (merged["orphans"] if config["dry_run"] else 0),
        "orphans": merged["orphans"],
        "destination_objects": merged["destination_objects"],
        "archived": merged["archived"],
        "archived_keys": archived,  # the first of them (relative keys)
        "restores_started": merged["restores_started"],
        "archived_note": _archived_note(config, merged),
        "recreated": merged["recreated"],  # orphans the source had again at deletion: kept
        # multipart uploads an earlier, stopped run left behind, aborted by this one
        "uploads_aborted": merged["uploads_aborted"],
        "destination_encryption": config.get("destination_encryption", ""),
        "continuous": config.get("continuous_note", ""),
        "deletes": decision.get("reason", ""),
        # times a phase went on in a fresh execution to stay within the history limit
        "handovers": sum(
            int(event.get(k) or 0) for k in ("copy_handovers", "scan_handovers", "delete_handovers")
        ),
    }


def _archived_note(config: dict[str, Any], merged: dict[str, int]) -> str:
    count = merged["archived"]
    if not count:
        return ""
    if config.get("restore_archived") and not config["dry_run"]:
        return (
            f"{count} archived source objects not copied: {merged['restores_started']} "
            f"restores started ({config.get('restore_tier', 'Standard')}), the others already "
            "under way; a later run copies each once it is restored"
        )
    return (
        f"{count} archived source objects not copied: restore them, or run with "
        '"restore_archived": true, and a later run copies them'
    )
