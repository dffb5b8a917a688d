"""Matches listed: fixtures and results, filtered by competition, team, round, status and date.

A view of the core fold like the others: one line per match, in kick-off order, with its id,
its teams, its score so far and its kick-off in local time.

    >>> from matchledger.projections.testing import sample_state
    >>> [(m.match, m.score) for m in matches(sample_state(), team="roma")][:2]
    [('qf1-leg1', (0, 1)), ('qf1-leg2', (2, 1))]
"""

from __future__ import annotations

import datetime as dt

import attrs

from matchledger.projections.scoreboard import Score, result
from matchledger.projections.state import State, index, kickoff_order

STATUSES = ("scheduled", "live", "finished", "abandoned")


@attrs.frozen(kw_only=True)
class MatchLine:
    """A match as a list shows it; ``score`` is None before kick-off, ``extra_time`` and
    ``penalties`` None unless played."""

    match: str
    competition: str
    round: str | None
    tie: str | None
    leg: int | None
    date: dt.date
    kickoff: dt.datetime | None  # local, with its offset
    home: str | None
    away: str | None
    status: str
    score: Score | None
    extra_time: bool
    penalties: Score | None


def matches(state: State, *, competition: str | None = None, team: str | None = None,
            round: str | None = None, status: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None) -> list[MatchLine]:
    """The matches scheduled in ``state`` that pass every filter given, in kick-off order:
    of a competition, of a team, of a round (case folded), in a status, on a local date from
    ``since`` to ``until`` (both included)."""
    ids = index(state).by_team.get(team, ()) if team is not None else state.fixtures
    lines = []
    for match in kickoff_order(state, ids):
        fx = state.fixtures[match]
        if competition is not None and fx.competition != competition:
            continue
        tie = state.ties.get((fx.competition, fx.tie)) if fx.tie else None
        its_round = fx.round or (tie.round if tie else None)
        if round is not None and (its_round or "").casefold() != round.casefold():
            continue
        if (since is not None and fx.date < since) or (until is not None and fx.date > until):
            continue
        res = result(state, match)
        if status is not None and res.status != status:
            continue
        lines.append(MatchLine(
            match=match, competition=fx.competition, round=its_round, tie=fx.tie, leg=fx.leg,
            date=fx.date, kickoff=fx.kickoff, home=fx.home, away=fx.away, status=res.status,
            score=None if res.status == "scheduled" else res.total,
            extra_time=res.extra_time_played, penalties=res.penalties))
    return lines
