"""The core fold: one pass over the log holds everything that every projection shows.

The state keeps the competition facts (competitions, teams, players, ties drawn, fixtures — the
latest ``FixtureScheduled`` of a match wins) and one ``events.match.MatchState`` per match.
Scoreboards, ties, brackets, records, streaks and player tables are *views* of it (the sibling
modules), so a single fold serves them all and each view is a pure function of the state.

    >>> from matchledger.projections import scoreboard
    >>> from matchledger.projections.testing import sample_log
    >>> state = fold_all(sample_log().envelopes)     # a list, or ``ledger.read(as_of=...)``
    >>> scoreboard(state, "qf1-leg1").score
    (0, 1)

``fold`` updates the state it is given and returns it. The state is a handful of plain dicts
the fold owns, whose values are all frozen, so the hot loop makes no copies (a million events
fold in seconds) and ``State.copy()`` is a cheap shallow copy for a caller that wants to keep
a state and fold on.

Retractions: a retracted match event is as if never appended (the match's own ``MatchState``
sees to it). Competition facts are folded by ``events.competition``, the judge's rule: a fact
stands until recorded again, and a retraction of one changes nothing. Each key keeps the
history of its facts (every ``FixtureScheduled`` of a match, say) for scopes and snapshots.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from matchledger.events import Event, EventRetracted
from matchledger.events.competition import (
    FACT_TABLES,
    CompetitionFacts,
    add,
    fact_key,
    fact_of,
    settled,
)
from matchledger.events.competition import Competition as Competition  # for the views
from matchledger.events.competition import Fixture as Fixture
from matchledger.events.competition import Key as Key
from matchledger.events.competition import Player as Player
from matchledger.events.competition import Tie as Tie
from matchledger.events.match import EMPTY_MATCH as EMPTY_MATCH  # for the views
from matchledger.events.match import MatchState
from matchledger.ledger.envelope import Envelope

UTC = dt.UTC
NEVER = dt.datetime.min.replace(tzinfo=UTC)
FORMAT = 13  # bump when the shape of State or of the read models changes, or the rule that
# folds them: older snapshots are then ignored and older read models rebuilt

T = TypeVar("T")

# --- facts of the competition streams: ``events.competition`` folds them ------------------

Entry = tuple[str, Any]  # (event_id, fact)


@attrs.frozen(kw_only=True)
class Index:
    """Lookups derived from the fixtures and ties; rebuilt only when those change."""

    by_team: Mapping[str, tuple[str, ...]]  # team -> match ids (unordered: see kickoff_order)
    # team -> competition -> its match ids there (unordered)
    by_team_competition: Mapping[str, Mapping[str, tuple[str, ...]]]
    by_competition: Mapping[str, tuple[str, ...]]  # competition -> match ids (unordered)
    by_tie: Mapping[tuple[str, str], tuple[str, ...]]  # (competition, tie) -> match ids by leg
    ties: Mapping[str, tuple[Tie, ...]]  # competition -> its ties in natural order of id
    # match -> its place in the fixtures' order, which every list follows (made and kept,
    # in place, by the first update: a state folded once never needs it)
    order: dict[str, int] | None = None


@attrs.define(kw_only=True)
class State(CompetitionFacts):
    """Everything folded so far: the competition facts (``events.competition``), each one's
    history, and the matches. Mutable on purpose (see the module docstring)."""

    position: int = 0
    max_occurred: dt.datetime = NEVER  # of every event folded: what makes a snapshot usable
    max_recorded: dt.datetime = NEVER
    # every fact recorded at a key, in order: which scopes it was in, what a snapshot keeps
    history: dict[Key, tuple[Entry, ...]] = attrs.Factory(dict)
    located: dict[str, Key] = attrs.Factory(dict)  # event id of a competition fact -> its key
    matches: dict[str, MatchState] = attrs.Factory(dict)
    cache: Index | None = attrs.field(default=None, eq=False, repr=False)
    # fixture and tie keys changed since ``cache`` was built, with the fixture each held
    # before (``index`` drains it)
    reindex: dict[Key, Fixture | None] = attrs.field(factory=dict, eq=False, repr=False)
    # keys changed since the owner last drained it (None: not tracked)
    touched: set[Key] | None = attrs.field(default=None, eq=False, repr=False)
    # match -> its state and fixture before its first change since the owner began keeping
    # them, as the projector does from the checkpoint on (None: not kept; see ``note_prior``)
    prior: dict[str, tuple[MatchState, Fixture | None]] | None = attrs.field(
        default=None, eq=False, repr=False)
    # view -> match -> (match state, fixture, value): per-match views, see ``memo``
    memos: dict[str, dict[str, tuple[MatchState, Fixture | None, Any]]] = attrs.field(
        factory=dict, eq=False, repr=False)

    def copy(self) -> State:
        """An independent state to fold on; shallow, since every value is immutable."""
        return State(
            position=self.position,
            max_occurred=self.max_occurred,
            max_recorded=self.max_recorded,
            history=dict(self.history),
            located=dict(self.located),
            competitions=dict(self.competitions),
            teams=dict(self.teams),
            players=dict(self.players),
            ties=dict(self.ties),
            fixtures=dict(self.fixtures),
            matches=dict(self.matches),
        )


# --- the fold --------------------------------------------------------------------------------


def fold(state: State, env: Envelope) -> State:
    """``state`` with ``env`` applied (in place: see the module docstring)."""
    event = env.event
    if env.stream.startswith("match:"):
        if type(event) is not EventRetracted or event.event not in state.located:
            _fold_match(state, env.stream[6:], event, env.event_id)
        # else a competition fact retracted from a match stream: it stands
    elif type(event) is EventRetracted:
        if event.event not in state.located:  # a competition fact stands
            _retract_match_event(state, event.event)
    else:
        _fold_fact(state, env)
    state.position = env.position
    if env.occurred_at > state.max_occurred:
        state.max_occurred = env.occurred_at
    if env.recorded_at > state.max_recorded:
        state.max_recorded = env.recorded_at
    return state


def fold_all(envelopes: Iterable[Envelope], state: State | None = None) -> State:
    """The state after folding ``envelopes`` (in position order) onto ``state`` or nothing."""
    state = State() if state is None else state
    for env in envelopes:
        fold(state, env)
    return state


def _fold_match(state: State, match: str, event: Event, event_id: str) -> None:
    current = state.matches.get(match, EMPTY_MATCH)
    if state.prior is not None:  # (the replay's hottest path: no call when none are kept)
        note_prior(state, match)
    state.matches[match] = current.apply(event, event_id=event_id)
    if state.touched is not None:
        state.touched.add(("match", match))


def _fold_fact(state: State, env: Envelope) -> None:
    """A competition fact, folded by ``events.competition``'s rule and kept in its history."""
    found = fact_of(env.event, env.stream_id, env.position)
    if found is None:  # an event the competition side of the fold has no use for
        return
    key, fact = found
    _changing(state, key)
    state.history[key] = (*state.history.get(key, ()), (env.event_id, fact))
    state.located[env.event_id] = key
    add(state, key, fact)
    _touched(state, key)


