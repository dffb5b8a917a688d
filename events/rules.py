"""The rules of the game: whether an event can follow a match's state (``check``).

A match is judged by its own state (``events.match``) and, for what decides a tie (extra time,
a shoot-out, a result reported after them), by its ``TieContext``: the competition's rules and
the tie's earlier legs. ``RuleViolation`` says why an event cannot happen.

    >>> s = MatchState(home="liverpool", away="atalanta")
    >>> for e in (MatchStarted(), PeriodStarted(period=Period.FIRST_HALF)):
    ...     s = s.apply(e, event_id=str(id(e)))
    >>> check(s, GoalScored(team="atalanta", minute=38))           # fine
    >>> check(s, GoalScored(team="atalanta", minute=60))
    Traceback (most recent call last):
    ...
    events.rules.RuleViolation: minute 60 does not fit 1H (1-45)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from matchledger.events.catalogue import (
    Card,
    CardShown,
    Event,
    GoalDisallowed,
    GoalScored,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    ShootoutKick,
    SubstitutionMade,
    TieRules,
)
from matchledger.events.clock import (
    PERIOD_MINUTES,
    PERIOD_ORDER,
    minute_of,
    next_period,
    period_of_minute,
)
from matchledger.events.match import Kick, MatchState, Substitution
from matchledger.events.shootout import shootout_can_end
from matchledger.events.tie import Played, TieLeg, ahead_in_tie, decide_tie


class RuleViolation(Exception):
    """An event that cannot happen in the match as recorded so far."""



SQUAD_ON_PITCH = 11
MOST_GOALS = 999  # in a reported score: the record is 149-0 (2002); beyond, a slip or an attack


@attrs.frozen(kw_only=True)
class TieContext:
    """What a match's rules depend on beyond its own events.

    ``deciding`` is True for the last (or only) leg of a tie, where a level result goes to
    extra time and penalties under ``rules``; ``earlier`` are the tie's legs before this match,
    their sides *this match's*: side 0 is its home side (so a first leg is ``home_side=1``).
    """

    rules: TieRules = TieRules()
    deciding: bool = False
    earlier: tuple[TieLeg, ...] = ()


def level(state: MatchState, ctx: TieContext, *, extra_time_played: bool) -> bool:
    """Whether the tie is level at this point of its deciding match (on aggregate)."""
    return level_at(state.total(), ctx, extra_time_played=extra_time_played)


def level_at(score: tuple[int, int], ctx: TieContext, *, extra_time_played: bool) -> bool:
    """Whether the tie is level when its deciding match stands at ``score`` (home, away)."""
    return leader_at(score, ctx, extra_time_played=extra_time_played) is None


def leader_at(score: tuple[int, int], ctx: TieContext, *, extra_time_played: bool
              ) -> int | None:
    """The side ahead in the tie (0: its deciding match's home side, 1: its away side) when
    that match stands at ``score``, as ``ahead_in_tie`` counts; None while level."""
    now = TieLeg(home_side=0, played=Played(regular=score, total=score,
                                            extra_time_played=extra_time_played,
                                            penalties=None))
    return ahead_in_tie((*ctx.earlier, now), ctx.rules,
                        after_extra_time=extra_time_played).winner


def through(state: MatchState, ctx: TieContext) -> int | None:
    """The side of a finished deciding match that goes through (0: home, 1: away), as
    ``decide_tie`` has it; None if none does (a tie left level, for a replay or a coin)."""
    now = TieLeg(home_side=0, played=state.played())
    return decide_tie((*ctx.earlier, now), ctx.rules).winner


def check(state: MatchState, event: Event, ctx: TieContext | None = None) -> None:
    """Raise RuleViolation if ``event`` cannot follow ``state``; return None if it can."""
    rule = _RULES.get(type(event))
    if rule is not None:
        rule(state, event, ctx or TieContext())


def _need_live(state: MatchState, what: str, minute: int | None = None) -> None:
    if state.status == "scheduled":
        raise RuleViolation(f"{what} before kick-off")
    if state.status != "live":
        raise RuleViolation(f"{what} after the match {state.status}{_unplayed(state, minute)}")


def _unplayed(state: MatchState, minute: int | None) -> str:
    """Why a minute cannot be placed in a match that has periods, if its period never started:
    " (minute 100 is in ET1, which was not played)"; else nothing."""
    period = period_of_minute(minute) if minute is not None else None
    if period is None or not state.periods_started or period in state.periods_started:
        return ""
    return f" (minute {minute} is in {period.value}, which was not played)"


def _need_team(state: MatchState, team: str) -> None:
    if team not in (state.home, state.away):
        playing = f"{state.home} v {state.away}"
        raise RuleViolation(f"team {team!r} does not play in this match ({playing})")


def _check_minute(state: MatchState, minute: int | None, added: int | None, what: str) -> None:
    if minute is None:
        if added is not None:
            raise RuleViolation("added time given without a minute")
        return
    if minute < 1:
        raise RuleViolation(f"minute {minute} is not a match minute")
    if added is not None and added < 0:
        raise RuleViolation(f"added time {added} is less than none")
    period = state.period
    if period is None:
        if state.periods_started:
            raise RuleViolation(f"{what} between periods{_unplayed(state, minute)}")
        if period_of_minute(minute) is None:
            raise RuleViolation(f"minute {minute} is past the end of extra time")
        return
    first, last = PERIOD_MINUTES[period]  # never the shoot-out: goals and cards see to that
    if not first <= minute <= last:
        raise RuleViolation(f"minute {minute} does not fit {period.value} ({first}-{last})")
    if added is not None and minute != last:
        raise RuleViolation(f"added time only after minute {last} of {period.value}")


@functools.lru_cache(maxsize=4096)
def _folded(player: str) -> str:
    """A player's name as the rules compare it: "bob  Jones" is Bob Jones (a registered name
    is stored as registered; one typed freely may vary in case and spacing)."""
    return " ".join(player.casefold().split())


def _check_active(state: MatchState, team: str, player: str | None, what: str,
                  minute: int | None = None, added: int | None = None) -> None:
    """Refuse ``player`` doing ``what`` at ``minute`` once sent off, once substituted off, or
    before coming on. No minute while a period is under way means now; with none under way
    (a match known from a report), it is unknown, and only what is known is refused."""
    if player is None:
        return
    sent = state.sent_off
    if sent and (team, _folded(player)) in {(t, _folded(p)) for t, p in sent}:
        raise RuleViolation(f"{player} ({team}) was sent off and cannot {what}")
    now = minute is None and state.period is not None
    for sub in state.substitutions.values():
        if sub.team != team:
            continue
        at = minute_of(sub.minute, sub.added)
        if _folded(sub.player_off) == _folded(player) and (now or _later(minute, added, sub)):
            raise RuleViolation(f"{player} ({team}) went off at {at} and cannot {what}")
        if _folded(sub.player_on) == _folded(player) and _earlier(minute, added, sub):
            raise RuleViolation(f"{player} ({team}) came on at {at} and cannot {what} "
                                f"at {minute_of(minute, added)}")


def _pitch_time(minute: int, added: int | None) -> tuple[int, int]:
    return minute, added or 0  # 45+2 comes before 46


def _earlier(minute: int | None, added: int | None, sub: Substitution) -> bool:
    """Whether a moment is known to come before ``sub``."""
    return minute is not None and sub.minute is not None and \
        _pitch_time(minute, added) < _pitch_time(sub.minute, sub.added)


def _later(minute: int | None, added: int | None, sub: Substitution) -> bool:
    """Whether a moment is known to come after ``sub`` (a card as he goes off does not)."""
    return minute is not None and sub.minute is not None and \
        _pitch_time(minute, added) > _pitch_time(sub.minute, sub.added)


def _rule_started(state: MatchState, event: MatchStarted, ctx: TieContext) -> None:
    if state.status != "scheduled":
        raise RuleViolation(f"match already {state.status}")
    if state.home is None or state.away is None:
        raise RuleViolation("the teams of this match are not known yet: schedule it again "
                            "with them")


def _rule_period_started(state: MatchState, event: PeriodStarted, ctx: TieContext) -> None:
    if state.status == "scheduled":
        raise RuleViolation(f"{event.period.value} cannot start: the match has not kicked off")
    _need_live(state, f"{event.period.value} started")
    if state.period is not None:
        raise RuleViolation(f"{state.period.value} has not ended")
    ended = state.periods_ended
    expected = PERIOD_ORDER[len(ended)] if len(ended) < len(PERIOD_ORDER) else None
    if state.periods_started != ended:
        raise RuleViolation("periods out of order")
    if event.period is Period.SHOOTOUT and len(ended) == 2:  # straight after 90 minutes
        expected = next_period(len(ended), ctx.rules)
    if event.period is not expected:
        raise RuleViolation(f"{event.period.value} cannot start now; next is "
                            f"{expected.value if expected else 'nothing'}")
    if event.period in (Period.EXTRA_FIRST, Period.SHOOTOUT) and not ctx.deciding:
        raise RuleViolation(f"{event.period.value}: this match does not decide a tie")
    if event.period is Period.EXTRA_FIRST and not ctx.rules.extra_time:
        raise RuleViolation("this competition plays no extra time")
    if event.period is Period.SHOOTOUT and not ctx.rules.penalties:
        raise RuleViolation("this competition has no penalty shoot-out")
    if event.period in (Period.EXTRA_FIRST, Period.SHOOTOUT):
        extra = event.period is Period.SHOOTOUT and ctx.rules.extra_time
        if not level(state, ctx, extra_time_played=extra):
            what = "aggregate" if ctx.earlier else "score"
            raise RuleViolation(f"{event.period.value} only when the tie is level; "
                                f"the {what} is not level")


def _rule_period_ended(state: MatchState, event: PeriodEnded, ctx: TieContext) -> None:
    if state.period is not event.period:
        now = state.period.value if state.period else "no period"
        raise RuleViolation(f"{event.period.value} is not under way ({now})")
    if event.period is Period.SHOOTOUT and not state.shootout_decided():
        raise RuleViolation("the shoot-out is not decided yet")


def _rule_ended(state: MatchState, event: MatchEnded, ctx: TieContext) -> None:
    _need_live(state, "final whistle")
    if state.period is not None:
        raise RuleViolation(f"{state.period.value} has not ended")
    if state.periods_started and Period.SECOND_HALF not in state.periods_ended:
        raise RuleViolation("the second half has not been played: abandon the match instead")
    if not ctx.deciding or not state.periods_started:
        return
    ended = state.periods_ended
    extra = Period.EXTRA_SECOND in ended
    if Period.SHOOTOUT in ended:
        return
    if not level(state, ctx, extra_time_played=extra):
        return
    if ctx.rules.extra_time and not extra:
        raise RuleViolation("the tie is level: it needs extra time")
    if ctx.rules.penalties:
        raise RuleViolation("the tie is level: it needs penalties")
    # no shoot-out in these rules: the match ends drawn and the tie waits for its replay


def _rule_abandoned(state: MatchState, event: MatchAbandoned, ctx: TieContext) -> None:
    if state.status in ("finished", "abandoned"):
        raise RuleViolation(f"match already {state.status}")
    if event.minute is not None:
        if period_of_minute(event.minute) is None:
            raise RuleViolation(f"minute {event.minute} is not a match minute")
        reached = state.minute()
        if reached is not None and event.minute < reached:
            raise RuleViolation(f"abandoned at minute {event.minute}, but the match had "
                                f"reached minute {reached}")


def _rule_goal(state: MatchState, event: GoalScored, ctx: TieContext) -> None:
    _need_live(state, "goal", event.minute)
    _need_team(state, event.team)
    if Period.SHOOTOUT in state.periods_started:  # even with no minute: play is over
        raise RuleViolation("goal in a shoot-out: record a kick instead")
    _check_minute(state, event.minute, event.added, "goal")
    _check_active(state, event.team, event.player, "score", event.minute, event.added)


def _rule_disallowed(state: MatchState, event: GoalDisallowed, ctx: TieContext) -> None:
    goal = state.goals.get(event.goal)
    if goal is None:
        raise RuleViolation(f"no goal {event.goal} in this match to disallow")
    if goal.disallowed:
        raise RuleViolation(f"goal {event.goal} is already disallowed")


def _rule_card(state: MatchState, event: CardShown, ctx: TieContext) -> None:
    _need_live(state, "card", event.minute)
    _need_team(state, event.team)
    if state.period is not Period.SHOOTOUT:
        _check_minute(state, event.minute, event.added, "card")
    shootout = state.period is Period.SHOOTOUT
    _check_active(state, event.team, event.player, "be booked again",
                  None if shootout else event.minute, event.added)
    # IFAB Law 10: cautions of the match are not carried forward into the shoot-out
    booked = any(b.team == event.team and (b.player == event.player
                                           or _folded(b.player) == _folded(event.player))
                 and (not shootout or b.period is Period.SHOOTOUT)
                 for b in state.bookings.values())
    if event.card is Card.YELLOW and booked:
        raise RuleViolation(f"{event.player} already has a yellow: record a second_yellow")
    if event.card is Card.SECOND_YELLOW and not booked:
        raise RuleViolation(f"{event.player} has no yellow card yet: no second yellow")


def _rule_kick(state: MatchState, event: ShootoutKick, ctx: TieContext) -> None:
    if state.period is not Period.SHOOTOUT:
        if state.status == "live" and not ctx.deciding:
            raise RuleViolation("no shoot-out: this match decides no tie")
        if state.status == "live" and not level(state, ctx, extra_time_played=True):
            raise RuleViolation("no shoot-out: the tie is not level")
        raise RuleViolation("kick from the penalty mark outside a shoot-out")
    _need_team(state, event.team)
    if state.shootout_decided():
        raise RuleViolation("the shoot-out is already decided")
    kicks = list(state.kicks.values())
    if kicks and kicks[-1].team == event.team and len(kicks) % 2 == 1:
        raise RuleViolation(f"kicks alternate: it is not {event.team}'s turn")
    if len(kicks) % 2 == 0 and kicks and kicks[0].team != event.team:
        raise RuleViolation(f"kicks alternate: {kicks[0].team} kicks first in each pair")
    _check_active(state, event.team, event.taker, "take a kick")
    if event.taker is not None:
        _check_taker(state, event.team, event.taker, kicks)


def _check_taker(state: MatchState, team: str, taker: str, kicks: list[Kick]) -> None:
    """IFAB Law 10: no player kicks twice before every eligible team-mate has kicked."""
    teams = (state.home, state.away)
    sent = {side: sum(1 for t, _ in state.sent_off if t == side) for side in teams}
    eligible = SQUAD_ON_PITCH - max(sent.values())  # both sides reduce to the same number
    own = [k.taker for k in kicks if k.team == team]
    since_round = own[len(own) - len(own) % eligible:] if eligible else own
    if _folded(taker) in {_folded(t) for t in since_round if t is not None}:
        raise RuleViolation(f"{taker} already kicked: every eligible team-mate "
                            "must kick before anyone kicks twice")
    named = {_folded(t) for t in own if t is not None}
    if _folded(taker) not in named and len(named) >= eligible:
        raise RuleViolation(f"{team} has {eligible} eligible kickers, who have all "
                            f"kicked: {taker} would be one more")


def _rule_substitution(state: MatchState, event: SubstitutionMade, ctx: TieContext) -> None:
    _need_live(state, "substitution")
    _need_team(state, event.team)
    if state.period is Period.SHOOTOUT:
        raise RuleViolation("substitution in a shoot-out: play is over")
    _check_minute(state, event.minute, event.added, "substitution")
    off, on = _folded(event.player_off), _folded(event.player_on)
    if off == on:
        raise RuleViolation(f"{event.player_off} cannot replace himself")
    _check_active(state, event.team, event.player_off, "go off again", event.minute,
                  event.added)
    mine = [s for s in state.substitutions.values() if s.team == event.team]
    if any(_folded(s.player_off) == off for s in mine):
        raise RuleViolation(f"{event.player_off} ({event.team}) went off already")
    if any(_folded(s.player_on) == on for s in mine):
        raise RuleViolation(f"{event.player_on} ({event.team}) came on already")
    if any(_folded(s.player_off) == on for s in mine):
        raise RuleViolation(f"{event.player_on} ({event.team}) went off and cannot come back on")
    if (event.team, on) in {(t, _folded(p)) for t, p in state.sent_off}:
        raise RuleViolation(f"{event.player_on} ({event.team}) was sent off and cannot come on")
    sub = Substitution(key=0, team=event.team, player_off=event.player_off,
                       player_on=event.player_on, minute=event.minute, added=event.added,
                       period=None)
    for what, player, minute, added in _part_taken(state, event.team):
        if _folded(player) == off and _later(minute, added, sub):
            raise RuleViolation(f"{player} ({event.team}) {what} at {minute_of(minute, added)}"
                                f": he cannot go off at {minute_of(event.minute, event.added)}")
        if _folded(player) == on and _earlier(minute, added, sub):
            raise RuleViolation(f"{player} ({event.team}) {what} at {minute_of(minute, added)}"
                                f": he cannot come on at {minute_of(event.minute, event.added)}")


def _part_taken(state: MatchState, team: str
                ) -> Iterator[tuple[str, str, int | None, int | None]]:
    """(what, player, minute, added) of each goal and card of ``team``'s players in play."""
    for goal in state.goals.values():
        if goal.team == team and goal.player is not None:
            yield "scored", goal.player, goal.minute, goal.added
    for booking in state.bookings.values():
        if booking.team == team and booking.period is not Period.SHOOTOUT:
            yield "was booked", booking.player, booking.minute, booking.added


