"""How a tie is decided, written once: for the judge, the views, the importer and the bench.

A tie is one match or two legs between two *sides* (0 and 1, as drawn). Each leg is a
``TieLeg``: which side was at home and what its play came to (``Played``). ``decide_tie``
settles it under the competition's ``TieRules``: the aggregate after 90 minutes, then away
goals (when the rules count them), then the aggregate after extra time (away goals again when
``away_goals_in_extra_time``), then penalties; a tie still level is undecided (a replay).

    >>> first = TieLeg(home_side=0, played=Played.of((1, 0)))        # Roma 1-0 Milan
    >>> second = TieLeg(home_side=1, played=Played.of((1, 2)))       # Milan 1-2 Roma
    >>> decide_tie((first, second), TieRules())
    Decision(winner=0, how='aggregate')
    >>> tie_aggregate((first, second))
    (3, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import attrs

from matchledger.events.catalogue import Side, TieRules

Score = tuple[int, int]

DECIDED_BY = ("aggregate", "away_goals", "extra_time", "penalties")


@attrs.frozen(kw_only=True)
class Played:
    """What a match's play came to: the score after 90 minutes (goals of unknown period
    count there) and after extra time, whether extra time was played, and the shoot-out's
    score (None: there was none); every score (home, away)."""

    regular: Score
    total: Score
    extra_time_played: bool
    penalties: Score | None

    @classmethod
    def of(cls, regular: Score, extra_time: Score | None = None,
           penalties: Score | None = None) -> Played:
        """Play from a result as reported: full time, after extra time, the shoot-out."""
        return cls(regular=regular, total=extra_time or regular,
                   extra_time_played=extra_time is not None, penalties=penalties)


@attrs.frozen(kw_only=True)
class TieLeg:
    """One leg of a tie: ``home_side`` (0 or 1) was at home, and its play came to ``played``."""

    home_side: int
    played: Played


@attrs.frozen
class Decision:
    """Who goes through (side 0 or 1) and how (one of ``DECIDED_BY``); both None while the
    tie is undecided: a leg to play, or level with nothing left to settle it (a replay)."""

    winner: int | None
    how: str | None


UNDECIDED = Decision(None, None)


def decide_tie(legs: Sequence[TieLeg], rules: TieRules) -> Decision:
    """How the tie of these legs (all there are, all finished) is decided under ``rules``."""
    if not legs:
        return UNDECIDED
    decision = ahead_in_tie(legs, rules, after_extra_time=False)
    last = legs[-1]
    if decision.winner is None and last.played.extra_time_played:
        decision = ahead_in_tie(legs, rules, after_extra_time=True)
    pens = last.played.penalties
    if decision.winner is None and pens is not None and pens[0] != pens[1]:
        side = last.home_side if pens[0] > pens[1] else 1 - last.home_side
        decision = Decision(side, "penalties")
    return decision


def ahead_in_tie(legs: Sequence[TieLeg], rules: TieRules, *, after_extra_time: bool
                 ) -> Decision:
    """The side ahead over these legs, on aggregate and then away goals where the rules count
    them, counting the last leg's goals after 90 minutes or ``after_extra_time``; the rules of
    a match in progress ask it whether the tie is level (extra time, a shoot-out)."""
    scores = [leg.played.total if after_extra_time else leg.played.regular for leg in legs]
    a, b = _sum(_for_sides(s, leg.home_side) for s, leg in zip(scores, legs, strict=True))
    if a != b:
        return Decision(0 if a > b else 1, "extra_time" if after_extra_time else "aggregate")
    if rules.away_goals and len(legs) > 1 and (
            not after_extra_time or rules.away_goals_in_extra_time):
        a, b = _sum(_away(s, leg.home_side) for s, leg in zip(scores, legs, strict=True))
        if a != b:
            return Decision(0 if a > b else 1, "away_goals")
    return UNDECIDED


def tie_aggregate(legs: Iterable[TieLeg]) -> Score:
    """(side 0, side 1) over the legs' goals, extra time included."""
    return _sum(_for_sides(leg.played.total, leg.home_side) for leg in legs)


def home_side(home: str | None, away: str | None, sides: tuple[str | None, str | None],
              leg: int) -> int:
    """Which side (0 or 1) is at home in a leg of ``home`` v ``away``: by team where a side's
    team is known, else by the leg's number (the side drawn first is at home in odd legs)."""
    for side, team in enumerate(sides):
        if team is not None and home == team:
            return side
        if team is not None and away == team:
            return 1 - side
    return 0 if leg % 2 == 1 else 1


def candidates(side: Side, sides_of: Callable[[str], tuple[Side, Side] | None],
               winner: Callable[[str], str | None]) -> tuple[str, ...]:
    """The teams a side of a tie may still be: its team; the winner of the tie it comes from
    once that tie is decided (``winner``); else, in order, the candidates of that tie's sides
    (``sides_of``; None for a tie not drawn, which gives none)."""
    if side.team is not None:
        return (side.team,)
    source = side.winner_of or ""
    won = winner(source)
    if won is not None:
        return (won,)
    sides = sides_of(source)
    if sides is None:
        return ()
    return tuple(dict.fromkeys((*candidates(sides[0], sides_of, winner),
                                *candidates(sides[1], sides_of, winner))))


def _for_sides(score: Score, home: int) -> Score:
    return score if home == 0 else (score[1], score[0])


def _away(score: Score, home: int) -> Score:
    """Away goals of (side 0, side 1) in one leg: only the visitors' goals count."""
    return (0, score[1]) if home == 0 else (score[1], 0)


def _sum(scores: Iterable[Score]) -> Score:
    a = b = 0
    for x, y in scores:
        a, b = a + x, b + y
    return a, b


__all__ = [
    "DECIDED_BY",
    "UNDECIDED",
    "Decision",
    "Played",
    "TieLeg",
    "ahead_in_tie",
    "candidates",
    "decide_tie",
    "home_side",
    "tie_aggregate",
]