def _retract_match_event(state: State, event_id: str) -> None:
    """A match event retracted from another stream (rare): find the match that holds it."""
    for match, current in state.matches.items():
        if current.knows(event_id):
            note_prior(state, match)
            state.matches[match] = current.without(event_id)
            if state.touched is not None:
                state.touched.add(("match", match))
            return


def _settle(state: State, key: Key) -> None:
    """Recompute the fact at ``key`` from its history (a snapshot's part)."""
    table: dict[Any, Any] = getattr(state, FACT_TABLES[key[0]])
    name = key[1] if len(key) == 2 else key[1:]
    _changing(state, key)
    entries = state.history.get(key, ())
    if entries:
        table[name] = settled(fact for _, fact in entries)
    else:
        state.history.pop(key, None)
        table.pop(name, None)
    _touched(state, key)


def _changing(state: State, key: Key) -> None:
    """Note a fixture or tie about to change, for ``index`` to bring its lookups up to date
    (and a fixture's match for ``State.prior``)."""
    if state.cache is not None and key[0] in ("fixture", "tie") and key not in state.reindex:
        state.reindex[key] = state.fixtures.get(key[1]) if key[0] == "fixture" else None
    if key[0] == "fixture":
        note_prior(state, key[1])


PRIOR_LIMIT = 4096  # matches whose earlier state ``State.prior`` keeps at most


