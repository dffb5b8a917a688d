"""A team's tables as sums over its competitions, kept so that new results cost what they touch.

A team's record over all competitions, its player table and its streaks are sums (streaks: a
run) over every match it has played, years of them. A long-lived ``Projector`` keeps, per team
and competition, the ``Piece`` those sums are made of, and the sums; a catch-up changes only
the pieces of the (team, competition) pairs its events touched — a piece is itself a sum over
its matches, so what a changed match gave it is taken out and what it gives now put in —,
moves the sums by as much, and carries the streaks on from the last result when the new
results all come after it (else it replays the team's results: a result back-filled in the
middle changes the runs after it). The read models store each piece and each team's
``Summary`` of them, so that a new process changes a team's sums without reading its past;
only the rows whose values changed are rewritten.

    >>> from matchledger.projections.testing import sample_state
    >>> state = sample_state()
    >>> book = Book()
    >>> book.team(state, "leverkusen", dirty={}).streaks.unbeaten.current.length
    2
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping
from typing import Protocol, TypeGuard

import attrs

from matchledger.projections.records import (
    KINDS,
    Outcome,
    PlayerRecord,
    Streaks,
    TeamRecord,
    count_match,
    count_players,
    outcome,
    streaks_of,
    summarise,
)
from matchledger.projections.state import EMPTY_MATCH, Fixture, State, index

Pair = tuple[str, str]  # (team, competition)
SortKey = tuple[object, str]
Tally = dict[tuple[str, str], dict[str, int]]  # (team, player) -> counts
COUNTS = ("played", "won", "drawn", "lost", "goals_for", "goals_against", "clean_sheets",
           "yellow", "red", "points")


@attrs.frozen(kw_only=True)
class Piece:
    """One team's part of one competition."""

    record: TeamRecord
    played: tuple[tuple[SortKey, Outcome], ...]  # its finished matches, in kick-off order
    players: Tally


@attrs.frozen(kw_only=True)
class Summary:
    """A team's sums over all its pieces, as the read models hold them: what lets a new
    process change one competition's piece without loading the team's other seasons."""

    totals: dict[str, int]
    players: Tally
    last: SortKey | None  # the kick-off order of the latest result (None: no result yet)
    competitions: tuple[str, ...]  # those with a piece


class Stored(Protocol):
    """Where a book finds the pieces written with the read models."""

    def summary(self, team: str) -> tuple[Summary, Streaks | None] | None:
        """The team's sums and the streaks written with them; None if nothing is stored."""

    def pieces(self, team: str, competitions: Collection[str]) -> dict[str, Piece]:
        """The team's stored pieces of ``competitions``."""


@attrs.frozen(kw_only=True)
class Tables:
    """What one team's rows are made of, and which of them changed."""

    team: str
    records: dict[str, TeamRecord]  # competition -> record, of the pieces held (all if first)
    overall: TeamRecord
    streaks: Streaks
    players: dict[str, PlayerRecord]  # player -> record
    pieces: dict[str, Piece]  # competition -> piece, of those that changed: rows to rewrite
    changed_records: set[str]  # competitions whose record changed (with its piece)
    removed_competitions: set[str]
    changed_players: set[str]  # players whose row must be rewritten (or deleted: not in players)
    last: SortKey | None  # the kick-off order of its latest result: stored with its pieces,
    competitions: tuple[str, ...]  # and those it has a piece of (see Summary)
    first: bool  # the book had none of the team: rows stored before may hold anything
    # which of the team's own rows changed: its overall record, streaks, and the rest of
    # its Summary (``last`` and ``competitions``); all of them when ``first``
    changed_overall: bool
    changed_streaks: set[tuple[str, str]]  # (kind, which: current or longest)
    changed_summary: bool


