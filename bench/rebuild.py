"""Rebuild: every projection from nothing, against raw sqlite3 reading and parsing every row.

Ours is ``projections.rebuild(ledger)`` on a fresh copy of the whole generated ledger (read,
decode, fold, snapshot, write the read models). The baseline is the least any rebuild must
do: ``SELECT`` every row in position order and decode its data and meta with orjson, the
decoder the ledger itself uses. Target: at least a fifth of its speed.

The row is skipped (with a note) while ``projections`` does not offer ``rebuild``.
"""

from __future__ import annotations

import sqlite3
import time

import orjson

from bench.harness import COLUMNS, Context, Result, copy_db, measure
from matchledger.ledger import Ledger

TARGET = 0.2  # at least a fifth of the speed of reading and orjson-decoding every row


def raw_read(path: str) -> float:
    """Seconds to select every row in order and parse its JSON columns (orjson)."""
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    loads = orjson.loads
    for row in conn.execute(f"SELECT {COLUMNS} FROM events ORDER BY position"):
        loads(row[8])
        if row[9] is not None:
            loads(row[9])
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


@measure("rebuild")
def rebuild_rows(ctx: Context) -> list[Result]:
    try:
        from matchledger.projections import rebuild
    except ImportError as e:
        ctx.log(f"rebuild: skipped, projections has no rebuild ({e})")
        return []
    source = ctx.full_ledger()
    work = ctx.path("rebuild-ours.db")
    repeat = min(ctx.repeat, 2)  # a full rebuild is long; two runs are enough to see noise
    ctx.log(f"rebuild every projection from nothing: {ctx.events:,} events, {repeat} runs "
            "each side")

    def ours() -> float:
        copy_db(source, work)
        ledger = Ledger(work)
        try:
            start = time.perf_counter()
            rebuild(ledger)
            return time.perf_counter() - start
        finally:
            ledger.close()

    def baseline() -> float:
        return raw_read(str(source))

    saved, ctx.repeat = ctx.repeat, repeat
    try:
        mine, theirs = ctx.best_of(ours, baseline)
    finally:
        ctx.repeat = saved
    n = ctx.events
    return [Result(
        measure="rebuild every projection from nothing", unit="events/s",
        ours=n / mine.best, baseline=n / theirs.best, target=TARGET,
        baseline_label="sqlite3 SELECT every row + orjson.loads of data and meta",
        compares="ours reads every row, decodes it into its event class (cattrs, upcasting), "
                 "folds it into the state of every projection, writes a snapshot every "
                 "10,000 events and every read-model row, in WAL with synchronous=FULL; the "
                 "baseline reads the same rows and parses their JSON, and skips the event "
                 "classes, the fold, the snapshots and every write",
        notes={"events": n, "ours": mine.summary(n), "baseline": theirs.summary(n)})]


__all__ = ["raw_read", "rebuild_rows"]
