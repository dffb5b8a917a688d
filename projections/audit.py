"""Checking the stored read models against the log: recompute them apart, compare every row.

The ``rm_*`` tables are a cache that anyone with the file can edit (``players`` showing 51
goals for Dybala). ``check_read_models`` folds the log again up to the stored checkpoint into
a temporary file, never the ledger's, and names each row that differs, by table and key; then
it folds the log once more, stopping at every stored snapshot, and checks what the snapshot
says of that moment (its bounds and hash, the parts valid there, the scopes of those written).

    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> from matchledger.projections.projector import rebuild
    >>> log = MemoryLog(sample_log().envelopes)
    >>> _ = rebuild(log)
    >>> _ = log.db.execute("UPDATE rm_player SET goals = 51 WHERE player = 'Paulo Dybala'")
    >>> [str(d) for d in check_read_models(log).differences]
    ["rm_player ('roma', 'Paulo Dybala'): goals 51, expected 1"]
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import attrs
import sqlite_utils

from matchledger.ledger.envelope import Envelope, to_micros
from matchledger.ledger.jsontext import dumps_data, loads
from matchledger.projections.codec import check_key, decode_part, decode_piece, decode_summary
from matchledger.projections.errors import StaleCache
from matchledger.projections.logreader import LATEST, LogReader, Progress, log_hash
from matchledger.projections.projector import Projector
from matchledger.projections.readmodels import CHECKPOINT, CHECKPOINT_NAME, OVERALL, PIECES, TABLES
from matchledger.projections.snapshot import PARTS, SCOPES, SNAPSHOT
from matchledger.projections.state import FORMAT, Key, State, all_keys, companions, fold, scopes

SHOWN = 3  # differing columns named per row


@attrs.frozen
class Difference:
    """One row of a read model that is not what the log gives."""

    table: str
    key: tuple[Any, ...]
    problem: str

    def __str__(self) -> str:
        return f"{self.table} {self.key!r}: {self.problem}"


@attrs.frozen
class ReadModelReport:
    """What the check found: ``position`` is the stored checkpoint (None: never built)."""

    position: int | None
    rows: int  # rows compared
    differences: tuple[Difference, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences


def check_read_models(ledger: LogReader, progress: Progress | None = None) -> ReadModelReport:
    """Recompute the read models up to their stored checkpoint, apart from the ledger, and
    report every row that differs from what is stored (nothing is written to the ledger)."""
    db = ledger.db
    if CHECKPOINT not in db.table_names():
        return ReadModelReport(None, 0)
    row = db.execute(f"SELECT position, format, hash FROM {CHECKPOINT} WHERE name = ?",
                     (CHECKPOINT_NAME,)).fetchone()
    if row is None:
        return ReadModelReport(None, 0)
    position, fmt, digest = row
    if type(position) is not int or not 0 <= position <= ledger.head():
        return ReadModelReport(None, 0, (Difference(CHECKPOINT, (CHECKPOINT_NAME,),
                                                    f"position {position!r} is not in the log"),))
    problems = []
    if fmt != FORMAT:
        problems.append(f"format {fmt!r}, expected {FORMAT} (matchledger rebuild makes them "
                        "again)")
    if digest != log_hash(ledger, position):
        problems.append("hash is not the log's at its position: read models of another log")
    if problems:
        return ReadModelReport(position, 0, (Difference(CHECKPOINT, (CHECKPOINT_NAME,),
                                                        "; ".join(problems)),))
    with tempfile.TemporaryDirectory(prefix="matchledger-verify-") as folder:
        fresh = _Apart(ledger, Path(folder) / "read-models.db", position)
        try:
            Projector(fresh, once=True, snapshot_every=position + 1).rebuild(progress)
            report = _compare(db, fresh.db, position)
        finally:
            fresh.db.conn.close()
    return attrs.evolve(report, differences=(*report.differences, *check_snapshots(ledger)))


def check_snapshots(ledger: LogReader) -> list[Difference]:
    """Every way the stored snapshots (of this ``FORMAT``) differ from the fold of the log at
    their positions: one fold, stopping at each."""
    db = ledger.db
    if not {SNAPSHOT, PARTS, SCOPES} <= set(db.table_names()):
        return []
    rows = db.execute(f"SELECT position, max_occurred, max_recorded, min_occurred, "
                      f"min_recorded, hash FROM {SNAPSHOT} WHERE format = ? ORDER BY position",
                      (FORMAT,)).fetchall()
    found: list[Difference] = []
    state, earliest, last = State(touched=set()), (LATEST, LATEST), 0
    head = ledger.head()
    members = set(db.execute(f"SELECT scope, key FROM {SCOPES}").fetchall())
    for position, *stored in rows:
        if type(position) is not int or not 0 < position <= head:
            found.append(Difference(SNAPSHOT, (position,), "its position is not in the log"))
            continue
        for env in ledger.read(after=last, at_position=position):
            fold(state, env)
            earliest = (min(earliest[0], env.occurred_at), min(earliest[1], env.recorded_at))
        expected = [to_micros(state.max_occurred), to_micros(state.max_recorded),
                    to_micros(earliest[0]), to_micros(earliest[1]), log_hash(ledger, position)]
        names = ("max_occurred", "max_recorded", "min_occurred", "min_recorded", "hash")
        differ = [f"{n} {s!r}, expected {e!r}" for n, s, e in zip(names, stored, expected,
                                                                   strict=True) if s != e]
        if differ:
            found.append(Difference(SNAPSHOT, (position,), "; ".join(differ)))
        assert state.touched is not None
        found += _check_parts(db, state, position, state.touched, members)
        state.touched, earliest, last = set(), (LATEST, LATEST), position
    return found


def _check_parts(db: sqlite_utils.Database, state: State, position: int,
                 touched: set[Key], members: set[tuple[str, str]]) -> list[Difference]:
    """The parts valid at ``position`` against ``state`` there: the same keys, those written
    there (and every key changed since the snapshot before) equal to the fold's, and each
    of those in the scopes its views read."""
    found: list[Difference] = []
    valid: dict[str, int] = dict(db.execute(
        f"SELECT key, since FROM {PARTS} WHERE since <= ? AND (until IS NULL OR until > ?)",
        (position, position)).fetchall())
    expected = {dumps_data(list(k)): k for k in all_keys(state)}
    for text in sorted(valid.keys() - expected.keys()):
        found.append(Difference(PARTS, (text, valid[text]), f"not in the fold at {position}"))
    for text in sorted(expected.keys() - valid.keys()):
        found.append(Difference(PARTS, (text,), f"no part valid at {position}"))
    written = {t for t, since in valid.items() if since == position}
    stale = {dumps_data(list(k)) for k in touched} & expected.keys() - written
    for text in sorted(stale):
        found.append(Difference(PARTS, (text, valid.get(text)), f"changed by {position}, "
                                "but no part written there"))
    for text in sorted(written & expected.keys()):
        key = expected[text]
        blob = db.execute(f"SELECT state FROM {PARTS} WHERE key = ? AND since = ?",
                          (text, position)).fetchone()[0]
        try:
            same = decode_part(check_key(loads(text)), blob) == _value(state, key)
        except StaleCache:
            same = False
        if not same:
            found.append(Difference(PARTS, (text, position), "differs from the fold there"))
        wanted = {(scope, dumps_data(list(member))) for scope in scopes(state, key)
                  for member in (key, *companions(state, key))}
        if not wanted <= members:
            found.append(Difference(SCOPES, (text,), "missing from the scopes its views read"))
    return found


def _value(state: State, key: Key) -> Any:
    return state.matches.get(key[1]) if key[0] == "match" else state.history.get(key)


class _Apart:
    """The ledger's log up to ``upto``, with its read models written to another file."""

    def __init__(self, ledger: LogReader, path: Path, upto: int) -> None:
        self.ledger, self.upto = ledger, upto
        self._db = sqlite_utils.Database(path)
        self._db.conn.isolation_level = None  # autocommit, as the ledger's connection

    @property
    def db(self) -> sqlite_utils.Database:
        return self._db

    def head(self) -> int:
        return self.upto

    def read(self, *, after: int = 0, at_position: int | None = None,
             **filters: Any) -> Iterator[Envelope]:
        bound = self.upto if at_position is None else min(at_position, self.upto)
        return self.ledger.read(after=after, at_position=bound, **filters)


