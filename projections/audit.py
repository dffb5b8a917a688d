"""Checking the stored read models against the log: recompute them apart, compare every row.

The ``rm_*`` tables are a cache that anyone with the file can edit (``players`` showing 51
goals for Dybala). ``check_read_models`` folds the log again up to the stored checkpoint into
a temporary file, never the ledger's, and names each row that differs, by table and key.

    >>> from projections.testing import MemoryLog, sample_log
    >>> from projections.store import rebuild
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

from ledger.envelope import Envelope
from projections.codec import decode_piece, decode_summary
from projections.errors import StaleCache
from projections.state import FORMAT
from projections.store import (
    CHECKPOINT,
    CHECKPOINT_NAME,
    OVERALL,
    PIECES,
    TABLES,
    LogReader,
    Progress,
    Projector,
    log_hash,
)

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
            return _compare(db, fresh.db, position)
        finally:
            fresh.db.conn.close()


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
