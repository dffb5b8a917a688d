"""Ties and brackets: who meets whom, on aggregate, and how each tie was decided.

A side of a tie is a team, or *the winner of tie X* until X is decided; its ``candidates`` are
the teams it may still be, resolved recursively as far as the log knows. A tie is decided only
when its last leg is finished, under its competition's ``TieRules``: the aggregate over 90
minutes, then away goals (when the rules say so), then extra time (away goals again when
``away_goals_in_extra_time``), then penalties.

    >>> from matchledger.projections.testing import sample_state
    >>> t = tie(sample_state(), "QF4")
    >>> t.aggregate, t.winner, t.decided_by
    ((2, 2), 'marseille', 'penalties')
    >>> april_12 = dt.datetime(2024, 4, 12, tzinfo=dt.UTC)
    >>> [s.candidates for s in tie(sample_state(as_of=april_12), "SF1").sides]
    [('benfica', 'marseille'), ('liverpool', 'atalanta')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs

from matchledger.events import Side, TieRules
from matchledger.events.competition import standing_legs
from matchledger.events.tie import (
    UNDECIDED,
    Played,
    TieLeg,
    candidates,
    decide_tie,
    home_side,
    tie_aggregate,
)
from matchledger.projections.errors import AmbiguousTie, UnknownCompetition, UnknownTie
from matchledger.projections.scoreboard import Result, Score, result
from matchledger.projections.state import State, Tie, index


@attrs.frozen(kw_only=True)
class SideView:
    """A side: ``team`` once known; ``winner_of`` names the tie it comes from, if any."""

    team: str | None
    winner_of: str | None
    candidates: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Leg:
    """One match of a tie; ``score`` is (home, away) after extra time, None until kick-off;
    ``home_side`` is the side (0 or 1) at home in it (``events.tie.home_side``)."""

    match: str
    leg: int | None
    home_side: int
    home: str | None
    away: str | None
    date: dt.date | None
    kickoff: dt.datetime | None
    status: str
    score: Score | None
    extra_time: bool
    penalties: Score | None


@attrs.frozen(kw_only=True)
class TieView:
    """A tie; ``aggregate`` is (side 0, side 1) over the legs begun, None before the first."""

    competition: str
    tie: str
    round: str
    sides: tuple[SideView, SideView]
    legs: tuple[Leg, ...]
    aggregate: Score | None
    winner: str | None
    decided_by: str | None


@attrs.frozen(kw_only=True)
class PathStep:
    """A team's tie: "won", "lost", "open" (it is a side, undecided), "possible" (a candidate)."""

    round: str
    tie: str
    opponent: SideView
    status: str


@attrs.frozen(kw_only=True)
class RoundView:
    round: str
    ties: tuple[TieView, ...]


@attrs.frozen(kw_only=True)
class Bracket:
    """Every round in order; each team's path; the ties still ``open``; the teams ``alive``."""

    competition: str
    name: str | None
    season: str | None
    rounds: tuple[RoundView, ...]
    paths: Mapping[str, tuple[PathStep, ...]]
    open: tuple[str, ...]
    alive: tuple[str, ...]


# --- views -----------------------------------------------------------------------------------


def tie(state: State, tie_id: str, competition: str | None = None) -> TieView:
    """The tie ``tie_id``; name the ``competition`` when the id is drawn in several."""
    found = [c for (c, t) in state.ties if t == tie_id and competition in (None, c)]
    if not found:
        where = f" in {competition!r}" if competition else ""
        raise UnknownTie(f"unknown tie {tie_id!r}{where}")
    if len(found) > 1:
        raise ambiguous(tie_id, found)
    return _Resolver(state, found[0]).view(tie_id)


def ambiguous(tie_id: str, competitions: Iterable[str]) -> AmbiguousTie:
    """The error for a tie id drawn in several competitions, naming the first few."""
    names = sorted(competitions)
    shown = ", ".join(names[:8]) + (f", … ({len(names)} in all)" if len(names) > 8 else "")
    return AmbiguousTie(f"tie {tie_id!r} is in {shown}: name one")


def bracket(state: State, competition: str) -> Bracket:
    """The bracket of ``competition``: rounds in order, every tie, paths, what is open."""
    comp = state.competitions.get(competition)
    ties = index(state).ties.get(competition, ())
    if comp is None and not ties:
        raise UnknownCompetition(f"unknown competition {competition!r}")
    resolver = _Resolver(state, competition)
    views = [resolver.view(t.tie) for t in ties]
    rounds = _round_order(ties)
    round_views = tuple(
        RoundView(round=r, ties=tuple(v for v in views if v.round == r)) for r in rounds
    )
    ordered = [v for rv in round_views for v in rv.ties]
    paths = _paths(ordered)
    return Bracket(
        competition=competition,
        name=comp.name if comp else None,
        season=comp.season if comp else None,
        rounds=round_views,
        paths=paths,
        open=tuple(v.tie for v in ordered if v.winner is None),
        alive=tuple(t for t, steps in paths.items() if not steps or steps[-1].status != "lost"),
    )


# --- resolving sides, deciding ties ----------------------------------------------------------


