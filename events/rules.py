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

import functools
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, ValuesView
from types import MappingProxyType
from typing import Any, Generic, Protocol, TypeVar

import attrs

from matchledger.events.catalogue import (
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
    SubstitutionMade,
    TieRules,
)
from matchledger.events.tie import Played, TieLeg, ahead_in_tie, decide_tie


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
MOST_GOALS = 999  # in a reported score: the record is 149-0 (2002); beyond, a slip or an attack

EventKey = str | int  # an event id as a match's state holds it: see ``event_key``


def event_key(event_id: str) -> EventKey:
    """An event id as a match's state holds it: a canonical UUID (as every id the ledger
    makes) as its 128-bit number, in half the memory of its 36 characters, since the fold of a
    long log holds a million of them; any other id as it is."""
    if _CANONICAL_UUID(event_id) is None:
        return event_id
    return int(event_id.replace("-", ""), 16)


_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def event_id_of(key: EventKey) -> str:
    """The event id that ``event_key`` gave ``key`` for."""
    if isinstance(key, str):
        return key
    digits = f"{key:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


_EMPTY: Mapping[EventKey, Any] = MappingProxyType({})


def next_period(ended: int, rules: TieRules) -> Period | None:
    """The period that starts once ``ended`` periods have: the next in order, but penalties
    straight after 90 minutes where the rules have no extra time; None after the shoot-out."""
    if ended == 2 and not rules.extra_time:
        return Period.SHOOTOUT
    return PERIOD_ORDER[ended] if ended < len(PERIOD_ORDER) else None


def period_of_minute(minute: int) -> Period | None:
    """The period a minute belongs to (45+2 is still the first half); None past 120."""
    return _PERIOD_OF[minute] if 0 < minute < len(_PERIOD_OF) else None


_PERIOD_OF = (None, *(period for period, (first, last) in PERIOD_MINUTES.items()
                      for _ in range(first, last + 1)))


class _Keyed:
    """A fact that holds its event id as a key (``event_key``) and gives it back as text."""

    __slots__ = ()
    key: EventKey

    @property
    def event_id(self) -> str:
        return event_id_of(self.key)


@attrs.frozen(kw_only=True, weakref_slot=False)
class Goal(_Keyed):
    key: EventKey  # its event id: see ``event_key``
    team: str  # the scorer's team
    player: str | None
    minute: int | None
    added: int | None
    kind: GoalKind
    period: Period | None
    disallowed: bool = False


@attrs.frozen(kw_only=True, weakref_slot=False)
class Booking(_Keyed):
    key: EventKey  # its event id: see ``event_key``
    team: str
    player: str
    card: Card
    minute: int | None
    added: int | None
    period: Period | None

    @property
    def sends_off(self) -> bool:
        return self.card is not Card.YELLOW


@attrs.frozen(kw_only=True, weakref_slot=False)
class Kick(_Keyed):
    key: EventKey  # its event id: see ``event_key``
    team: str
    taker: str | None
    outcome: KickOutcome


@attrs.frozen(kw_only=True, weakref_slot=False)
class Substitution(_Keyed):
    key: EventKey  # its event id: see ``event_key``
    team: str
    player_off: str
    player_on: str
    minute: int | None
    added: int | None
    period: Period | None


F = TypeVar("F", bound=_Keyed)