@attrs.define
class Book:
    """The pieces of every team seen so far, and their sums; valid for the state it was last
    given. A book that does not ``keep`` forgets each team once its tables are made: what a
    one-shot writer wants, whose peak memory is then the fold's and not every team's pieces
    too. A book with a ``store`` starts a team from its stored sums rather than from every
    match the team played, which a new process does not hold, and loads a stored piece only
    when it changes (or when a result lands before the latest: the streaks are replayed)."""

    keep: bool = True
    store: Stored | None = None
    pieces: dict[str, dict[str, Piece]] = attrs.Factory(dict)  # team -> competition -> piece
    unloaded: dict[str, set[str]] = attrs.Factory(dict)  # team -> stored pieces not loaded yet
    totals: dict[str, dict[str, int]] = attrs.Factory(dict)  # team -> overall counts
    players: dict[str, Tally] = attrs.Factory(dict)  # team -> its players' overall counts
    played: dict[str, list[tuple[SortKey, Outcome]]] = attrs.Factory(dict)  # once all loaded
    last: dict[str, SortKey | None] = attrs.Factory(dict)
    streaks: dict[str, Streaks] = attrs.Factory(dict)

    def team(self, state: State, team: str, dirty: Mapping[Pair, Collection[str] | None]
             ) -> Tables:
        """``team``'s tables in ``state``, recomputing the pieces of ``dirty`` pairs and those
        neither held nor stored. Each dirty pair comes with its matches that changed since the
        state the book last saw (their state before is in ``State.prior``): its piece is
        updated by those alone; or with None (any may have): it is made from all of them."""
        by_competition = dict(index(state).by_team_competition.get(team, {}))
        known = state.teams.get(team)
        for competition in known.competitions if known else ():
            by_competition.setdefault(competition, ())
        if team not in self.pieces and self.store is not None:
            self._start(team)
        first = team not in self.pieces
        mine = self.pieces.setdefault(team, {})
        unloaded = self.unloaded.setdefault(team, set())
        totals = self.totals.setdefault(team, dict.fromkeys(COUNTS, 0))
        tally = self.players.setdefault(team, {})
        # what its own rows hold now, to rewrite only those that change
        was_totals, was_streaks = dict(totals), self.streaks.get(team)
        was_summary = (self.last.get(team), tuple(sorted(mine.keys() | unloaded)))
        changed = {c for c in by_competition
                   if (team, c) in dirty or (c not in mine and c not in unloaded)}
        # only a changed pair can lose its last match (a state loaded in part lacks the others)
        removed = {c for c in (mine.keys() | unloaded) - by_competition.keys()
                   if (team, c) in dirty}
        self._load(team, (changed | removed) & unloaded)
        was: dict[str, dict[str, int]] = {}  # player -> counts before this change
        # results of the changed pieces before and after (those of matches that did not
        # change are in both, and cancel out)
        gone: set[tuple[SortKey, Outcome]] = set()
        new: set[tuple[SortKey, Outcome]] = set()
        pieces: dict[str, Piece] = {}  # those that changed
        records: set[str] = set()  # competitions whose record changed
        for competition in changed | removed:
            before = mine.pop(competition, None)
            only = dirty.get((team, competition))
            # the piece's matches that changed; None: it is made anew (or gone), from all
            only = (set(only) if before is not None and competition in by_competition
                    and only is not None and _known(state, only) else None)
            if before is not None:
                gone.update(_results(before, only))
            if before is not None and only is not None:  # the sums move by what changed
                piece, delta = _updated(state, team, competition, before, only)
                _remember(was, tally, delta)
                for name in COUNTS:
                    totals[name] += getattr(piece.record, name) - getattr(before.record, name)
                _tally(tally, delta, 1)
            else:  # the sums lose the piece as it was and gain it as it is now
                if before is not None:
                    _remember(was, tally, before.players)
                    _add(totals, tally, before, -1)
                if competition not in by_competition:
                    continue
                piece = _piece(state, team, competition, by_competition[competition])
                _remember(was, tally, piece.players)
                _add(totals, tally, piece, 1)
            mine[competition] = piece
            if before is None or piece != before:
                pieces[competition] = piece
            if before is None or piece.record != before.record:
                records.add(competition)
            new.update(_results(piece, only))
        players = {p for p, counts in was.items() if tally.get((team, p), {}) != counts}
        self._replay(team, gone - new, new - gone)
        streaks = self.streaks[team]
        competitions = tuple(sorted(mine.keys() | unloaded))
        tables = Tables(
            team=team,
            records={c: p.record for c, p in mine.items()},
            overall=TeamRecord(team=team, competition=None, **totals),
            streaks=streaks,
            players={p: PlayerRecord(team=team, player=p, **tally[(team, p)])
                     for p in players if (team, p) in tally},
            pieces=pieces,  # each of them is in by_competition
            changed_records=records,
            removed_competitions=removed,
            changed_players=players,
            last=self.last[team],
            competitions=competitions,
            first=first,
            changed_overall=first or totals != was_totals,
            changed_streaks=_changed_streaks(None if first else was_streaks, streaks),
            changed_summary=first or (self.last[team], competitions) != was_summary,
        )
        if not self.keep:
            self.forget(team)
        return tables

    def _start(self, team: str) -> None:
        """Take a team's stored sums as its own (nothing when none are stored); its pieces
        are loaded when needed."""
        assert self.store is not None
        stored = self.store.summary(team)
        if stored is None:
            return
        summary, streaks = stored
        self.pieces[team], self.unloaded[team] = {}, set(summary.competitions)
        self.totals[team] = dict(summary.totals)
        self.players[team] = {key: dict(counts) for key, counts in summary.players.items()}
        self.last[team] = summary.last
        if streaks is not None:  # else replayed from every piece at the first change
            self.streaks[team] = streaks

    def _load(self, team: str, competitions: Collection[str]) -> None:
        if competitions:
            assert self.store is not None
            self.pieces[team].update(self.store.pieces(team, competitions))
            self.unloaded[team].difference_update(competitions)

    def forget(self, team: str) -> None:
        """Drop a team that is no longer anywhere (its fixtures moved to other teams)."""
        for kept in (self.pieces, self.unloaded, self.totals, self.players, self.played,
                     self.last, self.streaks):
            kept.pop(team, None)

    def _replay(self, team: str, gone: set[tuple[SortKey, Outcome]],
                added: set[tuple[SortKey, Outcome]]) -> None:
        """The team's streaks: carried on when the only change is new results after the last
        one known, else replayed from its first result (loading every piece it has)."""
        later = sorted(added)
        last = self.last.get(team)
        if team in self.streaks and not gone and (last is None or not later
                                                  or later[0][0] > last):
            if later:
                if team in self.played:  # held only once every piece is loaded
                    self.played[team].extend(later)
                self.last[team] = later[-1][0]
                self.streaks[team] = streaks_of(team, [o for _, o in later],
                                                since=self.streaks[team])
            return
        self._load(team, set(self.unloaded[team]))
        merged = self.played[team] = _merged(self.pieces[team].values())
        self.last[team] = merged[-1][0] if merged else None
        self.streaks[team] = streaks_of(team, [o for _, o in merged])


