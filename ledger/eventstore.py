"""The event store: one SQLite table, ``events``, that nothing may update or delete.

Appends (one stream, or runs of many streams in one transaction), reads in position order,
reads by id; versions per stream and optimistic concurrency, idempotency by event id, the hash
chain. It knows nothing of football: whoever decides on admission (``Admission``: the
``Ledger``'s judge) is asked inside the store's write transaction; alone, the store admits
every event as it is sent.

    >>> import datetime as dt, tempfile, os
    >>> from matchledger.events import CompetitionCreated
    >>> store = EventStore(os.path.join(tempfile.mkdtemp(), "doc.db"))
    >>> [env.position for env in store.append("competition:cup", [Draft(
    ...     event=CompetitionCreated(competition="cup", name="Cup", season="2024"),
    ...     occurred_at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))], expected_version=-1)]
    [1]
    >>> store.close()

Positions are gapless and follow commit order: every append takes SQLite's single write lock
(``BEGIN IMMEDIATE``) and numbers its rows after the last one, which a store on a database with
concurrent writers (PostgreSQL's sequences, say) cannot promise without extra locking. Each row
carries the hash of the previous row, so any change made behind the ledger's back shows in
``verify_chain``; ``anchor`` gives the head to keep outside the file, ``checkpoint`` signs it
inside (``Ledger.verify`` walks the chain and judges every event again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import time
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, Self, cast

import attrs
import sqlite_utils

from matchledger.events import Event
from matchledger.ledger.codec import encode
from matchledger.ledger.envelope import UTC, Draft, Envelope, StoredMeta, from_micros, to_micros
from matchledger.ledger.errors import (
    ConcurrencyConflict,
    DuplicateEvent,
    InvalidEvent,
    LedgerError,
    NotALedger,
)
from matchledger.ledger.files import (
    LEDGER_FORMAT,
    cannot_write,
    check_schema,
    kind_of,
    marker_pragmas,
    open_read_only,
)
from matchledger.ledger.jsontext import dumps, dumps_data
from matchledger.ledger.postgres import (
    CHANNEL,
    LATER_INDEXES,
    PgConnection,
    PgDatabase,
    connect,
    is_postgres,
    shown,
    wait_for_appends,
)
from matchledger.ledger.postgres import CHECKPOINTS_SCHEMA as PG_CHECKPOINTS
from matchledger.ledger.postgres import TRIGGERS as PG_TRIGGERS
from matchledger.ledger.trust import (
    CHECKPOINT_TRIGGERS,
    CHECKPOINTS_SCHEMA,
    Anchor,
    Checkpoint,
    key_id,
    sign,
    signature_holds,
    stored_checkpoints,
)
from matchledger.ledger.validate import REGISTRY_TYPES, REGISTRY_WHERE, decode_stored

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

# the partial indexes on fixtures, ties, teams and retractions serve the ledger's questions
# (``Ledger.fixture``, ``tie_ids`` ...) and the judge's reads; they are part of the file format
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
    hash           BLOB    NOT NULL,  -- over the previous row's hash and this envelope
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
CREATE INDEX IF NOT EXISTS events_home ON events (json_extract(data, '$.home'))
    WHERE type = 'FixtureScheduled';
CREATE INDEX IF NOT EXISTS events_away ON events (json_extract(data, '$.away'))
    WHERE type = 'FixtureScheduled';
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the events log is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the events log is append-only: DELETE refused'); END;
"""

# format 1 (``ledger.files``) stored each row's prev_hash too, the hash of the row before it
# (gapless positions: the one at position - 1), which a file of that format still holds and
# still gets; a format 2 file gives it on reading
_SCHEMA_V1 = _SCHEMA.replace("    hash ", "    prev_hash      BLOB    NOT NULL,\n    hash ", 1)
SCHEMAS = {2: _SCHEMA, 1: _SCHEMA_V1}  # by the format (PRAGMA user_version) they mark
_STORED = ("position, event_id, stream, version, type, schema_version, occurred_at, "
           "recorded_at, data, meta")