def _compare(stored: sqlite_utils.Database, fresh: sqlite_utils.Database,
             position: int) -> ReadModelReport:
    differences: list[Difference] = []
    rows = 0
    for table, (columns, pk) in TABLES.items():
        expected = _rows(fresh, table, columns, pk)
        found = _rows(stored, table, columns, pk) if table in stored.table_names() else {}
        rows += len(found)
        for key in sorted(found.keys() | expected.keys(), key=repr):
            problem = _problem(table, key, found.get(key), expected.get(key))
            if problem is not None:
                differences.append(Difference(table, key, problem))
    return ReadModelReport(position, rows, tuple(differences))


def _rows(db: sqlite_utils.Database, table: str, columns: Collection[str],
          pk: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    names = ", ".join(f'"{c}"' for c in columns)
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for values in db.execute(f"SELECT {names} FROM {table}"):
        row = dict(zip(columns, values, strict=True))
        found[tuple(row[c] for c in pk)] = row
    return found


def _problem(table: str, key: tuple[Any, ...], found: dict[str, Any] | None,
             expected: dict[str, Any] | None) -> str | None:
    if found is None:
        return "missing: the log gives this row"
    if expected is None:
        return "not in what the log gives"
    if table == PIECES:
        return _piece_problem(key, found["piece"], expected["piece"])
    differ = [c for c in expected if found[c] != expected[c]]
    if not differ:
        return None
    shown = ", ".join(f"{c} {_short(found[c])}, expected {_short(expected[c])}"
                      for c in differ[:SHOWN])
    return shown + (f" (and {len(differ) - SHOWN} more)" if len(differ) > SHOWN else "")


def _piece_problem(key: tuple[Any, ...], found: Any, expected: bytes) -> str | None:
    """Pieces compare by value: their players' counts may be stored in another order."""
    if found == expected:
        return None
    team, competition = key
    try:
        if competition == OVERALL:
            same = (decode_summary(found, team, {}, {}) == decode_summary(expected, team, {}, {}))
        else:
            same = (decode_piece(found, team, competition)
                    == decode_piece(expected, team, competition))
    except StaleCache:
        return "piece does not decode as the read models write it"
    return None if same else "piece differs from what the log gives"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
