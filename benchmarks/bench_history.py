"""How long the history-wide reads take as sessions pile up.

Usage::

    python benchmarks/bench_history.py [--sessions 100,500,1000] [--repeats 3]

For each size a fresh SQLite file is filled with that many sessions (3 press-ups, a pain rating
with its place before and after, one engine event each), then timed:

* ``plan_session``: what a new live session does at ``hello`` (review the history, store a
  decision if new, take the dose in force), on the server's event loop;
* ``render_history``: the history page (table, three plots, calendar);
* ``collect_sessions``: the sessions table of ``pressup export sessions``.

Figures are the median and the minimum over ``--repeats`` runs, in milliseconds. Timings are
printed, never asserted: other processes may share the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pressup.export.tables import collect_sessions
from pressup.protocol import ProtocolSpec
from pressup.report.history import render_history
from pressup.sessions.plan import plan_session
from pressup.sessions.records import add_symptoms
from pressup.storage import Store


def fill(store: Store, n: int) -> None:
    for k in range(n):
        sid = store.create_session(
            client="bench",
            dose={"ladder_variant": "forearms", "target_hold_s": 5.0},
            protocol={},
            target_reps=3,
        )
        for i in (1, 2, 3):
            store.upsert_rep(
                sid,
                {
                    "index": i,
                    "start_s": 10.0 * i,
                    "hold_s": 5.2,
                    "variant": "forearms",
                    "peak_trunk_deg": 18.0 + (k % 7),
                    "faults": [],
                },
            )
        store.add_pain(sid, rep=0, score=2, skipped=False, t_s=None)
        store.add_pain(sid, rep=3, score=2, skipped=False, t_s=None)
        add_symptoms(
            store,
            sid,
            [{"rep": 0, "pain": 2, "location": "back"}, {"rep": 3, "pain": 2, "location": "back"}],
        )
        store.add_events(sid, [{"t_s": 1.0, "kind": "rep_started", "rep": 1}])


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), min(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="100,500,1000", help="comma-separated sizes")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    spec = ProtocolSpec()
    print(f"{'sessions':>8} {'fill s':>7}  {'what':<18} {'median ms':>10} {'min ms':>8}")
    for n in (int(x) for x in args.sessions.split(",")):
        with tempfile.TemporaryDirectory() as d, Store(f"sqlite:///{Path(d) / 'h.db'}") as store:
            t0 = time.perf_counter()
            fill(store, n)
            fill_s = time.perf_counter() - t0
            for name, fn in (
                ("plan_session", lambda: plan_session(store, spec)),
                ("render_history", lambda: render_history(store, spec)),
                ("collect_sessions", lambda: collect_sessions(store)),
            ):
                med, best = timed(fn, args.repeats)
                print(f"{n:>8} {fill_s:>7.1f}  {name:<18} {med:>10.0f} {best:>8.0f}")


if __name__ == "__main__":
    main()
