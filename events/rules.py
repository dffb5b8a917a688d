"""The match as a state machine: a pure fold over a match's events, and the rules of the game.

``MatchState`` is what both the ledger (to refuse an impossible event on append) and the
scoreboard projection (to show the match) fold. It keeps facts keyed by event id, so that a
retraction removes exactly one fact and a disallowed goal is flagged, not forgotten.

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

import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from events.catalogue import (
    Card,
    CardShown,
    Event,
    EventRetracted,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    ShootoutKick,
    TieRules,
)


class RuleViolation(Exception):
    """An event that cannot happen in the match as recorded so far."""


PERIOD_ORDER = (
    Period.FIRST_HALF,
    Period.SECOND_HALF,
    Period.EXTRA_FIRST,
    Period.EXTRA_SECOND,
    Period.SHOOTOUT,
)
# regular minutes of each period; stoppage time is minute=<last> with ``added``
PERIOD_MINUTES = {
    Period.FIRST_HALF: (1, 45),
    Period.SECOND_HALF: (46, 90),
    Period.EXTRA_FIRST: (91, 105),
    Period.EXTRA_SECOND: (106, 120),
}
SHOOTOUT_ROUNDS = 5
SQUAD_ON_PITCH = 11

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def period_of_minute(minute: int) -> Period | None:
    """The period a minute belongs to (45+2 is still the first half); None past 120."""
    for period, (first, last) in PERIOD_MINUTES.items():
        if first <= minute <= last:
            return period
    return None


@attrs.frozen(kw_only=True)
class Goal:
    event_id: str
    team: str  # the scorer's team
    player: str | None
    minute: int | None
    added: int | None
    kind: GoalKind
    period: Period | None
    disallowed: bool = False


@attrs.frozen(kw_only=True)
class Booking:
    event_id: str
    team: str
    player: str
    card: Card
    minute: int | None
    added: int | None
    period: Period | None

    @property
    def sends_off(self) -> bool:
        return self.card is not Card.YELLOW


@attrs.frozen(kw_only=True)
class Kick:
    event_id: str
    team: str
    taker: str | None
    outcome: KickOutcome


def _added(mapping: Mapping[str, Any], key: str, value: Any) -> Mapping[str, Any]:
    return MappingProxyType({**mapping, key: value})


def _removed(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return MappingProxyType({k: v for k, v in mapping.items() if k != key})


@attrs.frozen(kw_only=True)
class MatchState:
    """Everything recorded on the pitch of one match, minus what was retracted."""

    home: str | None = None
    away: str | None = None
    # MatchStarted / PeriodStarted / PeriodEnded / MatchEnded / MatchAbandoned, in order
    transitions: tuple[tuple[str, Event], ...] = ()
    goals: Mapping[str, Goal] = _EMPTY
    disallowals: Mapping[str, str] = _EMPTY  # GoalDisallowed event id -> goal event id
    bookings: Mapping[str, Booking] = _EMPTY
    kicks: Mapping[str, Kick] = _EMPTY
    reported: tuple[str, ResultReported] | None = None  # (event id, result) from a source
    retracted: frozenset[str] = frozenset()

    # --- derived ---------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """scheduled, live, finished or abandoned."""
        if not self.transitions:
            return "finished" if self.reported else "scheduled"
        last = self.transitions[-1][1]
        if isinstance(last, MatchEnded):
            return "finished"
        if isinstance(last, MatchAbandoned):
            return "abandoned"
        return "live"

    @property
    def period(self) -> Period | None:
        """The period under way, None before kick-off, between periods and after the end."""
        last = self.transitions[-1][1] if self.transitions else None
        return last.period if isinstance(last, PeriodStarted) else None

    @property
    def periods_started(self) -> tuple[Period, ...]:
        return tuple(e.period for _, e in self.transitions if isinstance(e, PeriodStarted))

    @property
    def periods_ended(self) -> tuple[Period, ...]:
        return tuple(e.period for _, e in self.transitions if isinstance(e, PeriodEnded))

    @property
    def valid_goals(self) -> tuple[Goal, ...]:
        return tuple(g for g in self.goals.values() if not g.disallowed)

    def credited(self, goal: Goal) -> str | None:
        """The team a goal counts for: an own goal counts for the other side."""
        if goal.kind is not GoalKind.OWN_GOAL:
            return goal.team
        return self.away if goal.team == self.home else self.home

    def score(self, periods: tuple[Period, ...] | None = None) -> tuple[int, int]:
        """(home, away) over valid goals, optionally only those of the given periods."""
        home = away = 0
        for goal in self.valid_goals:
            if periods is not None and goal.period not in periods:
                continue
            if self.credited(goal) == self.home:
                home += 1
            else:
                away += 1
        return home, away

    def total(self) -> tuple[int, int]:
        """The score after all play (extra time included): from goals, else a reported result."""
        if self.reported is not None and not self.goals:
            result = self.reported[1]
            return result.extra_time or result.full_time
        return self.score()

    def shootout_score(self) -> tuple[int, int]:
        scored = [k.team for k in self.kicks.values() if k.outcome is KickOutcome.SCORED]
        return scored.count(self.home or ""), scored.count(self.away or "")

    @property
    def sent_off(self) -> frozenset[tuple[str, str]]:
        """(team, player) of everyone sent off."""
        return frozenset((b.team, b.player) for b in self.bookings.values() if b.sends_off)

    def shootout_decided(self) -> bool:
        """True once one side cannot catch up (best of five, then sudden death in pairs)."""
        kicks = list(self.kicks.values())
        taken = {self.home: 0, self.away: 0}
        for kick in kicks:
            taken[kick.team] = taken.get(kick.team, 0) + 1
        home_scored, away_scored = self.shootout_score()
        home_taken, away_taken = taken[self.home], taken[self.away]
        if home_taken < SHOOTOUT_ROUNDS or away_taken < SHOOTOUT_ROUNDS:
            home_left = SHOOTOUT_ROUNDS - home_taken
            away_left = SHOOTOUT_ROUNDS - away_taken
            return home_scored + home_left < away_scored or away_scored + away_left < home_scored
        return home_taken == away_taken and home_scored != away_scored

    def minute(self) -> int | None:
        """The latest match minute known, for "live at minute N"."""
        facts: list[Goal | Booking] = [*self.goals.values(), *self.bookings.values()]
        minutes = [f.minute for f in facts if f.minute is not None]
        started = [PERIOD_MINUTES[p][0] for p in self.periods_started if p in PERIOD_MINUTES]
        known = minutes + started
        return max(known) if known else None

    # --- the fold --------------------------------------------------------------------------

    def apply(self, event: Event, *, event_id: str) -> MatchState:
        """This state with ``event`` applied; no rule is checked here (see ``check``)."""
        handler = _FOLD.get(type(event))
        return handler(self, event, event_id) if handler else self

    def _but(self, name: str, value: Any) -> MatchState:
        """This state with one field replaced: ``attrs.evolve``'s work without its generality,
        at half the cost, for the fold's hottest call (the class has no validators)."""
        new = _NEW(MatchState)
        for field in _MATCH_FIELDS:
            _SET(new, field, getattr(self, field))
        _SET(new, name, value)
        return new

    def _transition(self, event: Event, event_id: str) -> MatchState:
        if type(event) in _PLAIN:  # a million matches start the same way: one object for all
            event = _SHARED.setdefault(event, event)
        return self._but("transitions", (*self.transitions, (event_id, event)))

    def _goal(self, event: GoalScored, event_id: str) -> MatchState:
        goal = Goal(event_id=event_id, team=intern_name(event.team),
                    player=intern_name(event.player), minute=event.minute, added=event.added,
                    kind=event.kind, period=self._period_for(event.minute))
        return self._but("goals", _added(self.goals, event_id, goal))

    def _disallowed(self, event: GoalDisallowed, event_id: str) -> MatchState:
        if event.goal not in self.goals:  # a time-travel view may hold the VAR call, not the goal
            return self
        goal = attrs.evolve(self.goals[event.goal], disallowed=True)
        return attrs.evolve(self, goals=_added(self.goals, event.goal, goal),
                            disallowals=_added(self.disallowals, event_id, event.goal))

    def _card(self, event: CardShown, event_id: str) -> MatchState:
        booking = Booking(event_id=event_id, team=intern_name(event.team),
                          player=intern_name(event.player),
                          card=event.card, minute=event.minute, added=event.added,
                          period=self._period_for(event.minute))
        return self._but("bookings", _added(self.bookings, event_id, booking))

    def _kick(self, event: ShootoutKick, event_id: str) -> MatchState:
        kick = Kick(event_id=event_id, team=intern_name(event.team), taker=intern_name(event.taker),
                    outcome=event.outcome)
        return self._but("kicks", _added(self.kicks, event_id, kick))

    def _reported(self, event: ResultReported, event_id: str) -> MatchState:
        return self._but("reported", (event_id, event))

    def _retracted(self, event: EventRetracted, event_id: str) -> MatchState:
        return self.without(event.event)

    def without(self, event_id: str) -> MatchState:
        """This state as if ``event_id`` had never been appended."""
        state = attrs.evolve(self, retracted=self.retracted | {event_id})
        if event_id in self.disallowals:
            goal_id = self.disallowals[event_id]
            goal = attrs.evolve(self.goals[goal_id], disallowed=False)
            return attrs.evolve(state, goals=_added(self.goals, goal_id, goal),
                                disallowals=_removed(self.disallowals, event_id))
        if event_id in self.goals:
            disallowals = {d: g for d, g in self.disallowals.items() if g != event_id}
            return attrs.evolve(state, goals=_removed(self.goals, event_id),
                                disallowals=MappingProxyType(disallowals))
        if event_id in self.bookings:
            return attrs.evolve(state, bookings=_removed(self.bookings, event_id))
        if event_id in self.kicks:
            return attrs.evolve(state, kicks=_removed(self.kicks, event_id))
        if self.reported and self.reported[0] == event_id:
            return attrs.evolve(state, reported=None)
        transitions = tuple(t for t in self.transitions if t[0] != event_id)
        return attrs.evolve(state, transitions=transitions)

    def knows(self, event_id: str) -> bool:
        """Whether ``event_id`` is a live (not retracted) fact of this match."""
        return (
            event_id in self.goals
            or event_id in self.bookings
            or event_id in self.kicks
            or event_id in self.disallowals
            or (self.reported is not None and self.reported[0] == event_id)
            or any(t[0] == event_id for t in self.transitions)
        )

    def _period_for(self, minute: int | None) -> Period | None:
        if self.period is not None:
            return self.period
        return period_of_minute(minute) if minute is not None else None