class Facts(Mapping[str, F], Generic[F]):
    """Read-only facts of one kind (goals, bookings, kicks) by event id, in the order appended.

    A tuple of facts that carry their own id rather than a dict behind a read-only proxy: a
    match holds a handful, which a scan finds, and a fold of a long log holds a million of them
    in a third of the memory."""

    __slots__ = ("facts",)

    def __init__(self, facts: tuple[F, ...] = ()) -> None:
        self.facts = facts

    def __getitem__(self, event_id: str) -> F:
        return self.keyed(event_key(event_id))

    def __contains__(self, event_id: object) -> bool:
        return isinstance(event_id, str) and self.holds(event_key(event_id))

    def keyed(self, key: EventKey) -> F:
        """The fact of an event key (``event_key``)."""
        for fact in self.facts:
            if fact.key == key:
                return fact
        raise KeyError(event_id_of(key))

    def holds(self, key: EventKey) -> bool:
        return any(fact.key == key for fact in self.facts)

    def __iter__(self) -> Iterator[str]:
        return (fact.event_id for fact in self.facts)

    def __len__(self) -> int:
        return len(self.facts)

    def values(self) -> ValuesView[F]:
        return _FactValues(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Facts):
            return self.facts == other.facts
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # like the dict it stands for

    def __repr__(self) -> str:
        return f"Facts({self.facts!r})"

    def __reduce__(self) -> tuple[type[Facts[F]], tuple[tuple[F, ...]]]:
        return Facts, (self.facts,)

    def added(self, fact: F, at: int | None = None) -> Facts[F]:
        """These facts and a new one (its event id is new: the ledger's ids are unique), last
        or ``at`` that index (the place of the fact it replaces)."""
        if at is None:
            return Facts((*self.facts, fact))
        return Facts((*self.facts[:at], fact, *self.facts[at:]))

    def index(self, key: EventKey) -> int | None:
        """Where the fact of ``key`` stands among these, or None."""
        return next((i for i, f in enumerate(self.facts) if f.key == key), None)

    def replaced(self, fact: F) -> Facts[F]:
        """These facts with the one of ``fact``'s event id replaced by it, in its place."""
        return Facts(tuple(fact if f.key == fact.key else f for f in self.facts))

    def without(self, key: EventKey) -> Facts[F]:
        return Facts(tuple(f for f in self.facts if f.key != key))


class _FactValues(ValuesView[F]):
    __slots__ = ()
    _mapping: Facts[F]

    def __iter__(self) -> Iterator[F]:
        return iter(self._mapping.facts)

    def __contains__(self, value: object) -> bool:
        return value in self._mapping.facts


NO_FACTS: Facts[Any] = Facts()


def _added(mapping: Mapping[EventKey, Any], key: EventKey, value: Any) -> Mapping[EventKey, Any]:
    return MappingProxyType({**mapping, key: value})


def _removed(mapping: Mapping[EventKey, Any], key: EventKey) -> Mapping[EventKey, Any]:
    return MappingProxyType({k: v for k, v in mapping.items() if k != key})


