"""Once its local cloud has stopped, nothing it made sends a request to the real AWS."""

from __future__ import annotations

import pytest

from localcloud.core.clients import Clients
from localcloud.errors import LocalCloudStoppedError


def test_a_client_of_a_stopped_local_cloud_refuses_to_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No moto mock is active here: without the refusal the call would go to sqs.us-east-1.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients = Clients(lambda: "us-east-1")
    sqs = clients("sqs")
    clients.close()
    with pytest.raises(LocalCloudStoppedError, match="has stopped"):
        sqs.list_queues()
    with pytest.raises(LocalCloudStoppedError):
        clients("sns").list_topics()  # a client made after the stop refuses too