class _Resolver:
    """Tie views of one competition, each computed once, winners feeding later rounds."""

    def __init__(self, state: State, competition: str) -> None:
        self.state = state
        self.competition = competition
        comp = state.competitions.get(competition)
        self.rules = comp.rules if comp else TieRules()
        self.views: dict[str, TieView | None] = {}  # None while being computed (cycle guard)

    def view(self, tie_id: str) -> TieView:
        done = self.views.get(tie_id)
        if done is not None:
            return done
        self.views[tie_id] = None
        drawn = self.state.ties[(self.competition, tie_id)]
        sides = (self._side(drawn.sides[0]), self._side(drawn.sides[1]))
        done = _decide(self.state, drawn, sides, self.rules)
        self.views[tie_id] = done
        return done

    def _side(self, side: Side) -> SideView:
        if side.team is not None:
            return SideView(team=side.team, winner_of=None, candidates=(side.team,))
        return SideView(team=self._winner(side.winner_of or ""), winner_of=side.winner_of,
                        candidates=candidates(side, self._drawn_sides, self._winner))

    def _drawn_sides(self, tie_id: str) -> tuple[Side, Side] | None:
        """The sides of ``tie_id`` as drawn; None if it was not (or is being resolved: a
        cycle of ties gives no candidates rather than no end)."""
        drawn = self.state.ties.get((self.competition, tie_id))
        if drawn is None or (tie_id in self.views and self.views[tie_id] is None):
            return None
        return drawn.sides

    def _winner(self, tie_id: str) -> str | None:
        return self.view(tie_id).winner if self._drawn_sides(tie_id) is not None else None


def _decide(state: State, drawn: Tie, sides: tuple[SideView, SideView],
            rules: TieRules) -> TieView:
    results = _standing(state, index(state).by_tie.get((drawn.competition, drawn.tie), ()))
    teams = (sides[0].team, sides[1].team)
    legs = [TieLeg(home_side=home_side(r.home, r.away, teams, _leg_number(state, r, i)),
                   played=_played(r))
            for i, r in enumerate(results)]
    begun = [leg for r, leg in zip(results, legs, strict=True)
             if r.status in ("live", "finished")]
    aggregate = tie_aggregate(begun) if begun else None
    over = len(results) >= drawn.legs and all(r.status == "finished" for r in results)
    decision = decide_tie(legs, rules) if over else UNDECIDED
    winner = None
    if decision.winner is not None:
        winner = teams[decision.winner] or _team_on_side(results, legs, decision.winner)
    return TieView(competition=drawn.competition, tie=drawn.tie, round=drawn.round,
                   sides=sides,
                   legs=tuple(_leg(state, r, leg) for r, leg in zip(results, legs, strict=True)),
                   aggregate=aggregate, winner=winner,
                   decided_by=decision.how if winner is not None else None)


def _standing(state: State, matches: Iterable[str]) -> list[Result]:
    """The results of a tie's matches that stand (``events.competition.standing_legs``, as
    the judge has them): an abandoned one gives way to its leg's replay."""
    results = {m: result(state, m) for m in matches}
    return [results[f.match] for f in standing_legs(
        [state.fixtures[m] for m in results], lambda m: results[m].status == "abandoned")]


def _leg_number(state: State, res: Result, i: int) -> int:
    leg = state.fixtures[res.match].leg
    return leg if leg is not None else i + 1


def _played(res: Result) -> Played:
    return Played(regular=res.regular, total=res.total,
                  extra_time_played=res.extra_time_played, penalties=res.penalties)


def _team_on_side(results: list[Result], legs: list[TieLeg], side: int) -> str | None:
    for res, leg in zip(results, legs, strict=True):
        team = res.home if leg.home_side == side else res.away
        if team is not None:
            return team
    return None


def _leg(state: State, res: Result, leg: TieLeg) -> Leg:
    fx = state.fixtures[res.match]
    return Leg(match=res.match, leg=fx.leg, home_side=leg.home_side, home=res.home,
               away=res.away, date=fx.date,
               kickoff=fx.kickoff, status=res.status,
               score=res.total if res.status != "scheduled" else None,
               extra_time=res.extra_time_played, penalties=res.penalties)


# --- rounds and paths ------------------------------------------------------------------------


def _round_order(ties: tuple[Tie, ...]) -> list[str]:
    """Rounds in playing order: a round fed by another's winners comes after it."""
    round_of = {t.tie: t.round for t in ties}
    feeds: dict[str, set[str]] = {t.round: set() for t in ties}
    first: dict[str, int] = {}
    for t in ties:
        first[t.round] = min(first.get(t.round, t.drawn_at), t.drawn_at)
        for side in t.sides:
            source = round_of.get(side.winner_of or "")
            if source is not None and source != t.round:
                feeds[t.round].add(source)
    depth: dict[str, int] = {}

    def deep(r: str, seen: frozenset[str]) -> int:
        if r not in depth:
            depth[r] = 1 + max((deep(s, seen | {r}) for s in feeds[r] if s not in seen),
                               default=-1)
        return depth[r]

    return sorted(feeds, key=lambda r: (deep(r, frozenset()), first[r], r))


def _paths(views: list[TieView]) -> dict[str, tuple[PathStep, ...]]:
    paths: dict[str, list[PathStep]] = {}
    for view in views:
        for i, side in enumerate(view.sides):
            opponent = view.sides[1 - i]
            for team in side.candidates:
                if side.team is None:
                    status = "possible"
                elif view.winner is None:
                    status = "open"
                else:
                    status = "won" if view.winner == team else "lost"
                paths.setdefault(team, []).append(
                    PathStep(round=view.round, tie=view.tie, opponent=opponent, status=status))
    return {team: tuple(steps) for team, steps in paths.items()}
