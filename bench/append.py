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

- **a goal through the CLI, one new process each**: ``CLI_APPENDS`` goals of the single-append
  sample, each typed as a person types it (``matchledger append goal MATCH --team ...``, its
  ``--event-id`` and ``--at`` the generated event's) in a process of its own, onto the same
  ledger (the sample's events before each goal appended in between, untimed), against a new
  Python process that opens the file with sqlite3 and inserts the same row durably; median.

Each row also reports events/s on both sides and bytes on disk per event (database plus WAL
after a ``wal_checkpoint(TRUNCATE)``, over all the events in the file).
"""

from __future__ import annotations

import json
import subprocess
import sys
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
    matchledger,
    measure,
    median,
    prefill,
)
from matchledger.events import GoalKind, GoalScored
from matchledger.ledger import Draft, Ledger, StreamRun

BATCH = 1_000
TARGET = 0.5  # at least half the speed of raw sqlite3 on the same rows
CLI_APPENDS = 7  # goals appended through the CLI, a new process each (the median is kept)


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
    return [batch_row(ctx), single_row(ctx), cli_row(ctx)]


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
        compares="ours: Ledger.append_batch per 1,000 events in one process: the idempotency "
                 "lookup, version checks, the match rules, encoding, the hash chain, one "
                 "durable commit; the baseline: executemany of the rows the ledger stores "
                 "(encoded and hashed beforehand, untimed), same schema and pragmas; no "
                 "process start-up on either side",
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
        compares="ours: Ledger.append of one event per transaction in a long-lived process "
                 "(its judge's folds kept warm), validation and the hash chain, a durable "
                 "commit each; the baseline: one INSERT of the stored row per durable commit; "
                 "no process start-up on either side (the CLI row has it)",
        notes={"events": n, "onto": before,
               "ours": mine.summary(n) | _bytes_per_event(ours_path, total),
               "baseline": theirs.summary(n) | _bytes_per_event(base_path, total)})


# the baseline's process: durable, like the ledger, and nothing else
RAW_INSERT = f"""
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
row = json.loads(sys.argv[2])
row[10] = bytes.fromhex(row[10])
conn.execute("BEGIN IMMEDIATE")
conn.execute({INSERT!r}, row)
conn.execute("COMMIT")
"""


def goal_command(path: Path, stream: str, draft: Draft) -> list[str]:
    """``matchledger append goal`` typed for the generated goal ``draft``, the same event."""
    goal = draft.event
    assert isinstance(goal, GoalScored)
    command = [*matchledger(), "append", "goal",
               stream.removeprefix("match:"), "--team", goal.team, "--db", str(path),
               "--at", draft.occurred_at.isoformat(), "--event-id", draft.event_id]
    if goal.player is not None:
        command += ["--player", goal.player]
    if goal.minute is not None:
        command += ["--minute", f"{goal.minute}+{goal.added}" if goal.added else
                    str(goal.minute)]
    if goal.kind is GoalKind.PENALTY:
        command.append("--penalty")
    elif goal.kind is GoalKind.OWN_GOAL:
        command.append("--own-goal")
    return command


def _timed_process(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {done.stderr.strip()}")
    return elapsed


def cli_row(ctx: Context) -> Result:
    history = ctx.head(ctx.single_at)
    before = event_count(history)
    events = list(flatten(ctx.slice(ctx.single_at, ctx.single_at + ctx.single)))
    goals = [i for i, (stream, d) in enumerate(events)
             if isinstance(d.event, GoalScored) and d.recorded_at is None
             and stream.startswith("match:")][:CLI_APPENDS]
    ctx.log(f"append, a goal per new process (matchledger append goal): {len(goals)} goals "
            f"onto a ledger of {before:,}")
    seed_path = ctx.path("append-cli-history.db")
    prefill(seed_path, history)
    raw = list(rows([*history, *[(s, [d]) for s, d in events[:goals[-1] + 1]]]))[before:]
    ours_path, base_path = ctx.path("append-cli-ours.db"), ctx.path("append-cli-raw.db")
    copy_db(seed_path, ours_path)
    copy_db(seed_path, base_path)
    mine: list[float] = []
    theirs: list[float] = []
    done = 0
    for n, goal in enumerate(goals):
        with Ledger(ours_path) as ledger:  # the events before the goal, untimed
            append_single(ledger, [(s, [d]) for s, d in events[done:goal]])
        conn = baseline_connection(base_path)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, raw[done:goal])
        conn.execute("COMMIT")
        conn.close()
        row: list[object] = list(raw[goal])
        row[10] = raw[goal][10].hex()
        sides = [(mine, goal_command(ours_path, *events[goal])),
                 (theirs, [sys.executable, "-c", RAW_INSERT, str(base_path), json.dumps(row)])]
        for runs, command in sides if n % 2 == 0 else sides[::-1]:
            runs.append(_timed_process(command))
        done = goal + 1
    ours_s, base_s = median(mine), median(theirs)
    return Result(
        measure="append, a goal typed at the CLI, a new process each", unit="events/s",
        ours=1 / ours_s, baseline=1 / base_s, target=TARGET,
        baseline_label="a new python process: sqlite3 INSERT of the same row, durably",
        compares="ours: matchledger append goal as a person runs it: the interpreter, the "
                 "CLI's imports, opening the ledger, resolving team and player, the match "
                 "rules, the hash chain, one durable commit, and the score line it prints; "
                 "the baseline: the interpreter, import sqlite3, one INSERT of the row the "
                 "ledger stores, committed with synchronous=FULL, and nothing else (no "
                 "validation, no chain, no read); median of each",
        notes={"events": len(goals), "onto": before,
               "ours": {"runs_s": [round(v, 4) for v in mine], "median_s": round(ours_s, 4)},
               "baseline": {"runs_s": [round(v, 4) for v in theirs],
                            "median_s": round(base_s, 4)},
               "note": f"median {ours_s * 1000:,.0f} ms ours, {base_s * 1000:,.0f} ms raw"})


__all__ = ["BATCH", "CLI_APPENDS", "append_batches", "append_rows", "append_single", "cli_row",
           "goal_command"]