def note_prior(state: State, match: str) -> None:
    """Keep the match's state and fixture as they are before it changes, so that what was
    made of them can be taken out again (``projections.book``); past ``PRIOR_LIMIT``
    matches, stop keeping any: so many changes are recomputed whole, at no memory cost.
    Nothing when none are kept, or the match's are already."""
    if state.prior is None or match in state.prior:
        return
    if len(state.prior) >= PRIOR_LIMIT:
        state.prior = None
    else:
        state.prior[match] = (state.matches.get(match, EMPTY_MATCH), state.fixtures.get(match))


def _touched(state: State, key: Key) -> None:
    if state.touched is not None:
        state.touched.add(key)


# --- scopes: the part of the state one competition's or one team's views need ---------------
#
# A view of a competition (its bracket, ties, table) reads only the keys of that competition;
# the streaks, outcomes and players of a team only the team's own keys and its matches. Since
# the fold of one key never reads another, folding just the events of those keys gives exactly
# what the full fold holds under them, and ``state_at(..., competition=...)`` or
# ``(..., team=...)`` loads and folds only those.


def competition_scope(competition: str) -> str:
    return f"competition:{competition}"


def team_scope(team: str) -> str:
    return f"team:{team}"


def scopes(state: State, key: Key) -> set[str]:
    """The scopes ``key`` belongs to in ``state``: a match belongs to the competition and the
    teams of every scheduling of it, a team to itself and the competitions it registered in."""
    kind, ident = key[0], key[1]
    if kind in ("competition", "tie"):
        return {competition_scope(ident)}
    if kind == "player":
        return {team_scope(ident)}
    found = {team_scope(ident)} if kind == "team" else set()
    for _, fact in state.history.get(("fixture", ident) if kind == "match" else key, ()):
        if kind == "team":
            found.update(competition_scope(c) for c in fact.competitions)
        else:
            found.add(competition_scope(fact.competition))
            found.update(team_scope(t) for t in (fact.home, fact.away) if t)
    return found


def companions(state: State, key: Key) -> set[Key]:
    """The keys that go wherever ``key`` goes: a fixture takes its match, and its teams, whose
    names a view of the match shows."""
    if key[0] != "fixture":
        return set()
    found: set[Key] = {("match", key[1])}
    for _, fact in state.history.get(key, ()):
        found.update(("team", t) for t in (fact.home, fact.away) if t)
    return found


def key_of(env: Envelope) -> Key | None:
    """The key of the state ``env`` folds into; None for a retraction or an event the fold
    ignores (a retraction changes the key of the event it retracts, if any)."""
    event = env.event
    if type(event) is EventRetracted:
        return None
    if env.stream.startswith("match:"):
        return ("match", env.stream[6:])
    return fact_key(event, env.stream_id)


# --- derived lookups -------------------------------------------------------------------------


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting "QF2" before "QF10"."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def index(state: State) -> Index:
    """The lookups of ``state``, cached until a fixture or a tie changes; then brought up to
    date from the fixtures and ties changed since (``State.reindex``), so that a long-lived
    state's lookups cost what its new events cost, not what the whole ledger holds."""
    cache = state.cache
    if cache is not None and not state.reindex:  # no fixture or tie changed since
        return cache
    changed, state.reindex = state.reindex, {}
    if cache is None or not _reindexed(state, cache, changed):
        state.cache = _indexed(state)
    return state.cache  # type: ignore[return-value]


