"""How a tie is decided (``events.tie.decide_tie``), over every combination of the rules.

Each row: the rules, the legs as (side at home, full time, after extra time, penalties) with
scores (home, away), and the decision. Two-legged rows have side 0 at home first.
"""

from __future__ import annotations

import pytest

from matchledger.events import Side, TieRules
from matchledger.events.tie import (
    UNDECIDED,
    Decision,
    Played,
    TieLeg,
    ahead_in_tie,
    candidates,
    decide_tie,
    home_side,
    tie_aggregate,
)

Score = tuple[int, int]
LegRow = tuple[int, Score, Score | None, Score | None]

PLAIN = TieRules()
NO_EXTRA = TieRules(extra_time=False)
NO_PENS = TieRules(penalties=False)
AWAY = TieRules(away_goals=True)
AWAY_ET = TieRules(away_goals=True, away_goals_in_extra_time=True)


def legs(*rows: LegRow) -> tuple[TieLeg, ...]:
    return tuple(TieLeg(home_side=side, played=Played.of(ft, et, pens))
                 for side, ft, et, pens in rows)


CASES = [
    # one match
    ("one match won in 90 minutes", PLAIN, legs((0, (2, 1), None, None)),
     Decision(0, "aggregate")),
    ("one match lost at home", PLAIN, legs((0, (0, 1), None, None)), Decision(1, "aggregate")),
    ("one match, the second side at home", PLAIN, legs((1, (3, 0), None, None)),
     Decision(1, "aggregate")),
    ("one match won in extra time", PLAIN, legs((0, (1, 1), (1, 2), None)),
     Decision(1, "extra_time")),
    ("one match on penalties", PLAIN, legs((0, (1, 1), (2, 2), (4, 2))),
     Decision(0, "penalties")),
    ("one match, penalties straight after 90 minutes", NO_EXTRA,
     legs((0, (0, 0), None, (3, 5))), Decision(1, "penalties")),
    ("one match level, no penalties: a replay", NO_PENS, legs((0, (1, 1), (2, 2), None)),
     UNDECIDED),
    ("one match: away goals never count in it", AWAY_ET, legs((0, (1, 1), (1, 1), (5, 4))),
     Decision(0, "penalties")),
    # two legs
    ("two legs on aggregate", PLAIN, legs((0, (1, 0), None, None), (1, (1, 1), None, None)),
     Decision(0, "aggregate")),
    ("two legs: the second decides the aggregate", PLAIN,
     legs((0, (2, 1), None, None), (1, (2, 0), None, None)), Decision(1, "aggregate")),
    ("two legs level, away goals off: extra time", PLAIN,
     legs((0, (2, 1), None, None), (1, (1, 0), (1, 1), None)), Decision(0, "extra_time")),
    ("two legs level, away goals on: away goals", AWAY,
     legs((0, (2, 1), None, None), (1, (1, 0), None, None)), Decision(1, "away_goals")),
    ("away goals level too: extra time", AWAY,
     legs((0, (1, 1), None, None), (1, (1, 1), (2, 1), None)), Decision(1, "extra_time")),
    ("away goals on, but not in extra time: a goal each there goes to penalties", AWAY,
     legs((0, (0, 0), None, None), (1, (0, 0), (1, 1), (3, 4))), Decision(0, "penalties")),
    ("away goals in extra time: the visitors' goal there wins", AWAY_ET,
     legs((0, (0, 0), None, None), (1, (0, 0), (1, 1), None)), Decision(0, "away_goals")),
    ("away goals in extra time, none scored: penalties", AWAY_ET,
     legs((0, (1, 1), None, None), (1, (1, 1), (1, 1), (2, 4))), Decision(0, "penalties")),
    ("two legs level, no extra time: penalties after 90", NO_EXTRA,
     legs((0, (1, 0), None, None), (1, (1, 0), None, (4, 3))), Decision(1, "penalties")),
    ("two legs level, no penalties: a replay", NO_PENS,
     legs((0, (1, 0), None, None), (1, (1, 0), (1, 0), None)), UNDECIDED),
    ("no extra time and no penalties: level stays level", TieRules(extra_time=False,
                                                                   penalties=False),
     legs((0, (1, 1), None, None), (1, (0, 0), None, None)), UNDECIDED),
    ("legs in either order: side 1 at home first", AWAY,
     legs((1, (2, 1), None, None), (0, (1, 0), None, None)), Decision(0, "away_goals")),
    ("no legs: undecided", PLAIN, (), UNDECIDED),
]


@pytest.mark.parametrize(("rules", "tie_legs", "decision"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_decide_tie(rules: TieRules, tie_legs: tuple[TieLeg, ...], decision: Decision) -> None:
    assert decide_tie(tie_legs, rules) == decision


def test_the_aggregate_counts_extra_time_and_orients_each_leg_to_the_sides() -> None:
    tie_legs = legs((0, (1, 0), None, None), (1, (2, 1), (3, 1), (4, 3)))
    assert tie_aggregate(tie_legs) == (2, 3)


@pytest.mark.parametrize(("rules", "after_extra_time", "ahead"), [
    (PLAIN, False, None),
    (AWAY, False, 0),  # side 0 scored away in the second leg
    (AWAY, True, None),  # away goals do not count after extra time unless the rules say so
    (AWAY_ET, True, 0),
])
def test_who_is_ahead_while_the_deciding_match_is_played(
        rules: TieRules, after_extra_time: bool, ahead: int | None) -> None:
    tie_legs = legs((1, (1, 1), None, None), (0, (0, 0), None, None))  # side 1 at home first
    assert ahead_in_tie(tie_legs, rules, after_extra_time=after_extra_time).winner == ahead


@pytest.mark.parametrize(("home", "away", "sides", "leg", "side"), [
    ("roma", "milan", ("roma", "milan"), 1, 0),
    ("milan", "roma", ("roma", "milan"), 2, 1),
    ("milan", "roma", ("roma", None), 1, 1),  # by the known team, whatever the leg
    ("roma", None, (None, "roma"), 1, 1),
    (None, None, (None, None), 1, 0),  # teams not known: the side drawn first in odd legs
    (None, None, ("roma", "milan"), 2, 1),
])
def test_which_side_is_at_home_in_a_leg(home: str | None, away: str | None,
                                        sides: tuple[str | None, str | None], leg: int,
                                        side: int) -> None:
    assert home_side(home, away, sides, leg) == side


DRAWN = {"QF1": (Side(team="roma"), Side(team="milan")),
         "QF2": (Side(team="lev"), Side(team="whu")),
         "SF1": (Side(winner_of="QF1"), Side(winner_of="QF2"))}


@pytest.mark.parametrize(("winners", "side", "teams"), [
    ({}, Side(team="roma"), ("roma",)),
    ({}, Side(winner_of="QF1"), ("roma", "milan")),
    ({"QF1": "roma"}, Side(winner_of="QF1"), ("roma",)),
    ({}, Side(winner_of="SF1"), ("roma", "milan", "lev", "whu")),
    ({"QF2": "lev"}, Side(winner_of="SF1"), ("roma", "milan", "lev")),
    ({}, Side(winner_of="QF9"), ()),  # a tie not drawn: nobody yet
])
def test_the_candidates_of_a_side_narrow_as_ties_are_decided(
        winners: dict[str, str], side: Side, teams: tuple[str, ...]) -> None:
    assert candidates(side, DRAWN.get, winners.get) == teams