@attrs.frozen(kw_only=True, weakref_slot=False)
class MatchState:
    """Everything recorded on the pitch of one match, minus what was retracted."""

    home: str | None = None
    away: str | None = None
    # MatchStarted / PeriodStarted / PeriodEnded / MatchEnded / MatchAbandoned, in order, and
    # their event keys (two tuples: a pair per event cost 24 MB in a fold of 1M events)
    transitions: tuple[Event, ...] = ()
    transition_keys: tuple[EventKey, ...] = ()
    goals: Facts[Goal] = NO_FACTS
    disallowals: Mapping[EventKey, EventKey] = _EMPTY  # GoalDisallowed key -> its goal's key
    bookings: Facts[Booking] = NO_FACTS
    kicks: Facts[Kick] = NO_FACTS
    substitutions: Facts[Substitution] = NO_FACTS
    reported: tuple[EventKey, ResultReported] | None = None  # (key, result) from a source
    retracted: frozenset[EventKey] = frozenset()  # of the events retracted (``is_retracted``)
    # an amendment's replacement (its key) -> the place among its kind's facts of the fact it
    # replaces, until the replacement comes (next in the log)
    slots: Mapping[EventKey, int] = _EMPTY

    # --- derived ---------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """scheduled, live, finished or abandoned."""
        if not self.transitions:
            return "finished" if self.reported else "scheduled"
        last = self.transitions[-1]
        if isinstance(last, MatchEnded):
            return "finished"
        if isinstance(last, MatchAbandoned):
            return "abandoned"
        return "live"

    @property
    def period(self) -> Period | None:
        """The period under way, None before kick-off, between periods and after the end."""
        last = self.transitions[-1] if self.transitions else None
        return last.period if isinstance(last, PeriodStarted) else None

    @property
    def periods_started(self) -> tuple[Period, ...]:
        return tuple(e.period for e in self.transitions if isinstance(e, PeriodStarted))

    @property
    def periods_ended(self) -> tuple[Period, ...]:
        return tuple(e.period for e in self.transitions if isinstance(e, PeriodEnded))

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

    def played(self) -> Played:
        """What play came to (see ``Played``): from goals and kicks, else a reported result,
        which also tells of extra time and penalties where the goals do not."""
        reported = self.reported[1] if self.reported is not None else None
        if reported is not None and not self.goals:
            full, after = reported.full_time, reported.extra_time
            return Played(regular=full, total=after or full, extra_time_played=after is not None,
                          penalties=self.shootout_score() if self.kicks else reported.penalties)
        total, extra = self.score(), self.score((Period.EXTRA_FIRST, Period.EXTRA_SECOND))
        started = self.periods_started
        return Played(
            regular=(total[0] - extra[0], total[1] - extra[1]), total=total,
            extra_time_played=(Period.EXTRA_FIRST in started or extra != (0, 0)
                               or (reported is not None and reported.extra_time is not None)),
            penalties=(self.shootout_score() if self.kicks or Period.SHOOTOUT in started
                       else reported.penalties if reported else None))

    def shootout_score(self) -> tuple[int, int]:
        scored = [k.team for k in self.kicks.values() if k.outcome is KickOutcome.SCORED]
        return scored.count(self.home or ""), scored.count(self.away or "")

    @property
    def sent_off(self) -> frozenset[tuple[str, str]]:
        """(team, player) of everyone sent off."""
        return frozenset((b.team, b.player) for b in self.bookings.values() if b.sends_off)

    def shootout_decided(self) -> bool:
        """True once one side cannot catch up (best of five, then sudden death in pairs)."""
        taken = {self.home: 0, self.away: 0}
        for kick in self.kicks.values():
            taken[kick.team] = taken.get(kick.team, 0) + 1
        return shootout_over((taken[self.home], taken[self.away]), self.shootout_score())

    def minute(self) -> int | None:
        """The latest match minute known, for "live at minute N"."""
        facts: list[Goal | Booking | Substitution] = [
            *self.goals.values(), *self.bookings.values(), *self.substitutions.values()]
        minutes = [f.minute for f in facts if f.minute is not None]
        started = [PERIOD_MINUTES[p][0] for p in self.periods_started if p in PERIOD_MINUTES]
        known = minutes + started
        return max(known) if known else None

    # --- the fold --------------------------------------------------------------------------

    def apply(self, event: Event, *, event_id: str) -> MatchState:
        """This state with ``event`` applied; no rule is checked here (see ``check``)."""
        handler = _FOLD.get(type(event))
        return handler(self, event, event_key(event_id)) if handler else self

    def _but(self, name: str, value: Any) -> MatchState:
        """This state with one field replaced: ``attrs.evolve``'s work without its generality,
        at half the cost, for the fold's hottest call (the class has no validators)."""
        new = _NEW(MatchState)
        for field in _MATCH_FIELDS:
            _SET(new, field, getattr(self, field))
        _SET(new, name, value)
        return new

    def _transition(self, event: Event, key: EventKey) -> MatchState:
        if type(event) in _PLAIN:  # a million matches start the same way: one object for all
            event = _SHARED.setdefault(event, event)
        new = self._but("transitions", (*self.transitions, event))
        _SET(new, "transition_keys", (*self.transition_keys, key))  # new: not yet shared
        return new

    def _goal(self, event: GoalScored, key: EventKey) -> MatchState:
        goal = Goal(key=key, team=intern_name(event.team),
                    player=intern_name(event.player), minute=event.minute, added=event.added,
                    kind=event.kind, period=self._period_for(event.minute))
        return self._placed("goals", self.goals, goal)

    def _disallowed(self, event: GoalDisallowed, key: EventKey) -> MatchState:
        goal_key = event_key(event.goal)
        if not self.goals.holds(goal_key):  # a time-travel view may hold the VAR call only
            return self
        goal = attrs.evolve(self.goals.keyed(goal_key), disallowed=True)
        return attrs.evolve(self, goals=self.goals.replaced(goal),
                            disallowals=_added(self.disallowals, key, goal_key))

    def _card(self, event: CardShown, key: EventKey) -> MatchState:
        booking = Booking(key=key, team=intern_name(event.team),
                          player=intern_name(event.player),
                          card=event.card, minute=event.minute, added=event.added,
                          period=self._period_for(event.minute))
        return self._placed("bookings", self.bookings, booking)

    def _kick(self, event: ShootoutKick, key: EventKey) -> MatchState:
        kick = Kick(key=key, team=intern_name(event.team), taker=intern_name(event.taker),
                    outcome=event.outcome)
        return self._placed("kicks", self.kicks, kick)

    def _placed(self, name: str, facts: Facts[Any], fact: _Keyed) -> MatchState:
        """This state with ``fact`` among its ``name`` facts: last, or where the fact it
        replaces stood (an amendment: see ``EventRetracted.replacement``)."""
        if not self.slots or fact.key not in self.slots:
            return self._but(name, facts.added(fact))
        new = self._but(name, facts.added(fact, self.slots[fact.key]))
        _SET(new, "slots", _removed(self.slots, fact.key))
        return new

    def _substituted(self, event: SubstitutionMade, key: EventKey) -> MatchState:
        sub = Substitution(key=key, team=intern_name(event.team),
                           player_off=intern_name(event.player_off),
                           player_on=intern_name(event.player_on), minute=event.minute,
                           added=event.added, period=self._period_for(event.minute))
        return self._but("substitutions", self.substitutions.added(sub))

    def _reported(self, event: ResultReported, key: EventKey) -> MatchState:
        return self._but("reported", (key, event))

    def _retracted(self, event: EventRetracted, key: EventKey) -> MatchState:
        retracted = event_key(event.event)
        if event.replacement is None:
            return self._without(retracted)
        place = next((i for i in (f.index(retracted) for f in (
            self.goals, self.bookings, self.kicks)) if i is not None), None)
        state = self._without(retracted)
        if place is None:
            return state
        return attrs.evolve(state, slots=_added(state.slots, event_key(event.replacement),
                                                 place))

    def without(self, event_id: str) -> MatchState:
        """This state as if ``event_id`` had never been appended."""
        return self._without(event_key(event_id))

    def _without(self, key: EventKey) -> MatchState:
        state = attrs.evolve(self, retracted=self.retracted | {key})
        if key in self.disallowals:
            goal = attrs.evolve(self.goals.keyed(self.disallowals[key]), disallowed=False)
            return attrs.evolve(state, goals=self.goals.replaced(goal),
                                disallowals=_removed(self.disallowals, key))
        if self.goals.holds(key):
            disallowals = {d: g for d, g in self.disallowals.items() if g != key}
            return attrs.evolve(state, goals=self.goals.without(key),
                                disallowals=MappingProxyType(disallowals))
        if self.bookings.holds(key):
            return attrs.evolve(state, bookings=self.bookings.without(key))
        if self.kicks.holds(key):
            return attrs.evolve(state, kicks=self.kicks.without(key))
        if self.substitutions.holds(key):
            return attrs.evolve(state, substitutions=self.substitutions.without(key))
        if self.reported and self.reported[0] == key:
            return attrs.evolve(state, reported=None)
        if key not in self.transition_keys:
            return state
        kept = [i for i, k in enumerate(self.transition_keys) if k != key]
        return attrs.evolve(state, transitions=tuple(self.transitions[i] for i in kept),
                            transition_keys=tuple(self.transition_keys[i] for i in kept))

    def knows(self, event_id: str) -> bool:
        """Whether ``event_id`` is a live (not retracted) fact of this match."""
        key = event_key(event_id)
        return (
            self.goals.holds(key)
            or self.bookings.holds(key)
            or self.kicks.holds(key)
            or self.substitutions.holds(key)
            or key in self.disallowals
            or (self.reported is not None and self.reported[0] == key)
            or key in self.transition_keys
        )

    def is_retracted(self, event_id: str) -> bool:
        return event_key(event_id) in self.retracted

    def _period_for(self, minute: int | None) -> Period | None:
        """The period of a goal or card: its minute's (a correction typed later happened
        then), else the period under way; a card in a shoot-out is of the shoot-out."""
        if minute is None or self.period is Period.SHOOTOUT:
            return self.period
        return period_of_minute(minute)