def _piece(state: State, team: str, competition: str, matches: Collection[str]) -> Piece:
    played = sorted((state.fixtures[m].sort_key, o) for m in matches
                    if (o := outcome(state, team, m)) is not None)
    tally: Tally = {}
    count_players(state, matches, team, tally)
    return Piece(record=summarise(state, team, competition, [o for _, o in played]),
                 played=tuple(played), players=tally)


def _known(state: State, matches: Collection[str]) -> bool:
    """Whether the state before each of ``matches`` changed is kept (``State.prior``)."""
    prior = state.prior
    return prior is not None and all(m in prior for m in matches)


def _updated(state: State, team: str, competition: str, before: Piece,
             matches: set[str]) -> tuple[Piece, Tally]:
    """``before``, the piece the book made of the state it last saw, with what ``matches``
    gave it then taken out and what they give now put in (a piece is a sum over its
    matches, each of them made from its own state and fixture alone); and the change in its
    players' counts."""
    assert state.prior is not None
    kept = [entry for entry in before.played if entry[1].match not in matches]
    taken = [o for _, o in before.played if o.match in matches]
    added: list[tuple[SortKey, Outcome]] = []
    delta: Tally = {}
    for match in sorted(matches):
        was, was_fixture = state.prior[match]
        if _plays(was_fixture, team, competition):
            own: Tally = {}
            count_match(was, team, own)
            _tally(delta, own, -1)
        fixture = state.fixtures.get(match)
        if _plays(fixture, team, competition):
            if (o := outcome(state, team, match)) is not None:
                added.append((fixture.sort_key, o))
            own = {}
            count_match(state.matches.get(match, EMPTY_MATCH), team, own)
            _tally(delta, own, 1)
    tally = dict(before.players)
    for key in delta.keys() & tally.keys():  # rows changed below: not the piece's own
        tally[key] = dict(tally[key])
    _tally(tally, delta, 1)
    out, into = (summarise(state, team, competition, outcomes)
                 for outcomes in (taken, [o for _, o in added]))
    record = attrs.evolve(before.record, **{
        name: getattr(before.record, name) - getattr(out, name) + getattr(into, name)
        for name in COUNTS})
    return Piece(record=record, played=tuple(sorted(kept + added)), players=tally), delta


def _changed_streaks(before: Streaks | None, after: Streaks) -> set[tuple[str, str]]:
    """The (kind, which) of the streaks that differ (all of them when there were none)."""
    return {(kind, which) for kind in KINDS for which in ("current", "longest")
            if before is None
            or getattr(getattr(before, kind), which) != getattr(getattr(after, kind), which)}


def _results(piece: Piece, matches: Collection[str] | None
             ) -> Iterable[tuple[SortKey, Outcome]]:
    """The piece's results, or those of ``matches`` alone (None: all)."""
    if matches is None:
        return piece.played
    return (entry for entry in piece.played if entry[1].match in matches)


def _plays(fixture: Fixture | None, team: str, competition: str) -> TypeGuard[Fixture]:
    """Whether ``fixture`` is one of the team's in the competition (``State.index``'s rule)."""
    return (fixture is not None and fixture.competition == competition
            and team in (fixture.home, fixture.away))


def _merged(pieces: Iterable[Piece]) -> list[tuple[SortKey, Outcome]]:
    """A team's results in all its pieces, in kick-off order."""
    return list(heapq.merge(*(p.played for p in pieces), key=lambda e: e[0]))


def _remember(was: dict[str, dict[str, int]], tally: Tally, players: Tally) -> None:
    """Keep the counts of ``players`` as they are before anything changes them."""
    for key in players:
        if key[1] not in was:
            was[key[1]] = dict(tally.get(key, {}))


def _add(totals: dict[str, int], tally: Tally, piece: Piece, sign: int) -> None:
    """Add a piece to a team's sums (``sign`` -1: take it away)."""
    for name in COUNTS:
        totals[name] += sign * getattr(piece.record, name)
    _tally(tally, piece.players, sign)


def _tally(tally: Tally, players: Tally, sign: int) -> None:
    """Add ``players``' counts to ``tally`` (``sign`` -1: take them away), keeping no count
    of 0 and no player without counts, as a tally counted afresh."""
    for key, counts in players.items():
        row = tally.setdefault(key, {})
        for field, n in counts.items():
            row[field] = row.get(field, 0) + sign * n
            if not row[field]:
                del row[field]
        if not row:
            del tally[key]
