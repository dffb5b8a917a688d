"""Scoreboard: one match as a person reads it — score by period, cards, shoot-out, status.

A view of the core fold (``projections.state``): goals disallowed still show, flagged, but never
count; retracted events are gone; a shoot-out kick is never a goal.

    >>> from matchledger.projections.testing import sample_state
    >>> board = scoreboard(sample_state(), "qf4-leg2")
    >>> board.status, board.score, board.penalties
    ('finished', (1, 0), (4, 2))
"""

from __future__ import annotations

import datetime as dt
import functools

import attrs

from matchledger.events import GoalKind, MatchAbandoned, Period
from matchledger.events.match import Booking, Kick, MatchState, Substitution
from matchledger.events.pitch import match_order
from matchledger.projections.errors import UnknownMatch
from matchledger.projections.state import Fixture, State, bound_match, memo

Score = tuple[int, int]


@attrs.frozen(kw_only=True)
class GoalLine:
    """A goal; ``team`` is the side it counts for, ``scorer_team`` the scorer's own team."""

    event_id: str
    team: str | None
    scorer_team: str
    player: str | None
    minute: int | None
    added: int | None
    kind: GoalKind
    period: Period | None
    disallowed: bool
    score_after: Score | None = None  # (home, away) once it counted; None if disallowed


@attrs.frozen(kw_only=True)
class Scoreboard:
    """A match now (or as of the state's moment). Scores are (home, away).

    ``score`` counts every valid goal so far, extra time included; ``half_time``,
    ``full_time`` (90 minutes) and ``extra_time`` (120) appear once that point is reached;
    ``penalties`` is the shoot-out score. ``minute`` is the latest minute known while live.
    Goals and cards are in match order (period, minute, added time, then as recorded), each
    goal with the score after it; ``timeline`` is both in that order, then the kicks.
    """

    match: str
    competition: str | None
    round: str | None
    tie: str | None
    leg: int | None
    home: str | None
    away: str | None
    date: dt.date | None
    kickoff: dt.datetime | None
    venue: str | None
    status: str
    minute: int | None
    period: Period | None
    score: Score
    half_time: Score | None
    full_time: Score | None
    extra_time: Score | None
    penalties: Score | None
    goals: tuple[GoalLine, ...]
    cards: tuple[Booking, ...]  # the match fold's own facts, as they stand
    kicks: tuple[Kick, ...]
    sent_off: tuple[tuple[str, str], ...]
    substitutions: tuple[Substitution, ...] = ()
    timeline: tuple[GoalLine | Booking | Substitution | Kick, ...] = ()
    periods_ended: tuple[Period, ...] = ()
    clock: str | None = None  # while live: 23', 45+2', HT, ET 104', pens (projections.clock)
    neutral: bool = False  # at neither side's ground


@attrs.frozen(kw_only=True, weakref_slot=False)
class Result:
    """The lean summary of a match that ties, records and streaks are computed from."""

    match: str
    home: str | None
    away: str | None
    status: str
    regular: Score  # 90 minutes (goals of unknown period count here)
    extra: Score  # extra time only
    extra_time_played: bool
    penalties: Score | None

    @property
    def total(self) -> Score:
        return self.regular[0] + self.extra[0], self.regular[1] + self.extra[1]


def result(state: State, match: str) -> Result:
    """The summary of ``match`` (scheduled and 0-0 when nothing happened yet).

    Goals make the score; a result a source reported (``ResultReported``) stands in for a
    match recorded without them, as ``MatchState.played`` has it.
    """
    return memo(state, "result", match, lambda _, __: _result(state, match))


def _result(state: State, match: str) -> Result:
    ms = bound_match(state, match)
    played = ms.played()
    (home, away), (regular_home, regular_away) = played.total, played.regular
    return Result(
        match=match, home=ms.home, away=ms.away, status=ms.status,
        regular=_score(regular_home, regular_away),
        extra=_score(home - regular_home, away - regular_away),
        extra_time_played=played.extra_time_played,
        penalties=_score(*played.penalties) if played.penalties is not None else None,
    )


@functools.cache
def _score(home: int, away: int) -> Score:
    """One tuple per score however many results hold it (a rebuild keeps every match's)."""
    return home, away


