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
import os
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

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
from ledger.files import (
    cannot_write,
    check_schema,
    kind_of,
    marker_pragmas,
    open_read_only,
    read_only_uri,
)
from ledger.jsontext import dumps, dumps_data, loads
from ledger.limits import check_schema_version
from ledger.teams import Registry
from ledger.trust import (
    CHECKPOINT_TRIGGERS,
    CHECKPOINTS_SCHEMA,
    Anchor,
    Checkpoint,
    key_id,
    sign,
    signature_holds,
    stored_checkpoints,
)
from ledger.validate import (
    Judge,
    allowed_in,
    decode_data,
    decode_stored,
    scheduled_in,
    stream_kind,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

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


@attrs.frozen
class Appended:
    """What an append stored: its envelopes, and whether it wrote them (``new``) or found
    every one already stored under its event id (a resend, which writes nothing)."""

    envelopes: list[Envelope]
    new: bool


@attrs.frozen
class StreamRun:
    """Drafts for one stream in a batch append (``Ledger.append_batch``).

    ``expected_version`` as ``append``'s (None: no check); ``cited`` says how an error
    names each draft ("line 12", a source's "file.txt:9"), one per draft, when given.
    """

    stream: str
    drafts: Sequence[Draft]
    expected_version: int | None = None
    cited: Sequence[str] | None = None


@attrs.frozen
class BatchAppended:
    """What a batch append did: events written, and events skipped as already stored."""

    added: int
    skipped: int


@attrs.frozen(kw_only=True)
class StoredDraft(Draft):
    """A draft read back from an export: its stored form is kept as it was if it is admitted
    unchanged, so export then import gives an identical ledger, hashes included."""

    stored: tuple[str, int, dict[str, Any]]  # type, schema_version, data

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        check_schema_version(self.stored[1])


class Ledger:
    """The ledger in one SQLite file (WAL; several processes may append and read at once).

    ``read_only`` opens it without writing a byte (``ledger.files``): reads work, appends
    fail; a file whose schema is not the ledger's is refused either way, untouched.
    ``verifying`` (read-only) opens a ledger whose triggers or indexes were changed too, so
    that ``verify`` can name what is wrong.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0, read_only: bool = False,
                 verifying: bool = False) -> None:
        self.path = Path(path)
        if read_only or verifying:
            self.db = sqlite_utils.Database(open_read_only(self.path, _SCHEMA, timeout=timeout,
                                                           whole=not verifying))
        else:
            self.db = sqlite_utils.Database(_open_for_writing(self.path, timeout))
        self._judge = Judge()
        self._tail: tuple[int, bytes] | None = None
        self._committed: int | None = None  # the last position when this object last committed
        self._warmed: set[str] = set()  # streams whose folds were read outside the write lock

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
        except BaseException as e:
            self._abandon(conn, refused=isinstance(e, LedgerError))
            if isinstance(e, sqlite3.Error) and _is_full(e):
                raise LedgerError(f"cannot write to {self.path}: the disk is full ({e}); "
                                  "nothing of this write was kept") from e
            raise
        self._judge.commit(wrote=write and self._tail is not None)
        if write and self._tail is not None:
            self._committed = self._tail[0]

    def _abandon(self, conn: sqlite3.Connection, *, refused: bool) -> None:
        """Undo a transaction that failed. SQLite may have rolled it back already (a full disk
        at COMMIT does). The judge forgets what it learnt in it; unless the ledger itself
        ``refused`` (a rule, a conflict: nothing reached the file), it forgets all it knew
        too, so the next write reads the log afresh rather than number its events after
        rows that were never kept."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            self._judge.rollback()
            self._tail = None
            if not refused:
                self._judge.reset()
                self._committed = None
                self._warmed.clear()

    # --- writing ---------------------------------------------------------------------------

    def append(self, stream: str, drafts: Sequence[Draft | Event],
               expected_version: int | None = None) -> list[Envelope]:
        """Append ``drafts`` to ``stream`` atomically and return them as stored.

        ``expected_version`` is the version of the stream's last event as the writer knows it
        (NO_STREAM, -1, for a new stream; None to skip the check). Re-sending events whose ids
        are already stored returns the stored envelopes and writes nothing.
        """
        return self.submit(stream, drafts, expected_version).envelopes

    def submit(self, stream: str, drafts: Sequence[Draft | Event],
               expected_version: int | None = None) -> Appended:
        """``append``, saying also whether it wrote the events or found them stored (a
        resend), as decided under the write lock: true however many resend at once."""
        now = dt.datetime.now(UTC)
        batch = [d if isinstance(d, Draft) else Draft(event=d, occurred_at=now) for d in drafts]
        if not batch:
            return Appended([], new=False)
        if stream not in self._warmed:
            self._warm(stream)
        with self.transaction() as conn:
            stored = self.by_ids([d.event_id for d in batch])
            if stored:
                return Appended(self._replayed(conn, stream, batch, stored), new=False)
            written = self._scheduled_by_bracket(conn, stream, batch)
            written += self._write(conn, stream, batch, expected_version)
        return Appended([_envelope(row, event, meta) for row, event, meta in written], new=True)

    def _warm(self, stream: str) -> None:
        """Fold what appending to ``stream`` needs before taking the write lock (the first
        time this object appends to it): other writers then wait for the append alone."""
        try:
            with self.transaction(write=False) as conn:
                self._judge.warm(conn, stream)
        except LedgerError:
            return  # a bad stream: the append says why
        self._warmed.add(stream)

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
        found = self.by_ids([event_id]).get(event_id)
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

    def append_batch(self, runs: Iterable[StreamRun], *, strict_resends: bool = True,
                     lookup: int = 1000, progress: Callable[[int], None] | None = None
                     ) -> BatchAppended:
        """Append runs of drafts to many streams in one transaction: all of them, or none.

        The same write as ``append``'s (durability, the rules, the hash chain), over any number
        of streams and events: ``runs`` is read lazily, ``lookup`` events at a time, whose ids
        are looked up together. A draft whose id is stored already is skipped, if it is the
        stored event again (with ``strict_resends`` False, if it is stored in the same stream
        whatever it says now: ids made from what identifies a fact, as a source import's
        are); else the batch is refused. An error names the draft refused by ``cited``.
        ``progress`` is told the number of drafts of each run done.
        """
        added = skipped = 0
        with self.transaction() as conn:
            for chunk in _gathered(runs, lookup):
                stored = self.by_ids([d.event_id for run in chunk for d in run.drafts])
                for run in chunk:
                    fresh = []
                    for index, draft in enumerate(run.drafts):
                        if draft.event_id not in stored:
                            fresh.append(index)
                            continue
                        try:
                            self._resent(conn, run.stream, draft, stored[draft.event_id],
                                         strict=strict_resends)
                        except LedgerError as e:
                            _raise_cited(e, run, index)
                    skipped += len(run.drafts) - len(fresh)
                    if fresh:
                        try:
                            self._write(conn, run.stream, [run.drafts[i] for i in fresh],
                                        run.expected_version)
                        except LedgerError as e:
                            _raise_cited(e, run, fresh[e.index or 0])
                    added += len(fresh)
                    if progress:
                        progress(len(run.drafts))
        return BatchAppended(added, skipped)

    def by_ids(self, ids: Sequence[str]) -> dict[str, Envelope]:
        """The stored events of these ids, by id (those not stored are missing); read in the
        transaction open, if one is. The same id twice is refused, as in an append."""
        if len(set(ids)) != len(ids):
            raise DuplicateEvent("the same event_id appears twice in one append")
        found: dict[str, Envelope] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = self.conn.execute(
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

    def _resent(self, conn: sqlite3.Connection, stream: str, draft: Draft, stored: Envelope,
                *, strict: bool = True) -> None:
        """Refuse a draft whose id is stored unless it is the stored event again (its names
        may be spelt as typed): a new event sent under an old id would be lost unseen. Not
        ``strict``: the same stream is enough."""
        if stored.stream != stream:
            raise DuplicateEvent(f"event {stored.event_id} is stored in {stored.stream}, "
                                 f"not {stream}")
        if not strict or draft.event == stored.event:
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

    def read_stored(self, **filters: Any) -> Iterator[tuple[Any, ...]]:
        """The rows of the events ``read`` would give, exactly as stored (no upcasting):
        position, event_id, stream, version, type, schema_version, occurred_at and
        recorded_at (µs), data and meta (JSON text, meta None when empty), prev_hash, hash."""
        sql, params = self._select(_COLUMNS, **filters)
        yield from self.conn.execute(sql, params)

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
        event = decode_stored(row[0], row[1], row[2])
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
            "head_hash": bytes(head[0]).hex() if head else None,
            "head": f"{last}:{bytes(head[0]).hex()}" if head else None, "types": types,
        }

    # --- heads and checkpoints -------------------------------------------------------------

    def anchor(self) -> Anchor:
        """The head of the log (its last position and hash), to keep outside the file:
        ``verify`` given it later proves the log still holds it, not cut short or rewritten."""
        row = self.conn.execute(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
        if row is None:
            raise LedgerError(f"{self.path} is empty: there is no head to keep yet")
        return Anchor(int(row[0]), bytes(row[1]).hex())

    def checkpoint(self, key: Ed25519PrivateKey) -> Checkpoint:
        """Sign the head with ``key`` and store it in the ``checkpoints`` table (append-only,
        like the log): from then on ``verify`` fails on a log that no longer holds it."""
        with self.transaction() as conn:
            if _missing_checkpoints(conn):
                for statement in CHECKPOINTS_SCHEMA:  # not executescript: it would COMMIT
                    conn.execute(statement)
            head = self.anchor()
            assert head.position is not None
            signed_at, signer, signature = sign(key, head.position, head.hash)
            cursor = conn.execute(
                "INSERT INTO checkpoints (position, hash, signed_at, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?)", (head.position, head.hash, signed_at, signer, signature))
        return Checkpoint(int(cursor.lastrowid or 0), head.position, head.hash, signed_at,
                          signer, signature)

    # --- checking --------------------------------------------------------------------------

    def verify(self, progress: Callable[[int, int], None] | None = None, *,
               anchors: Sequence[Anchor] = (), key: Ed25519PublicKey | None = None,
               rules: bool = True) -> VerifyReport:
        """Walk the hash chain, positions and versions, judge every event again by the rules
        that admit appends, and hold the log to each of ``anchors`` and each stored
        checkpoint (signed by ``key``, when given); report the first position that fails.
        ``rules=False`` skips the judging, most of the time it takes.
        ``progress`` is told (position reached, head) every ``VERIFY_STEP`` events."""
        with self.transaction(write=False):  # the head and the rows of one moment
            kept: dict[int, list[tuple[str, str]]] = {}  # position -> [(hash, who holds it)]
            loose: dict[str, str] = {}  # hash -> who holds it, for anchors without a position
            for anchor in anchors:
                if anchor.position is None:
                    loose[anchor.hash] = f"anchor {anchor.hash[:12]}…"
                else:
                    kept.setdefault(anchor.position, []).append(
                        (anchor.hash, f"the anchor {anchor}"))
            failed = self._checkpoints(key, kept)
            if failed is not None:
                return failed
            return self._verify(progress, kept, loose, rules)

    def _checkpoints(self, key: Ed25519PublicKey | None,
                     kept: dict[int, list[tuple[str, str]]]) -> VerifyReport | None:
        """Add each stored checkpoint to ``kept``; a failing report when one's signature does
        not hold under ``key``, or when ``key`` is given and there is none."""
        try:
            stored = stored_checkpoints(self.conn)
        except (sqlite3.Error, TypeError, ValueError) as e:
            return VerifyReport(False, 0, None, f"the checkpoints table is not as written: {e}")
        if stored is not None and _missing_checkpoints(self.conn, triggers=True):
            return VerifyReport(False, 0, None, "the checkpoints' append-only triggers are "
                                "missing")
        if key is not None and not stored:
            return VerifyReport(False, 0, None, "no signed checkpoint is stored (one was "
                                "expected, as a key was given): deleted, or never signed")
        for cp in stored or ():
            if key is not None and not signature_holds(key, cp):
                signer = (f"signed by another key ({cp.key_id})" if cp.key_id != key_id(key)
                          else "edited since it was signed")
                return VerifyReport(False, 0, cp.position, f"checkpoint {cp.id} (position "
                                    f"{cp.position}) does not verify with key {key_id(key)}: "
                                    f"{signer}")
            kept.setdefault(cp.position, []).append(
                (cp.hash, f"checkpoint {cp.id}, signed {cp.signed_at}"))
        return None

    def _verify(self, progress: Callable[[int, int], None] | None,
                kept: Mapping[int, list[tuple[str, str]]], loose: Mapping[str, str], rules: bool
                ) -> VerifyReport:
        prev, expected_position, count = GENESIS, 1, 0
        versions: dict[str, int] = {}
        head = self.head()
        unseen = dict(loose)
        with (_as_it_stood(self.path) as (judged, before),
              closing(self.conn.execute(f"SELECT {_COLUMNS} FROM events "
                                        "ORDER BY position")) as rows):
            judge = Judge()
            for row in rows:
                (position, event_id, stream, version, type_name, schema, occurred, recorded,
                 data, meta, prev_hash, digest) = row
                problem = None
                if position != expected_position:
                    problem = f"gap: expected position {expected_position}, found {position}"
                    position = expected_position
                elif bytes(prev_hash) != prev:
                    problem = "prev_hash does not match the previous event's hash"
                elif chain_hash(prev, position, event_id, stream, version, type_name, schema,
                                occurred, recorded, data, meta) != bytes(digest):
                    problem = "hash does not match the stored envelope (edited after writing?)"
                elif version != versions.get(stream, -1) + 1:
                    problem = f"{stream}: version {version} follows {versions.get(stream, -1)}"
                elif wrong := [(held, who) for held, who in kept.get(position, ())
                               if held != bytes(digest).hex()]:
                    held, who = wrong[0]
                    problem = (f"the hash here is not {held[:12]}…, which {who} holds: the "
                               "log up to here was rewritten and hashed again")
                elif rules:
                    before(position)
                    problem = _judged(judge, judged, stream, version, type_name, schema,
                                      data, event_id, occurred, recorded)
                else:
                    try:
                        decode_data(type_name, schema, loads(data))
                    except (InvalidEvent, ValueError) as e:
                        problem = f"undecodable event: {e}"
                if problem:
                    return VerifyReport(False, count, position, problem, prev.hex())
                prev, expected_position, count = bytes(digest), position + 1, count + 1
                versions[stream] = version
                unseen.pop(prev.hex(), None)
                if progress is not None and count % VERIFY_STEP == 0:
                    progress(position, head)
        beyond = [p for p in kept if p >= expected_position]
        if beyond:
            who = kept[min(beyond)][0][1]
            return VerifyReport(False, count, expected_position,
                                f"the log ends at position {expected_position - 1}, but {who} "
                                f"holds position {min(beyond)}: events were cut from its end",
                                prev.hex())
        if unseen:
            held, who = next(iter(unseen.items()))
            return VerifyReport(False, count, None, f"no event has the hash {held} that {who} "
                                "holds: the log was rewritten or cut short", prev.hex())
        triggers = {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")}
        if triggers != {"events_no_update", "events_no_delete"}:
            return VerifyReport(False, count, None, "append-only triggers are missing",
                                prev.hex())
        return VerifyReport(True, count, None, None, prev.hex())


def _gathered(runs: Iterable[StreamRun], size: int) -> Iterator[list[StreamRun]]:
    """``runs`` gathered into lists of about ``size`` drafts (a list ends once it has that
    many), so that their ids are looked up together."""
    gathered: list[StreamRun] = []
    count = 0
    for run in runs:
        gathered.append(run)
        count += len(run.drafts)
        if count >= size:
            yield gathered
            gathered, count = [], 0
    if gathered:
        yield gathered


def _raise_cited(error: LedgerError, run: StreamRun, index: int) -> NoReturn:
    """Raise ``error`` naming the draft of ``run`` it concerns (``index``), as the run cites
    it; the same error, with its attributes (a conflict's versions), under a longer message."""
    if not run.cited:
        raise error
    cited = type(error).__new__(type(error))
    cited.__dict__.update(error.__dict__)
    cited.args = (f"{run.cited[index]}: {error}",)
    cited.index = index
    raise cited from error


def _open_for_writing(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to the ledger at ``path`` in WAL mode with its schema, made if new; a
    file whose schema is not the ledger's is refused before anything is written to it."""
    if (kind := kind_of(path)) is not None:
        raise NotALedger(f"{path} is {kind}, not a ledger file")
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        indexes = _indexes(conn)  # reads the schema: a file that is not SQLite fails here
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
            check_schema(conn, path, _SCHEMA)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a committed append survives power loss
        if not {"events_retracted", "events_tie"} <= indexes:
            # a new ledger, or one from before the last index was added; IF NOT EXISTS
            # makes racing creators agree
            conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + marker_pragmas() + "COMMIT;")
    except sqlite3.DatabaseError as e:
        conn.close()
        why = cannot_write(path)
        if why is not None:
            raise LedgerError(why) from e
        raise NotALedger(f"{path} is not a matchledger ledger ({e})") from e
    except BaseException:
        conn.close()
        raise
    return conn


def _judged(judge: Judge, conn: sqlite3.Connection, stream: str, version: int,
            type_name: str, schema: int, data: str, event_id: str, occurred: int,
            recorded: int) -> str | None:
    """Why the rules that admit appends refuse this stored event, judged against the log
    before it; None when they admit it as stored (names resolved, as an append stores them)."""
    try:
        kind, ident = stream_kind(stream)
        event = decode_data(type_name, schema, loads(data))
        if not allowed_in(kind, type_name):
            raise InvalidEvent(f"{type_name} does not belong in a {kind} stream")
        if occurred > recorded + CLOCK_SLACK:
            raise InvalidEvent(f"occurred_at {iso(occurred)} is after it was recorded")
        admitted = judge.admit(conn, stream, kind, ident, version, event, event_id, occurred)
    except InvalidEvent as e:
        return f"the rules refuse it: {e}"
    except (LedgerError, ValueError) as e:
        return f"undecodable event: {e}"
    judge.written(stream)
    if admitted != event:
        return "stored with names the rules would have resolved: not as an append stores it"
    return None


@contextmanager
def _as_it_stood(path: Path) -> Iterator[tuple[sqlite3.Connection, Callable[[int], None]]]:
    """A read-only connection to the ledger at ``path`` on which ``events`` is the log before
    a position (a temporary view over ``main.events``), and the function that moves it: the
    judge reads the log there as an append at that position did. A connection of its own,
    so that nothing else sharing the ledger's sees the view."""
    conn = sqlite3.connect(read_only_uri(path, always=True), uri=True,
                           isolation_level=None, check_same_thread=False)
    bound = [0]

    def before(position: int) -> None:
        bound[0] = position

    try:
        conn.create_function("matchledger_verified_before", 0, lambda: bound[0])
        conn.execute("CREATE TEMP VIEW events AS SELECT * FROM main.events "
                     "WHERE position < matchledger_verified_before()")
        conn.execute("BEGIN")  # one snapshot; the rows before any position are the same in all
        yield conn, before
    finally:
        conn.close()


def _missing_checkpoints(conn: sqlite3.Connection, *, triggers: bool = False) -> bool:
    """Whether the checkpoints table is missing (with ``triggers``: either of its triggers)."""
    kind = "trigger" if triggers else "table"
    names = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'checkpoints' AND type = ?", (kind,))}
    return not names >= CHECKPOINT_TRIGGERS if triggers else not names


def iso(micros: int | None) -> str | None:
    """A stored time as ISO 8601 in UTC ("2024-04-18T19:00:00Z")."""
    if micros is None:
        return None
    return from_micros(micros).isoformat().replace("+00:00", "Z")


@contextmanager
def new_ledger(path: Path) -> Iterator[Ledger]:
    """A ledger to fill that appears at ``path`` only if the block succeeds (a link, so never
    over a file another process created meanwhile); a failure leaves ``path`` as it was.
    Built in a temporary file beside ``path``, which is removed whatever happens."""
    staged = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        with Ledger(staged) as lg:
            yield lg
        try:
            os.link(staged, path)  # fails if path exists: O_EXCL for a finished file
        except FileExistsError as e:
            raise LedgerError(f"{path} was created by another process meanwhile; nothing was "
                              "written to it: run the command again to add to it") from e
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)


def _is_full(error: sqlite3.Error) -> bool:
    """Whether SQLite failed for want of room (SQLITE_FULL: the disk, or max_page_count)."""
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
        "disk is full" in str(error))


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
        event=event if event is not None else decode_stored(type_name, schema, data),
        meta=meta_dict if meta_dict is not None else StoredMeta(meta) if meta else {},
        prev_hash=bytes(prev_hash).hex(),
        hash=bytes(digest).hex(),
    )


__all__ = ["NO_STREAM", "Appended", "Ledger", "StoredDraft", "VerifyReport", "new_ledger"]


def _minutes_moved(before: Event, after: Event) -> int:
    """How many minutes of play an amendment moves an event by (0 where either has none)."""
    def played(event: Event) -> int | None:
        minute: int | None = getattr(event, "minute", None)
        added: int | None = getattr(event, "added", None)
        return None if minute is None else minute + (added or 0)

    old, new = played(before), played(after)
    return 0 if old is None or new is None else new - old