_MATCH_FIELDS = tuple(f.name for f in attrs.fields(MatchState))
T = TypeVar("T")
_SHARED: dict[Event, Event] = {}  # one of each kick-off, half-time, ... (all immutable)
_PLAIN = (MatchStarted, PeriodStarted, PeriodEnded, MatchEnded)  # no free text in them


def intern_name(name: T) -> T:
    """One string per team and player name however many matches hold it (a fold keeps
    every match of a long log in memory)."""
    return sys.intern(name) if isinstance(name, str) else name  # type: ignore[return-value]


_NEW, _SET = object.__new__, object.__setattr__

_FOLD: dict[type[Event], Callable[[MatchState, Any, EventKey], MatchState]] = {
    MatchStarted: MatchState._transition,
    PeriodStarted: MatchState._transition,
    PeriodEnded: MatchState._transition,
    MatchEnded: MatchState._transition,
    MatchAbandoned: MatchState._transition,
    GoalScored: MatchState._goal,
    GoalDisallowed: MatchState._disallowed,
    CardShown: MatchState._card,
    ShootoutKick: MatchState._kick,
    SubstitutionMade: MatchState._substituted,
    ResultReported: MatchState._reported,
    EventRetracted: MatchState._retracted,
}


# --- the rules ------------------------------------------------------------------------------


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


