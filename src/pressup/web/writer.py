"""The live sessions' storage, off the event loop: one worker thread does every store call of the
hub, in the order they were given.

A call that fails because the database cannot be used *now*
(:class:`~pressup.errors.StorageUnavailableError`: locked by another process past the busy
timeout, disk full, an I/O error) stays at the head of the queue and is tried again, with a
growing pause (at most :data:`MAX_RETRY_S`), until it succeeds: what it holds (a chunk of
landmark frames, a rating) is kept in memory meanwhile, and the calls after it wait their turn,
so nothing is written out of order and nothing acknowledged is lost. Any other error belongs to
that call alone: it is logged and handed to whoever waits for the result, and the queue goes on.

:meth:`StoreWriter.trouble` says why the store cannot keep up, so that the hub can tell the page
(``storage_unavailable``, and ``storage_back`` once it is over): while the head call is failing
(a write actually failed and is retried), or while no call has completed for more than
``stall_s`` seconds with calls waiting (:data:`ALARM_S` by default, ``PRESSUP_STORAGE_ALARM_S``).
One slow write on a loaded machine is not trouble: the queue still moves.
The writer knows nothing of the web framework or the event loop; :meth:`StoreWriter.run` is the
awaitable form of :meth:`StoreWriter.submit`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pressup.errors import StorageUnavailableError

log = logging.getLogger("pressup.web.storage")

T = TypeVar("T")

#: How long the hub waits on a write before it looks at :meth:`StoreWriter.trouble` again, and
#: before a stop goes out ahead of its slow rating (seconds).
STALL_S = 1.0
#: No call completed for this long (seconds) with calls waiting counts as trouble: SQLite waits
#: up to its busy timeout (30 s) for another process's write lock before it fails, and a
#: loaded machine may take a second or two for one write.
ALARM_S = 5.0
FIRST_RETRY_S = 0.05
MAX_RETRY_S = 2.0


@dataclass
class _Call:
    what: str
    fn: Callable[[], Any]
    frames: int
    future: Future[Any] = field(default_factory=Future)


class StoreWriter:
    """One worker thread running store calls in order (see the module docstring).

    Args:
        stall_s: how long the queue may go without completing a call (calls waiting) before
            :meth:`trouble` reports it; a call that fails is reported at once.
        expected: errors that are a call's answer (e.g. "no such session"): logged in one
            line; any other error is logged with its traceback.
        first_retry_s, max_retry_s: the pause before the first retry of a call that failed
            with :class:`StorageUnavailableError`, doubled after each failure up to the maximum.
    """

    def __init__(
        self,
        *,
        expected: tuple[type[BaseException], ...] = (),
        stall_s: float = ALARM_S,
        first_retry_s: float = FIRST_RETRY_S,
        max_retry_s: float = MAX_RETRY_S,
    ) -> None:
        self.expected = expected
        self.stall_s = stall_s
        self.first_retry_s = first_retry_s
        self.max_retry_s = max_retry_s
        self._queue: deque[_Call] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._busy_since: float | None = None  # when the head call started (monotonic)
        self._failing: str | None = None  # why the head call failed last, while it is retried
        self._frames = 0  # landmark frames held by queued calls
        #: Counts the spells of trouble (a new number each time trouble starts after none).
        self.outage = 0
        self._in_outage = False

    # -- giving work -------------------------------------------------------------------------
    def submit(self, what: str, fn: Callable[[], T], *, frames: int = 0) -> Future[T]:
        """Queue ``fn`` (``what``: a few words for the log); its result or error comes in the
        returned future. ``frames``: how many landmark frames the call holds (for
        :attr:`frames_pending`)."""
        call = _Call(what, fn, frames)
        with self._cv:
            if self._closing:
                raise StorageUnavailableError(f"the store writer is closed; {what} not written")
            self._queue.append(call)
            self._frames += frames
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="pressup-store-writer", daemon=True
                )
                self._thread.start()
            self._cv.notify_all()
        return call.future

    async def run(self, what: str, fn: Callable[[], T]) -> T:
        """:meth:`submit` and wait for the result without blocking the event loop."""
        result: T = await asyncio.wrap_future(self.submit(what, fn))
        return result

    # -- state -------------------------------------------------------------------------------
    @property
    def frames_pending(self) -> int:
        """Landmark frames queued and not yet written."""
        with self._cv:
            return self._frames

    @property
    def pending(self) -> int:
        """Calls queued (the one running included)."""
        with self._cv:
            return len(self._queue)

    def trouble(self) -> str | None:
        """Why the store cannot keep up now (the head call failed and is being retried, or no
        call has completed for more than ``stall_s`` while calls wait), or ``None``."""
        with self._cv:
            if self._failing is not None:
                reason: str | None = self._failing
            elif self._busy_since is not None and (
                time.monotonic() - self._busy_since > self.stall_s
            ):
                reason = (
                    f"no write has completed for {time.monotonic() - self._busy_since:.0f} s "
                    f"with {len(self._queue)} waiting (the database is locked or slow)"
                )
            else:
                reason = None
            if reason is not None and not self._in_outage:
                self._in_outage = True
                self.outage += 1
            elif reason is None:
                self._in_outage = False
            return reason

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued call is done (True) or ``timeout`` seconds passed (False)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
            return True

    async def idle(self, timeout: float) -> bool:
        """:meth:`wait_idle` without blocking the event loop."""
        if not self.pending:
            return True
        return await asyncio.to_thread(self.wait_idle, timeout)

    def close(self, timeout: float) -> None:
        """Write what is queued (waiting at most ``timeout`` seconds), then stop the thread. What
        could not be written in time is logged as lost, call by call."""
        written = self.wait_idle(timeout)
        with self._cv:
            self._closing = True
            lost = list(self._queue) if not written else []
            self._queue.clear()
            self._frames = 0
            self._cv.notify_all()
        for call in lost:
            log.error(
                "storage: closing with %s not written (%d frames) - lost", call.what, call.frames
            )
            if not call.future.done():
                call.future.set_exception(
                    StorageUnavailableError(f"{call.what} not written: the server stopped")
                )
        if self._thread is not None:
            self._thread.join(timeout=1.0)

    # -- the worker --------------------------------------------------------------------------
    def _work(self) -> None:
        pause = self.first_retry_s
        while True:
            with self._cv:
                while not self._queue and not self._closing:
                    self._cv.wait()
                if not self._queue:
                    return
                call = self._queue[0]
                self._busy_since = time.monotonic()
            try:
                result = call.fn()
            except StorageUnavailableError as exc:
                with self._cv:
                    first = self._failing is None
                    self._failing = exc.public  # what the tabs are told: no address
                    self._busy_since = None
                    if first:
                        log.warning("storage: %s failed, kept and retried: %s", call.what, exc)
                    self._cv.wait(pause)  # woken early only by close()
                pause = min(pause * 2, self.max_retry_s)
                continue
            except Exception as exc:
                if isinstance(exc, self.expected):
                    log.info("storage: %s: %s", call.what, exc)
                else:
                    log.error("storage: %s failed and is dropped: %s", call.what, exc, exc_info=exc)
                self._done(call)
                if not call.future.done():
                    call.future.set_exception(exc)
            else:
                if self._failing is not None:
                    log.warning("storage: writing again after the trouble (%s)", call.what)
                self._done(call)
                if not call.future.done():
                    call.future.set_result(result)
            pause = self.first_retry_s

    def _done(self, call: _Call) -> None:
        with self._cv:
            if self._queue and self._queue[0] is call:
                self._queue.popleft()
                self._frames -= call.frames
            self._failing = None
            self._busy_since = None
            self._cv.notify_all()


__all__ = ["ALARM_S", "STALL_S", "StoreWriter"]
