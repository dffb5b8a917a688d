"""Time travel: the fold state as it was, or as it was known, at any moment.

    >>> from matchledger.projections import tie
    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> log = MemoryLog(sample_log().envelopes)            # or a ledger.Ledger
    >>> april_12 = dt.datetime(2024, 4, 12, tzinfo=dt.UTC)
    >>> tie(state_at(log, as_of=april_12), "QF4").aggregate
    (2, 1)

Bitemporal reading: ``as_of`` keeps events that *occurred* by T, ``known_at`` those *recorded*
by K, ``at_position`` those at or before N, and they combine, by the one rule of
``ledger.eventstore.in_time``: a retraction is a correction of the record, not a happening in
the world, so it obeys ``known_at`` and ``at_position`` but not ``as_of`` ("as of 12 April",
asked today, never shows a goal we have since retracted), and comes only with what it retracts.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from matchledger.events import FixtureScheduled, TeamRegistered
from matchledger.events.team import Team
from matchledger.ledger.envelope import Envelope
from matchledger.projections.errors import StaleCache
from matchledger.projections.logreader import LogReader, quiet_gc
from matchledger.projections.snapshot import nearest_snapshot, parts_at, scope_keys, stretches
from matchledger.projections.state import (
    Key,
    State,
    add_parts,
    companions,
    competition_scope,
    fold,
    fold_all,
    key_of,
    scopes,
    team_scope,
)


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
    scope = _scope(competition, team)
    # every read stops at one head: what another process commits meanwhile is either in all
    # of them or in none (a fact and a goal it commits together must not split)
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at,
                               "at_position": ledger.head() if at_position is None
                               else at_position}
    with quiet_gc():
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


def advance(ledger: LogReader, state: State, *, competition: str | None = None,
            team: str | None = None) -> State:
    """``state``, as ``state_at`` loaded it for ``competition`` (or ``team``), brought up to
    the head of the log: the scope's events since folded onto it, as a new ``state_at`` would
    fold them; loaded anew when a key enters the scope whose earlier history it never read
    (a fixture against a team it did not know, say)."""
    scope = _scope(competition, team)
    if scope is None:
        raise ValueError("advance takes the competition or the team the state was loaded for")
    held = set(state.history) | {("match", m) for m in state.matches}
    held |= {c for key in held for c in companions(state, key)}  # a match yet to start
    try:  # up to one head, as ``state_at`` reads
        _fold_scoped(ledger, state, scope, {"at_position": ledger.head()}, held=held)
    except _Unread:
        return state_at(ledger, competition=competition, team=team)
    return state


def _scope(competition: str | None, team: str | None) -> str | None:
    """The scope of a competition's or a team's part of the state; None for the whole."""
    if competition is not None and team is not None:
        raise ValueError("a state is of a competition or a team, not both")
    return (competition_scope(competition) if competition is not None
            else team_scope(team) if team is not None else None)


class _Unread(Exception):
    """A key entered a scoped state whose history before it the state never read."""


def _fold_scoped(ledger: LogReader, state: State, scope: str, filters: dict[str, Any],
                 held: set[Key] | None = None) -> None:
    """Fold onto a scoped snapshot the events after it of the keys in ``scope``.

    The keys are those of the snapshot's scope and those the competition streams bring into
    it after the snapshot (a fixture of the team, say: its match's part is loaded from the
    snapshot then); the matches' events are read by stream, in SQL. ``held``: the keys of a
    scoped state folded up to its position, which no snapshot holds the parts of.
    """
    after = state.position
    stored = held if held is not None else scope_keys(ledger.db, [scope]) if after else set()
    facts = _facts(ledger, scope, after, filters, {k[1] for k in stored if k[0] == "team"})
    news = fold_all((e for e in facts if not e.stream.startswith("match:")), State())
    entering = {key for key in news.history if scope in scopes(news, key)}
    entering |= {c for key in entering for c in companions(news, key)}
    wanted = stored | entering
    missing = entering - (held if held is not None
                          else set(state.history) | {("match", m) for m in state.matches})
    if missing and after:
        if held is not None:
            raise _Unread
        add_parts(state, parts_at(ledger.db, after, keys=missing))
    matches = {f"match:{key[1]}" for key in wanted if key[0] == "match"}
    tail = ledger.read(after=after, streams=matches, **filters)  # ``in_time``'s rule
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


def _facts(ledger: LogReader, scope: str, after: int, filters: dict[str, Any],
           teams: set[str]) -> list[Envelope]:
    """The competition facts after ``after`` that may bring keys into ``scope`` or change
    them, and the competition streams' retractions. A competition's are in its own stream
    (its ties, fixtures and registrations: a match never moves); a team's are the fixtures of
    the matches it is ever scheduled in (wherever), and its players; then for either the
    ``TeamRegistered`` of the teams met there and of ``teams`` (a team's name merges all of
    them), read by team in SQL: so neither fold reads the other competitions of the log, nor
    a team's the squads of the teams it met."""
    team = scope.removeprefix("team:") if scope.startswith("team:") else None
    if team is None:
        own = list(read_filtered(ledger, after=after, stream=scope,
                                 retracted_in="competition:", **filters))
    else:
        teams.add(team)
        own = list(read_filtered(ledger, after=after, types=("FixtureScheduled",),
                                 playing=team, retracted_in="competition:", **filters))
    for env in own:
        event = env.event
        if type(event) is TeamRegistered:
            teams.add(event.team)
        elif type(event) is FixtureScheduled:
            teams.update(t for t in (event.home, event.away) if t)
    if not teams:
        return own
    reads = [own, read_filtered(ledger, after=after, types=("TeamRegistered",),
                                teams=sorted(teams), retracted_in="competition:", **filters)]
    if team is not None:  # its players (those of the teams it met are in their scopes)
        reads.append(read_filtered(ledger, after=after, types=("PlayerRegistered",),
                                   teams=[team], retracted_in="competition:", **filters))
    return list(_once(heapq.merge(*reads, key=lambda e: e.position)))