def shootout_over(taken: tuple[int, int], scored: tuple[int, int]) -> bool:
    """Whether a shoot-out with these kicks taken and scored by each side is decided: one
    side cannot catch up in the five rounds, or a round of sudden death ended uneven."""
    if taken[0] < SHOOTOUT_ROUNDS or taken[1] < SHOOTOUT_ROUNDS:
        left = (SHOOTOUT_ROUNDS - taken[0], SHOOTOUT_ROUNDS - taken[1])
        return scored[0] + left[0] < scored[1] or scored[1] + left[1] < scored[0]
    return taken[0] == taken[1] and scored[0] != scored[1]


def shootout_can_end(score: tuple[int, int]) -> bool:
    """Whether a shoot-out can end at ``score``: by one in sudden death, any score; by more,
    only as the five rounds stop once one side cannot catch up (3-0, but never 4-0)."""
    return abs(score[0] - score[1]) == 1 or score in _five_round_ends()


@functools.cache  # worked out at the first reported shoot-out, not at every start-up
def _five_round_ends() -> frozenset[tuple[int, int]]:
    ends: set[tuple[int, int]] = set()

    def kick(taken: tuple[int, int], scored: tuple[int, int], side: int) -> None:
        if shootout_over(taken, scored):
            ends.add(scored)
        elif taken[side] < SHOOTOUT_ROUNDS:
            for goal in (0, 1):
                kick(_plus(taken, side, 1), _plus(scored, side, goal), 1 - side)

    for first in (0, 1):
        kick((0, 0), (0, 0), first)
    return frozenset(ends)


def _plus(pair: tuple[int, int], side: int, n: int) -> tuple[int, int]:
    return (pair[0] + n, pair[1]) if side == 0 else (pair[0], pair[1] + n)


def check(state: MatchState, event: Event, ctx: TieContext | None = None) -> None:
    """Raise RuleViolation if ``event`` cannot follow ``state``; return None if it can."""
    rule = _RULES.get(type(event))
    if rule is not None:
        rule(state, event, ctx or TieContext())


# --- the match as it happened on the pitch -----------------------------------------------------
#
# A correction is a fact recorded later about the past: a goal the reporter missed, a card the
# referee's report adds, typed after full time but timed inside the match. The rules judge the
# match as it happened on the pitch, so such an event is judged with the match's events replayed
# in pitch order (period, minute, added time, then as recorded), itself in its place. Events
# typed as they happen are at the end of that order already: ``check`` alone judges them.


