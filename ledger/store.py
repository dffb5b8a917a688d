"""The append-only store: one SQLite table, ``events``, that nothing may update or delete.

    >>> import datetime as dt, tempfile, os
    >>> from events import CompetitionCreated
    >>> lg = Ledger(os.path.join(tempfile.mkdtemp(), "doc.db"))
    >>> [env.position for env in lg.append("competition:cup", [Draft(
    ...     event=CompetitionCreated(competition="cup", name="Cup", season="2024"),
    ...     occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))], expected_version=-1)]
    [1]

Positions are gapless and follow commit order: every append takes SQLite's single write lock
(``BEGIN IMMEDIATE``) and numbers its rows after the last one, which a store on a database with
concurrent writers (PostgreSQL's sequences, say) cannot promise without extra locking. Each row
carries the hash of the previous row, so any change made behind the ledger's back shows in
``verify``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import sqlite_utils

from events import Event, EventRetracted, FixtureScheduled, MatchStarted
from events.rules import RuleViolation, amended
from ledger.codec import encode
from ledger.envelope import UTC, Draft, Envelope, StoredMeta, from_micros, to_micros
from ledger.errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidEvent,
    LedgerError,
    NotALedger,
    RuleBroken,
)
from ledger.jsontext import dumps, dumps_data, loads
from ledger.teams import Registry
from ledger.validate import Judge, allowed_in, decode_data, scheduled_in, stream_kind

NO_STREAM = -1  # expected_version of a stream that must not exist yet
GENESIS = bytes(32)
# µs an event may seem to occur after it is recorded: the clocks of appenders may differ
CLOCK_SLACK = 5 * 60 * 1_000_000
VERIFY_STEP = 10_000  # events between two reports of verify's progress

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       TEXT    NOT NULL UNIQUE,
    stream         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_at    INTEGER NOT NULL,  -- microseconds since the epoch, UTC
    recorded_at    INTEGER NOT NULL,  -- microseconds since the epoch, UTC
    data           TEXT    NOT NULL,  -- JSON
    meta           TEXT,              -- JSON, NULL when empty
    prev_hash      BLOB    NOT NULL,
    hash           BLOB    NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_fixture ON events (json_extract(data, '$.match'))
    WHERE type = 'FixtureScheduled';
CREATE INDEX IF NOT EXISTS events_registry ON events (position)
    WHERE type IN ('TeamRegistered', 'PlayerRegistered');
CREATE INDEX IF NOT EXISTS events_retracted ON events (position)
    WHERE type = 'EventRetracted';
CREATE INDEX IF NOT EXISTS events_tie ON events (json_extract(data, '$.tie'))
    WHERE type = 'TieDrawn';
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the events log is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the events log is append-only: DELETE refused'); END;
"""

_COLUMNS = ("position, event_id, stream, version, type, schema_version, occurred_at, "
            "recorded_at, data, meta, prev_hash, hash")


def chain_hash(prev: bytes, position: int, event_id: str, stream: str, version: int,
               type_name: str, schema: int, occurred: int, recorded: int, data: str,
               meta: str | None) -> bytes:
    """sha256 over the previous hash and every column of the envelope."""
    text = "\x1f".join((str(position), event_id, stream, str(version), type_name, str(schema),
                        str(occurred), str(recorded), data, meta or ""))
    return hashlib.sha256(prev + text.encode()).digest()


def stored_texts(data: Mapping[str, Any], meta: Mapping[str, Any] | None
                 ) -> tuple[str, str | None]:
    """The data and meta columns of an event as stored (meta NULL when empty), which its
    hash covers."""
    return dumps_data(data), dumps(dict(meta)) if meta else None


@attrs.frozen
class VerifyReport:
    ok: bool
    events: int
    first_bad: int | None = None
    problem: str | None = None
    head_hash: str | None = None


@attrs.frozen(kw_only=True)
class StoredDraft(Draft):
    """A draft read back from an export: its stored form is kept as it was if it is admitted
    unchanged, so export then import gives an identical ledger, hashes included."""

    stored: tuple[str, int, dict[str, Any]]  # type, schema_version, data


