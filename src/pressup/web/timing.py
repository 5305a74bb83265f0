"""Opt-in timing of the frame replies (``PRESSUP_TIMING=1``, served at ``GET /api/timing``)."""

from __future__ import annotations

import os
from typing import Any


class ReplyTimer:
    """Opt-in: time from a ``frame`` message received to its ``update`` reply sent.

    Measured with :func:`time.perf_counter_ns` from right after ``receive_text()`` returns to
    right after ``send_text()`` of the reply returns (validation, engine, storage and the send;
    not the time the message waited before the handler ran). Keeps the last :attr:`capacity`
    samples in a ring buffer; nothing is recorded unless ``Settings.timing`` is on.
    """

    capacity = 1 << 18

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.samples: list[int] = [0] * self.capacity
        self.count = 0

    def add(self, ns: int) -> None:
        self.samples[self.count % self.capacity] = ns
        self.count += 1

    def summary(self, samples: bool = False) -> dict[str, Any]:
        """Percentiles of the kept samples (ms), and the process id (``pressup serve`` has one
        timer per worker); ``samples``: the kept samples themselves too (``samples_us``,
        microseconds), for merging several workers' figures."""
        kept = sorted(self.samples[: min(self.count, self.capacity)])

        def pct(q: float) -> float | None:
            return kept[min(len(kept) - 1, int(q * len(kept)))] / 1e6 if kept else None

        out: dict[str, Any] = {
            "pid": os.getpid(),
            "count": self.count,
            "window": len(kept),
            "p50_ms": pct(0.50),
            "p90_ms": pct(0.90),
            "p99_ms": pct(0.99),
            "max_ms": kept[-1] / 1e6 if kept else None,
        }
        if samples:
            out["samples_us"] = [ns // 1000 for ns in kept]
        return out


__all__ = ["ReplyTimer"]