_TIMED = (GoalScored, CardShown, SubstitutionMade)  # timed by the match minute


def typed_late(state: MatchState, event: Event) -> bool:
    """Whether ``event`` happened before what ``state`` already holds: a goal, card or
    substitution timed in a period played and over, or before the latest of them in the period
    under way. Such
    an event is judged by ``rejudge``; anything else (a minute in a period never started, a
    goal with no minute) by ``check`` as typed."""
    if not isinstance(event, _TIMED) or event.minute is None:
        return False
    minute = event.minute
    current = state.period
    if current is Period.SHOOTOUT:
        return False
    period = period_of_minute(minute)
    if period is not current:  # an earlier period, if it was played
        return period is not None and period in state.periods_started
    moment = (minute, event.added or 0)
    return any(f.period is period and f.minute is not None and (f.minute, f.added or 0) > moment
               for facts in (state.goals.facts, state.bookings.facts, state.substitutions.facts)
               for f in facts)



def standing(events: Iterable[tuple[str, Event]]) -> list[tuple[str, Event]]:
    """The events of a match's log, (event id, event) in the order appended, that stand, in
    that order: a retracted event leaves with its retraction (and a goal with its disallowal),
    an amendment's replacement takes the place of the event it replaces. RuleViolation if a
    replacement is not the same kind of event as the one it replaces."""
    order: list[tuple[str, Event] | None] = []
    index: dict[str, int] = {}
    slots: dict[str, tuple[int, type[Event]]] = {}
    for event_id, event in events:
        if not isinstance(event, EventRetracted):
            at, kind = slots.pop(event_id, (len(order), type(event)))
            if type(event) is not kind:
                raise RuleViolation(f"an amendment replaces a {kind.__name__} with a "
                                    f"{kind.__name__}, not a {type(event).__name__}")
            if at == len(order):
                order.append((event_id, event))
            else:
                order[at] = (event_id, event)
            index[event_id] = at
            continue
        place = index.pop(event.event, None)
        if place is None:
            continue
        gone, order[place] = order[place], None
        for i, kept in enumerate(order):  # a retracted goal takes its disallowal with it
            if kept and isinstance(kept[1], GoalDisallowed) and kept[1].goal == event.event:
                order[i] = None
        if event.replacement is not None and gone is not None:
            slots[event.replacement] = (place, type(gone[1]))
    return [e for e in order if e is not None]


_RANK = {period: i + 1 for i, period in enumerate(PERIOD_ORDER)}
_NO_MINUTE = 10**6  # a goal or card without a minute: last of its period
_END = len(PERIOD_ORDER) + 2  # the final whistle or the abandonment, after every period


def pitch_order(events: Sequence[tuple[str, Event]]) -> list[tuple[str, Event]]:
    """Standing events (``standing``) in the order they happened on the pitch: kick-off;
    each period's start, its goals and cards by minute and added time (a disallowal just after
    its goal, kicks as taken), its end; the final whistle; a reported result. Ties, and what
    has no minute, keep the order recorded (a goal or card without a minute, last in the period
    it was recorded in)."""
    keyed: list[tuple[tuple[int, ...], int, str, Event]] = []
    under_way: Period | None = None
    last: Period | None = None
    goal_keys: dict[str, tuple[int, ...]] = {}
    for n, (event_id, event) in enumerate(events):
        key: tuple[int, ...]
        if isinstance(event, MatchStarted):
            key = (0, 0, 0, 0, 0)
        elif isinstance(event, PeriodStarted):
            under_way = last = event.period
            key = (_RANK[event.period], 0, 0, 0, 0)
        elif isinstance(event, PeriodEnded):
            under_way = None
            key = (_RANK[event.period], 2, 0, 0, 0)
        elif isinstance(event, _TIMED):
            period = (under_way or last if event.minute is None or under_way is Period.SHOOTOUT
                      else period_of_minute(event.minute))
            minute = _NO_MINUTE if event.minute is None or period is Period.SHOOTOUT \
                else event.minute
            key = (_RANK[period] if period else _END - 1, 1, minute, event.added or 0, 0)
            goal_keys[event_id] = key
        elif isinstance(event, ShootoutKick):
            key = (_RANK[Period.SHOOTOUT], 1, _NO_MINUTE, 0, 0)
        elif isinstance(event, GoalDisallowed):
            key = (*goal_keys.get(event.goal, (_END - 1, 1, _NO_MINUTE, 0))[:4], 1)
        elif isinstance(event, ResultReported):
            key = (_END + 1, 0, 0, 0, 0)
        else:  # the final whistle, an abandonment
            key = (_END, 0, 0, 0, 0)
        keyed.append((key, n, event_id, event))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [(event_id, event) for _, _, event_id, event in keyed]