_COLUMNS_V1 = f"{_STORED}, prev_hash, hash"  # as a format 1 file stores them
# the columns a read gives in either format: prev_hash looked up in format 2
_COLUMNS = (f"{_STORED}, coalesce((SELECT prev.hash FROM events AS prev WHERE prev.position "
            "= events.position - 1), zeroblob(32)) AS prev_hash, hash")


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
class Appended:
    """What an append stored: its envelopes, and whether it wrote them (``new``) or found
    every one already stored under its event id (a resend, which writes nothing)."""

    envelopes: list[Envelope]
    new: bool


@attrs.frozen
class StreamRun:
    """Drafts for one stream in a batch append (``EventStore.append_batch``).

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


class Admission(Protocol):
    """Who decides on admission, asked by the store inside its write transaction (the
    ``Ledger`` passes its judge); each method may refuse with a ``LedgerError``."""

    def version(self, conn: sqlite3.Connection, stream: str) -> int:
        """The version of ``stream``'s last event as the database holds it (-1: none)."""

    def trust(self) -> None:
        """Nothing was appended since this store's last write: what was current then is."""

    def belongs(self, stream: str, event: Event) -> None:
        """Refuse an event that has no place in ``stream`` whatever came before."""

    def begin(self, conn: sqlite3.Connection, stream: str, events: Sequence[Event]) -> None:
        """A run of ``events`` for ``stream`` is about to be admitted one by one."""

    def admit(self, conn: sqlite3.Connection, stream: str, version: int, draft: Draft,
              occurred: int) -> Event:
        """The event as it will be stored at ``version``, or an error saying why not."""

    def complete(self, stream: str) -> None:
        """The run for ``stream`` is all admitted: refuse it if it is not whole."""

    def written(self, stream: str) -> None:
        """The run's rows are in the database (not yet committed)."""

    def same(self, conn: sqlite3.Connection, sent: Event, stored: Event) -> bool:
        """Whether an event resent under a stored id is the stored event (names as typed)."""

    def committed(self, *, wrote: bool) -> None:
        """The transaction committed (``wrote``: it appended)."""

    def rolled_back(self, *, forget: bool) -> None:
        """The transaction was undone; ``forget``: unsure what the file holds, read it anew."""


class AdmitAll:
    """Admission without rules: every event as sent, versions read from the log."""

    def version(self, conn: sqlite3.Connection, stream: str) -> int:
        row = conn.execute("SELECT max(version) FROM events WHERE stream = ?",
                           (stream,)).fetchone()
        return NO_STREAM if row[0] is None else int(row[0])

    def trust(self) -> None:
        pass

    def belongs(self, stream: str, event: Event) -> None:
        pass

    def begin(self, conn: sqlite3.Connection, stream: str, events: Sequence[Event]) -> None:
        pass

    def admit(self, conn: sqlite3.Connection, stream: str, version: int, draft: Draft,
              occurred: int) -> Event:
        return draft.event

    def complete(self, stream: str) -> None:
        pass

    def written(self, stream: str) -> None:
        pass

    def same(self, conn: sqlite3.Connection, sent: Event, stored: Event) -> bool:
        return sent == stored

    def committed(self, *, wrote: bool) -> None:
        pass

    def rolled_back(self, *, forget: bool) -> None:
        pass


@attrs.frozen
class VerifyReport:
    ok: bool
    events: int
    first_bad: int | None = None
    problem: str | None = None
    head_hash: str | None = None



