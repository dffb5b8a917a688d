"""Append: the ledger's write path against raw sqlite3 inserting the very same rows.

Two rows, both durable (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` ... ``COMMIT``) and both
on the ledger's own schema (same table, indexes and triggers) for the baseline too:

- **one event per transaction**: ``single`` events from the middle of a season, appended one
  ``Ledger.append(stream, [draft], expected_version=v)`` at a time onto a copy of a ledger
  already holding every event before them (``Context.single_at``: a live desk typing into a
  ledger with history), against one ``INSERT`` per transaction of the rows the ledger stores.
- **batches of 1,000**: the first ``batch`` events into an empty ledger, 1,000 events per
  transaction (a stream's run split where a boundary falls inside it), through the path
  ``ledger.import_lines`` takes (``Ledger.append_batch``: one idempotency lookup, then each
  stream run validated and written), against one
  ``executemany`` of the same 1,000 rows per transaction.

Each row also reports events/s on both sides and bytes on disk per event (database plus WAL
after a ``wal_checkpoint(TRUNCATE)``, over all the events in the file).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from bench.generate import Batch, chunks, flatten, rows
from bench.harness import (
    INSERT,
    Context,
    Result,
    baseline_connection,
    checkpoint,
    copy_db,
    disk_bytes,
    event_count,
    measure,
    prefill,
)
from matchledger.ledger import Ledger, StreamRun

BATCH = 1_000
TARGET = 0.5  # at least half the speed of raw sqlite3 on the same rows


# --- ours -------------------------------------------------------------------------------------


def append_single(ledger: Ledger, batches: Sequence[Batch]) -> float:
    """Seconds to append every event in its own ``Ledger.append`` (its own transaction)."""
    events = list(flatten(batches))
    versions = {stream: ledger.stream_version(stream) for stream, _ in events}
    start = time.perf_counter()
    for stream, draft in events:
        version = versions[stream]
        ledger.append(stream, [draft], expected_version=version)
        versions[stream] = version + 1
    return time.perf_counter() - start


def append_batches(ledger: Ledger, batches: Sequence[Batch], size: int = BATCH) -> float:
    """Seconds to append the events ``size`` per transaction through ``Ledger.append_batch``,
    as ``import_lines`` does: the ids of the transaction looked up at once, then each stream's
    run validated and written, naming the version it expects."""
    transactions = []
    versions: dict[str, int] = {}
    for transaction in chunks(batches, size):
        runs = []
        for stream, drafts in transaction:
            expected = versions.get(stream, -1)
            runs.append(StreamRun(stream, drafts, expected_version=expected))
            versions[stream] = expected + len(drafts)
        transactions.append(runs)
    start = time.perf_counter()
    for runs in transactions:
        if ledger.append_batch(runs, lookup=size).skipped:
            raise AssertionError("the bench appends fresh events only")
    return time.perf_counter() - start


# --- the row ----------------------------------------------------------------------------------


def _bytes_per_event(path: Path, events: int) -> dict[str, float]:
    import sqlite3

    conn = sqlite3.connect(path)
    wal = disk_bytes(path)
    checkpoint(conn)
    conn.close()
    return {"bytes_per_event": round(disk_bytes(path) / events, 1),
            "bytes_per_event_before_checkpoint": round(wal / events, 1)}


@measure("append")
def append_rows(ctx: Context) -> list[Result]:
    return [batch_row(ctx), single_row(ctx)]


def batch_row(ctx: Context) -> Result:
    sample = ctx.head(ctx.batch)
    n = event_count(sample)
    ctx.log(f"append, batches of {BATCH:,}: {n:,} events, {ctx.repeat} runs each side")
    raw = list(rows(sample))
    transactions = [raw[i : i + BATCH] for i in range(0, len(raw), BATCH)]
    ours_path, base_path = ctx.path("append-batch-ours.db"), ctx.path("append-batch-raw.db")

    def ours() -> float:
        ledger = Ledger(ctx.path(ours_path.name))
        try:
            return append_batches(ledger, sample)
        finally:
            ledger.close()

    def baseline() -> float:
        conn = baseline_connection(ctx.path(base_path.name))
        start = time.perf_counter()
        for transaction in transactions:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT, transaction)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed

    mine, theirs = ctx.best_of(ours, baseline)
    return Result(
        measure=f"append, batches of {BATCH:,}", unit="events/s",
        ours=n / mine.best, baseline=n / theirs.best, target=TARGET,
        baseline_label="sqlite3 executemany, same rows, 1 txn per 1,000",
        notes={"events": n, "ours": mine.summary(n) | _bytes_per_event(ours_path, n),
               "baseline": theirs.summary(n) | _bytes_per_event(base_path, n)})


def single_row(ctx: Context) -> Result:
    history = ctx.head(ctx.single_at)
    sample = ctx.slice(ctx.single_at, ctx.single_at + ctx.single)
    before, n = event_count(history), event_count(sample)
    ctx.log(f"append, one event per transaction: {n:,} events onto a ledger of {before:,}, "
            f"{ctx.repeat} runs each side")
    seed_path = ctx.path("append-single-history.db")
    prefill(seed_path, history)
    tail = list(rows([*history, *sample]))[before:]
    ours_path, base_path = ctx.path("append-single-ours.db"), ctx.path("append-single-raw.db")

    def ours() -> float:
        copy_db(seed_path, ours_path)
        ledger = Ledger(ours_path)
        try:
            return append_single(ledger, sample)
        finally:
            ledger.close()

    def baseline() -> float:
        copy_db(seed_path, base_path)
        conn = baseline_connection(base_path)
        start = time.perf_counter()
        for row in tail:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT, row)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return elapsed

    mine, theirs = ctx.best_of(ours, baseline)
    total = before + n
    return Result(
        measure="append, one event per transaction (WAL, synchronous=FULL)", unit="events/s",
        ours=n / mine.best, baseline=n / theirs.best, target=TARGET,
        baseline_label="sqlite3, same rows, one INSERT per transaction",
        notes={"events": n, "onto": before,
               "ours": mine.summary(n) | _bytes_per_event(ours_path, total),
               "baseline": theirs.summary(n) | _bytes_per_event(base_path, total)})


__all__ = ["BATCH", "append_batches", "append_rows", "append_single"]
