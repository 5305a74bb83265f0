"""Helpers shared by the test modules (not collected: pytest collects only ``test_*.py``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: The repository's root folder.
REPO = Path(__file__).resolve().parents[2]


def shared_data_root() -> Path:
    """Where the shared development clips live: ``$PRESSUP_DATA``, else ``../shared/data``."""
    default = REPO.parent / "shared" / "data"
    return Path(os.environ.get("PRESSUP_DATA", str(default)))


#: Base URL of the web test clients: a ``Host`` the coach answers to (its guard refuses the
#: test client's default ``testserver``, as it would a DNS-rebinding page).
LOCAL = "http://127.0.0.1"
#: The same for their WebSocket URLs (the test client sends ``Host: testserver`` for a bare path).
LOCAL_WS = "ws://127.0.0.1"


def settle(client: Any) -> None:
    """Wait until the coach app behind a test client has written what its live sessions queued.

    The test client cancels the app's WebSocket task as soon as a test closes the socket, which
    can cut short the server's own wait for those writes; a test that then opens the database
    itself waits here first."""
    assert client.app.state.hub.writer.wait_idle(10.0), "the coach's writes did not finish"
