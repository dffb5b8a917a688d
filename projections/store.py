"""Read models in SQLite beside the log: rebuild, catch up, follow, snapshot, time-travel.

Every read model is a table named ``rm_*`` in the ledger's own SQLite file, and the position
it has caught up to is saved in ``rm_checkpoint`` *in the same transaction* as its rows, so a
crash never applies an event twice nor skips one. The fold state itself is snapshotted every
``snapshot_every`` positions (``rm_snapshot``, with the latest ``occurred_at`` and
``recorded_at`` of every event up to it), which lets a time-travel query start from the nearest
usable snapshot instead of position 0, and lets a new process resume catching up. Parts of the
state carry their scopes (a competition, a team), so a query about one cup, or a new process
catching up a few events, loads only the parts it needs.

    >>> from matchledger.projections import tie
    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> log = MemoryLog(sample_log().envelopes)            # or a ledger.Ledger
    >>> projector = Projector(log)
    >>> projector.rebuild(progress=lambda done, total: None)
    109
    >>> log.db["rm_tie"].get(("uel-2023-24", "QF4"))["decided_by"]
    'penalties'
    >>> april_12 = dt.datetime(2024, 4, 12, tzinfo=dt.UTC)
    >>> tie(state_at(log, as_of=april_12), "QF4").aggregate
    (2, 1)

``projector.follow(interval=1.0)`` is a generator that keeps the tables current while other
processes append, yielding each new position.

The tables (scores are home/away; a tie's aggregate side 0/side 1; ``json`` columns hold the
view's JSON contract, ``projections.to_json``, so a reader needs no fold):

    rm_checkpoint     name PK, position, format, updated_at, hash (of the event at position)
    rm_competition    competition PK, name, season, format, rules (JSON)
    rm_team           team PK, name, country, aliases (JSON), competitions (JSON)
    rm_scoreboard     match PK, competition, round, tie, leg, home, away, date, kickoff,
                      status, minute, home_goals, away_goals, home_penalties, away_penalties,
                      json
    rm_tie            (competition, tie) PK, round, side0, side1 (JSON: id or winner_of),
                      aggregate0, aggregate1, winner, decided_by, json
    rm_bracket        competition PK, json
    rm_team_record    (team, competition) PK — competition "" is the record over all —,
                      played, won, drawn, lost, goals_for, goals_against, clean_sheets,
                      yellow, red, points
    rm_streak         (team, kind, which) PK — which: current or longest —, length, wins,
                      draws, losses, first_match, last_match
    rm_player         (team, player) PK, goals, penalties, own_goals, yellow, red
    rm_team_piece     (team, competition) PK, piece: a team's part of a competition that its
                      record, players and streaks sum (``projections.book.Piece`` as JSON),
                      so that a new process catching up need not fold the team's past; the
                      competition '' holds the kick-off order of the team's latest result and
                      its competitions (the rest of its ``projections.book.Summary`` is its
                      overall record and player rows)
    rm_snapshot       position PK, format, max_occurred, max_recorded (of the events up to
                      it), min_occurred, min_recorded (of those since the snapshot before: a
                      stretch with none by the bounds asked is never read), parts, created_at
                      (times in µs since the epoch), hash (of the event at position)
    rm_snapshot_part  (key, since) PK, until, state: one part of the fold state (a match, or
                      the history of one competition fact), valid for since <= P < until
    rm_snapshot_scope (scope, key) PK: the parts a competition's or a team's views read

Snapshots and pieces are a cache in a form that cannot run code (JSON, ``projections.codec``):
one that does not check out — another ``FORMAT``, undecodable, the wrong shape, or a hash
that is not the log's at its position — is ignored and the answer recomputed from the log.

Bitemporal reading: ``as_of`` keeps events that *occurred* by T, ``known_at`` those *recorded*
by K, ``at_position`` those at or before N, and they combine. A retraction is a correction of
the record, not a happening in the world, so it obeys ``known_at`` and ``at_position`` but not
``as_of``: "as of 12 April", asked today, never shows a goal we have since retracted.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import gc
import heapq
import itertools
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, Protocol

import attrs
import sqlite_utils

from matchledger.events import EventRetracted
from matchledger.events.team import Team
from matchledger.ledger.envelope import Envelope, from_micros, to_micros
from matchledger.ledger.eventstore import EventStore
from matchledger.ledger.jsontext import dumps_data, loads
from matchledger.projections.book import COUNTS, Book, Piece, Summary
from matchledger.projections.codec import (
    check_key,
    decode_part,
    decode_piece,
    decode_summary,
    encode_parts,
    encode_piece,
    encode_summary,
)
from matchledger.projections.errors import CheckpointMoved, StaleCache
from matchledger.projections.jsonify import to_json
from matchledger.projections.records import (
    KINDS,
    PlayerRecord,
    Streak,
    StreakPair,
    Streaks,
    competition_teams,
    scorer_order,
)
from matchledger.projections.scoreboard import scoreboard
from matchledger.projections.state import (
    FORMAT,
    Key,
    State,
    add_parts,
    all_keys,
    companions,
    competition_scope,
    field_names,
    fold,
    fold_all,
    index,
    key_of,
    scopes,
    team_scope,
)
from matchledger.projections.ties import bracket

Progress = Callable[[int, int], None]  # (position reached, head of the log)
LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)

CHECKPOINT = "rm_checkpoint"
CHECKPOINT_NAME = "projections"
SNAPSHOT = "rm_snapshot"
PARTS = "rm_snapshot_part"
SCOPES = "rm_snapshot_scope"
PIECES = "rm_team_piece"  # what a team's rows are sums of, per competition (projections.book)
TABLES: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "rm_competition": (
        {"competition": str, "name": str, "season": str, "format": str, "rules": str},
        ("competition",),
    ),
    "rm_team": (
        {"team": str, "name": str, "country": str, "aliases": str, "competitions": str},
        ("team",),
    ),
    "rm_scoreboard": (
        {"match": str, "competition": str, "round": str, "tie": str, "leg": int,
         "home": str, "away": str, "date": str, "kickoff": str, "status": str, "minute": int,
         "home_goals": int, "away_goals": int, "home_penalties": int, "away_penalties": int,
         "json": str},
        ("match",),
    ),
    "rm_tie": (
        {"competition": str, "tie": str, "round": str, "side0": str, "side1": str,
         "aggregate0": int, "aggregate1": int, "winner": str, "decided_by": str, "json": str},
        ("competition", "tie"),
    ),
    "rm_bracket": ({"competition": str, "json": str}, ("competition",)),
    "rm_team_record": (
        {"team": str, "competition": str, "played": int, "won": int, "drawn": int, "lost": int,
         "goals_for": int, "goals_against": int, "clean_sheets": int, "yellow": int,
         "red": int, "points": int},
        ("team", "competition"),
    ),
    "rm_streak": (
        {"team": str, "kind": str, "which": str, "length": int, "wins": int, "draws": int,
         "losses": int, "first_match": str, "last_match": str},
        ("team", "kind", "which"),
    ),
    "rm_player": (
        {"team": str, "player": str, "goals": int, "penalties": int, "own_goals": int,
         "yellow": int, "red": int},
        ("team", "player"),
    ),
    PIECES: ({"team": str, "competition": str, "piece": bytes}, ("team", "competition")),
}
OVERALL = ""  # rm_team_record.competition of a team's record across all competitions


class LogReader(Protocol):
    """What the projections need of a ledger: its read API and its database."""

    @property
    def db(self) -> sqlite_utils.Database: ...

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
    ) -> Iterator[Envelope]: ...

    def head(self) -> int: ...


def rebuild(ledger: LogReader, progress: Progress | None = None) -> int:
    """Recreate every read model from nothing; the position reached."""
    return Projector(ledger, once=True).rebuild(progress)


def catch_up(ledger: LogReader, progress: Progress | None = None) -> int:
    """Bring the read models up to the head of the log; the position reached."""
    return Projector(ledger, once=True).catch_up(progress)


def follow(ledger: LogReader, interval: float = 1.0) -> Iterator[int]:
    """Keep the read models current, polling every ``interval`` seconds (a generator)."""
    return Projector(ledger).follow(interval)


# --- time travel ---------------------------------------------------------------------------


def state_at(
    ledger: LogReader,
    *,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    at_position: int | None = None,
    competition: str | None = None,
    team: str | None = None,
) -> State:
    """The fold of the events that pass every filter given, from the nearest usable snapshot.

    With ``competition`` (or ``team``) only what that competition's views (bracket, ties,
    table) or that team's (streaks, outcomes, players) read is loaded and folded: the same
    answers for them as the whole state gives, for the cost of one cup instead of the log.
    """
    if competition is not None and team is not None:
        raise ValueError("state_at takes a competition or a team, not both")
    scope = (competition_scope(competition) if competition is not None
             else team_scope(team) if team is not None else None)
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    with _quiet_gc():
        state = nearest_snapshot(ledger, scope=scope, **filters)
        if scope is None:
            for env in read_filtered(ledger, after=state.position, **filters):
                fold(state, env)
            return state
        try:
            _fold_scoped(ledger, state, scope, filters)
        except StaleCache:  # a part it needed does not check out: fold the log instead
            state = State()
            _fold_scoped(ledger, state, scope, filters)
    return state


def registered_teams(ledger: LogReader, *, as_of: dt.datetime | None = None,
                     known_at: dt.datetime | None = None,
                     at_position: int | None = None) -> list[Team]:
    """The teams registered by then, by id: a team's entry is made of its registrations
    alone (never retracted), so only those are read and folded, not the log."""
    state = fold_all(ledger.read(types=("TeamRegistered",), as_of=as_of, known_at=known_at,
                                 at_position=at_position))
    return sorted(state.teams.values(), key=lambda t: t.id)


def _fold_scoped(ledger: LogReader, state: State, scope: str, filters: dict[str, Any]) -> None:
    """Fold onto a scoped snapshot the events after it of the keys in ``scope``.

    The keys are those of the snapshot's scope and those the competition streams bring into
    it after the snapshot (a fixture of the team, say: its match's part is loaded from the
    snapshot then); the matches' events are read by stream, in SQL.
    """
    after = state.position
    facts = list(read_filtered(ledger, after=after, prefix="competition:", **filters))
    news = fold_all((e for e in facts if not e.stream.startswith("match:")), State())
    entering = {key for key in news.history if scope in scopes(news, key)}
    entering |= {c for key in entering for c in companions(news, key)}
    wanted = (_scope_keys(ledger.db, [scope]) if after else set()) | entering
    missing = entering - set(state.history) - {("match", m) for m in state.matches}
    if missing and after:
        add_parts(state, _parts_at(ledger.db, after, keys=missing))
    matches = {f"match:{key[1]}" for key in wanted if key[0] == "match"}
    tail = ledger.read(after=after, streams=matches, **filters)
    last = after
    for env in heapq.merge(facts, tail, key=lambda e: e.position):
        if env.position == last:
            continue
        last = env.position
        key = key_of(env)
        # a retraction: of a competition fact, or in a match of the scope
        if key in wanted or (key is None and (env.stream in matches
                                              or not env.stream.startswith("match:"))):
            fold(state, env)


def read_filtered(
    ledger: LogReader,
    *,
    after: int = 0,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    at_position: int | None = None,
    prefix: str | None = None,
) -> Iterator[Envelope]:
    """Events after ``after`` (of the streams under ``prefix``) passing the filters, and the
    retractions of every stream that pass all but ``as_of``, which they are exempt from.

    Only the stretches of the log between snapshots that hold an event passing the time
    filters are read: "as of 2019" skips the seasons after it, but not a late back-fill.
    """
    main = itertools.chain.from_iterable(
        ledger.read(after=lo, at_position=hi, as_of=as_of, known_at=known_at, prefix=prefix)
        for lo, hi in _stretches(ledger.db, after, at_position, as_of=as_of,
                                 known_at=known_at))
    if as_of is None and prefix is None:
        yield from main
        return
    retractions = ledger.read(after=after, types=("EventRetracted",), known_at=known_at,
                              at_position=at_position)
    last = after
    for env in heapq.merge(main, retractions, key=lambda e: e.position):
        if env.position != last:
            last = env.position
            yield env


def _stretches(db: sqlite_utils.Database, after: int, upto: int | None, *,
               as_of: dt.datetime | None, known_at: dt.datetime | None,
               ) -> list[tuple[int, int | None]]:
    """The position ranges (lo, hi] after ``after`` that may hold an event that occurred by
    ``as_of`` and was recorded by ``known_at``: all but the stretches between two snapshots
    whose earliest event is later than that (each snapshot records its stretch's earliest)."""
    if (as_of is None and known_at is None) or not _has_snapshots(db):
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
    if not _has_snapshots(db):
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
        return add_parts(state, _parts_at(db, row[0], scope=scope, keys=keys))
    except (StaleCache, OverflowError):
        return State()


def log_hash(ledger: LogReader, position: int) -> str | None:
    """The hash of the event at ``position`` (hex), which a snapshot or checkpoint made
    there stores: what ties derived state to the log it was derived from."""
    if position <= 0:
        return None
    env = next(ledger.read(after=position - 1, at_position=position, limit=1), None)
    return env.hash if env is not None and env.position == position else None


def _has_snapshots(db: sqlite_utils.Database) -> bool:
    """Whether the snapshot tables are this version's (a reader never writes: older ones
    are replaced by the next catch-up, and until then every read folds from position 0)."""
    return SCOPES in db.table_names() and "hash" in db[SNAPSHOT].columns_dict


def _parts_at(db: sqlite_utils.Database, position: int, *, scope: str | None = None,
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


def _scope_keys(db: sqlite_utils.Database, scopes: Collection[str]) -> set[Key]:
    """The keys stored snapshots put in any of ``scopes`` (ask only when there is one)."""
    rows = db.execute(f"SELECT DISTINCT key FROM {SCOPES} WHERE scope IN "
                      "(SELECT value FROM json_each(?))", (dumps_data(list(scopes)),))
    try:
        return {check_key(loads(key)) for (key,) in rows}
    except (ValueError, TypeError) as e:
        raise StaleCache("a snapshot scope does not check out") from e


def checkpoint(db: sqlite_utils.Database) -> int | None:
    """The position the stored read models have caught up to; None if never built."""
    if CHECKPOINT not in db.table_names():
        return None
    row = db.execute(f"SELECT position FROM {CHECKPOINT} WHERE name = ?",
                     (CHECKPOINT_NAME,)).fetchone()
    return row[0] if row and type(row[0]) is int else None


def snapshots(db: sqlite_utils.Database) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(position, latest occurred_at, latest recorded_at) of every stored snapshot, in order."""
    if not db[SNAPSHOT].exists():
        return []
    rows = db.execute(f"SELECT position, max_occurred, max_recorded FROM {SNAPSHOT} "
                      "WHERE format = ? ORDER BY position", (FORMAT,)).fetchall()
    return [(p, from_micros(o), from_micros(r)) for p, o, r in rows]


# --- the read models as answers --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Current:
    """Every team, player record and team's streaks as the read models hold them, read in one
    transaction that found them caught up to the head of the log: what ``registered_teams``,
    ``players`` and ``streaks`` of the whole state give, without loading it."""

    teams: dict[str, Team]  # by id
    players: tuple[PlayerRecord, ...]  # top scorers first, as ``players`` sorts them
    streaks: dict[str, Streaks]  # of every registered team


def current(ledger: LogReader) -> Current | None:
    """The read models' answers for every team, when they are this version's, whole and caught
    up to the head of the log; else None (never rebuilt, behind, or tampered with: fold the
    log instead)."""
    db = ledger.db
    if not {CHECKPOINT, "rm_team", "rm_player", "rm_streak"} <= set(db.table_names()):
        return None  # never built, or a table dropped since
    try:
        with _reading(db):  # the check and the rows read at one moment
            row = db.execute(f"SELECT position, format, hash FROM {CHECKPOINT} WHERE name = ?",
                             (CHECKPOINT_NAME,)).fetchone()
            head = ledger.head()
            if row is None or tuple(row) != (head, FORMAT, log_hash(ledger, head)):
                return None
            return _current(db)
    except (sqlite3.Error, ValueError, TypeError, StaleCache):  # tables not as written
        return None


def _texts(value: Any) -> tuple[str, ...]:
    """A JSON array of strings from a read-model row."""
    if type(value) is not list or not all(type(v) is str for v in value):
        raise TypeError("expected an array of strings")
    return tuple(value)


def _typed(row: Any, *kinds: type | tuple[type, ...]) -> bool:
    """Whether a row read back into a view holds values of the types its view has (what a
    hand-edited read model may not)."""
    return all(type(getattr(row, name)) in (kind if isinstance(kind, tuple) else (kind,))
               for name, kind in zip(field_names(type(row)), kinds, strict=True))


def _current(db: sqlite_utils.Database) -> Current | None:
    teams = {team: Team(id=team, name=name, country=country, aliases=_texts(loads(aliases)),
                        competitions=_texts(loads(competitions)))
             for team, name, country, aliases, competitions in db.execute(
                 "SELECT team, name, country, aliases, competitions FROM rm_team")}
    if not all(type(t.id) is type(t.name) is str and type(t.country) in (str, type(None))
               for t in teams.values()):
        return None
    streaks = _stored_streaks(db, teams)
    if streaks.keys() != teams.keys():  # every registered team has its rows, or rows are lost
        return None
    names = field_names(PlayerRecord)  # the columns _write_some_teams gave them
    records = [PlayerRecord(**dict(zip(names, values, strict=True))) for values in db.execute(
        f"SELECT {', '.join(names)} FROM rm_player")]
    if not all(_typed(r, str, str, *[int] * (len(names) - 2)) for r in records):
        return None
    return Current(teams=teams, players=tuple(sorted(records, key=scorer_order)),
                   streaks=streaks)


# --- the projector ---------------------------------------------------------------------------


@attrs.define
class _Dirty:
    """What a batch of events may have changed, to rewrite only those rows."""

    everything: bool = False
    matches: set[str] = attrs.Factory(set)
    competitions: set[str] = attrs.Factory(set)
    teams: set[str] = attrs.Factory(set)
    rules: set[str] = attrs.Factory(set)  # competitions whose rules (points) may have changed


def _dirty(keys: Iterable[Key]) -> _Dirty:
    dirty = _Dirty()
    for key in keys:
        kind = key[0]
        if kind in ("match", "fixture"):
            dirty.matches.add(key[1])
        elif kind == "team":
            dirty.teams.add(key[1])
        elif kind in ("tie", "competition"):
            dirty.competitions.add(key[1])
            if kind == "competition":
                dirty.rules.add(key[1])
    return dirty


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
        return Book(keep=not self.once, store=_StoredPieces(self.db))

    def checkpoint(self) -> int:
        """The position the stored read models have caught up to (0: nothing yet)."""
        return checkpoint(self.db) or 0

    def rebuild(self, progress: Progress | None = None) -> int:
        """Recreate every read model and snapshot from nothing; returns the position reached.

        The log is folded first and the tables replaced in one transaction at the end, so
        readers see the old read models until the new ones are complete.
        """
        with _immediate(self.db):
            self.db.execute(f"DELETE FROM {SNAPSHOT}")
            self.db.execute(f"DELETE FROM {PARTS}")
            self.db.execute(f"DELETE FROM {SCOPES}")
        state = State(touched=set())
        self.state, self._base, self._since = None, 0, set()
        self._earliest, self._book, self._ahead = (LATEST, LATEST), self._new_book(), None
        with _quiet_gc():
            self._advance(state, progress=progress, expected=None)
            self._write(state, _Dirty(everything=True), expected=None)
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
                with _quiet_gc():
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

    def follow(self, interval: float = 1.0, *,
               stop: Callable[[], bool] | None = None) -> Iterator[int]:
        """Catch up, then poll every ``interval`` seconds (woken at once by an append on
        PostgreSQL); yield the position when it moves."""
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
        long way to go, a competition created or a fact retracted (every team of it may
        change)."""
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
            if key[0] == "competition":
                return None
            keys.add(key)
            if key[0] in ("match", "fixture"):
                keys |= {("match", key[1]), ("fixture", key[1])}
        add_parts(state, _parts_at(self.db, after, keys=keys))
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
        for competition, *sides in _stored(self.db, "rm_scoreboard", "match", matches,
                                           "competition, home, away"):
            scoped.add(competition_scope(competition))
            teams |= {("team", t) for t in sides if t}
        wanted = keys | teams | _scope_keys(self.db, scoped)
        add_parts(state, _parts_at(self.db, after, keys=wanted - keys))
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
        """
        assert state.touched is not None
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
            self._write(state, _dirty(changed), expected=expected)

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
        with _immediate(self.db):
            taken = {row[0] for row in self.db.execute(
                f"SELECT position FROM {SNAPSHOT} WHERE position IN (?, ?)",
                (position, self._base))}
            lost = self._base != 0 and self._base not in taken  # snapshots rebuilt under us
            if position not in taken and not lost:
                _store_parts(self.db, state, encode_parts(state, keys))
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

    def _write(self, state: State, dirty: _Dirty, *, expected: int | None) -> None:
        """Rewrite the rows ``dirty`` names and the checkpoint, in one transaction."""
        with _immediate(self.db):
            if expected is not None and self.checkpoint() != expected:
                raise CheckpointMoved(f"checkpoint is no longer at {expected}")
            _write_rows(self.db, state, dirty, self._book)
            self.db.table(CHECKPOINT).upsert(
                {"name": CHECKPOINT_NAME, "position": state.position, "format": FORMAT,
                 "updated_at": dt.datetime.now(dt.UTC).isoformat(),
                 "hash": log_hash(self.ledger, state.position)}, pk="name")


@contextlib.contextmanager
def _quiet_gc() -> Iterator[None]:
    """Folds build only acyclic, immutable values: the cycle collector has nothing to find in
    them, and its passes over a heap that grows by millions of objects cost more than the
    fold itself (a rebuild runs about twice as fast without them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the lock first: a read-then-write never goes stale."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


@contextlib.contextmanager
def _reading(db: sqlite_utils.Database) -> Iterator[None]:
    """A read transaction: one consistent moment of the file (a caller's transaction already
    open is one)."""
    if db.conn.in_transaction:
        yield
        return
    db.conn.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        db.conn.execute("COMMIT")


def _store_parts(db: sqlite_utils.Database, state: State,
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


def ensure_tables(db: sqlite_utils.Database) -> None:
    """Create the read-model tables that do not exist yet (under the write lock, since another
    process may be appending or creating them at the same moment)."""
    if ({CHECKPOINT, SNAPSHOT, PARTS, SCOPES, *TABLES} <= set(db.table_names())
            and _has_snapshots(db) and "hash" in db[CHECKPOINT].columns_dict):
        return
    with _immediate(db):
        _create_tables(db)


def _create_tables(db: sqlite_utils.Database) -> None:
    if CHECKPOINT in db.table_names() and "hash" not in db[CHECKPOINT].columns_dict:
        db.execute(f"DROP TABLE {CHECKPOINT}")  # an older version's: its read models rebuilt
    db.table(CHECKPOINT).create({"name": str, "position": int, "format": int, "updated_at": str,
                                 "hash": str}, pk="name", if_not_exists=True)
    if SNAPSHOT in db.table_names() and not _has_snapshots(db):
        # an older version's snapshots: caches, so dropped, and the read models with them
        # (the next catch-up folds from position 0 and snapshots on the way)
        for name in (SNAPSHOT, PARTS, SCOPES):
            db.execute(f"DROP TABLE IF EXISTS {name}")
        if CHECKPOINT in db.table_names():
            db.execute(f"DELETE FROM {CHECKPOINT}")
    db.table(SNAPSHOT).create({"position": int, "format": int, "max_occurred": int,
                               "max_recorded": int, "min_occurred": int, "min_recorded": int,
                               "parts": int, "created_at": str, "hash": str},
                              pk="position", if_not_exists=True)
    db.table(PARTS).create({"key": str, "since": int, "until": int, "state": bytes},
                           pk=("key", "since"), if_not_exists=True)
    db.execute(f"CREATE TABLE IF NOT EXISTS {SCOPES} (scope TEXT NOT NULL, key TEXT NOT NULL, "
               "PRIMARY KEY (scope, key)) WITHOUT ROWID")
    _create_read_models(db)


def _create_read_models(db: sqlite_utils.Database) -> None:
    for name, (columns, pk) in TABLES.items():
        db.table(name).create(columns, pk=pk if len(pk) > 1 else pk[0], if_not_exists=True)
    for name, column in (("rm_scoreboard", "home"), ("rm_scoreboard", "away"),
                         ("rm_scoreboard", "competition"), ("rm_player", "goals")):
        db.table(name).create_index([column], if_not_exists=True)


# --- writing rows ----------------------------------------------------------------------------


def _write_rows(db: sqlite_utils.Database, state: State, dirty: _Dirty, book: Book) -> None:
    idx = index(state)
    pairs: set[tuple[str, str]] = set()  # (team, competition) whose matches changed
    if dirty.everything:  # from nothing: tables too, in case this fold's schema is new
        for name in TABLES:
            db.execute(f"DROP TABLE IF EXISTS {name}")
        _create_read_models(db)
        matches = set(state.fixtures) | set(state.matches)
        competitions = set(state.competitions) | {c for c, _ in state.ties} | set(
            idx.by_competition)
        teams = set(state.teams) | set(idx.by_team)
    else:
        matches, competitions, teams = dirty.matches, set(dirty.competitions), set(dirty.teams)
        scheduled = [(fx.competition, fx.home, fx.away) for fx in
                     (state.fixtures.get(m) for m in matches) if fx is not None]
        for competition, *sides in scheduled + _stored(db, "rm_scoreboard", "match", matches,
                                                       "competition, home, away"):
            competitions.add(competition)
            for team in sides:
                if team:
                    teams.add(team)
                    pairs.add((team, competition))
        for competition in dirty.rules:
            competitions.add(competition)
            rated = set(competition_teams(state, competition)) | {
                row[0] for row in _stored(db, "rm_team_record", "competition", [competition],
                                          "team")}
            teams |= rated
            pairs |= {(t, competition) for t in rated}
    _write_scoreboards(db, state, matches, dirty.everything)
    _write_competitions(db, state, competitions, dirty.everything)
    _write_teams(db, state, teams, pairs, set(dirty.teams), book, dirty.everything)


def _insert(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Plain executemany, fed as the rows are made (a rebuild's scoreboards would otherwise
    sit in memory all at once): the rows are ours and the columns known, so no sniffing."""
    columns = list(TABLES[table][0])
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    db.conn.executemany(sql, (tuple(row.get(c) for c in columns) for row in rows))


def _stored(db: sqlite_utils.Database, table: str, column: str, keys: Collection[str],
            columns: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    keys = list(keys)
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        marks = ", ".join("?" * len(part))
        sql = f"SELECT {columns} FROM {table} WHERE {column} IN ({marks})"
        rows.extend(db.execute(sql, part).fetchall())
    return rows


def _delete(db: sqlite_utils.Database, table: str, column: str, keys: Collection[str]) -> None:
    keys = list(keys)
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        db.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' * len(part))})",
                   part)


def _write_scoreboards(db: sqlite_utils.Database, state: State, matches: set[str],
                       fresh: bool) -> None:
    if not fresh:
        _delete(db, "rm_scoreboard", "match", matches)
    _insert(db, "rm_scoreboard", (_scoreboard_row(state, match) for match in sorted(matches)
                                  if match in state.fixtures or match in state.matches))


def _scoreboard_row(state: State, match: str) -> dict[str, Any]:
    board = scoreboard(state, match)
    data = to_json(board)
    pens = board.penalties or (None, None)
    return {"match": match, "competition": board.competition, "round": board.round,
            "tie": board.tie, "leg": board.leg, "home": board.home, "away": board.away,
            "date": data["date"], "kickoff": data["kickoff"], "status": board.status,
            "minute": board.minute, "home_goals": board.score[0],
            "away_goals": board.score[1], "home_penalties": pens[0],
            "away_penalties": pens[1], "json": dumps_data(data)}


def _write_competitions(db: sqlite_utils.Database, state: State, competitions: set[str],
                        fresh: bool) -> None:
    if not fresh:
        for table in ("rm_competition", "rm_tie", "rm_bracket"):
            _delete(db, table, "competition", competitions)
    comp_rows, tie_rows, bracket_rows = [], [], []
    idx = index(state)
    for competition in sorted(competitions):
        comp = state.competitions.get(competition)
        if comp is not None:
            comp_rows.append({"competition": competition, "name": comp.name,
                              "season": comp.season, "format": comp.format.value,
                              "rules": dumps_data(attrs.asdict(comp.rules))})
        if not idx.ties.get(competition) and comp is None:
            continue
        view = bracket(state, competition)
        data = to_json(view)
        bracket_rows.append({"competition": competition, "json": dumps_data(data)})
        for rnd in data["rounds"]:
            for t in rnd["ties"]:
                agg = t["aggregate"] or (None, None)
                tie_rows.append({
                    "competition": competition, "tie": t["tie"], "round": t["round"],
                    "side0": dumps_data(t["sides"][0]), "side1": dumps_data(t["sides"][1]),
                    "aggregate0": agg[0], "aggregate1": agg[1], "winner": t["winner"],
                    "decided_by": t["decided_by"], "json": dumps_data(t)})
    _insert(db, "rm_competition", comp_rows)
    _insert(db, "rm_tie", tie_rows)
    _insert(db, "rm_bracket", bracket_rows)


TEAMS_PER_WRITE = 200  # a rebuild's team rows are written a few teams at a time, not held


def _write_teams(db: sqlite_utils.Database, state: State, teams: set[str],
                 pairs: set[tuple[str, str]], registered: set[str], book: Book,
                 fresh: bool) -> None:
    """Rewrite the rows of ``teams`` that ``pairs`` changed (all of them when ``fresh``), and
    the ``rm_team`` rows of those ``registered`` again."""
    ordered = sorted(teams)
    for start in range(0, len(ordered), TEAMS_PER_WRITE):
        _write_some_teams(db, state, ordered[start:start + TEAMS_PER_WRITE], pairs,
                          registered, book, fresh)


def _write_some_teams(db: sqlite_utils.Database, state: State, teams: list[str],
                      pairs: set[tuple[str, str]], registered: set[str], book: Book,
                      fresh: bool) -> None:
    idx = index(state)
    team_rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    streak_rows: list[dict[str, Any]] = []
    player_rows: list[dict[str, Any]] = []
    piece_rows: list[dict[str, Any]] = []
    stale_records: list[tuple[str, str]] = []
    stale_players: list[tuple[str, str]] = []
    for team in teams:
        known = state.teams.get(team)
        if known is not None and (fresh or team in registered):
            team_rows.append({"team": team, "name": known.name, "country": known.country,
                              "aliases": dumps_data(list(known.aliases)),
                              "competitions": dumps_data(list(known.competitions))})
        if known is None and team not in idx.by_team:
            book.forget(team)
            for table in ("rm_team_record", "rm_streak", "rm_player", PIECES):
                db.execute(f"DELETE FROM {table} WHERE team = ?", (team,))
            continue
        tables = book.team(state, team, pairs)
        if tables.first and not fresh:  # whatever the rows hold, they are all rewritten
            for table in ("rm_team_record", "rm_player", PIECES):
                db.execute(f"DELETE FROM {table} WHERE team = ?", (team,))
        rewritten = set(tables.records) if tables.first else set(tables.pieces)
        stale_records += [(team, c) for c in
                          (rewritten | tables.removed_competitions | {OVERALL})]
        piece_rows += [{"team": team, "competition": c, "piece": encode_piece(piece)}
                       for c, piece in tables.pieces.items()]
        # the rest of its Summary is in its rows: its overall record and its players
        piece_rows.append({"team": team, "competition": OVERALL,
                           "piece": encode_summary(tables.last, tables.competitions)})
        records.append(_flat(tables.overall, competition=OVERALL))
        records += [_flat(tables.records[c], competition=c) for c in sorted(rewritten)]
        for kind in KINDS:
            pair = getattr(tables.streaks, kind)
            for which in ("current", "longest"):
                streak_rows.append(_flat(getattr(pair, which), team=team, kind=kind,
                                         which=which))
        stale_players += [(team, p) for p in tables.changed_players]
        player_rows += [_flat(tables.players[p]) for p in sorted(tables.players)]
    if not fresh:
        _delete(db, "rm_team", "team", registered.intersection(teams))
        _delete(db, "rm_streak", "team", teams)
        db.conn.executemany("DELETE FROM rm_team_record WHERE team = ? AND competition = ?",
                            stale_records)
        db.conn.executemany("DELETE FROM rm_player WHERE team = ? AND player = ?",
                            stale_players)
        db.conn.executemany(f"DELETE FROM {PIECES} WHERE team = ? AND competition = ?",
                            stale_records)
    _insert(db, "rm_team", team_rows)
    _insert(db, "rm_team_record", records)
    _insert(db, "rm_streak", streak_rows)
    _insert(db, "rm_player", player_rows)
    _insert(db, PIECES, piece_rows)


@attrs.frozen
class _StoredPieces:
    """The pieces of each team as the read models were written with them, and their sums:
    the team's overall record and player rows, its streak rows, and beside its pieces the
    kick-off order of its latest result and its competitions. StaleCache at any of them that
    does not check out (``projections.codec``)."""

    db: sqlite_utils.Database

    def summary(self, team: str) -> tuple[Summary, Streaks | None] | None:
        row = self.db.execute(f"SELECT piece FROM {PIECES} WHERE team = ? AND competition = ?",
                              (team, OVERALL)).fetchone()
        overall = self.db.execute(
            f"SELECT {', '.join(COUNTS)} FROM rm_team_record WHERE team = ? AND competition = ?",
            (team, OVERALL)).fetchone()
        if row is None or overall is None:
            return None
        names = field_names(PlayerRecord)[2:]  # after team and player
        players = {(team, player): {n: v for n, v in zip(names, counts, strict=True) if v}
                   for player, *counts in self.db.execute(
                       f"SELECT player, {', '.join(names)} FROM rm_player WHERE team = ?",
                       (team,))}
        if not all(type(v) is int for v in overall) or not all(
                type(p) is str and all(type(v) is int for v in counts.values())
                for (_, p), counts in players.items()):
            raise StaleCache(f"the rows of {team!r} do not check out")
        summary = decode_summary(row[0], team, dict(zip(COUNTS, overall, strict=True)),
                                 players)
        return summary, _stored_streaks(self.db, [team]).get(team)

    def pieces(self, team: str, competitions: Collection[str]) -> dict[str, Piece]:
        return {competition: decode_piece(blob, team, competition)
                for competition, blob in self.db.execute(
                    f"SELECT competition, piece FROM {PIECES} WHERE team = ? AND competition "
                    "IN (SELECT value FROM json_each(?))",
                    (team, dumps_data(sorted(competitions))))}


def _stored_streaks(db: sqlite_utils.Database, teams: Collection[str]) -> dict[str, Streaks]:
    """The streaks of ``teams`` as ``rm_streak`` holds them; a team missing any row is left
    out; StaleCache at a row that is not one ``_write_some_teams`` could have written."""
    names = field_names(Streak)  # the columns _write_some_teams gave them
    pairs: dict[str, dict[str, dict[str, Streak]]] = {}
    for team, kind, which, *values in db.execute(
            f"SELECT team, kind, which, {', '.join(names)} FROM rm_streak "
            "WHERE team IN (SELECT value FROM json_each(?))", (dumps_data(list(teams)),)):
        streak = Streak(**dict(zip(names, values, strict=True)))
        if (kind not in KINDS or which not in ("current", "longest")
                or not _typed(streak, int, int, int, int, (str, type(None)), (str, type(None)))):
            raise StaleCache(f"a streak row of {team!r} does not check out")
        pairs.setdefault(team, {}).setdefault(kind, {})[which] = streak
    return {team: Streaks(team=team, **{k: StreakPair(**pair) for k, pair in kinds.items()})
            for team, kinds in pairs.items()
            if set(kinds) == set(KINDS) and all(len(pair) == 2 for pair in kinds.values())}


def _flat(view: Any, **columns: Any) -> dict[str, Any]:
    """A flat view's fields as a row, with ``columns`` added or replaced (what
    ``attrs.asdict`` gives, without its recursion, which cost more than the write)."""
    return {**{n: getattr(view, n) for n in field_names(type(view))}, **columns}