def scoreboard(state: State, match: str) -> Scoreboard:
    """The scoreboard of ``match``; UnknownMatch if neither scheduled nor started."""
    fx = state.fixtures.get(match)
    if fx is None and match not in state.matches:
        raise UnknownMatch(f"unknown match {match!r}")
    ms = bound_match(state, match)
    res = result(state, match)
    reached = _reached(ms)
    goals, cards = _goal_lines(ms), tuple(sorted(ms.bookings.values(), key=match_order))
    timeline: list[GoalLine | Booking | Substitution] = sorted(  # stable: goals, cards, subs
        [*goals, *cards, *ms.substitutions.values()], key=match_order)
    return Scoreboard(
        match=match,
        competition=fx.competition if fx else None,
        round=_round(state, fx),
        tie=fx.tie if fx else None,
        leg=fx.leg if fx else None,
        home=ms.home,
        away=ms.away,
        date=fx.date if fx else None,
        kickoff=fx.kickoff if fx else None,
        venue=fx.venue if fx else None,
        neutral=bool(fx and fx.neutral),
        status=ms.status,
        minute=_minute(ms),
        period=ms.period,
        score=res.total,
        half_time=_half_time(ms) if "1H" in reached else None,
        full_time=res.regular if "2H" in reached else None,
        extra_time=res.total if res.extra_time_played and "ET" in reached else None,
        penalties=res.penalties,
        goals=goals,
        cards=cards,
        kicks=tuple(ms.kicks.values()),
        timeline=(*timeline, *ms.kicks.values()),
        periods_ended=ms.periods_ended,
        sent_off=tuple(dict.fromkeys((b.team, b.player) for b in ms.bookings.values()
                                     if b.sends_off)),
        substitutions=tuple(ms.substitutions.values()),
    )


def _round(state: State, fx: Fixture | None) -> str | None:
    """The fixture's round, else its tie's: a leg scheduled by its tie alone is in it too."""
    if fx is None or fx.round is not None or fx.tie is None:
        return fx.round if fx else None
    tie = state.ties.get((fx.competition, fx.tie))
    return tie.round if tie else None


def _goal_lines(ms: MatchState) -> tuple[GoalLine, ...]:
    """The goals in match order, each that counts with the score after it."""
    lines, home, away = [], 0, 0
    for goal in sorted(ms.goals.values(), key=match_order):
        after = None
        if not goal.disallowed:
            side = ms.credited(goal)
            home, away = (home + 1, away) if side == ms.home else (home, away + 1)
            after = (home, away)
        lines.append(GoalLine(
            event_id=goal.event_id, team=ms.credited(goal), scorer_team=goal.team,
            player=goal.player, minute=goal.minute, added=goal.added, kind=goal.kind,
            period=goal.period, disallowed=goal.disallowed, score_after=after))
    return tuple(lines)


def _half_time(ms: MatchState) -> Score | None:
    """The score at half time; None when a source did not say, or a goal's period is unknown."""
    if ms.reported is not None and not ms.goals:
        return ms.reported[1].half_time
    if any(goal.period is None for goal in ms.valid_goals):
        return None
    return ms.score((Period.FIRST_HALF,))


def _reached(ms: MatchState) -> set[str]:
    """Which break points the match has passed: "1H" (half time), "2H" (90'), "ET" (120')."""
    if ms.status == "finished":
        return {"1H", "2H", "ET"}
    started, ended = set(ms.periods_started), set(ms.periods_ended)
    later = {
        "1H": {Period.SECOND_HALF, Period.EXTRA_FIRST, Period.SHOOTOUT},
        "2H": {Period.EXTRA_FIRST, Period.SHOOTOUT},
        "ET": {Period.SHOOTOUT},
    }
    last = {"1H": Period.FIRST_HALF, "2H": Period.SECOND_HALF, "ET": Period.EXTRA_SECOND}
    return {k for k, p in last.items() if p in ended or started & later[k]}


def _minute(ms: MatchState) -> int | None:
    """The minute to show: the latest known while live, the minute of abandonment after."""
    if ms.status == "live":
        return ms.minute()
    if ms.status == "abandoned":
        event = ms.transitions[-1]
        minute = event.minute if isinstance(event, MatchAbandoned) else None
        return minute if minute is not None else ms.minute()
    return None