class Ledger:
    """The ledger in one SQLite file (WAL; several processes may append and read at once)."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # a committed append survives power loss
            if not {"events_retracted", "events_tie"} <= _indexes(conn):
                # a new ledger, or one from before the last index was added; IF NOT EXISTS
                # makes racing creators agree
                conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        except sqlite3.DatabaseError as e:
            conn.close()
            raise NotALedger(f"{self.path}: not a matchledger database ({e})") from e
        self._judge = Judge()
        self._tail: tuple[int, bytes] | None = None
        self._committed: int | None = None  # the last position when this object last committed

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; a write one holds SQLite's write lock and all of it commits, or none.

        A read transaction (``write=False``) sees one consistent snapshot and blocks no writer;
        inside a transaction already open, it is that one.
        """
        conn = self.conn
        if not write and conn.in_transaction:
            yield conn
            return
        self._tail = None  # (position, hash) of the last row, once read in this transaction
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        except sqlite3.OperationalError as e:
            raise LedgerError(f"cannot write to {self.path}: {e}") from e
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._judge.rollback()
            raise
        self._judge.commit(wrote=write and self._tail is not None)
        if write and self._tail is not None:
            self._committed = self._tail[0]

    # --- writing ---------------------------------------------------------------------------

    def append(self, stream: str, drafts: Sequence[Draft | Event],
               expected_version: int | None = None) -> list[Envelope]:
        """Append ``drafts`` to ``stream`` atomically and return them as stored.

        ``expected_version`` is the version of the stream's last event as the writer knows it
        (NO_STREAM, -1, for a new stream; None to skip the check). Re-sending events whose ids
        are already stored returns the stored envelopes and writes nothing.
        """
        now = dt.datetime.now(UTC)
        batch = [d if isinstance(d, Draft) else Draft(event=d, occurred_at=now) for d in drafts]
        if not batch:
            return []
        with self.transaction() as conn:
            stored = self._existing(conn, [d.event_id for d in batch])
            if stored:
                return self._replayed(conn, stream, batch, stored)
            written = self._scheduled_by_bracket(conn, stream, batch)
            written += self._write(conn, stream, batch, expected_version)
        return [_envelope(row, event, meta) for row, event, meta in written]

    def _scheduled_by_bracket(self, conn: sqlite3.Connection, stream: str,
                              batch: Sequence[Draft]
                              ) -> list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]]:
        """A kick-off of a match the bracket feeds (a final between two semi-finals' winners),
        scheduled without its teams: schedule it again with them first, in the same
        transaction, once the ties that feed it are decided (the judge refuses the kick-off,
        naming the undecided tie, before)."""
        kickoff = next((d for d in batch if isinstance(d.event, MatchStarted)), None)
        if kickoff is None or not stream.startswith("match:"):
            return []
        fed = self._judge.fed_fixture(conn, stream.removeprefix("match:"))
        if fed is None:
            return []
        comp_stream, fixture = fed
        draft = Draft(event=fixture, occurred_at=kickoff.occurred_at,
                      meta={"source": "bracket", "causation": kickoff.event_id})
        return self._write(conn, comp_stream, [draft], None)

    def amend(self, stream: str, event_id: str, changes: Mapping[str, Any], *, reason: str,
              occurred_at: dt.datetime | None = None, meta: Mapping[str, Any] | None = None,
              expected_version: int | None = None) -> list[Envelope]:
        """Correct a goal, card or shoot-out kick of a match in one atomic append: its
        retraction (``reason``), naming its replacement, and the replacement, the same event
        with ``changes`` (``events.rules.AMENDABLE`` names the fields), which takes its place.

        The replacement occurred when the original did, moved by any change of minute, unless
        ``occurred_at`` says when; the match rules judge it as it happened on the pitch.
        """
        found = self._existing(self.conn, [event_id]).get(event_id)
        if found is None or found.stream != stream:
            raise RuleBroken(f"{stream}: no event {event_id} in it to amend")
        try:
            replacement = amended(found.event, changes)
        except RuleViolation as e:
            raise RuleBroken(f"{stream}: {e}") from e
        if occurred_at is None:
            occurred_at = found.occurred_at + dt.timedelta(minutes=_minutes_moved(
                found.event, replacement))
        new = Draft(event=replacement, occurred_at=occurred_at, meta=dict(meta or {}))
        retraction = EventRetracted(event=event_id, reason=reason, replacement=new.event_id)
        now = dt.datetime.now(UTC)
        return self.append(stream, [Draft(event=retraction, occurred_at=now,
                                          meta=dict(meta or {})), new],
                           expected_version=expected_version)

    def _existing(self, conn: sqlite3.Connection, ids: list[str]) -> dict[str, Envelope]:
        if len(set(ids)) != len(ids):
            raise DuplicateEvent("the same event_id appears twice in one append")
        found: dict[str, Envelope] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[1], _envelope(row)) for row in rows)
        return found

    def _replayed(self, conn: sqlite3.Connection, stream: str, batch: list[Draft],
                  stored: dict[str, Envelope]) -> list[Envelope]:
        if len(stored) != len(batch):
            some = next(iter(stored))
            raise DuplicateEvent(f"event {some} is already stored; an append must be all new "
                                 "events or a resend of exactly the same ones")
        for draft in batch:
            self._resent(conn, stream, draft, stored[draft.event_id])
        return [stored[d.event_id] for d in batch]

    def _resent(self, conn: sqlite3.Connection, stream: str, draft: Draft, stored: Envelope
                ) -> None:
        """Refuse a draft whose id is stored unless it is the stored event again (its names
        may be spelt as typed): a new event sent under an old id would be lost unseen."""
        if stored.stream != stream:
            raise DuplicateEvent(f"event {stored.event_id} is stored in {stored.stream}, "
                                 f"not {stream}")
        if draft.event == stored.event:
            return
        try:
            same = self._judge.resolved(conn, draft.event) == stored.event
        except LedgerError:  # a name it does not know
            same = False
        if not same:
            raise DuplicateEvent(
                f"event {stored.event_id} is stored as another event ({stored.type} at "
                f"{stored.stream} v{stored.version}): a resend must be that event again, and "
                "a new event needs a new id")

    def _write(self, conn: sqlite3.Connection, stream: str, batch: Sequence[Draft],
               expected_version: int | None
               ) -> list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]]:
        """Validate, hash and insert ``batch``; (row, event as admitted, meta) of each, from
        which ``append`` makes the envelopes it returns (an import needs none)."""
        kind, ident = stream_kind(stream)
        if self._tail is None:
            last = conn.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            self._tail = (last[0], bytes(last[1])) if last else (0, GENESIS)
            if self._tail[0] == self._committed:
                self._judge.trust()
        version, _ = self._judge.state(conn, stream)  # the stream's fold, brought up to date
        if expected_version is not None and expected_version != version:
            raise ConcurrencyConflict(stream, expected_version, version)
        if kind == "competition":
            self._judge.prepare(conn, [d.event for d in batch])
        position, prev = self._tail
        recorded_now = to_micros(dt.datetime.now(UTC))
        rows, admitted = [], []
        for index, draft in enumerate(batch):
            version += 1
            position += 1
            type_name = type(draft.event).__name__
            if not allowed_in(kind, type_name):
                raise InvalidEvent(f"{type_name} does not belong in a {kind} stream")
            try:
                occurred = _micros(draft.occurred_at, "occurred_at")
                recorded = (_micros(draft.recorded_at, "recorded_at")
                            if draft.recorded_at is not None else recorded_now)
                if occurred > recorded + CLOCK_SLACK:
                    raise InvalidEvent(f"occurred_at {iso(occurred)} is after it was recorded "
                                       f"({iso(recorded)}): the ledger records what has "
                                       "happened, not what will")
                event = self._judge.admit(conn, stream, kind, ident, version, draft.event,
                                          draft.event_id, occurred)
            except LedgerError as e:
                error = type(e)(f"{stream} v{version}: {e}")
                error.index = index
                raise error from e
            if isinstance(draft, StoredDraft) and event == draft.event:
                type_name, schema, data = draft.stored
            else:
                type_name, schema, data = encode(event)
            data_text, meta_text = stored_texts(data, draft.meta)
            digest = chain_hash(prev, position, draft.event_id, stream, version, type_name,
                                schema, occurred, recorded, data_text, meta_text)
            row = (position, draft.event_id, stream, version, type_name, schema, occurred,
                   recorded, data_text, meta_text, prev, digest)
            rows.append(row)
            admitted.append((row, event, draft.meta))
            prev = digest
        try:
            self._judge.complete(stream)
        except LedgerError as e:
            raise type(e)(f"{stream}: {e}") from e
        try:
            conn.executemany(
                f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
        except sqlite3.IntegrityError as e:  # a racing writer is impossible under the lock
            raise DuplicateEvent(f"{stream}: {e}") from e
        self._tail = (position, prev)
        self._judge.written(stream)
        return admitted

    # --- reading ---------------------------------------------------------------------------

    def read(
        self,
        *,
        after: int = 0,
        stream: str | None = None,
        prefix: str | None = None,
        types: Collection[str] | None = None,
        as_of: dt.datetime | None = None,
        known_at: dt.datetime | None = None,
        at_position: int | None = None,
        limit: int | None = None,
        streams: Collection[str] | None = None,
        competition: str | None = None,
    ) -> Iterator[Envelope]:
        """Events in position order: after a position, of a stream, any of ``streams``, a
        stream prefix or a ``competition`` (its stream and its matches'), of some types, that
        occurred by ``as_of``, were recorded by ``known_at``, up to ``at_position``.
        """
        sql, params = self._select(_COLUMNS, after=after, stream=stream, prefix=prefix,
                                   types=types, as_of=as_of, known_at=known_at,
                                   at_position=at_position, streams=streams,
                                   competition=competition)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for row in self.conn.execute(sql, params):
            yield _envelope(row)

    def _select(self, columns: str, *, after: int = 0, stream: str | None = None,
                prefix: str | None = None, types: Collection[str] | None = None,
                as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
                at_position: int | None = None, streams: Collection[str] | None = None,
                competition: str | None = None, tie: str | None = None,
                ordered: bool = True) -> tuple[str, list[Any]]:
        """SQL and parameters selecting ``columns`` of the events the filters keep, in position
        order unless not ``ordered`` (then SQLite may scan a partial index instead)."""
        where: list[str] = ["position > ?"] if after or ordered else ["1"]
        params: list[Any] = [after] if after or ordered else []
        if tie is not None:  # with types=["TieDrawn"], through the partial index on ties
            where.append("json_extract(data, '$.tie') = ?")
            params.append(tie)
        if stream is not None:
            where.append("stream = ?")
            params.append(stream)
        if streams is not None:  # one parameter however many: SQLite caps their number
            where.append("stream IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(streams)))
        if competition is not None:  # its stream, and the streams of the matches it scheduled
            where.append("(stream = ? OR stream IN (SELECT 'match:' || json_extract(data, "
                         "'$.match') FROM events WHERE type = 'FixtureScheduled' AND "
                         "stream = ?))")
            params += [f"competition:{competition}"] * 2
        if prefix is not None:
            where.append("stream >= ? AND stream < ?")
            params += [prefix, prefix + "\uffff"]
        if types is not None:  # literals, and = for one, so that the partial indexes apply
            names = [_literal(t) for t in types]
            where.append(f"type = {names[0]}" if len(names) == 1
                         else f"type IN ({', '.join(names)})" if names else "0")
        if as_of is not None:
            where.append("occurred_at <= ?")
            params.append(_micros(as_of, "as_of"))
        if known_at is not None:
            where.append("recorded_at <= ?")
            params.append(_micros(known_at, "known_at"))
        if at_position is not None:
            where.append("position <= ?")
            params.append(at_position)
        order = " ORDER BY position" if ordered else ""
        return f"SELECT {columns} FROM events WHERE {' AND '.join(where)}{order}", params

    def head(self) -> int:
        """The last position, 0 for an empty ledger."""
        row = self.conn.execute("SELECT max(position) FROM events").fetchone()
        return int(row[0] or 0)

    def competition_of(self, match: str) -> str | None:
        """The competition that scheduled ``match`` (a match never moves); None if none has."""
        stream = scheduled_in(self.conn, [match]).get(match)
        return None if stream is None else stream.partition(":")[2]

    def fixture(self, match: str) -> FixtureScheduled | None:
        """``match``'s fixture as last scheduled (teams as their ids); None if it never was.
        Competition events are never retracted, so the latest one stands."""
        row = self.conn.execute(
            "SELECT type, schema_version, data FROM events WHERE type = 'FixtureScheduled' "
            "AND json_extract(data, '$.match') = ? ORDER BY position DESC LIMIT 1",
            (match,)).fetchone()
        if row is None:
            return None
        event = decode_data(row[0], row[1], loads(row[2]))
        assert isinstance(event, FixtureScheduled)
        return event

    def competitions_drawing(self, tie: str, **filters: Any) -> list[str]:
        """The competitions that drew a tie called ``tie``, by the time-travel ``filters``
        (``as_of``, ``known_at``, ``at_position``) when given; through a partial index, so a
        view can tell which competition a tie id means without loading any state. A draw
        is never retracted: this is what a fold to the same moment knows."""
        sql, params = self._select("stream", types=["TieDrawn"], tie=tie, **filters)
        return sorted({stream.partition(":")[2] for (stream,) in self.conn.execute(sql, params)})

    def tie_ids(self, competition: str | None = None, **filters: Any) -> set[str]:
        """The ids of the ties drawn (in ``competition``, or in any), by ``filters``."""
        stream = f"competition:{competition}" if competition is not None else None
        return self._values("json_extract(data, '$.tie')", "TieDrawn", stream=stream,
                            **filters)

    def match_ids(self, **filters: Any) -> set[str]:
        """The ids of the matches scheduled, by the time-travel ``filters``."""
        return self._values("json_extract(data, '$.match')", "FixtureScheduled", **filters)

    def competition_ids(self, **filters: Any) -> set[str]:
        """The ids of the competitions created, by the time-travel ``filters``."""
        return {stream.partition(":")[2]
                for stream in self._values("stream", "CompetitionCreated", **filters)}

    def has_competition(self, competition: str, **filters: Any) -> bool:
        """Whether ``competition`` was created, by the time-travel ``filters``: one lookup in
        its stream, not a scan of every competition's creation."""
        sql, params = self._select("1", stream=f"competition:{competition}",
                                   types=["CompetitionCreated"], ordered=False, **filters)
        return self.conn.execute(sql + " LIMIT 1", params).fetchone() is not None

    def _values(self, column: str, type_name: str, **filters: Any) -> set[Any]:
        """The distinct values of ``column`` over the events of one type: what the views'
        errors suggest, from the log rather than from a fold of all of it."""
        sql, params = self._select(column, types=[type_name], ordered=False, **filters)
        return {value for (value,) in self.conn.execute(sql, params)}

    def stream_version(self, stream: str) -> int:
        """Version of the stream's last event; NO_STREAM (-1) when it has none."""
        row = self.conn.execute(
            "SELECT max(version) FROM events WHERE stream = ?", (stream,)
        ).fetchone()
        return NO_STREAM if row[0] is None else int(row[0])

    def registry(self) -> Registry:
        """Every team and player spelling the ledger knows."""
        with self.transaction(write=False) as conn:
            return self._judge.registry(conn)

    def resolve_team(self, name: str) -> str:
        return self.registry().resolve_team(name)

    def stats(self) -> dict[str, Any]:
        """Counts and bounds of the log: events, streams by kind, types, times, head hash."""
        with self.transaction(write=False) as conn:  # every count of one moment
            # one scan of the log for the types and the bounds of both clocks
            by_type = conn.execute(
                "SELECT type, count(*), min(occurred_at), max(occurred_at), min(recorded_at), "
                "max(recorded_at) FROM events GROUP BY type").fetchall()
            # a stream is its version 0 (versions are gapless): no DISTINCT over the log
            kinds = dict(conn.execute(
                "SELECT substr(stream, 1, instr(stream, ':') - 1) AS kind, count(*) "
                "FROM events WHERE version = 0 GROUP BY kind ORDER BY kind").fetchall())
            first, last = conn.execute("SELECT min(position), max(position) FROM events"
                                       ).fetchone()
            head = conn.execute("SELECT hash FROM events WHERE position = ?", (last,)
                                ).fetchone()
        types = {t: n for t, n, *_ in sorted(by_type, key=lambda row: (-row[1], row[0]))}

        def bound(pick: Callable[..., Any], column: int) -> str | None:
            """The earliest (min) or latest (max) of a time column over every type."""
            return iso(pick((row[column] for row in by_type), default=None))

        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return {
            "path": str(self.path), "size_bytes": size, "events": sum(types.values()),
            "stream_count": sum(kinds.values()), "streams": kinds,
            "first_position": first, "last_position": last,
            "first_occurred_at": bound(min, 2), "last_occurred_at": bound(max, 3),
            "first_recorded_at": bound(min, 4), "last_recorded_at": bound(max, 5),
            "head_hash": bytes(head[0]).hex() if head else None, "types": types,
        }

    # --- checking --------------------------------------------------------------------------

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Walk the hash chain, positions and versions; report the first position that fails.
        ``progress`` is told (position reached, head) every ``VERIFY_STEP`` events."""
        with self.transaction(write=False):  # the head and the rows of one moment
            return self._verify(progress)

    def _verify(self, progress: Callable[[int, int], None] | None) -> VerifyReport:
        prev, expected_position, count = GENESIS, 1, 0
        versions: dict[str, int] = {}
        head = self.head()
        rows = self.conn.execute(f"SELECT {_COLUMNS} FROM events ORDER BY position")
        for row in rows:
            (position, event_id, stream, version, type_name, schema, occurred, recorded,
             data, meta, prev_hash, digest) = row
            problem = None
            if position != expected_position:
                problem = f"gap: expected position {expected_position}, found {position}"
            elif bytes(prev_hash) != prev:
                problem = "prev_hash does not match the previous event's hash"
            elif chain_hash(prev, position, event_id, stream, version, type_name, schema,
                            occurred, recorded, data, meta) != bytes(digest):
                problem = "hash does not match the stored envelope (edited after writing?)"
            elif version != versions.get(stream, -1) + 1:
                problem = f"{stream}: version {version} follows {versions.get(stream, -1)}"
            else:
                try:
                    decode_data(type_name, schema, loads(data))
                except (InvalidEvent, ValueError) as e:
                    problem = f"undecodable event: {e}"
            if problem:
                return VerifyReport(False, count, position, problem, prev.hex())
            prev, expected_position, count = bytes(digest), position + 1, count + 1
            versions[stream] = version
            if progress is not None and count % VERIFY_STEP == 0:
                progress(position, head)
        triggers = {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
        if triggers != {"events_no_update", "events_no_delete"}:
            return VerifyReport(False, count, None, "append-only triggers are missing",
                                prev.hex())
        return VerifyReport(True, count, None, None, prev.hex())


def iso(micros: int | None) -> str | None:
    """A stored time as ISO 8601 in UTC ("2024-04-18T19:00:00Z")."""
    if micros is None:
        return None
    return from_micros(micros).isoformat().replace("+00:00", "Z")


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def _literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _micros(moment: dt.datetime, field: str) -> int:
    try:
        return to_micros(moment)
    except (ValueError, TypeError, AttributeError) as e:
        raise InvalidEvent(f"{field}: {e}") from e


def _envelope(row: Sequence[Any], event: Event | None = None,
              meta_dict: Mapping[str, Any] | None = None) -> Envelope:
    """An envelope from a stored row; ``event`` and ``meta_dict`` when already at hand."""
    (position, event_id, stream, version, type_name, schema, occurred, recorded, data, meta,
     prev_hash, digest) = row
    return Envelope(
        position=position,
        event_id=event_id,
        stream=stream,
        version=version,
        type=type_name,
        schema_version=schema,
        occurred_at=from_micros(occurred),
        recorded_at=from_micros(recorded),
        event=event if event is not None else decode_data(type_name, schema, loads(data)),
        meta=meta_dict if meta_dict is not None else StoredMeta(meta) if meta else {},
        prev_hash=bytes(prev_hash).hex(),
        hash=bytes(digest).hex(),
    )


__all__ = ["NO_STREAM", "Ledger", "StoredDraft", "VerifyReport"]


def _minutes_moved(before: Event, after: Event) -> int:
    """How many minutes of play an amendment moves an event by (0 where either has none)."""
    def played(event: Event) -> int | None:
        minute: int | None = getattr(event, "minute", None)
        added: int | None = getattr(event, "added", None)
        return None if minute is None else minute + (added or 0)

    old, new = played(before), played(after)
    return 0 if old is None or new is None else new - old
