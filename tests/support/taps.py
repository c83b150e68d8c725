"""Reading what reaches a topic or a queue of the local cloud."""

from __future__ import annotations

from typing import Any

from localcloud import LocalCloud, testing


def drain(
    cloud: LocalCloud, logical_id: str = "RecordQueue", region: str | None = None
) -> list[Any]:
    """Every message on a queue of the stack, parsed, in no particular order."""
    return testing.drain(cloud, cloud.physical_id(logical_id, region=region), region=region)


def alert_tap(cloud: LocalCloud) -> testing.TopicTap:
    """A mailbox subscribed to the suite's AlertTopic, as an operator's would be."""
    return testing.TopicTap(cloud, "AlertTopic")