class Timed(Protocol):
    """A goal or card, or a view of one: it happened in a period, at a minute."""

    @property
    def period(self) -> Period | None: ...
    @property
    def minute(self) -> int | None: ...
    @property
    def added(self) -> int | None: ...


def match_order(fact: Timed) -> tuple[int, int, int]:
    """Where a goal or card stands in its match, as ``pitch_order`` has it: by period, minute
    and added time (a sort by it keeps the order recorded among equals)."""
    rank = _RANK[fact.period] if fact.period is not None else _END - 1
    minute = _NO_MINUTE if fact.minute is None or fact.period is Period.SHOOTOUT \
        else fact.minute
    return rank, minute, fact.added or 0


def rejudge(home: str | None, away: str | None, events: Sequence[tuple[str, Event]],
            ctx: TieContext | None = None, *, focus: str | None = None,
            unchecked: tuple[type[Event], ...] = ()) -> MatchState:
    """The match of ``home`` v ``away`` folded from its standing events (``standing``) in
    pitch order, each checked (but ``unchecked`` ones) under ``ctx``; RuleViolation at the
    first that does not fit, saying which when it is another than ``focus``."""
    state = MatchState(home=home, away=away)
    for event_id, event in pitch_order(events):
        if not isinstance(event, unchecked):
            try:
                check(state, event, ctx)
            except RuleViolation as e:
                if focus is None or event_id == focus:
                    raise
                raise RuleViolation(f"then {_named(event)} would not fit: {e}") from e
        state = state.apply(event, event_id=event_id)
    return state


AMENDABLE: Mapping[type[Event], frozenset[str]] = MappingProxyType({
    GoalScored: frozenset({"team", "player", "minute", "added", "kind"}),
    CardShown: frozenset({"team", "player", "card", "minute", "added"}),
    ShootoutKick: frozenset({"team", "taker", "outcome"}),
})


def amended(event: Event, changes: Mapping[str, Any]) -> Event:
    """``event`` (a goal, a card or a shoot-out kick) with ``changes`` to its fields, as an
    amendment replaces it; RuleViolation for anything else, or a change of nothing."""
    fields = AMENDABLE.get(type(event))
    if fields is None:
        raise RuleViolation(f"a {type(event).__name__} cannot be amended: only a goal, a card "
                            "or a shoot-out kick (retract anything else)")
    wrong = sorted(set(changes) - fields)
    if wrong:
        raise RuleViolation(f"a {type(event).__name__} has no {', '.join(wrong)} to change "
                            f"(it has {', '.join(sorted(fields))})")
    new = attrs.evolve(event, **changes)
    if new == event:
        raise RuleViolation("the amendment changes nothing")
    return new


def _named(event: Event) -> str:
    """An event as a refusal names it: its type, and its period or minute."""
    if isinstance(event, (PeriodStarted, PeriodEnded)):
        return f"{type(event).__name__} {event.period.value}"
    minute = getattr(event, "minute", None)
    if minute is None:
        return type(event).__name__
    added = getattr(event, "added", None)
    return f"{type(event).__name__} at {minute}{f'+{added}' if added else ''}'"


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


def minute_of(minute: int | None, added: int | None) -> str:
    """A match minute as written: ``45+2'``; ``?'`` when not known."""
    if minute is None:
        return "?'"
    return f"{minute}+{added}'" if added else f"{minute}'"


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
