"""A match's state: a pure fold over its events (``MatchState``), without judging them.

``MatchState`` is what both the ledger (to judge an event on append, by ``events.rules``) and
the scoreboard projection (to show the match) fold. It keeps facts keyed by event id, so that a
retraction removes exactly one fact and a disallowed goal is flagged, not forgotten.

    >>> s = MatchState(home="liverpool", away="atalanta")
    >>> for n, e in enumerate((MatchStarted(), PeriodStarted(period=Period.FIRST_HALF),
    ...                        GoalScored(team="atalanta", minute=38))):
    ...     s = s.apply(e, event_id=f"e{n}")
    >>> s.status, s.period, s.score()
    ('live', <Period.FIRST_HALF: '1H'>, (0, 1))
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, ValuesView
from types import MappingProxyType
from typing import Any, Generic, TypeVar

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
)
from matchledger.events.clock import PERIOD_MINUTES, period_of_minute
from matchledger.events.shootout import shootout_over
from matchledger.events.tie import Played

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
                    kind=event.kind, period=self._period_for(event.minute),
                    # an amendment's replacement of a goal ruled out (``_retracted``)
                    disallowed=bool(self.disallowals) and key in self.disallowals.values())
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
        calls = [d for d, goal in self.disallowals.items() if goal == retracted]
        state = self._without(retracted)
        if place is None:
            return state
        replacement = event_key(event.replacement)
        state = attrs.evolve(state, slots=_added(state.slots, replacement, place))
        for call in calls:  # a goal ruled out stays ruled out, however its details are fixed
            state = attrs.evolve(state, disallowals=_added(state.disallowals, call, replacement))
        return state

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