def _rule_reported(state: MatchState, event: ResultReported, ctx: TieContext) -> None:
    if state.status in ("live", "abandoned"):
        raise RuleViolation(f"a result cannot be reported while the match is {state.status}")
    if state.reported is not None:
        raise RuleViolation("a result is already reported: retract it first")
    ft, ht, et, pens = event.full_time, event.half_time, event.extra_time, event.penalties
    if min(*ft, *(ht or ()), *(et or ()), *(pens or ())) < 0:
        raise RuleViolation("a score cannot be negative")
    if max(*ft, *(ht or ()), *(et or ()), *(pens or ())) > MOST_GOALS:
        raise RuleViolation(f"a score above {MOST_GOALS} is not a football score")
    if ht and (ht[0] > ft[0] or ht[1] > ft[1]):
        raise RuleViolation(f"half time {ht[0]}-{ht[1]} is more than full time {ft[0]}-{ft[1]}")
    if et and (et[0] < ft[0] or et[1] < ft[1]):
        raise RuleViolation(f"after extra time {et[0]}-{et[1]} is less than full time "
                            f"{ft[0]}-{ft[1]}")
    if pens and pens[0] == pens[1]:
        raise RuleViolation(f"a shoot-out cannot end level ({pens[0]}-{pens[1]})")
    if pens and not shootout_can_end(pens):
        raise RuleViolation(f"a shoot-out cannot end {pens[0]}-{pens[1]}: it stops as soon as "
                            "one side cannot catch up, and sudden death ends by one")
    if (et or pens) and not ctx.deciding:
        raise RuleViolation("extra time or penalties, but this match decides no tie")
    if et and not level_at(ft, ctx, extra_time_played=False):
        raise RuleViolation(f"extra time, but the tie was not level after {ft[0]}-{ft[1]}")
    if et and not ctx.rules.extra_time:
        raise RuleViolation("extra time, but this competition's level ties have none")
    if pens and not level_at(et or ft, ctx, extra_time_played=et is not None):
        final = et or ft
        raise RuleViolation(f"penalties, but the tie was not level after {final[0]}-{final[1]}")
    if pens and not ctx.rules.penalties:
        raise RuleViolation("penalties, but this competition's level ties have none")
    if state.valid_goals:
        recorded, reported = state.score(), et or ft
        if recorded != reported:
            raise RuleViolation(f"reported {reported[0]}-{reported[1]} contradicts the goals "
                                f"recorded ({recorded[0]}-{recorded[1]})")


_RULES: dict[type[Event], Callable[[MatchState, Any, TieContext], None]] = {
    MatchStarted: _rule_started,
    PeriodStarted: _rule_period_started,
    PeriodEnded: _rule_period_ended,
    MatchEnded: _rule_ended,
    MatchAbandoned: _rule_abandoned,
    GoalScored: _rule_goal,
    GoalDisallowed: _rule_disallowed,
    CardShown: _rule_card,
    ShootoutKick: _rule_kick,
    SubstitutionMade: _rule_substitution,
    ResultReported: _rule_reported,
}
