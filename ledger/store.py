"""The ledger: the event store (``ledger.eventstore``) with the judge that admits events by
the game's rules, deciding inside the store's write transaction; and what is asked of the log
as a whole: fixtures, ties and competitions by id, the registry, ``verify`` (the store's chain
check, every event judged again).

    >>> import tempfile, os
    >>> from matchledger.events import MatchStarted
    >>> with Ledger(os.path.join(tempfile.mkdtemp(), "doc.db")) as lg:
    ...     lg.append("match:nowhere", [MatchStarted()])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ledger.errors.UnknownMatch: match:nowhere v0: unknown match 'nowhere': no fixture is ...

The store alone (``EventStore``) would have taken it: the judge is what knows football.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from matchledger.events import Event, EventRetracted, FixtureScheduled, MatchStarted
from matchledger.events.pitch import amended
from matchledger.events.rules import RuleViolation
from matchledger.ledger.envelope import UTC, Draft, Envelope
from matchledger.ledger.errors import (
    InvalidEvent,
    LedgerError,
    RuleBroken,
)
from matchledger.ledger.eventstore import (
    CLOCK_SLACK,
    GENESIS,
    NO_STREAM,
    Appended,
    BatchAppended,
    EventStore,
    StoredDraft,
    StreamRun,
    VerifyReport,
    chain_hash,
    iso,
    unlike_written,
)
from matchledger.ledger.files import (
    read_only_uri,
)
from matchledger.ledger.jsontext import loads
from matchledger.ledger.postgres import log_before
from matchledger.ledger.teams import Registry
from matchledger.ledger.trust import (
    Anchor,
)
from matchledger.ledger.validate import (
    Judge,
    allowed_in,
    decode_data,
    decode_stored,
    scheduled_in,
    stream_kind,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey,
    )

class _Judging:
    """The judge as the store's ``Admission``: the game's rules, decided in its transaction."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self._kinds: dict[str, tuple[str, str]] = {}  # stream -> stream_kind(stream)

    def _kind(self, stream: str) -> tuple[str, str]:
        kind = self._kinds.get(stream)
        if kind is None:
            kind = self._kinds[stream] = stream_kind(stream)
        return kind

    def version(self, conn: sqlite3.Connection, stream: str) -> int:
        self._kind(stream)  # a stream that cannot be is refused first
        version, _ = self.judge.state(conn, stream)  # the stream's fold, brought up to date
        return version

    def trust(self) -> None:
        self.judge.trust()

    def belongs(self, stream: str, event: Event) -> None:
        kind, _ = self._kind(stream)
        type_name = type(event).__name__
        if not allowed_in(kind, type_name):
            raise InvalidEvent(f"{type_name} does not belong in a {kind} stream")

    def begin(self, conn: sqlite3.Connection, stream: str, events: Sequence[Event]) -> None:
        self.judge.store_registry(conn)
        if self._kind(stream)[0] == "competition":
            self.judge.prepare(conn, events)

    def admit(self, conn: sqlite3.Connection, stream: str, version: int, draft: Draft,
              occurred: int) -> Event:
        kind, ident = self._kind(stream)
        return self.judge.admit(conn, stream, kind, ident, version, draft.event,
                                draft.event_id, occurred)

    def complete(self, stream: str) -> None:
        self.judge.complete(stream)

    def written(self, stream: str) -> None:
        self.judge.written(stream)

    def same(self, conn: sqlite3.Connection, sent: Event, stored: Event) -> bool:
        try:
            return self.judge.resolved(conn, sent) == stored
        except LedgerError:  # a name it does not know
            return False

    def committed(self, *, wrote: bool) -> None:
        self.judge.commit(wrote=wrote)

    def rolled_back(self, *, forget: bool) -> None:
        self.judge.rollback()
        if forget:
            self.judge.reset()