def _indexed(state: State) -> Index:
    """Every lookup built from the whole state."""
    fixtures = state.fixtures.values()  # not sorted here: a reschedule must stay cheap
    by_team: dict[str, list[str]] = {}
    by_team_competition: dict[str, dict[str, list[str]]] = {}
    by_competition: dict[str, list[str]] = {}
    by_tie: dict[tuple[str, str], list[Fixture]] = {}
    for fx in fixtures:
        for team in dict.fromkeys(t for t in (fx.home, fx.away) if t):
            by_team.setdefault(team, []).append(fx.match)
            by_team_competition.setdefault(team, {}).setdefault(fx.competition, []).append(
                fx.match)
        by_competition.setdefault(fx.competition, []).append(fx.match)
        if fx.tie is not None:
            by_tie.setdefault((fx.competition, fx.tie), []).append(fx)
    ties: dict[str, list[Tie]] = {}
    for tie in sorted(state.ties.values(), key=lambda t: natural_key(t.tie)):
        ties.setdefault(tie.competition, []).append(tie)
    return Index(
        by_team={k: tuple(v) for k, v in by_team.items()},
        by_team_competition={t: {c: tuple(ms) for c, ms in v.items()}
                             for t, v in by_team_competition.items()},
        by_competition={k: tuple(v) for k, v in by_competition.items()},
        by_tie={k: tuple(f.match for f in sorted(v, key=_leg_key)) for k, v in by_tie.items()},
        ties={k: tuple(v) for k, v in ties.items()},
    )


def _reindexed(state: State, cache: Index, changed: dict[Key, Fixture | None]) -> bool:
    """Bring ``cache`` up to ``state`` by the fixture and tie keys ``changed`` since it was
    built (with the fixtures they held), each lookup in the order a full build gives (the
    fixtures'); False when that is not cheaper (many fixtures changed) or not known (a
    fixture removed)."""
    if len(changed) * 4 > len(state.fixtures) + 16:
        return False
    order = cache.order
    if order is None:  # made at the first update: the fixtures' order, new ones last
        order = {m: n for n, m in enumerate(state.fixtures)}
    by_team, by_competition = dict(cache.by_team), dict(cache.by_competition)
    by_team_competition, by_tie = dict(cache.by_team_competition), dict(cache.by_tie)
    legs: set[tuple[str, str]] = set()  # ties whose legs to order again
    drawn: set[str] = set()  # competitions whose ties changed
    for key, old in changed.items():
        if key[0] == "tie":
            drawn.add(key[1])
            continue
        match = key[1]
        new = state.fixtures.get(match)
        if old is new:
            continue
        if new is None:
            return False  # its place in the fixtures' order is gone with it
        if match not in order:
            order[match] = len(order)
        place = order.__getitem__
        was, now = _entries(old), _entries(new)
        for team in was[0] - now[0]:
            _drop(by_team, team, match)
        for team in now[0] - was[0]:
            _put(by_team, team, match, place)
        for team, competition in was[1] - now[1]:
            inner = by_team_competition[team] = dict(by_team_competition[team])
            _drop(inner, competition, match)
            if not inner:
                del by_team_competition[team]
        for team, competition in now[1] - was[1]:
            inner = by_team_competition[team] = dict(by_team_competition.get(team, {}))
            _put(inner, competition, match, place)
        for competition in was[2] - now[2]:
            _drop(by_competition, competition, match)
        for competition in now[2] - was[2]:
            _put(by_competition, competition, match, place)
        legs |= was[3] | now[3]
        for pair in was[3] - now[3]:
            _drop(by_tie, pair, match)
        for pair in now[3] - was[3]:
            _put(by_tie, pair, match, place)
    for pair in legs:
        if pair in by_tie:
            by_tie[pair] = tuple(sorted(by_tie[pair],
                                        key=lambda m: _leg_key(state.fixtures[m])))
    ties = dict(cache.ties)
    for competition in drawn:
        found = sorted((t for t in state.ties.values() if t.competition == competition),
                       key=lambda t: natural_key(t.tie))
        if found:
            ties[competition] = tuple(found)
        else:
            ties.pop(competition, None)
    state.cache = Index(by_team=by_team, by_team_competition=by_team_competition,
                        by_competition=by_competition, by_tie=by_tie, ties=ties, order=order)
    return True