class EventStore:
    """The event store in one SQLite file (WAL; several processes may append and read at once).

    ``read_only`` opens it without writing a byte (``ledger.files``): reads work, appends
    fail; a file whose schema is not the ledger's is refused either way, untouched.
    ``verifying`` (read-only) opens one whose triggers or indexes were changed too, so that
    a check can name what is wrong. ``admission`` decides what goes in (default: everything).
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0, read_only: bool = False,
                 verifying: bool = False, admission: Admission | None = None) -> None:
        self._pg: PgConnection | None = None  # a postgresql:// location's connection
        self.url: str | None = None  # that location
        if is_postgres(path):
            self.url = str(path)
            self.where = shown(str(path))
            self.path = Path(self.where)
            self._pg = connect(str(path), timeout=timeout, create=not (read_only or verifying),
                               read_only=read_only or verifying)
            # the read models' tables beside the log, as in a file (the part of sqlite-utils
            # they use)
            self.db = cast(sqlite_utils.Database, PgDatabase(self._pg))
        else:
            self.path = Path(path)
            self.where = str(self.path)  # how messages name the ledger
            if read_only or verifying:
                self.db = sqlite_utils.Database(open_read_only(
                    self.path, SCHEMAS, timeout=timeout, whole=not verifying))
            else:
                self.db = sqlite_utils.Database(_open_for_writing(self.path, timeout))
        # a format 1 file, and PostgreSQL, store each row's prev_hash; format 2 looks it up
        self._keeps_prev = self._pg is not None or any(
            row[1] == "prev_hash" for row in self.conn.execute("PRAGMA table_info(events)"))
        self._columns = _COLUMNS_V1 if self._keeps_prev else _COLUMNS
        self._admission: Admission = admission if admission is not None else AdmitAll()
        self._tail: tuple[int, bytes] | None = None
        self._committed: int | None = None  # the last position when this object last committed

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn  # on PostgreSQL, the part of sqlite3's surface the ledger uses

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
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
            # on PostgreSQL, the appenders' queue and a snapshot (ledger.postgres)
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        except sqlite3.OperationalError as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LedgerError(f"cannot write to {self.where}: {e}") from e
        try:
            yield conn
            if self._pg is not None and self._tail is not None:  # followers wake at commit
                conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, str(self._tail[0])))
            conn.execute("COMMIT")
        except BaseException as e:
            self._abandon(conn, refused=isinstance(e, LedgerError))
            if isinstance(e, sqlite3.Error) and _is_full(e):
                raise LedgerError(f"cannot write to {self.where}: the disk is full ({e}); "
                                  "nothing of this write was kept") from e
            raise
        self._admission.committed(wrote=write and self._tail is not None)
        if write and self._tail is not None:
            self._committed = self._tail[0]

    def _abandon(self, conn: sqlite3.Connection, *, refused: bool) -> None:
        """Undo a transaction that failed. SQLite may have rolled it back already (a full disk
        at COMMIT does). Admission forgets what it learnt in it; unless the store itself
        ``refused`` (a rule, a conflict: nothing reached the file), it forgets all it knew
        too, so the next write reads the log afresh rather than number its events after
        rows that were never kept."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            self._admission.rolled_back(forget=not refused)
            self._tail = None
            if not refused:
                self._committed = None

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
        return self.submit_runs([StreamRun(stream, batch, expected_version)])

    def submit_runs(self, runs: Sequence[StreamRun]) -> Appended:
        """``submit`` over several streams at once: every run, in order, in one transaction
        (a player registered in a competition with the goal he scored), or none of them. A
        resend is every event again, as ``submit``'s."""
        runs = [run for run in runs if run.drafts]
        if not runs:
            return Appended([], new=False)
        for run in runs:
            self._before_submit(run.stream)
        with self.transaction() as conn:
            stored = self.by_ids([d.event_id for run in runs for d in run.drafts])
            if stored:
                return Appended([env for run in runs for env in self._replayed(
                    conn, run.stream, list(run.drafts), stored)], new=False)
            written: list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]] = []
            for run in runs:
                written += self._written_first(conn, run.stream, run.drafts)
                written += self._write(conn, run.stream, run.drafts, run.expected_version)
        return Appended([_envelope(row, event, meta) for row, event, meta in written], new=True)

    def _before_submit(self, stream: str) -> None:
        """What to do before ``submit`` takes the write lock (nothing here)."""

    def _written_first(self, conn: sqlite3.Connection, stream: str, batch: Sequence[Draft]
                       ) -> list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]]:
        """Events ``submit`` appends before ``batch``, in its transaction (none here)."""
        return []

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
                                        run.expected_version, envelopes=False)
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
                f"SELECT {self._columns} FROM events WHERE event_id IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((row[1], _envelope(row)) for row in rows)
        return found

    def _replayed(self, conn: sqlite3.Connection, stream: str, batch: list[Draft],
                  stored: dict[str, Envelope]) -> list[Envelope]:
        if any(d.event_id not in stored for d in batch):
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
        if not self._admission.same(conn, draft.event, stored.event):
            raise DuplicateEvent(
                f"event {stored.event_id} is stored as another event ({stored.type} at "
                f"{stored.stream} v{stored.version}): a resend must be that event again, and "
                "a new event needs a new id")

    def _write(self, conn: sqlite3.Connection, stream: str, batch: Sequence[Draft],
               expected_version: int | None, *, envelopes: bool = True
               ) -> list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]]:
        """Validate, hash and insert ``batch``; (row, event as admitted, meta) of each, from
        which ``append`` makes the envelopes it returns (none unless ``envelopes``: a batch
        append returns none)."""
        admission = self._admission
        keeps_prev = self._keeps_prev
        if self._tail is None:
            last = conn.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            self._tail = (last[0], bytes(last[1])) if last else (0, GENESIS)
            if self._tail[0] == self._committed:
                admission.trust()
        version = admission.version(conn, stream)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyConflict(stream, expected_version, version)
        admission.begin(conn, stream, [d.event for d in batch])
        position, prev = self._tail
        recorded_now = to_micros(dt.datetime.now(UTC))
        rows, admitted = [], []
        for index, draft in enumerate(batch):
            version += 1
            position += 1
            admission.belongs(stream, draft.event)
            try:
                occurred = _micros(draft.occurred_at, "occurred_at")
                recorded = (_micros(draft.recorded_at, "recorded_at")
                            if draft.recorded_at is not None else recorded_now)
                if occurred > recorded + CLOCK_SLACK:
                    raise InvalidEvent(f"occurred_at {iso(occurred)} is after it was recorded "
                                       f"({iso(recorded)}): the ledger records what has "
                                       "happened, not what will")
                event = admission.admit(conn, stream, version, draft, occurred)
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
            if keeps_prev or envelopes:
                row = (position, draft.event_id, stream, version, type_name, schema, occurred,
                       recorded, data_text, meta_text, prev, digest)
                rows.append(row if keeps_prev else (*row[:10], digest))
                if envelopes:
                    admitted.append((row, event, draft.meta))
            else:  # a batch append to a format 2 file: the row as stored, and no envelope
                rows.append((position, draft.event_id, stream, version, type_name, schema,
                             occurred, recorded, data_text, meta_text, digest))
            prev = digest
        try:
            admission.complete(stream)
        except LedgerError as e:
            raise type(e)(f"{stream}: {e}") from e
        try:
            columns = _COLUMNS_V1 if keeps_prev else f"{_STORED}, hash"
            marks = ", ".join("?" * len(rows[0])) if rows else ""
            conn.executemany(f"INSERT INTO events ({columns}) VALUES ({marks})", rows)
        except sqlite3.IntegrityError as e:  # a racing writer is impossible under the lock
            raise DuplicateEvent(f"{stream}: {e}") from e
        self._tail = (position, prev)
        admission.written(stream)
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
        teams: Collection[str] | None = None,
        playing: str | None = None,
    ) -> Iterator[Envelope]:
        """Events in position order: after a position, of a stream, any of ``streams``, a
        stream prefix or a ``competition`` (its stream and its matches'), of some types, about
        one of ``teams`` (their data's ``team``), the fixtures of the matches ``playing`` (a
        team) is ever scheduled in, that occurred by ``as_of``, were recorded by ``known_at``,
        up to ``at_position``.
        """
        rows = self._read_rows(dict(after=after, stream=stream, prefix=prefix, types=types,
                                    as_of=as_of, known_at=known_at, at_position=at_position,
                                    streams=streams, competition=competition, teams=teams,
                                    playing=playing),
                               limit)
        with closing(rows):  # at a row that fails to decode, its cursor goes with it
            for row in rows:
                yield _envelope(row)

    def read_stored(self, **filters: Any) -> Iterator[tuple[Any, ...]]:
        """The rows of the events ``read`` would give, exactly as stored (no upcasting):
        position, event_id, stream, version, type, schema_version, occurred_at and
        recorded_at (µs), data and meta (JSON text, meta None when empty), prev_hash, hash."""
        yield from self._read_rows(filters)

    def _read_rows(self, filters: dict[str, Any], limit: int | None = None
                   ) -> Generator[tuple[Any, ...], None, None]:
        """The rows of a read, their columns as ``_COLUMNS`` names them. In format 2, a read of
        the events after a position (up to one, or all) takes each prev_hash from the row read
        before it, not from SQL, which costs a lookup per row; any other read looks it up."""
        chained = not self._keeps_prev and all(
            value is None for name, value in filters.items()
            if name not in ("after", "at_position"))
        sql, params = self._select(f"{_STORED}, hash" if chained else self._columns, **filters)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._rows(sql, params, whole=limit is None)
        if not chained:
            yield from rows
            return
        following, prev = None, GENESIS  # the position whose prev_hash is at hand, and it
        for row in rows:
            position = row[0]
            if position != following:  # the first row read, or one after a gap
                prev = self._hash_at(position - 1)
            yield (*row[:10], prev, row[10])
            following, prev = position + 1, row[10]

    def _hash_at(self, position: int) -> bytes:
        """The hash of the event at ``position``; GENESIS before the first, or where none is."""
        row = self.conn.execute("SELECT hash FROM events WHERE position = ?", (position,)
                                ).fetchone()
        return GENESIS if row is None else bytes(row[0])

    def _rows(self, sql: str, params: Sequence[Any], *, whole: bool = True
              ) -> Generator[Any, None, None]:
        """The rows of a read; on PostgreSQL, one that may be ``whole`` (the entire log) is
        fetched a part at a time, as SQLite steps through it, not held all in memory."""
        if self._pg is not None and whole:
            yield from self._pg.stream(sql, params)
        else:
            yield from self.conn.execute(sql, params)

    def _select(self, columns: str, *, after: int = 0, stream: str | None = None,
                prefix: str | None = None, types: Collection[str] | None = None,
                as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
                at_position: int | None = None, streams: Collection[str] | None = None,
                competition: str | None = None, tie: str | None = None,
                teams: Collection[str] | None = None, playing: str | None = None,
                ordered: bool = True) -> tuple[str, list[Any]]:
        """SQL and parameters selecting ``columns`` of the events the filters keep, in position
        order unless not ``ordered`` (then SQLite may scan a partial index instead)."""
        where: list[str] = ["position > ?"] if after or ordered else ["TRUE"]
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
        if teams is not None:  # with the registration types, through their partial index
            where.append("json_extract(data, '$.team') IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(teams)))
        if playing is not None:  # through the partial indexes on fixtures' teams and matches
            where.append("type = 'FixtureScheduled' AND json_extract(data, '$.match') IN ("
                         + " UNION ALL ".join(
                             "SELECT json_extract(data, '$.match') FROM events WHERE type = "
                             f"'FixtureScheduled' AND json_extract(data, '$.{side}') = ?"
                             for side in ("home", "away")) + ")")
            params += [playing, playing]
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
                         else f"type IN ({', '.join(names)})" if names else "FALSE")
            if names and set(types) < set(REGISTRY_TYPES):  # SQLite infers no IN from an =
                where.append(REGISTRY_WHERE)
        if as_of is not None or known_at is not None or at_position is not None:
            clause, more = in_time(as_of=as_of, known_at=known_at, at_position=at_position)
            where.append(clause)
            params += more
        order = " ORDER BY position" if ordered else ""
        return f"SELECT {columns} FROM events WHERE {' AND '.join(where)}{order}", params

    def head(self) -> int:
        """The last position, 0 for an empty ledger."""
        row = self.conn.execute("SELECT max(position) FROM events").fetchone()
        return int(row[0] or 0)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for an append by anyone: a follower's pause between
        two reads. On PostgreSQL every append NOTIFYs at commit and this wakes at once
        (whether one came); a file gives no such signal, so this sleeps it out (True)."""
        if self._pg is None:
            time.sleep(timeout)
            return True
        return wait_for_appends(self._pg, timeout)

    def stream_version(self, stream: str) -> int:
        """Version of the stream's last event; NO_STREAM (-1) when it has none."""
        row = self.conn.execute(
            "SELECT max(version) FROM events WHERE stream = ?", (stream,)
        ).fetchone()
        return NO_STREAM if row[0] is None else int(row[0])


    # --- heads and checkpoints -------------------------------------------------------------

    def anchor(self) -> Anchor:
        """The head of the log (its last position and hash), to keep outside the file:
        ``verify`` given it later proves the log still holds it, not cut short or rewritten."""
        row = self.conn.execute(
            "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
        if row is None:
            raise LedgerError(f"{self.where} is empty: there is no head to keep yet")
        return Anchor(int(row[0]), bytes(row[1]).hex())

    def checkpoint(self, key: Ed25519PrivateKey) -> Checkpoint:
        """Sign the head with ``key`` and store it in the ``checkpoints`` table (append-only,
        like the log): from then on ``verify`` fails on a log that no longer holds it."""
        with self.transaction() as conn:
            if _missing_checkpoints(conn):
                for statement in PG_CHECKPOINTS if self.url else CHECKPOINTS_SCHEMA:
                    conn.execute(statement)  # not executescript: it would COMMIT
            head = self.anchor()
            assert head.position is not None
            signed_at, signer, signature = sign(key, head.position, head.hash)
            stored = conn.execute(
                "INSERT INTO checkpoints (position, hash, signed_at, key_id, signature) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (head.position, head.hash, signed_at, signer, signature)).fetchone()
        return Checkpoint(int(stored[0]), head.position, head.hash, signed_at, signer, signature)

    # --- the chain, checked -------------------------------------------------------------

    def verify_chain(self, progress: Callable[[int, int], None] | None = None, *,
                     anchors: Sequence[Anchor] = (), key: Ed25519PublicKey | None = None,
                     events: Callable[[Sequence[Any]], str | None] | None = None
                     ) -> VerifyReport:
        """Walk the hash chain, positions and versions, and hold the log to each of
        ``anchors`` and each stored checkpoint (signed by ``key``, when given); report the
        first position that fails. ``events`` is asked about each row whose place in the chain
        holds (its columns as ``_COLUMNS`` names them): why it is wrong, or None
        (``Ledger.verify`` judges the event by the rules there).
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
            return self._verify(progress, kept, loose, events)

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
                kept: Mapping[int, list[tuple[str, str]]], loose: Mapping[str, str],
                events: Callable[[Sequence[Any]], str | None] | None) -> VerifyReport:
        prev, expected_position, count = GENESIS, 1, 0
        versions: dict[str, int] = {}
        head = self.head()
        unseen = dict(loose)
        # prev_hash as stored in format 1; in format 2 the hash of the row before, which
        # ``prev`` is whenever positions have no gap (checked first): not looked up again
        columns = self._columns if self._keeps_prev else f"{_STORED}, NULL, hash"
        with closing(self._rows(f"SELECT {columns} FROM events ORDER BY position", ())
                     ) as rows:
            for row in rows:
                (position, event_id, stream, version, type_name, schema, occurred, recorded,
                 data, meta, prev_hash, digest) = row
                problem = None
                if position != expected_position:
                    problem = f"gap: expected position {expected_position}, found {position}"
                    position = expected_position
                elif prev_hash is not None and _blob(prev_hash) != prev:
                    problem = "prev_hash does not match the previous event's hash"
                elif (digest := digest if type(digest) is bytes else _blob(digest)) is None or (
                        _rehashed(prev, position, event_id, stream, version, type_name, schema,
                                  occurred, recorded, data, meta) != digest):
                    problem = "hash does not match the stored envelope (edited after writing?)"
                elif version != versions.get(stream, -1) + 1:
                    problem = f"{stream}: version {version} follows {versions.get(stream, -1)}"
                elif wrong := [(held, who) for held, who in kept.get(position, ())
                               if held != digest.hex()]:
                    held, who = wrong[0]
                    problem = (f"the hash here is not {held[:12]}…, which {who} holds: the "
                               "log up to here was rewritten and hashed again")
                elif events is not None:
                    problem = events(row)
                if problem:
                    return VerifyReport(False, count, position, problem, prev.hex())
                prev, expected_position, count = digest, position + 1, count + 1
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
        if triggers != (PG_TRIGGERS if self.url else {"events_no_update", "events_no_delete"}):
            return VerifyReport(False, count, None, "append-only triggers are missing",
                                prev.hex())
        return VerifyReport(True, count, None, None, prev.hex())


def in_time(*, as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
            at_position: int | None = None) -> tuple[str, list[Any]]:
    """The rule of time travel, which the views, ``log`` and ``export`` all read by: an SQL
    condition on a row of ``events``, and its parameters.

    An event is in when it occurred by ``as_of``, was recorded by ``known_at`` and stands at
    or before ``at_position``. A retraction corrects the record, not the world: it needs no
    ``as_of`` ("as of 12 April", asked today, never shows a goal retracted since), but it is
    in only with the event it retracts, and an amendment's only with its replacement (one
    fact, whole or not at all; by time, that is: a position cuts the log where it says, so
    that reading it a stretch at a time reads every event once). What a read keeps is then a
    log of its own, which a fresh ledger imports whole and answers as the filtered read does.
    """
    def passes(row: str, *, exempt: bool, positioned: bool) -> tuple[list[str], list[Any]]:
        terms: list[str] = []
        values: list[Any] = []
        if as_of is not None:
            terms.append(f"({row}.occurred_at <= ? OR {row}.type = 'EventRetracted')" if exempt
                         else f"{row}.occurred_at <= ?")
            values.append(_micros(as_of, "as_of"))
        if known_at is not None:
            terms.append(f"{row}.recorded_at <= ?")
            values.append(_micros(known_at, "known_at"))
        if at_position is not None and positioned:
            terms.append(f"{row}.position <= ?")
            values.append(at_position)
        return terms, values

    terms, params = passes("events", exempt=True, positioned=True)
    if as_of is None and known_at is None:  # what a retraction retracts is before it
        return " AND ".join(terms), params
    other, values = passes("other", exempt=False, positioned=False)
    named = ("EXISTS (SELECT 1 FROM events other WHERE other.event_id = json_extract("
             f"events.data, '$.{{}}') AND {' AND '.join(other)})")
    terms.append(f"(events.type != 'EventRetracted' OR ({named.format('event')} AND "
                 "(json_extract(events.data, '$.replacement') IS NULL OR "
                 f"{named.format('replacement')})))")
    return " AND ".join(terms), params + values + values


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
        fmt = LEDGER_FORMAT  # of a new file; one made before keeps its own
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
            fmt = check_schema(conn, path, SCHEMAS)
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")  # a committed append survives power loss
        if not indexes >= LATER_INDEXES:
            # a new ledger, or one from before the last index was added; IF NOT EXISTS
            # makes racing creators agree
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMAS[fmt]}{marker_pragmas(fmt)}COMMIT;")
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
    try:
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
    except (TypeError, ValueError, OverflowError) as e:  # a column of the wrong type or size
        raise unlike_written(e, position) from e


def unlike_written(e: Exception, position: object = None) -> InvalidEvent:
    """The one-line error for a stored column of a type or size the ledger never writes (of
    the event at ``position``, when known), which only an edit of the file by hand makes."""
    what = ("a stored column is" if position is None else
            f"the event stored at position {position} has a column that is")
    return InvalidEvent(f"{what} not what the ledger writes ({e}): the ledger file was "
                        "changed outside matchledger (matchledger verify shows where)")


def _rehashed(prev: bytes, *stored: Any) -> bytes | None:
    """The hash a stored row (its columns from ``position`` to ``meta``) should hold after
    ``prev``; None when a column is not of the type the ledger writes (text where it stores
    text), which only an edit by hand makes."""
    try:
        return chain_hash(prev, *stored)
    except (TypeError, ValueError, AttributeError):
        return None


def _blob(value: object) -> bytes | None:
    """A stored hash column as bytes; None when it is not a blob (a file edited by hand)."""
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else None