class Ledger(EventStore):
    """The ledger in one SQLite file (WAL; several processes may append and read at once):
    the event store, with the judge deciding what it admits.

    ``read_only`` opens it without writing a byte (``ledger.files``): reads work, appends
    fail; a file whose schema is not the ledger's is refused either way, untouched.
    ``verifying`` (read-only) opens a ledger whose triggers or indexes were changed too, so
    that ``verify`` can name what is wrong.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0, read_only: bool = False,
                 verifying: bool = False) -> None:
        self._judge = Judge()
        self._warmed: set[str] = set()  # streams whose folds were read outside the write lock
        super().__init__(path, timeout=timeout, read_only=read_only, verifying=verifying,
                         admission=_Judging(self._judge))

    def _abandon(self, conn: sqlite3.Connection, *, refused: bool) -> None:
        try:
            super()._abandon(conn, refused=refused)
        finally:
            if not refused:
                self._warmed.clear()

    # --- writing ---------------------------------------------------------------------------

    def _before_submit(self, stream: str) -> None:
        if stream not in self._warmed:
            self._warm(stream)

    def _written_first(self, conn: sqlite3.Connection, stream: str, batch: Sequence[Draft]
                       ) -> list[tuple[tuple[Any, ...], Event, Mapping[str, Any]]]:
        return self._scheduled_by_bracket(conn, stream, batch)

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
        with ``changes`` (``events.pitch.AMENDABLE`` names the fields), which takes its place.

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
        if self.resolved(replacement) == found.event:  # a name changed to another spelling
            raise RuleBroken(f"{stream}: the amendment changes nothing")
        if occurred_at is None:
            occurred_at = found.occurred_at + dt.timedelta(minutes=_minutes_moved(
                found.event, replacement))
        new = Draft(event=replacement, occurred_at=occurred_at, meta=dict(meta or {}))
        retraction = EventRetracted(event=event_id, reason=reason, replacement=new.event_id)
        now = dt.datetime.now(UTC)
        return self.append(stream, [Draft(event=retraction, occurred_at=now,
                                          meta=dict(meta or {})), new],
                           expected_version=expected_version)






    # --- reading ---------------------------------------------------------------------------





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


    def registry(self) -> Registry:
        """Every team and player spelling the ledger knows."""
        with self.transaction(write=False) as conn:
            return self._judge.registry(conn)

    def resolved(self, event: Event) -> Event:
        """``event`` with its names as admitting it would store them (team ids, players'
        registered spellings), no rule checked: an event sent again may spell them as typed."""
        with self.transaction(write=False) as conn:
            return self._judge.resolved(conn, event)

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

        if self.url is not None:
            size = int(self.conn.execute("SELECT pg_total_relation_size('events')").fetchone()[0])
        else:
            size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal"))
                       if p.exists())
        try:
            return {
                "path": self.where, "size_bytes": size, "events": sum(types.values()),
                "stream_count": sum(kinds.values()), "streams": kinds,
                "first_position": first, "last_position": last,
                "first_occurred_at": bound(min, 2), "last_occurred_at": bound(max, 3),
                "first_recorded_at": bound(min, 4), "last_recorded_at": bound(max, 5),
                "head_hash": bytes(head[0]).hex() if head else None,
                "head": f"{last}:{bytes(head[0]).hex()}" if head else None, "types": types,
            }
        except (TypeError, ValueError, OverflowError) as e:  # a time or hash written by hand
            raise unlike_written(e) from e

    # --- checking --------------------------------------------------------------------------

    def verify(self, progress: Callable[[int, int], None] | None = None, *,
               anchors: Sequence[Anchor] = (), key: Ed25519PublicKey | None = None,
               rules: bool = True) -> VerifyReport:
        """The store's ``verify_chain`` (the hash chain, positions, versions, ``anchors`` and
        the checkpoints, signed by ``key`` when given), each event judged again by the rules
        that admit appends against the log before it; report the first position that fails.
        ``rules=False`` neither decodes nor judges the events, most of the time it takes: the
        chain, positions, versions, heads and checkpoints only."""
        if not rules:
            return self.verify_chain(progress, anchors=anchors, key=key)
        with _as_it_stood(self) as (conn, before):
            judge = Judge()

            def judged(row: Sequence[Any]) -> str | None:
                (position, event_id, stream, version, type_name, schema, occurred, recorded,
                 data, *_) = row
                before(position)
                return _judged(judge, conn, stream, version, type_name, schema, data, event_id,
                               occurred, recorded)

            return self.verify_chain(progress, anchors=anchors, key=key, events=judged)


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
def _as_it_stood(ledger: Ledger) -> Iterator[tuple[sqlite3.Connection, Callable[[int], None]]]:
    """A read-only connection to ``ledger`` on which ``events`` is the log before a position
    (a temporary view over ``main.events``), and the function that moves it: the judge
    reads the log there as an append at that position did. A connection of its own, so
    that nothing else sharing the ledger's sees the view."""
    if ledger.url is not None:
        pg, moved = log_before(ledger.url)
        try:
            yield cast(sqlite3.Connection, pg), moved
        finally:
            pg.close()
        return
    conn = sqlite3.connect(read_only_uri(ledger.path, always=True), uri=True,
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












__all__ = [  # the store's names too, where they were before the store had a module of its own
    "GENESIS", "NO_STREAM", "Appended", "BatchAppended", "Ledger", "StoredDraft", "StreamRun",
    "VerifyReport", "chain_hash", "new_ledger",
]


def _minutes_moved(before: Event, after: Event) -> int:
    """How many minutes of play an amendment moves an event by (0 where either has none)."""
    def played(event: Event) -> int | None:
        minute: int | None = getattr(event, "minute", None)
        added: int | None = getattr(event, "added", None)
        return None if minute is None else minute + (added or 0)

    old, new = played(before), played(after)
    return 0 if old is None or new is None else new - old
