"""The match as it happened on the pitch: corrections judged in their place, amendments.

A correction is a fact recorded later about the past: a goal the reporter missed, a card the
referee's report adds, typed after full time but timed inside the match. The rules judge the
match as it happened on the pitch, so such an event is judged with the match's events replayed
in pitch order (period, minute, added time, then as recorded), itself in its place. Events
typed as they happen are at the end of that order already: ``events.rules.check`` alone judges
them.

    >>> log = [("a", MatchStarted()), ("b", PeriodStarted(period=Period.FIRST_HALF)),
    ...        ("c", GoalScored(team="x", minute=30)), ("d", GoalScored(team="x", minute=10))]
    >>> [event_id for event_id, _ in pitch_order(log)]
    ['a', 'b', 'd', 'c']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

import attrs

from matchledger.events.catalogue import (
    CardShown,
    Event,
    EventRetracted,
    GoalDisallowed,
    GoalScored,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.events.clock import PERIOD_ORDER, period_of_minute
from matchledger.events.match import MatchState
from matchledger.events.rules import RuleViolation, TieContext, check

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
    an amendment's replacement takes the place of the event it replaces (and a goal's
    disallowal is then of the replacement). RuleViolation if a replacement is not the same
    kind of event as the one it replaces."""
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
        # a retracted goal takes its disallowal with it; an amended one passes it on to its
        # replacement (a goal ruled out stays ruled out, however its details are fixed)
        for i, kept in enumerate(order):
            if kept and isinstance(kept[1], GoalDisallowed) and kept[1].goal == event.event:
                order[i] = (None if event.replacement is None else
                            (kept[0], attrs.evolve(kept[1], goal=event.replacement)))
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
