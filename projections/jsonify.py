"""The JSON contract of every view: stable keys, plain lists and dicts, ids as strings.

    >>> from matchledger.projections import bracket
    >>> from matchledger.projections.testing import sample_state
    >>> april_12 = dt.datetime(2024, 4, 12, tzinfo=dt.UTC)
    >>> semi_final = to_json(bracket(sample_state(as_of=april_12), "uel-2023-24"))["rounds"][1]
    >>> semi_final["ties"][0]["sides"][0]
    {'winner_of': 'QF4', 'candidates': ['benfica', 'marseille']}

A side is a team id once known, else ``{"winner_of", "candidates"}``; scores are two-item lists
(home, away — or side 0, side 1 for an aggregate); times are ISO 8601 strings.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from matchledger.events.match import Booking, Kick, Substitution
from matchledger.events.team import Team
from matchledger.projections.listing import MatchLine
from matchledger.projections.records import KINDS, PlayerRecord, Streak, Streaks, TeamRecord
from matchledger.projections.scoreboard import GoalLine, Scoreboard
from matchledger.projections.ties import Bracket, Leg, PathStep, SideView, TieView

Json = Any  # what json.dumps takes: dicts, lists, str, int, bool, None


@functools.singledispatch
def to_json(view: object) -> Json:
    """The JSON-ready form (dicts and lists) of a view, or of a list of views."""
    raise TypeError(f"no JSON form for {type(view).__name__}")


def dumps(view: object, *, indent: int | None = 2) -> str:
    """``view`` as JSON text."""
    return json.dumps(to_json(view), indent=indent, ensure_ascii=False)


@to_json.register(tuple)
@to_json.register(list)
def _sequence(views: tuple[object, ...] | list[object]) -> Json:
    return [to_json(v) for v in views]


@to_json.register(dict)
def _mapping(views: dict[str, object]) -> Json:
    return {key: to_json(v) for key, v in views.items()}


@to_json.register(str)
@to_json.register(int)
@to_json.register(float)
@to_json.register(type(None))
def _plain(value: str | int | float | None) -> Json:
    return value


def _moment(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pair(score: tuple[int, int] | None) -> list[int] | None:
    return list(score) if score is not None else None


@to_json.register
def _scoreboard(board: Scoreboard) -> Json:
    return {
        "match": board.match, "competition": board.competition, "round": board.round,
        "tie": board.tie, "leg": board.leg, "home": board.home, "away": board.away,
        "date": _moment(board.date), "kickoff": _moment(board.kickoff), "venue": board.venue,
        "neutral": board.neutral, "status": board.status, "minute": board.minute,
        "clock": board.clock,
        "period": board.period.value if board.period else None,
        "score": list(board.score), "half_time": _pair(board.half_time),
        "full_time": _pair(board.full_time), "extra_time": _pair(board.extra_time),
        "penalties": _pair(board.penalties),
        "goals": [_goal(g) for g in board.goals],
        "cards": [_card(c) for c in board.cards],
        "kicks": [_kick(k) for k in board.kicks],
        "sent_off": [{"team": t, "player": p} for t, p in board.sent_off],
        "substitutions": [_substitution(s) for s in board.substitutions],
    }


@to_json.register
def _match_line(line: MatchLine) -> Json:
    return {"match": line.match, "competition": line.competition, "round": line.round,
            "tie": line.tie, "leg": line.leg, "date": _moment(line.date),
            "kickoff": _moment(line.kickoff), "home": line.home, "away": line.away,
            "status": line.status, "score": _pair(line.score), "extra_time": line.extra_time,
            "penalties": _pair(line.penalties)}


@to_json.register
def _goal(goal: GoalLine) -> Json:
    return {"event_id": goal.event_id, "team": goal.team, "scorer_team": goal.scorer_team,
            "player": goal.player, "minute": goal.minute, "added": goal.added,
            "kind": goal.kind.value, "period": goal.period.value if goal.period else None,
            "disallowed": goal.disallowed, "score_after": _pair(goal.score_after)}


@to_json.register
def _card(card: Booking) -> Json:
    return {"event_id": card.event_id, "team": card.team, "player": card.player,
            "card": card.card.value, "minute": card.minute, "added": card.added,
            "period": card.period.value if card.period else None}


@to_json.register
def _substitution(sub: Substitution) -> Json:
    return {"event_id": sub.event_id, "team": sub.team, "player_off": sub.player_off,
            "player_on": sub.player_on, "minute": sub.minute, "added": sub.added,
            "period": sub.period.value if sub.period else None}


@to_json.register
def _kick(kick: Kick) -> Json:
    return {"event_id": kick.event_id, "team": kick.team, "taker": kick.taker,
            "outcome": kick.outcome.value}


@to_json.register
def _side(side: SideView) -> Json:
    if side.team is not None:
        return side.team
    return {"winner_of": side.winner_of, "candidates": list(side.candidates)}


@to_json.register
def _leg(leg: Leg) -> Json:
    return {"match": leg.match, "leg": leg.leg, "home": leg.home, "away": leg.away,
            "date": _moment(leg.date), "kickoff": _moment(leg.kickoff), "status": leg.status,
            "score": _pair(leg.score), "extra_time": leg.extra_time,
            "penalties": _pair(leg.penalties)}


@to_json.register
def _tie(view: TieView) -> Json:
    return {"tie": view.tie, "round": view.round, "competition": view.competition,
            "sides": [_side(s) for s in view.sides], "legs": [_leg(g) for g in view.legs],
            "aggregate": _pair(view.aggregate), "winner": view.winner,
            "decided_by": view.decided_by}


@to_json.register
def _step(step: PathStep) -> Json:
    return {"round": step.round, "tie": step.tie, "opponent": _side(step.opponent),
            "status": step.status}


@to_json.register
def _bracket(view: Bracket) -> Json:
    return {
        "competition": view.competition, "name": view.name, "season": view.season,
        "rounds": [{"round": r.round, "ties": [_tie(t) for t in r.ties]}
                   for r in view.rounds],
        "paths": {team: [_step(s) for s in steps] for team, steps in view.paths.items()},
        "open": list(view.open), "alive": list(view.alive),
    }


@to_json.register
def _record(record: TeamRecord) -> Json:
    return {"team": record.team, "competition": record.competition, "played": record.played,
            "won": record.won, "drawn": record.drawn, "lost": record.lost,
            "goals_for": record.goals_for, "goals_against": record.goals_against,
            "goal_difference": record.goal_difference, "clean_sheets": record.clean_sheets,
            "yellow": record.yellow, "red": record.red, "points": record.points}


@to_json.register
def _streak(streak: Streak) -> Json:
    return {"length": streak.length, "wins": streak.wins, "draws": streak.draws,
            "losses": streak.losses, "first_match": streak.first_match,
            "last_match": streak.last_match}


@to_json.register
def _streaks(view: Streaks) -> Json:
    """One key per kind, exactly: the contract has no other top-level key."""
    pairs = {kind: getattr(view, kind) for kind in KINDS}
    return {kind: {"current": _streak(p.current), "longest": _streak(p.longest)}
            for kind, p in pairs.items()}


@to_json.register
def _player(record: PlayerRecord) -> Json:
    return {"team": record.team, "player": record.player, "goals": record.goals,
            "penalties": record.penalties, "own_goals": record.own_goals,
            "yellow": record.yellow, "red": record.red}


@to_json.register
def _team(team: Team) -> Json:
    return {"team": team.id, "name": team.name, "country": team.country,
            "aliases": list(team.aliases), "competitions": list(team.competitions)}