def _entries(fx: Fixture | None) -> tuple[set[str], set[tuple[str, str]], set[str],
                                          set[tuple[str, str]]]:
    """Where a fixture is listed: its teams, (team, competition), competition, tie."""
    if fx is None:
        return set(), set(), set(), set()
    teams = {t for t in (fx.home, fx.away) if t}
    return (teams, {(t, fx.competition) for t in teams}, {fx.competition},
            {(fx.competition, fx.tie)} if fx.tie is not None else set())


def _drop(lookup: dict[Any, tuple[str, ...]], key: Any, match: str) -> None:
    kept = tuple(m for m in lookup[key] if m != match)
    if kept:
        lookup[key] = kept
    else:
        del lookup[key]


def _put(lookup: dict[Any, tuple[str, ...]], key: Any, match: str,
         place: Callable[[str], int]) -> None:
    listed = lookup.get(key, ())
    if not listed or place(listed[-1]) < place(match):  # a new fixture: the common case
        lookup[key] = (*listed, match)
    else:
        at = bisect.bisect(listed, place(match), key=place)
        lookup[key] = (*listed[:at], match, *listed[at:])


def kickoff_order(state: State, matches: Iterable[str]) -> list[str]:
    """``matches`` (all scheduled) in order of kick-off, else date, then id."""
    return sorted(matches, key=lambda m: state.fixtures[m].sort_key)


def _leg_key(fx: Fixture) -> tuple[int, dt.datetime, str]:
    return (fx.leg if fx.leg is not None else 1_000_000, *fx.sort_key)


def bound_match(state: State, match: str) -> MatchState:
    """The match's state with its teams from the latest fixture (what scores are counted by).

    The fold keeps ``MatchState`` without teams, so that rescheduling a match (teams known
    after a draw) never has to touch its events' state.
    """
    return _bind(state.matches.get(match, EMPTY_MATCH), state.fixtures.get(match))


def _bind(current: MatchState, fx: Fixture | None) -> MatchState:
    if fx is None or (current.home == fx.home and current.away == fx.away):
        return current
    return attrs.evolve(current, home=fx.home, away=fx.away)


def memo(state: State, view: str, match: str,
         compute: Callable[[MatchState, Fixture | None], T]) -> T:
    """``compute(match state, fixture)``, remembered until either changes.

    Both are immutable and replaced on every change, so identity tells whether the value
    remembered is still good; bulk writers ask for the same match several times.
    """
    current = state.matches.get(match, EMPTY_MATCH)
    fx = state.fixtures.get(match)
    memos = state.memos.get(view)
    if memos is None:
        memos = state.memos[view] = {}
    hit = memos.get(match)
    if hit is not None and hit[0] is current and hit[1] is fx:
        return hit[2]  # type: ignore[no-any-return]
    value = compute(current, fx)
    memos[match] = (current, fx, value)
    return value


# --- snapshots ------------------------------------------------------------------------------
#
# A snapshot is stored in parts, one per key of the state: ("match", id) holds a MatchState,
# any other key the history of one competition fact. Parts are versioned by position, so a new
# snapshot writes only the keys touched since the previous one (its cost follows the events
# since then, not the size of the state) and any snapshot is the parts valid at its position.


def field_names(cls: type) -> tuple[str, ...]:
    """An attrs class's field names, in order (asked once per object by the hot paths)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    return names


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def all_keys(state: State) -> set[Key]:
    """Every key of ``state``: what a first snapshot writes."""
    return {("match", m) for m in state.matches} | set(state.history)


def add_parts(state: State, parts: Iterable[tuple[Key, Any]]) -> State:
    """``state`` with a snapshot's parts added (decoded: ``projections.codec``); the facts
    among them are settled again, so ``state`` may hold others already."""
    facts = []
    for key, value in parts:
        if key[0] == "match":
            state.matches[key[1]] = value
        else:
            state.history[key] = value
            facts.append(key)
    for key in facts:
        for event_id, _ in state.history[key]:
            state.located[event_id] = key
        _settle(state, key)
    return state
