"""Bytes on disk per event: the log, its indexes, the read models and the snapshots.

Measured on the projected ledger (``bench.catchup.projected``: every event of the run, read
models caught up, snapshots as a live ledger writes them) after a ``wal_checkpoint(TRUNCATE)``:
the database file (the WAL is then empty) divided by the events in it. The note breaks the
bytes down by what holds them (SQLite's ``dbstat`` table, when compiled in): the log table,
the log's indexes, the read-model tables and their indexes, the snapshot tables, free pages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.catchup import projected
from bench.harness import Context, Result, checkpoint, disk_bytes, measure

LIMIT = 400.0  # bytes per event
SNAPSHOT_TABLES = ("rm_snapshot", "rm_snapshot_part")


def breakdown(conn: sqlite3.Connection) -> dict[str, int]:
    """Bytes per part of the file: log, log indexes, read models, their indexes, snapshots
    (and their indexes), schema and free pages. Empty if SQLite lacks ``dbstat``."""
    try:
        pages = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:
        return {}
    owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master "
                               "WHERE type IN ('table', 'index')").fetchall())
    parts = dict.fromkeys(("log", "log indexes", "read models", "read-model indexes",
                           "snapshots", "schema", "free pages"), 0)
    for name, size in pages:
        table = owners.get(name, name)
        index = name != table
        if table == "events":
            part = "log indexes" if index else "log"
        elif table in SNAPSHOT_TABLES:
            part = "snapshots"
        elif table.startswith("rm_"):
            part = "read-model indexes" if index else "read models"
        else:
            part = "schema"
        parts[part] += size
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    parts["free pages"] = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    return parts


def per_event(path: Path) -> tuple[float, int, dict[str, int]]:
    """(bytes per event, events, bytes by part) of a checkpointed ledger file."""
    conn = sqlite3.connect(path)
    checkpoint(conn)
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    parts = breakdown(conn)
    conn.close()
    return disk_bytes(path) / events, events, parts


@measure("disk")
def disk_rows(ctx: Context) -> list[Result]:
    path = projected(ctx).path
    ctx.log("bytes on disk per event, log + read models + indexes + snapshots")
    bytes_per_event, events, parts = per_event(path)
    shares = {name: round(size / events, 1) for name, size in parts.items()}
    note = ("bytes per event: " + ", ".join(f"{name} {share:,.0f}"
                                            for name, share in shares.items() if share)
            if shares else "dbstat is not compiled into this SQLite: no breakdown")
    return [Result(
        measure="bytes on disk per event (log + read models + indexes + snapshots)",
        unit="bytes", ours=bytes_per_event, limit=LIMIT, lower_is_better=True,
        compares="the whole file after a checkpoint (no WAL): the log and its indexes, every "
                 "read-model table and index, the snapshots and pieces, free pages; no "
                 "baseline, a bound on ours",
        notes={"events": events, "file_bytes": disk_bytes(path),
               "bytes_per_event_by_part": shares, "note": note})]


__all__ = ["breakdown", "disk_rows", "per_event"]