_MATCH_FIELDS = tuple(f.name for f in attrs.fields(MatchState))
T = TypeVar("T")
_SHARED: dict[Event, Event] = {}  # one of each kick-off, half-time, ... (all immutable)
_PLAIN = (MatchStarted, PeriodStarted, PeriodEnded, MatchEnded)  # no free text in them


def intern_name(name: T) -> T:
    """One string per team and player name however many matches hold it (a fold keeps
    every match of a long log in memory)."""
    return sys.intern(name) if isinstance(name, str) else name  # type: ignore[return-value]


_NEW, _SET = object.__new__, object.__setattr__

_FOLD: dict[type[Event], Callable[[MatchState, Any, str], MatchState]] = {
    MatchStarted: MatchState._transition,
    PeriodStarted: MatchState._transition,
    PeriodEnded: MatchState._transition,
    MatchEnded: MatchState._transition,
    MatchAbandoned: MatchState._transition,
    GoalScored: MatchState._goal,
    GoalDisallowed: MatchState._disallowed,
    CardShown: MatchState._card,
    ShootoutKick: MatchState._kick,
    ResultReported: MatchState._reported,
    EventRetracted: MatchState._retracted,
}


# --- the rules ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TieContext:
    """What a match's rules depend on beyond its own events.

    ``first_leg`` is the (home, away) score of the first leg *from this match's home side's
    point of view* when this match is a second leg; ``deciding`` is True for the last (or only)
    leg of a tie, where a level result goes to extra time and penalties under ``rules``.
    """

    rules: TieRules = TieRules()
    deciding: bool = False
    first_leg: tuple[int, int] | None = None
    # away goals scored in the first leg by (this home side, this away side)
    first_leg_away_goals: tuple[int, int] = (0, 0)


