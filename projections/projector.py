"""The projector: keeps the read models and snapshots of one ledger current.

    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> log = MemoryLog(sample_log().envelopes)            # or a ledger.Ledger
    >>> projector = Projector(log)
    >>> projector.rebuild(progress=lambda done, total: None)
    109
    >>> log.db["rm_tie"].get(("uel-2023-24", "QF4"))["decided_by"]
    'penalties'

``rebuild`` folds the log from nothing, ``catch_up`` applies what is new since the checkpoint,
and ``projector.follow(interval=1.0)`` is a generator that keeps the tables current while
other processes append, yielding each new position.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import sqlite3
import time
from collections.abc import Callable, Iterator

from matchledger.events import EventRetracted
from matchledger.ledger.envelope import Envelope, to_micros
from matchledger.ledger.eventstore import EventStore
from matchledger.projections.book import Book
from matchledger.projections.codec import encode_parts
from matchledger.projections.errors import CheckpointMoved, StaleCache
from matchledger.projections.logreader import (
    LATEST,
    LogReader,
    Progress,
    immediate,
    log_hash,
    quiet_gc,
    reading,
)
from matchledger.projections.readmodels import (
    CHECKPOINT,
    CHECKPOINT_NAME,
    Current,
    Dirty,
    StoredPieces,
    ahead,
    checkpoint,
    dirty_of,
    ensure_tables,
    stored_current,
    stored_rows,
    write_rows,
)
from matchledger.projections.snapshot import (
    PARTS,
    SCOPES,
    SNAPSHOT,
    nearest_snapshot,
    parts_at,
    scope_keys,
    store_parts,
)
from matchledger.projections.state import (
    FORMAT,
    Key,
    State,
    add_parts,
    all_keys,
    companions,
    competition_scope,
    fold,
    fold_all,
    index,
    key_of,
    scopes,
)


def rebuild(ledger: LogReader, progress: Progress | None = None) -> int:
    """Recreate every read model from nothing; the position reached."""
    return Projector(ledger, once=True).rebuild(progress)


def catch_up(ledger: LogReader, progress: Progress | None = None) -> int:
    """Bring the read models up to the head of the log; the position reached."""
    return Projector(ledger, once=True).catch_up(progress)


def follow(ledger: LogReader, interval: float = 1.0) -> Iterator[int]:
    """Keep the read models current, polling every ``interval`` seconds (a generator)."""
    return Projector(ledger).follow(interval)


AHEAD = 1_000  # events the log may be past the read models for ``current`` to answer


def current(ledger: LogReader) -> Current | None:
    """The read models' answers for every team, when they are this version's and whole: as
    stored when caught up to the head of the log; when up to ``AHEAD`` events behind, caught
    up in memory first (``Projector.ahead``). Else None (never rebuilt, far behind, or
    tampered with: fold the log instead)."""
    db = ledger.db
    if not {CHECKPOINT, "rm_team", "rm_player", "rm_streak"} <= set(db.table_names()):
        return None  # never built, or a table dropped since
    try:
        with reading(db):  # the check and the rows read at one moment
            row = db.execute(f"SELECT position, format, hash FROM {CHECKPOINT} WHERE name = ?",
                             (CHECKPOINT_NAME,)).fetchone()
            if (row is None or type(row[0]) is not int or row[1] != FORMAT
                    or row[2] != log_hash(ledger, row[0])):
                return None
            behind = ledger.head() - row[0]
            if behind == 0:
                return stored_current(db)
            if not 0 < behind <= AHEAD:
                return None
            return Projector(ledger, once=True).ahead(row[0])
    except (sqlite3.Error, ValueError, TypeError, StaleCache):  # tables not as written
        return None

class Projector:
    """Keeps the read models of one ledger current; one per process is enough.

    The log is read ``chunk`` events at a time; the fold state is snapshotted at every
    position that is a multiple of ``snapshot_every``. A projector made for ``once`` (one
    rebuild or catch-up, then gone) keeps nothing for the next one, to use less memory,
    catches up from only the part of the state its new events need, and snapshots where it
    stops if that is a tenth of ``snapshot_every`` past the last snapshot; a long-lived one
    loads the whole state once and keeps it current.
    """

    def __init__(self, ledger: LogReader, *, snapshot_every: int = 10_000,
                 chunk: int = 10_000, once: bool = False) -> None:
        if snapshot_every < 1 or chunk < 1:
            raise ValueError("snapshot_every and chunk must be positive")
        self.ledger = ledger
        self.db = ledger.db
        self.snapshot_every = snapshot_every
        self.chunk = chunk
        self.once = once
        self.state: State | None = None  # the fold at the stored checkpoint, once known
        self._base = 0  # the snapshot that ``_since`` counts from (0: from nothing)
        self._since: set[Key] = set()  # keys touched since that snapshot
        # the earliest occurred_at and recorded_at folded since that snapshot
        self._earliest: tuple[dt.datetime, dt.datetime] = (LATEST, LATEST)
        self._book = self._new_book()  # the team tables' pieces, for ``state``
        # a partial state's new events, read already: all it may fold (None: read the log)
        self._ahead: list[Envelope] | None = None
        ensure_tables(self.db)

    def _new_book(self) -> Book:
        # no lambda over self: a projector dropped by its owner is freed at once, not in a cycle
        return Book(keep=not self.once, store=StoredPieces(self.db))

    def checkpoint(self) -> int:
        """The position the stored read models have caught up to (0: nothing yet)."""
        return checkpoint(self.db) or 0

    def rebuild(self, progress: Progress | None = None) -> int:
        """Recreate every read model and snapshot from nothing; returns the position reached.

        The log is folded first and the tables replaced in one transaction at the end, so
        readers see the old read models until the new ones are complete.
        """
        with immediate(self.db):
            self.db.execute(f"DELETE FROM {SNAPSHOT}")
            self.db.execute(f"DELETE FROM {PARTS}")
            self.db.execute(f"DELETE FROM {SCOPES}")
        state = State(touched=set())
        self.state, self._base, self._since = None, 0, set()
        self._earliest, self._book, self._ahead = (LATEST, LATEST), self._new_book(), None
        with quiet_gc():
            self._advance(state, progress=progress, expected=None)
            self._write(state, Dirty(everything=True), expected=None)
        self._keep(state)
        return state.position

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply what is new since the checkpoint, in one transaction; the new position.

        Read models written by another version of the fold (``FORMAT``), or for another log
        (the checkpoint's hash is not the log's), or whose snapshots or pieces do not check
        out, are rebuilt instead. A long-lived projector loads the whole state at its first
        call, new events or not, so that the events after it apply in milliseconds.
        """
        row = self.db.execute(f"SELECT position, format, hash FROM {CHECKPOINT} WHERE name = ?",
                              (CHECKPOINT_NAME,)).fetchone()
        if row is not None and (row[1] != FORMAT or type(row[0]) is not int
                                or row[2] != log_hash(self.ledger, row[0])):
            return self.rebuild(progress)
        try:
            return self._catch_up(progress)
        except StaleCache:
            return self.rebuild(progress)

    def _catch_up(self, progress: Progress | None) -> int:
        for _ in range(100):
            stored = self.checkpoint()
            if self.once and stored == self.ledger.head():
                return stored  # nothing new: no need to load any state
            try:
                with quiet_gc():
                    state = self._resume(stored)
                    self._advance(state, progress=progress, expected=stored)
                    # a tenth of snapshot_every or more since the last snapshot: leave one,
                    # so that the next new process need not fold those events again
                    if self.once and state.position - self._base >= max(
                            1, self.snapshot_every // 10):
                        self._snapshot(state)
            except CheckpointMoved:
                self.state = None
                continue
            if self._ahead is None:
                self._keep(state)
            else:  # a partial state serves once: the next events may need other parts
                self.state, self._ahead, self._book = None, None, self._new_book()
            return state.position
        raise CheckpointMoved("the read models kept moving under this process")

    def _keep(self, state: State) -> None:
        """Hold ``state`` for the next catch-up. A whole state just built or loaded is
        millions of acyclic objects: a long-lived projector freezes them out of the cycle
        collector (``gc.freeze``, as the CLI's read commands do), whose first passes over
        them would otherwise stall a later catch-up for seconds. Its lookups by team and
        competition are built then too, not at the first new event."""
        loaded = state is not self.state
        self.state = state
        if loaded and not self.once:
            index(state)
            gc.freeze()

    def ahead(self, stored: int) -> Current | None:
        """The read models' answers caught up to the head of the log, made in memory: the
        stored rows, and those of the teams that the events since the checkpoint (at
        ``stored``, as the caller just read it) change, from the part of the state they need
        (``_partial``); nothing is written. None when that takes the whole state (no
        snapshot, far behind, a competition created)."""
        state = self._partial(stored)
        if state is None:
            return None
        assert state.touched is not None
        state.prior = {}  # the book's pieces are of the state at the checkpoint
        with quiet_gc():
            for env in self._ahead or ():
                fold(state, env)
            found = ahead(self.db, state, dirty_of(state.touched), self._book)
        self.state, self._ahead, self._book = None, None, self._new_book()
        return found

    def follow(self, interval: float = 1.0, *,
               stop: Callable[[], bool] | None = None) -> Iterator[int]:
        """Catch up, then poll every ``interval`` seconds; yield the position when it moves."""
        last = -1
        while True:
            position = self.catch_up()
            if position != last:
                last = position
                yield position
            if stop is not None and stop():
                return
            if isinstance(self.ledger, EventStore):  # PostgreSQL: woken by an append's NOTIFY
                self.ledger.wait(interval)
            else:
                time.sleep(interval)

    # --- internals ----------------------------------------------------------------------------

    def _resume(self, stored: int) -> State:
        """The fold state at the stored checkpoint: in memory, or a snapshot plus the rest."""
        if self.state is not None and self.state.position == stored:
            return self.state
        partial = self._partial(stored) if self.once else None  # kept: load it all, once
        if partial is not None:
            return partial
        state = nearest_snapshot(self.ledger, at_position=stored)
        self._base, self._earliest = state.position, (LATEST, LATEST)
        self._book = self._new_book()  # its pieces may be of events this state has not seen
        state.touched = set()
        for env in self.ledger.read(after=state.position, at_position=stored):
            fold(state, env)
            self._see(env)
        self._since, state.touched = state.touched, set()
        return state

    def _partial(self, stored: int) -> State | None:
        """The part of the state at ``stored`` that catching up to the head needs, when that
        is much less than the whole (a new process catching up a few events need not decode
        a million): the keys the new events touch, the competitions whose rows they change
        and the facts of the teams in them; a team's past comes from its stored pieces
        (``rm_team_piece``). None when the whole state is needed or cheaper: no snapshot, a
        long way to go, a competition created again (its rules may rate every team of it
        anew; a new one has no past to load) or a fact retracted."""
        head = self.ledger.head()
        state = nearest_snapshot(self.ledger, at_position=stored, keys=())
        after = state.position
        if after == 0 or head - after > 4 * self.snapshot_every:
            return None
        envelopes = list(self.ledger.read(after=after, at_position=head))
        if not envelopes:  # catch_up asks only when there is something new
            return None
        keys: set[Key] = set()
        for env in envelopes:
            key = key_of(env)
            if key is None and type(env.event) is EventRetracted:
                if not env.stream.startswith("match:"):
                    return None
                key = ("match", env.stream[6:])
            if key is None:
                continue
            if key[0] == "competition" and key not in keys and any(
                    True for _ in parts_at(self.db, after, keys=[key])):
                return None  # created again: its rules may rate every team of it anew
            keys.add(key)
            if key[0] in ("match", "fixture"):
                keys |= {("match", key[1]), ("fixture", key[1])}
        add_parts(state, parts_at(self.db, after, keys=keys))
        news = fold_all((e for e in envelopes if not e.stream.startswith("match:")), State())
        matches = [k[1] for k in keys if k[0] == "match"]
        scoped = {competition_scope(env.stream_id) for env in envelopes
                  if not env.stream.startswith("match:")}
        teams: set[Key] = set()  # their facts; their past is in their stored pieces
        for known in (state, news):
            for key in keys:
                if key[0] == "fixture":
                    scoped |= {s for s in scopes(known, key) if s.startswith("competition:")}
                    teams |= {k for k in companions(known, key) if k[0] == "team"}
        for competition, *sides in stored_rows(self.db, "rm_scoreboard", "match", matches,
                                           "competition, home, away"):
            scoped.add(competition_scope(competition))
            teams |= {("team", t) for t in sides if t}
        wanted = keys | teams | scope_keys(self.db, scoped)
        add_parts(state, parts_at(self.db, after, keys=wanted - keys))
        self._base, self._earliest, self._book = after, (LATEST, LATEST), self._new_book()
        state.touched = set()
        done = bisect.bisect_right(envelopes, stored, key=lambda env: env.position)
        for env in envelopes[:done]:
            fold(state, env)
            self._see(env)
        self._since, state.touched = state.touched, set()
        self._ahead = envelopes[done:]  # for _advance, not read again
        return state

    def _see(self, env: Envelope) -> None:
        occurred, recorded = self._earliest
        if env.occurred_at < occurred or env.recorded_at < recorded:
            self._earliest = (min(occurred, env.occurred_at), min(recorded, env.recorded_at))

    def _advance(self, state: State, *, progress: Progress | None,
                 expected: int | None) -> None:
        """Fold the log from ``state`` on, reading a chunk at a time; when ``expected`` (the
        checkpoint the table should hold) is given, write the rows the new events changed.

        The rows are written once, at the end: a team plays in every chunk of a long log, and
        recomputing its record, streaks and players per chunk would cost far more than the
        fold. The fold state stays in memory meanwhile, so one transaction is all it takes.
        The matches' states before the new events are kept meanwhile (``State.prior``): the
        book's pieces are of the state at the checkpoint, and are updated by what changed.
        """
        assert state.touched is not None
        state.prior = {} if expected is not None else None
        head = self.ledger.head()
        every = self.snapshot_every
        changed: set[Key] = set()  # by the new events: the rows to write
        while True:
            batch = self._next_batch(state)
            if not batch:
                break
            for env in batch:
                fold(state, env)
                self._see(env)
                if env.position % every == 0:
                    changed |= state.touched
                    self._snapshot(state)
            changed |= state.touched
            self._since |= state.touched
            state.touched = set()
            if progress is not None:
                progress(state.position, max(head, state.position))
        if expected is not None and state.position != expected:
            self._write(state, dirty_of(changed), expected=expected)
        state.prior = None  # the book has caught up with the state: nothing to hold on to

    def _next_batch(self, state: State) -> list[Envelope]:
        """The next events to fold: a partial state's, read already, else a chunk of the log."""
        if self._ahead is None:
            return list(self.ledger.read(after=state.position, limit=self.chunk))
        batch, self._ahead = self._ahead, []
        return batch

    def _snapshot(self, state: State) -> None:
        """Store the parts touched since the last snapshot, valid from this position on (the
        caller has taken ``state.touched`` for its rows: it is emptied here)."""
        assert state.touched is not None
        position = state.position
        keys = all_keys(state) if self._base == 0 else self._since | state.touched
        with immediate(self.db):
            taken = {row[0] for row in self.db.execute(
                f"SELECT position FROM {SNAPSHOT} WHERE position IN (?, ?)",
                (position, self._base))}
            lost = self._base != 0 and self._base not in taken  # snapshots rebuilt under us
            if position not in taken and not lost:
                store_parts(self.db, state, encode_parts(state, keys))
                self.db.table(SNAPSHOT).insert({
                    "position": position, "format": FORMAT,
                    "max_occurred": to_micros(state.max_occurred),
                    "max_recorded": to_micros(state.max_recorded),
                    "min_occurred": to_micros(self._earliest[0]),
                    "min_recorded": to_micros(self._earliest[1]), "parts": len(keys),
                    "created_at": dt.datetime.now(dt.UTC).isoformat(),
                    "hash": log_hash(self.ledger, position)})
        # taken by another process: the same log gave it the same state, so count from it
        self._base, self._since = (0 if lost else position), set()
        self._earliest = (LATEST, LATEST)
        state.touched = set()

    def _write(self, state: State, dirty: Dirty, *, expected: int | None) -> None:
        """Rewrite the rows ``dirty`` names and the checkpoint, in one transaction."""
        with immediate(self.db):
            if expected is not None and self.checkpoint() != expected:
                raise CheckpointMoved(f"checkpoint is no longer at {expected}")
            write_rows(self.db, state, dirty, self._book)
            self.db.table(CHECKPOINT).upsert(
                {"name": CHECKPOINT_NAME, "position": state.position, "format": FORMAT,
                 "updated_at": dt.datetime.now(dt.UTC).isoformat(),
                 "hash": log_hash(self.ledger, state.position)}, pk="name")