def _once(envelopes: Iterable[Envelope]) -> Iterator[Envelope]:
    """Envelopes in position order, each position once (merged reads overlap)."""
    last = None
    for env in envelopes:
        if env.position != last:
            last = env.position
            yield env


def read_filtered(
    ledger: LogReader,
    *,
    after: int = 0,
    as_of: dt.datetime | None = None,
    known_at: dt.datetime | None = None,
    at_position: int | None = None,
    prefix: str | None = None,
    stream: str | None = None,
    types: Collection[str] | None = None,
    teams: Collection[str] | None = None,
    playing: str | None = None,
    retracted_in: str | None = None,
) -> Iterator[Envelope]:
    """Events after ``after`` (of the streams under ``prefix``, of ``stream``, of ``types``,
    about ``teams``, the fixtures ``playing`` is in: see ``LogReader.read``) passing the
    filters, and the retractions of every stream (under ``retracted_in``, when given) that
    pass them (``ledger.eventstore.in_time``:
    a retraction is exempt from ``as_of``, but comes only with the event it retracts).

    Only the stretches of the log between snapshots that hold an event passing the time
    filters are read: "as of 2019" skips the seasons after it, but not a late back-fill.
    """
    selection: dict[str, Any] = {name: value for name, value in (
        ("prefix", prefix), ("stream", stream), ("types", types), ("teams", teams),
        ("playing", playing))
        if value is not None}
    main = itertools.chain.from_iterable(
        ledger.read(after=lo, at_position=hi, as_of=as_of, known_at=known_at, **selection)
        for lo, hi in stretches(ledger.db, after, at_position, as_of=as_of,
                                known_at=known_at))
    if as_of is None and not selection:
        yield from main
        return
    retractions = ledger.read(after=after, types=("EventRetracted",), as_of=as_of,
                              known_at=known_at, at_position=at_position, prefix=retracted_in)
    yield from _once(heapq.merge(main, retractions, key=lambda e: e.position))
