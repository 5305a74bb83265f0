"""The store writer: calls in order on one thread, a transient failure retried in place, any
other failure handed to its caller without stopping the queue."""

from __future__ import annotations

import threading

import pytest

from pressup.errors import InputError, StorageUnavailableError
from pressup.web.writer import StoreWriter


def test_calls_run_in_order_and_a_transient_failure_is_retried_in_place() -> None:
    w = StoreWriter(first_retry_s=0.001, max_retry_s=0.01)
    done: list[int] = []
    fails = {"left": 3}

    def flaky() -> None:
        if fails["left"]:
            fails["left"] -= 1
            raise StorageUnavailableError("database or disk is full")
        done.append(1)

    futures = [w.submit("first", flaky, frames=30)]
    futures += [w.submit(f"call {i}", lambda i=i: done.append(i)) for i in (2, 3)]
    assert w.wait_idle(5.0)
    assert [f.result() for f in futures] == [None, None, None]
    assert done == [1, 2, 3]
    assert fails["left"] == 0 and w.frames_pending == 0
    w.close(1.0)


def test_another_error_goes_to_its_caller_and_the_queue_goes_on() -> None:
    w = StoreWriter()

    def bad() -> None:
        raise InputError("expected a session id, got ''")

    f1 = w.submit("bad", bad)
    f2 = w.submit("good", lambda: 42)
    with pytest.raises(InputError, match="expected a session id"):
        f1.result(timeout=5)
    assert f2.result(timeout=5) == 42
    w.close(1.0)


def test_trouble_is_reported_while_a_call_is_retried_and_cleared_after() -> None:
    w = StoreWriter(first_retry_s=0.01, max_retry_s=0.01)
    gate = threading.Event()

    def until_gate() -> str:
        if not gate.is_set():
            raise StorageUnavailableError(
                "database sqlite:////srv/p.db cannot be used now: database is locked",
                reason="it is locked by another writer",
            )
        return "ok"

    f = w.submit("locked", until_gate, frames=5)
    for _ in range(500):
        if w.trouble() is not None:
            break
        gate.wait(0.01)
    # the plain words a tab may be shown, not the database's address
    assert w.trouble() == "the database cannot be used just now (it is locked by another writer)"
    assert w.frames_pending == 5 and w.outage == 1
    gate.set()
    assert f.result(timeout=5) == "ok"
    assert w.trouble() is None and w.frames_pending == 0
    w.close(1.0)


def test_closing_logs_what_cannot_be_written_and_fails_its_future() -> None:
    w = StoreWriter(first_retry_s=0.01, max_retry_s=0.01)

    def never() -> None:
        raise StorageUnavailableError("disk I/O error")

    f = w.submit("frames", never, frames=10)
    w.close(0.1)
    with pytest.raises(StorageUnavailableError, match="server stopped"):
        f.result(timeout=1)
    with pytest.raises(StorageUnavailableError, match="closed"):
        w.submit("late", lambda: None)


def test_a_queue_that_keeps_moving_is_no_trouble_however_long_it_is() -> None:
    """A loaded machine: every write takes a while, but the writes complete one after another;
    that is not worth telling the page, whatever the whole queue takes."""
    w = StoreWriter(stall_s=0.5)
    seen: list[str | None] = []
    for i in range(8):
        w.submit(f"slow {i}", lambda: threading.Event().wait(0.2))
    while w.pending:
        seen.append(w.trouble())
        threading.Event().wait(0.02)
    assert seen and set(seen) == {None}, seen  # 1.6 s of writes, none over 0.5 s
    assert w.outage == 0
    w.close(1.0)


def test_no_write_completing_past_the_alarm_is_trouble_until_one_does() -> None:
    w = StoreWriter(stall_s=0.3)
    release = threading.Event()
    f = w.submit("held", lambda: release.wait(5.0), frames=3)
    w.submit("behind", lambda: None)
    threading.Event().wait(0.1)
    assert w.trouble() is None  # under the alarm
    threading.Event().wait(0.4)
    reason = w.trouble() or ""
    assert "no write has completed for" in reason and "2 waiting" in reason, reason
    assert w.outage == 1
    release.set()
    f.result(timeout=5)
    assert w.wait_idle(5.0) and w.trouble() is None
    w.close(1.0)