def level(state: MatchState, ctx: TieContext, *, extra_time_played: bool) -> bool:
    """Whether the tie is level at this point of its deciding match (on aggregate)."""
    home, away = state.total()
    if ctx.first_leg is not None:
        home, away = home + ctx.first_leg[0], away + ctx.first_leg[1]
    if home != away:
        return False
    rules = ctx.rules
    uses_away = rules.away_goals and (not extra_time_played or rules.away_goals_in_extra_time)
    if ctx.first_leg is not None and uses_away:
        # this match's home side is the first leg's away side
        home_away_goals = ctx.first_leg_away_goals[0]
        away_away_goals = state.total()[1] + ctx.first_leg_away_goals[1]
        return home_away_goals == away_away_goals
    return True


def check(state: MatchState, event: Event, ctx: TieContext | None = None) -> None:
    """Raise RuleViolation if ``event`` cannot follow ``state``; return None if it can."""
    rule = _RULES.get(type(event))
    if rule is not None:
        rule(state, event, ctx or TieContext())


def _need_live(state: MatchState, what: str) -> None:
    if state.status == "scheduled":
        raise RuleViolation(f"{what} before kick-off")
    if state.status != "live":
        raise RuleViolation(f"{what} after the match {state.status}")


def _need_team(state: MatchState, team: str) -> None:
    if team not in (state.home, state.away):
        playing = f"{state.home} v {state.away}"
        raise RuleViolation(f"team {team!r} does not play in this match ({playing})")


