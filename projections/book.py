"""A team's tables as sums over its competitions, kept so that new results cost what they touch.

A team's record over all competitions, its player table and its streaks are sums (streaks: a
run) over every match it has played, years of them. A long-lived ``Projector`` keeps, per team
and competition, the ``Piece`` those sums are made of, and the sums; a catch-up recomputes
only the pieces of the (team, competition) pairs its events touched, takes the old pieces out
of the sums and puts the new ones in, and carries the streaks on from the last result when the
new results all come after it (else it replays the team's results: a result back-filled in the
middle changes the runs after it).

    >>> from projections.testing import sample_state
    >>> state = sample_state()
    >>> book = Book()
    >>> book.team(state, "leverkusen", dirty=set()).streaks.unbeaten.current.length
    2
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterable

import attrs

from projections.records import (
    Outcome,
    PlayerRecord,
    Streaks,
    TeamRecord,
    count_players,
    outcome,
    streaks_of,
    summarise,
)
from projections.state import State, index

Pair = tuple[str, str]  # (team, competition)
SortKey = tuple[object, str]
Tally = dict[tuple[str, str], dict[str, int]]  # (team, player) -> counts
_COUNTS = ("played", "won", "drawn", "lost", "goals_for", "goals_against", "clean_sheets",
           "yellow", "red", "points")


@attrs.frozen(kw_only=True)
class Piece:
    """One team's part of one competition."""

    record: TeamRecord
    played: tuple[tuple[SortKey, Outcome], ...]  # its finished matches, in kick-off order
    players: Tally


@attrs.frozen(kw_only=True)
class Tables:
    """What one team's rows are made of, and which of them changed."""

    team: str
    records: dict[str, TeamRecord]  # competition -> record; None is not a key: see overall
    overall: TeamRecord
    streaks: Streaks
    players: dict[str, PlayerRecord]  # player -> record
    pieces: dict[str, Piece]  # competition -> piece, of those recomputed: rows to rewrite
    removed_competitions: set[str]
    changed_players: set[str]  # players whose row must be rewritten (or deleted: not in players)
    first: bool  # the book had none of the team: rows stored before may hold anything


