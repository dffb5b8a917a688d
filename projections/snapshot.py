"""Snapshots of the fold state, so a fold starts from the nearest usable one, not position 0.

The fold state is snapshotted every ``snapshot_every`` positions (by the ``Projector``), with
the latest ``occurred_at`` and ``recorded_at`` of every event up to it, which lets a
time-travel query start from the nearest usable snapshot, and lets a new process resume
catching up. Parts of the state carry their scopes (a competition, a team), so a query about
one cup, or a new process catching up a few events, loads only the parts it needs.

    rm_snapshot       position PK, format, max_occurred, max_recorded (of the events up to
                      it), min_occurred, min_recorded (of those since the snapshot before: a
                      stretch with none by the bounds asked is never read), parts, created_at
                      (times in µs since the epoch), hash (of the event at position)
    rm_snapshot_part  (key, since) PK, until, state: one part of the fold state (a match, or
                      the history of one competition fact), valid for since <= P < until
    rm_snapshot_scope (scope, key) PK: the parts a competition's or a team's views read

Snapshots are a cache in a form that cannot run code (JSON, ``projections.codec``): one that
does not check out — another ``FORMAT``, undecodable, the wrong shape, or a hash that is not
the log's at its position — is ignored and the answer recomputed from the log.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterator
from typing import Any

import sqlite_utils

from matchledger.ledger.envelope import from_micros, to_micros
from matchledger.ledger.jsontext import dumps_data, loads
from matchledger.projections.codec import (
    check_key,
    decode_part,
)
from matchledger.projections.errors import StaleCache
from matchledger.projections.logreader import LogReader, log_hash
from matchledger.projections.state import (
    FORMAT,
    Key,
    State,
    add_parts,
    companions,
    scopes,
)

SNAPSHOT = "rm_snapshot"
PARTS = "rm_snapshot_part"
SCOPES = "rm_snapshot_scope"

def stretches(db: sqlite_utils.Database, after: int, upto: int | None, *,
               as_of: dt.datetime | None, known_at: dt.datetime | None,
               ) -> list[tuple[int, int | None]]:
    """The position ranges (lo, hi] after ``after`` that may hold an event that occurred by
    ``as_of`` and was recorded by ``known_at``: all but the stretches between two snapshots
    whose earliest event is later than that (each snapshot records its stretch's earliest)."""
    if (as_of is None and known_at is None) or not has_snapshots(db):
        return [(after, upto)]
    occurred = None if as_of is None else to_micros(as_of)
    recorded = None if known_at is None else to_micros(known_at)
    rows = db.execute(f"SELECT position, min_occurred, min_recorded FROM {SNAPSHOT} "
                      "WHERE position > ? AND format = ? AND typeof(min_occurred) = 'integer' "
                      "AND typeof(min_recorded) = 'integer' ORDER BY position",
                      (after, FORMAT)).fetchall()
    ranges: list[tuple[int, int | None]] = []
    lo: int | None = after  # the start of the range being extended; None while skipping
    start = after  # where the current stretch begins
    for position, min_occurred, min_recorded in rows:
        if upto is not None and start >= upto:
            break
        empty = ((occurred is not None and min_occurred > occurred)
                 or (recorded is not None and min_recorded > recorded))
        if empty and lo is not None:
            if start > lo:
                ranges.append((lo, start))
            lo = None
        elif not empty and lo is None:
            lo = start
        start = position
    if lo is None and (upto is None or start < upto):
        lo = start  # after the last snapshot: nothing is known, read it all
    if lo is not None:
        ranges.append((lo, upto))
    return ranges

def nearest_snapshot(
    ledger: LogReader,
    *,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    at_position: int | None = None,
    scope: str | None = None,
    keys: Collection[Key] | None = None,
) -> State:
    """The state of the latest snapshot usable for these filters, or an empty state; only
    the parts of ``scope`` (see ``projections.state.scopes``), or of ``keys``, when given.

    A snapshot at P is usable iff P <= at_position and every event up to P occurred by
    ``as_of`` and was recorded by ``known_at``: then folding on from P with the filters gives
    what folding from 0 would. A snapshot that does not check out (its hash is not the log's
    at its position, or a part of it is not what ``projections.codec`` wrote) is not used:
    the state is then empty, and the caller folds the log from the start.
    """
    db = ledger.db
    if not has_snapshots(db):
        return State()
    where, params = ["format = ?"], [FORMAT]
    for column, bound in (("position", at_position), ("max_occurred", as_of),
                          ("max_recorded", known_at)):
        if bound is not None:
            where.append(f"{column} <= ?")
            params.append(bound if isinstance(bound, int) else to_micros(bound))
    row = db.execute(f"SELECT position, max_occurred, max_recorded, hash FROM {SNAPSHOT} "
                     f"WHERE {' AND '.join(where)} AND typeof(position) = 'integer' AND "
                     "typeof(max_occurred) = 'integer' AND typeof(max_recorded) = 'integer' "
                     "ORDER BY position DESC LIMIT 1", params).fetchone()
    if row is None or row[3] != log_hash(ledger, row[0]):
        return State()
    try:
        state = State(position=row[0], max_occurred=from_micros(row[1]),
                      max_recorded=from_micros(row[2]))
        return add_parts(state, parts_at(db, row[0], scope=scope, keys=keys))
    except (StaleCache, OverflowError):
        return State()

def has_snapshots(db: sqlite_utils.Database) -> bool:
    """Whether the snapshot tables are this version's (a reader never writes: older ones
    are replaced by the next catch-up, and until then every read folds from position 0)."""
    return SCOPES in db.table_names() and "hash" in db[SNAPSHOT].columns_dict


def parts_at(db: sqlite_utils.Database, position: int, *, scope: str | None = None,
              keys: Collection[Key] | None = None) -> Iterator[tuple[Key, Any]]:
    """The parts valid at a snapshot's position (all, those of a scope, or of some keys),
    decoded; StaleCache at one that does not check out."""
    sql = f"SELECT key, state FROM {PARTS} WHERE since <= ? AND (until IS NULL OR until > ?)"
    params: list[Any] = [position, position]
    if scope is not None:
        sql += f" AND key IN (SELECT key FROM {SCOPES} WHERE scope = ?)"
        params.append(scope)
    if keys is not None:
        sql += " AND key IN (SELECT value FROM json_each(?))"
        params.append(dumps_data([_key_text(k) for k in keys]))
    for text, blob in db.execute(sql, params):
        try:
            key = check_key(loads(text))
        except (ValueError, TypeError) as e:
            raise StaleCache(f"snapshot key {text!r} does not check out") from e
        yield key, decode_part(key, blob)


def _key_text(key: Key) -> str:
    """A key as the snapshot tables store it: a JSON array."""
    return dumps_data(list(key))


def scope_keys(db: sqlite_utils.Database, scopes: Collection[str]) -> set[Key]:
    """The keys stored snapshots put in any of ``scopes`` (ask only when there is one)."""
    rows = db.execute(f"SELECT DISTINCT key FROM {SCOPES} WHERE scope IN "
                      "(SELECT value FROM json_each(?))", (dumps_data(list(scopes)),))
    try:
        return {check_key(loads(key)) for (key,) in rows}
    except (ValueError, TypeError) as e:
        raise StaleCache("a snapshot scope does not check out") from e

def snapshots(db: sqlite_utils.Database) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(position, latest occurred_at, latest recorded_at) of every stored snapshot, in order."""
    if not db[SNAPSHOT].exists():
        return []
    rows = db.execute(f"SELECT position, max_occurred, max_recorded FROM {SNAPSHOT} "
                      "WHERE format = ? ORDER BY position", (FORMAT,)).fetchall()
    return [(p, from_micros(o), from_micros(r)) for p, o, r in rows]

def store_parts(db: sqlite_utils.Database, state: State,
                 parts: dict[Key, bytes | None]) -> None:
    """Close the parts replaced at ``state.position``, add the new ones and their scopes."""
    position = state.position
    text = functools.cache(_key_text)  # each key's stored form, made once
    db.conn.executemany(f"UPDATE {PARTS} SET until = ? WHERE key = ? AND until IS NULL "
                        "AND since < ?", [(position, text(k), position) for k in parts])
    kept = [(k, blob) for k, blob in parts.items() if blob]
    db.conn.executemany(f"INSERT OR REPLACE INTO {PARTS} (key, since, until, state) "
                        "VALUES (?, ?, NULL, ?)", [(text(k), position, b) for k, b in kept])
    members = {(scope, member) for k, _ in kept
               for scope in scopes(state, k) for member in (k, *companions(state, k))}
    db.conn.executemany(f"INSERT OR IGNORE INTO {SCOPES} (scope, key) VALUES (?, ?)",
                        [(scope, text(k)) for scope, k in members])


def create_snapshot_tables(db: sqlite_utils.Database) -> bool:
    """Create the snapshot tables that do not exist yet; True if an older version's were
    dropped first (caches: the read models built with them must go too, and the next
    catch-up folds from position 0 and snapshots on the way)."""
    dropped = SNAPSHOT in db.table_names() and not has_snapshots(db)
    if dropped:
        for name in (SNAPSHOT, PARTS, SCOPES):
            db.execute(f"DROP TABLE IF EXISTS {name}")
    db.table(SNAPSHOT).create({"position": int, "format": int, "max_occurred": int,
                               "max_recorded": int, "min_occurred": int, "min_recorded": int,
                               "parts": int, "created_at": str, "hash": str},
                              pk="position", if_not_exists=True)
    db.table(PARTS).create({"key": str, "since": int, "until": int, "state": bytes},
                           pk=("key", "since"), if_not_exists=True)
    db.execute(f"CREATE TABLE IF NOT EXISTS {SCOPES} (scope TEXT NOT NULL, key TEXT NOT NULL, "
               "PRIMARY KEY (scope, key)) WITHOUT ROWID")
    return dropped