def _check_minute(state: MatchState, minute: int | None, added: int | None, what: str) -> None:
    if minute is None:
        if added is not None:
            raise RuleViolation("added time given without a minute")
        return
    if minute < 1 or (added is not None and added < 0):
        raise RuleViolation(f"minute {minute} is not a match minute")
    period = state.period
    if period is None:
        if state.periods_started:
            raise RuleViolation(f"{what} between periods")
        if period_of_minute(minute) is None:
            raise RuleViolation(f"minute {minute} is past the end of extra time")
        return
    if period is Period.SHOOTOUT:
        raise RuleViolation(f"{what} in a shoot-out: record a kick instead")
    first, last = PERIOD_MINUTES[period]
    if not first <= minute <= last:
        raise RuleViolation(f"minute {minute} does not fit {period.value} ({first}-{last})")
    if added is not None and minute != last:
        raise RuleViolation(f"added time only after minute {last} of {period.value}")


def _check_active(state: MatchState, team: str, player: str | None, what: str) -> None:
    if player is not None and (team, player) in state.sent_off:
        raise RuleViolation(f"{player} ({team}) was sent off and cannot {what}")


def _rule_started(state: MatchState, event: MatchStarted, ctx: TieContext) -> None:
    if state.status != "scheduled":
        raise RuleViolation(f"match already {state.status}")
    if state.home is None or state.away is None:
        raise RuleViolation("the teams of this match are not known yet")


def _rule_period_started(state: MatchState, event: PeriodStarted, ctx: TieContext) -> None:
    _need_live(state, f"{event.period.value} started")
    if state.period is not None:
        raise RuleViolation(f"{state.period.value} has not ended")
    ended = state.periods_ended
    expected = PERIOD_ORDER[len(ended)] if len(ended) < len(PERIOD_ORDER) else None
    if state.periods_started != ended:
        raise RuleViolation("periods out of order")
    if event.period is Period.SHOOTOUT and ended[-1:] == (Period.SECOND_HALF,):
        expected = Period.SHOOTOUT if not ctx.rules.extra_time else Period.EXTRA_FIRST
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
            what = "aggregate" if ctx.first_leg is not None else "score"
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
    if level(state, ctx, extra_time_played=extra) and (ctx.rules.extra_time or ctx.rules.penalties):
        raise RuleViolation("the tie is level: it needs extra time or penalties")