@attrs.define
class Book:
    """The pieces of every team seen so far, and their sums; valid for the state it was last
    given. A book that does not ``keep`` forgets each team once its tables are made: what a
    one-shot writer wants, whose peak memory is then the fold's and not every team's pieces
    too. A book that can ``load`` the pieces stored with the read models starts a team from
    them rather than from every match the team played, which a new process does not hold."""

    keep: bool = True
    # team -> its stored pieces, and its streaks as stored with them (None: not stored)
    load: Callable[[str], tuple[dict[str, Piece], Streaks | None]] | None = None
    pieces: dict[str, dict[str, Piece]] = attrs.Factory(dict)  # team -> competition -> piece
    totals: dict[str, dict[str, int]] = attrs.Factory(dict)  # team -> overall counts
    players: dict[str, Tally] = attrs.Factory(dict)  # team -> its players' overall counts
    played: dict[str, list[tuple[SortKey, Outcome]]] = attrs.Factory(dict)
    streaks: dict[str, Streaks] = attrs.Factory(dict)

    def team(self, state: State, team: str, dirty: Collection[Pair]) -> Tables:
        """``team``'s tables in ``state``, recomputing the pieces of ``dirty`` pairs and those
        not in the book yet."""
        by_competition = dict(index(state).by_team_competition.get(team, {}))
        known = state.teams.get(team)
        for competition in known.competitions if known else ():
            by_competition.setdefault(competition, ())
        if team not in self.pieces and self.load is not None:
            self._start(team, *self.load(team))
        first = team not in self.pieces
        mine = self.pieces.setdefault(team, {})
        totals = self.totals.setdefault(team, dict.fromkeys(_COUNTS, 0))
        tally = self.players.setdefault(team, {})
        changed = {c for c in by_competition if (team, c) in dirty or c not in mine}
        # only a changed pair can lose its last match (a state loaded in part lacks the others)
        removed = {c for c in mine.keys() - by_competition.keys() if (team, c) in dirty}
        was: dict[str, dict[str, int]] = {}  # player -> counts before this change
        gone: set[tuple[SortKey, Outcome]] = set()
        new: set[tuple[SortKey, Outcome]] = set()
        for competition in changed | removed:
            before = mine.pop(competition, None)
            if before is not None:
                _remember(was, tally, before)
                _add(totals, tally, before, -1)
                gone.update(before.played)
            if competition in by_competition:
                piece = mine[competition] = _piece(state, team, competition,
                                                   by_competition[competition])
                _remember(was, tally, piece)
                _add(totals, tally, piece, 1)
                new.update(piece.played)
        players = {p for p, counts in was.items() if tally.get((team, p), {}) != counts}
        self._replay(team, mine.values(), gone - new, new - gone)
        streaks = self.streaks[team]
        if not self.keep:
            self.forget(team)
        return Tables(
            team=team,
            records={c: p.record for c, p in mine.items()},
            overall=TeamRecord(team=team, competition=None, **totals),
            streaks=streaks,
            players={p: PlayerRecord(team=team, player=p, **tally[(team, p)])
                     for p in players if (team, p) in tally},
            pieces={c: mine[c] for c in changed},  # each of them is in by_competition
            removed_competitions=removed,
            changed_players=players,
            first=first,
        )

    def _start(self, team: str, pieces: dict[str, Piece], streaks: Streaks | None) -> None:
        """Take a team's stored pieces as its own, and their sums (nothing when none); its
        streaks are replayed from its results only when they were not stored."""
        if not pieces:
            return
        totals: dict[str, int] = dict.fromkeys(_COUNTS, 0)
        tally: Tally = {}
        for piece in pieces.values():
            _add(totals, tally, piece, 1)
        self.pieces[team], self.totals[team], self.players[team] = dict(pieces), totals, tally
        if streaks is None:
            self._replay(team, pieces.values(), set(), set())
        else:
            self.played[team], self.streaks[team] = _merged(pieces.values()), streaks

    def forget(self, team: str) -> None:
        """Drop a team that is no longer anywhere (its fixtures moved to other teams)."""
        for kept in (self.pieces, self.totals, self.players, self.played, self.streaks):
            kept.pop(team, None)

    def _replay(self, team: str, pieces: Iterable[Piece], gone: set[tuple[SortKey, Outcome]],
                added: set[tuple[SortKey, Outcome]]) -> None:
        """The team's results in kick-off order and its streaks: carried on when the only
        change is new results after the last one known, replayed from the first otherwise."""
        before = self.played.get(team)
        later = sorted(added)
        if before is not None and not gone and (not before or not later
                                                or later[0][0] > before[-1][0]):
            if later:
                before.extend(later)
                self.streaks[team] = streaks_of(team, [o for _, o in later],
                                                since=self.streaks[team])
            return
        merged = self.played[team] = _merged(pieces)
        self.streaks[team] = streaks_of(team, [o for _, o in merged])


def _piece(state: State, team: str, competition: str, matches: Collection[str]) -> Piece:
    played = sorted((state.fixtures[m].sort_key, o) for m in matches
                    if (o := outcome(state, team, m)) is not None)
    tally: Tally = {}
    count_players(state, matches, team, tally)
    return Piece(record=summarise(state, team, competition, [o for _, o in played]),
                 played=tuple(played), players=tally)


def _merged(pieces: Iterable[Piece]) -> list[tuple[SortKey, Outcome]]:
    """A team's results in all its pieces, in kick-off order."""
    return list(heapq.merge(*(p.played for p in pieces), key=lambda e: e[0]))


def _remember(was: dict[str, dict[str, int]], tally: Tally, piece: Piece) -> None:
    """Keep the counts of the piece's players as they are before anything changes them."""
    for key in piece.players:
        if key[1] not in was:
            was[key[1]] = dict(tally.get(key, {}))


def _add(totals: dict[str, int], tally: Tally, piece: Piece, sign: int) -> None:
    """Add a piece to a team's sums (``sign`` -1: take it away)."""
    for name in _COUNTS:
        totals[name] += sign * getattr(piece.record, name)
    for key, counts in piece.players.items():
        row = tally.setdefault(key, {})
        for field, n in counts.items():
            row[field] = row.get(field, 0) + sign * n
            if not row[field]:
                del row[field]
        if not row:
            del tally[key]