def _rule_abandoned(state: MatchState, event: MatchAbandoned, ctx: TieContext) -> None:
    if state.status in ("finished", "abandoned"):
        raise RuleViolation(f"match already {state.status}")


def _rule_goal(state: MatchState, event: GoalScored, ctx: TieContext) -> None:
    _need_live(state, "goal")
    _need_team(state, event.team)
    _check_minute(state, event.minute, event.added, "goal")
    _check_active(state, event.team, event.player, "score")


def _rule_disallowed(state: MatchState, event: GoalDisallowed, ctx: TieContext) -> None:
    goal = state.goals.get(event.goal)
    if goal is None:
        raise RuleViolation(f"no goal {event.goal} in this match to disallow")
    if goal.disallowed:
        raise RuleViolation(f"goal {event.goal} is already disallowed")


def _rule_card(state: MatchState, event: CardShown, ctx: TieContext) -> None:
    _need_live(state, "card")
    _need_team(state, event.team)
    if state.period is not Period.SHOOTOUT:
        _check_minute(state, event.minute, event.added, "card")
    _check_active(state, event.team, event.player, "be booked again")
    booked = any(b.team == event.team and b.player == event.player
                 for b in state.bookings.values())
    if event.card is Card.YELLOW and booked:
        raise RuleViolation(f"{event.player} already has a yellow: record a second_yellow")
    if event.card is Card.SECOND_YELLOW and not booked:
        raise RuleViolation(f"{event.player} has no yellow card yet: no second yellow")


def _rule_kick(state: MatchState, event: ShootoutKick, ctx: TieContext) -> None:
    if state.period is not Period.SHOOTOUT:
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
        _check_taker(state, event, kicks)


def _check_taker(state: MatchState, event: ShootoutKick, kicks: list[Kick]) -> None:
    """IFAB Law 10: no player kicks twice before every eligible team-mate has kicked."""
    teams = (state.home, state.away)
    sent = {team: sum(1 for t, _ in state.sent_off if t == team) for team in teams}
    eligible = SQUAD_ON_PITCH - max(sent.values())  # both sides reduce to the same number
    own = [k.taker for k in kicks if k.team == event.team]
    since_round = own[len(own) - len(own) % eligible:] if eligible else own
    if event.taker in since_round:
        raise RuleViolation(f"{event.taker} already kicked: every eligible team-mate "
                            "must kick before anyone kicks twice")


def _rule_reported(state: MatchState, event: ResultReported, ctx: TieContext) -> None:
    if state.status in ("live", "abandoned"):
        raise RuleViolation(f"a result cannot be reported while the match is {state.status}")
    if state.reported is not None:
        raise RuleViolation("a result is already reported: retract it first")
    ft, ht, et, pens = event.full_time, event.half_time, event.extra_time, event.penalties
    if min(*ft, *(ht or ()), *(et or ()), *(pens or ())) < 0:
        raise RuleViolation("a score cannot be negative")
    if ht and (ht[0] > ft[0] or ht[1] > ft[1]):
        raise RuleViolation(f"half time {ht[0]}-{ht[1]} is more than full time {ft[0]}-{ft[1]}")
    if et and (et[0] < ft[0] or et[1] < ft[1]):
        raise RuleViolation(f"after extra time {et[0]}-{et[1]} is less than full time "
                            f"{ft[0]}-{ft[1]}")
    if pens and pens[0] == pens[1]:
        raise RuleViolation(f"a shoot-out cannot end level ({pens[0]}-{pens[1]})")
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
    ResultReported: _rule_reported,
}
