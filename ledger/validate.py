"""Append-time judgement: is this event possible given everything the ledger holds?

The ledger keeps small folds of what it needs (the team registry, each competition's ties and
fixtures, each match's state), cached per stream and brought up to date by version, so an
append reads only what changed since the last one. Work done inside a transaction is kept
apart and only kept once the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import attrs

from matchledger.events import (
    CompetitionCreated,
    Event,
    EventRetracted,
    FixtureScheduled,
    PlayerRegistered,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.catalogue import (
    CardShown,
    GoalDisallowed,
    GoalScored,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.events.competition import (
    FACTS_STAND,
    Competition,
    CompetitionFacts,
    Fixture,
    Tie,
    fold_fact,
)
from matchledger.events.match import EMPTY_MATCH, MatchState, event_key
from matchledger.events.pitch import rejudge, standing, typed_late
from matchledger.events.roster import NAMING, PLAYER_FIELDS, Roster, on_roster, players_named
from matchledger.events.rules import RuleViolation, TieContext, check, through
from matchledger.events.tie import Played, TieLeg, candidates, home_side
from matchledger.ledger.codec import decode, explain
from matchledger.ledger.envelope import from_micros, to_micros
from matchledger.ledger.errors import InvalidEvent, RuleBroken, UnknownMatch
from matchledger.ledger.jsontext import loads
from matchledger.ledger.limits import MAX_ID, check_text
from matchledger.ledger.teams import (
    SLUG,
    Registry,
    need_letters,
    registry_from_json,
    registry_json,
)

COMPETITION_TYPES = frozenset(
    {"CompetitionCreated", "TeamRegistered", "PlayerRegistered", "TieDrawn", "FixtureScheduled"}
)
MATCH_TYPES = frozenset(
    {"MatchStarted", "PeriodStarted", "PeriodEnded", "GoalScored", "GoalDisallowed",
     "CardShown", "SubstitutionMade", "ShootoutKick", "MatchEnded", "MatchAbandoned",
     "ResultReported"}
)
# in the order of the partial index events_registry: SQL names them so, to use it
REGISTRY_TYPES = ("TeamRegistered", "PlayerRegistered")
REGISTRY_WHERE = "type IN ({})".format(", ".join(f"'{t}'" for t in REGISTRY_TYPES))


@attrs.frozen(kw_only=True)
class CompetitionState:
    """One competition's facts as the judge reads them, folded by ``events.competition``
    (its teams and players are the registry's, across competitions)."""

    id: str = ""
    facts: CompetitionFacts = attrs.Factory(CompetitionFacts)

    @property
    def created(self) -> Competition | None:
        return self.facts.competitions.get(self.id)

    @property
    def rules(self) -> TieRules:
        created = self.created
        return created.rules if created else TieRules()

    @property
    def fixtures(self) -> Mapping[str, Fixture]:
        return self.facts.fixtures

    def tie(self, tie_id: str | None) -> Tie | None:
        """The tie ``tie_id`` drawn in this competition; None if none (or no id)."""
        return self.facts.ties.get((self.id, tie_id)) if tie_id is not None else None

    def ties(self) -> Iterable[Tie]:
        return self.facts.ties.values()

    def writable(self) -> Callable[[Event], CompetitionState]:
        """A function folding events into a copy of this state in place, returning it: a
        transaction scheduling a season, or reading one back, copies the fixtures once, not
        per fixture (which made it quadratic in the size of the competition)."""
        current = CompetitionState(id=self.id, facts=self.facts.copy_facts())

        def add(event: Event) -> CompetitionState:
            if type(event) not in _REGISTERING:
                fold_fact(current.facts, event, self.id)
            return current

        return add


_REGISTERING = (TeamRegistered, PlayerRegistered)  # the registry's to fold (``Judge.registry``)


State = CompetitionState | MatchState


def stream_kind(stream: str) -> tuple[str, str]:
    """("match", "uel24-qf1-leg1") for "match:uel24-qf1-leg1"; refuses anything else."""
    check_text(stream, "stream", MAX_ID + len("competition:"))
    kind, sep, ident = stream.partition(":")
    if not sep or kind not in ("competition", "match") or not SLUG.match(ident):
        raise InvalidEvent(
            f"bad stream {stream!r}: use competition:<id> or match:<id> (lower-case, digits, -)"
        )
    return kind, ident


def allowed_in(kind: str, type_name: str) -> bool:
    if type_name == "EventRetracted":
        return True
    return type_name in (COMPETITION_TYPES if kind == "competition" else MATCH_TYPES)


class Judge:
    """Decides, event by event, whether an append may go in; one per Ledger (connection)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget every fold: a write failed in a way that leaves unsure what the file holds."""
        self._cache: dict[str, tuple[int, State]] = {}
        self._registry: tuple[int, Registry] = (0, Registry())
        self._competition_of: dict[str, str] = {}  # match id -> competition stream
        self._pending: dict[str, tuple[int, State]] = {}
        self._pending_registry: tuple[int, Registry] | None = None
        self._pending_competition_of: dict[str, str] = {}
        self._unscheduled: set[str] = set()  # matches no fixture names, in this transaction
        # registers in _pending_registry, in a competition
        self._add: Callable[[Event, str | None], None] | None = None
        # competition stream -> folds into this transaction's own copy of its state
        self._writers: dict[str, Callable[[Event], CompetitionState]] = {}
        # what was brought up to date in this transaction: nobody else writes while it lasts
        self._fresh: set[str] = set()
        # what was up to date when this judge's last write committed ("" is the registry),
        # still so in a transaction that finds nothing appended since (``trust``)
        self._current: set[str] = set()
        # match stream -> when its standing MatchStarted occurred (µs), as far as looked up
        self._kickoffs: dict[str, int | None] = {}
        self._pending_kickoffs: dict[str, int | None] = {}
        # match stream -> the events of the batch being written to it, admitted so far (not in
        # the database until the batch is: a correction replays them with the rest)
        self._batch: dict[str, list[tuple[str, Event]]] = {}
        self._awaiting: dict[str, str] = {}  # match stream -> an amendment's replacement's id
        # registrations read from the log since the stored registry (or the start): many, and
        # the next write stores the registry (``store_registry``)
        self._registrations_read = 0

    # --- transaction bookkeeping -----------------------------------------------------------

    def commit(self, *, wrote: bool) -> None:
        """The transaction committed (``wrote``: it appended, so the log's head is where this
        judge knows it to be)."""
        if wrote:  # what it read, or trusted (``trust`` puts that in _fresh), is current
            self._current = self._fresh
        self._cache.update(self._pending)
        self._competition_of.update(self._pending_competition_of)
        if self._pending_registry is not None:
            self._registry = self._pending_registry
        self._kickoffs.update(self._pending_kickoffs)
        self.rollback()

    def rollback(self) -> None:
        self._pending = {}
        self._pending_registry = None
        self._pending_competition_of = {}
        self._unscheduled = set()
        self._add = None
        self._writers = {}
        self._fresh = set()
        self._pending_kickoffs = {}
        self._batch = {}
        self._awaiting = {}

    def warm(self, conn: sqlite3.Connection, stream: str) -> None:
        """Bring what an append to ``stream`` reads (the registry, the stream's fold and its
        competition's) up to date, in a read transaction: the slow first fold is then done
        outside the write lock, and the append under it reads only what changed since."""
        kind, ident = stream_kind(stream)
        self.registry(conn)
        self.state(conn, stream)
        competition = self._scheduled_in(conn, ident) if kind == "match" else None
        if competition is not None:
            self.state(conn, competition)

    def prepare(self, conn: sqlite3.Connection, events: Iterable[Event]) -> None:
        """Look up at once where the fixtures of a batch were scheduled before, if anywhere
        (a new match's fixture would otherwise cost a query of its own)."""
        matches = {e.match for e in events if isinstance(e, FixtureScheduled)}
        matches -= self._pending_competition_of.keys() | self._competition_of.keys()
        if not matches:
            return
        found = scheduled_in(conn, matches)
        self._pending_competition_of.update(found)
        self._unscheduled |= matches - found.keys()

    def trust(self) -> None:
        """Nothing was appended since this judge's last write: what was current then still
        is, so this transaction reads none of it back from the database (what was never
        read, or was read before someone else appended, is read as usual)."""
        self._fresh |= self._current

    def complete(self, stream: str) -> None:
        """The batch for ``stream`` is all admitted: refuse it if an amendment in it lacks its
        replacement."""
        awaited = self._awaiting.pop(stream, None)
        if awaited is not None:
            raise RuleBroken(f"EventRetracted refused: its replacement {awaited} must follow it "
                             "in the same append")

    def written(self, stream: str) -> None:
        """The stream's events are in the database now; forget it if its match is over.

        A finished match is rarely touched again: memory stays bounded by the matches still
        live, and the odd later append reads the match back from the log.
        """
        self._batch.pop(stream, None)
        known = self._pending.get(stream)
        if known and isinstance(known[1], MatchState) and known[1].status in _OVER:
            del self._pending[stream]
            self._cache.pop(stream, None)
            self._fresh.discard(stream)
            self._current.discard(stream)
            self._forget_kickoff(stream)

    # --- folds, brought up to date from the database ---------------------------------------

    def _registering(self) -> Callable[[Event, str | None], None]:
        """Registers in this transaction's own copy of the registry (made on first use)."""
        if self._add is None:
            position, reg = self._pending_registry or self._registry
            reg, self._add = reg.writable()
            self._pending_registry = position, reg
        return self._add

    def registry(self, conn: sqlite3.Connection) -> Registry:
        position, reg = self._pending_registry or self._registry
        if "" in self._fresh:
            return reg
        if position == 0 and self._pending_registry is None:
            position, reg = stored_registry(conn) or (position, reg)
        rows = conn.execute(
            "SELECT position, type, schema_version, data, stream FROM events "
            f"WHERE {REGISTRY_WHERE} AND position > ? "
            "ORDER BY position",
            (position,),
        ).fetchall()
        if rows:
            reg = reg.registered([decode_stored(t, v, d) for _, t, v, d, _ in rows],
                                 [s.removeprefix("competition:") for *_, s in rows])
            position = rows[-1][0]
            self._registrations_read += len(rows)
        self._pending_registry = (position, reg)
        self._fresh.add("")
        return reg

    def store_registry(self, conn: sqlite3.Connection) -> None:
        """In a write transaction, before anything is admitted: store the registry as read,
        once ``REGISTRY_STORED_AFTER`` registrations had to be read to make it, so that a new
        process reads the few since instead of every one of the log."""
        if self._registrations_read < REGISTRY_STORED_AFTER or self._add is not None:
            return
        reg = self.registry(conn)  # up to date in this transaction
        position = (self._pending_registry or self._registry)[0]
        if position == 0:
            return
        store_registry(conn, position, reg)
        self._registrations_read = 0

    def state(self, conn: sqlite3.Connection, stream: str) -> tuple[int, State]:
        """(version, fold) of a stream as the database holds it now; version -1 when empty."""
        known = self._pending.get(stream) or self._cache.get(stream)
        version, state = known or (-1, _empty(stream))
        if stream in self._fresh:
            return version, state
        read = version
        for v, event_id, event in _events(conn, stream, after_version=version):
            if isinstance(state, MatchState):
                state = state.apply(event, event_id=event_id)
            else:
                state = self._writer(stream, state)(event)
            version = v
        if version != read:  # another writer's events: it may have started the match again
            self._forget_kickoff(stream)
        self._pending[stream] = (version, state)
        self._fresh.add(stream)
        return version, state

    def resolved(self, conn: sqlite3.Connection, event: Event) -> Event:
        """``event`` with its names as admitting it would resolve them, no rule checked: a
        resent event may spell them as typed, the stored one holds the ids."""
        return named(self.registry(conn), event)

    # --- the judgement ---------------------------------------------------------------------

    def _writer(self, stream: str, comp: CompetitionState) -> Callable[[Event], CompetitionState]:
        """Folds into this transaction's own copy of a competition's state (made from
        ``comp``, its state now, on first use)."""
        add = self._writers.get(stream)
        if add is None:
            add = self._writers[stream] = comp.writable()
        return add

    def admit(self, conn: sqlite3.Connection, stream: str, kind: str, ident: str,
              version: int, event: Event, event_id: str, occurred: int) -> Event:
        """The event as it will be stored (names resolved to ids), or an error saying why not;
        ``kind`` and ``ident`` are the parts of ``stream`` (``stream_kind``), ``occurred`` its
        time in µs."""
        if kind == "competition":
            _, comp = self.state(conn, stream)  # read once: judging the event leaves it as is
            assert isinstance(comp, CompetitionState)
            event = self._competition(conn, comp, stream, ident, version, event)
            self._pending[stream] = (version, self._writer(stream, comp)(event))
            return event
        event, state, late = self._match(conn, stream, ident, event, event_id)
        after = state.apply(event, event_id=event_id)
        if late:  # a correction in a first leg may undo the second leg's extra time
            self._second_legs_hold(conn, ident, after, f"{type(event).__name__} refused: it")
        if isinstance(event, EventRetracted):
            if event.replacement is None:  # an amendment is judged with its replacement
                self._second_legs_hold(conn, ident, after,
                                       f"EventRetracted refused: retracting {event.event}")
            self._forget_kickoff(stream)
        elif isinstance(event, MatchStarted):
            self._pending_kickoffs[stream] = occurred
        elif isinstance(event, _ON_THE_PITCH) and state.transitions:
            kicked_off = self._kickoff(conn, stream)
            if kicked_off is not None and occurred < kicked_off:
                raise RuleBroken(f"{type(event).__name__} refused: it occurred at "
                                 f"{_iso(occurred)}, before the match kicked off at "
                                 f"{_iso(kicked_off)}")
            ended = self._ended(conn, stream) if late and state.status in _OVER else None
            if ended is not None and occurred > ended:
                raise RuleBroken(f"{type(event).__name__} refused: it occurred at "
                                 f"{_iso(occurred)}, after the match ended at {_iso(ended)}: "
                                 "a correction is timed inside the match (give --at)")
        self._pending[stream] = (version, after)
        self._batch.setdefault(stream, []).append((event_id, event))
        return event

    def _competition(self, conn: sqlite3.Connection, comp: CompetitionState, stream: str,
                     ident: str, version: int, event: Event) -> Event:
        """``event`` of ``stream`` as admitted, judged by ``comp``, the stream's state now."""
        if isinstance(event, CompetitionCreated):
            need_letters(event.name, "competition name")
            need_letters(event.season, "season")
            if version != 0:
                raise RuleBroken(f"competition {ident!r} already exists")
            if event.competition != ident:
                raise RuleBroken(f"competition id {event.competition!r} is not that of {stream}")
            rules = event.rules
            if rules.away_goals_in_extra_time and not rules.away_goals:
                raise RuleBroken("rules: away goals in extra time need the away-goals rule")
            if rules.points_for_win < 1:
                raise RuleBroken(f"rules: a win is worth 1 point or more, not "
                                 f"{rules.points_for_win}")
            return event
        if comp.created is None:
            raise RuleBroken(f"competition {ident!r} does not exist: create it first")
        reg = self.registry(conn)
        if isinstance(event, TeamRegistered):
            self._registering()(event, ident)
            return event
        if isinstance(event, PlayerRegistered):
            event = named(reg, event)
            self._registering()(event, ident)
            return event
        if isinstance(event, TieDrawn):
            return self._tie(comp, reg, event)
        if isinstance(event, FixtureScheduled):
            return self._fixture(conn, comp, reg, ident, event)
        raise RuleBroken(FACTS_STAND)

    def _tie(self, comp: CompetitionState, reg: Registry, event: TieDrawn) -> TieDrawn:
        need_letters(event.tie, "tie id")
        need_letters(event.round, "round")
        if comp.tie(event.tie) is not None:
            raise RuleBroken(f"tie {event.tie!r} was already drawn")
        if event.legs not in (1, 2):
            raise RuleBroken(f"a tie has 1 or 2 legs, not {event.legs}")
        event = named(reg, event)
        sides = event.sides
        for side in sides:
            if side.team is None and comp.tie(side.winner_of) is None:
                raise RuleBroken(f"winner_of {side.winner_of!r}: no such tie in this competition")
        if sides[0] == sides[1]:
            raise RuleBroken("a tie needs two different sides")
        for other in comp.ties():  # a round has each team (or winner) once
            shared = [s for s in sides if s in other.sides and other.round == event.round]
            if shared:
                who = shared[0].team or f"the winner of {shared[0].winner_of}"
                raise RuleBroken(f"{who} is already in tie {other.tie} of round {event.round}")
        return event

    def _fixture(self, conn: sqlite3.Connection, comp: CompetitionState, reg: Registry,
                 ident: str, event: FixtureScheduled) -> FixtureScheduled:
        if not SLUG.match(event.match):
            raise RuleBroken(f"match id {event.match!r} must be lower-case letters, digits, -")
        event = named(reg, event)
        home, away = event.home, event.away
        if home is not None and home == away:
            raise RuleBroken(f"{home} cannot play itself")
        if event.tie is not None:
            tie = comp.tie(event.tie)
            if tie is None:
                raise RuleBroken(f"no tie {event.tie!r} in competition {ident!r}")
            leg = event.leg or 1
            if not 1 <= leg <= tie.legs:
                raise RuleBroken(f"tie {event.tie} has {tie.legs} leg(s), not leg {event.leg}")
            if event.round is not None and event.round != tie.round:
                raise RuleBroken(f"tie {event.tie} is in round {tie.round}, not {event.round}")
            sides = [self._candidates(conn, comp, side) for side in tie.sides]
            if not _fits(home, away, *sides):
                raise RuleBroken(f"tie {event.tie} is between "
                                 f"{' and '.join(' or '.join(sorted(c)) for c in sides)}")
            taken = next((m for m in self._legs(conn, comp, event.tie, leg)
                          if m != event.match), None)
            if taken is not None:
                raise RuleBroken(f"tie {event.tie} leg {leg} is already match {taken!r}: "
                                 "schedule that one again to change it")
        if event.kickoff is not None and event.kickoff.tzinfo is None:
            raise RuleBroken("kickoff needs its UTC offset (local time, e.g. +02:00)")
        if event.kickoff is not None and event.kickoff.date() != event.date:
            raise RuleBroken(f"kickoff {event.kickoff.isoformat()} is not on the match's date "
                             f"{event.date.isoformat()} (both local)")
        stream = f"competition:{ident}"
        scheduled = self._scheduled_in(conn, event.match)
        if scheduled is not None and scheduled != stream:
            raise RuleBroken(f"match {event.match!r} belongs to {scheduled}")
        old = comp.fixtures.get(event.match)
        if old is not None:
            _, state = self.state(conn, f"match:{event.match}")
            started = isinstance(state, MatchState) and state.status != "scheduled"
            if started and (old.home, old.away) != (home, away):
                raise RuleBroken(f"match {event.match!r} has started: its teams cannot change")
            kicked_off = self._kickoff(conn, f"match:{event.match}") if started else None
            if kicked_off is not None and (  # a local date is at most a day ahead of UTC
                    to_micros(event.kickoff) > kicked_off if event.kickoff is not None
                    else event.date > from_micros(kicked_off).date() + dt.timedelta(days=1)):
                raise RuleBroken(f"match {event.match!r} kicked off at {_iso(kicked_off)}: it "
                                 f"cannot be rescheduled after its own events")
        if scheduled is None:  # a new match: its stream is empty, no need to read it back
            self._pending[f"match:{event.match}"] = (-1, EMPTY_MATCH)
            self._fresh.add(f"match:{event.match}")
        self._pending_competition_of[event.match] = stream
        self._unscheduled.discard(event.match)
        return event

    def _scheduled_in(self, conn: sqlite3.Connection, match: str) -> str | None:
        """The competition stream that scheduled ``match``; None if none has (a match never
        moves, so what was found once stays true)."""
        known = self._pending_competition_of.get(match) or self._competition_of.get(match)
        if known is None and match not in self._unscheduled:
            known = scheduled_in(conn, [match]).get(match)
            if known is None:
                self._unscheduled.add(match)
            else:
                self._pending_competition_of[match] = known
        return known

    def _fixture_of(self, conn: sqlite3.Connection, match: str
                    ) -> tuple[str, CompetitionState, Fixture]:
        """(competition stream, its fold, latest fixture) of a match; a match never moves."""
        comp_stream = self._scheduled_in(conn, match)
        if comp_stream is None:
            raise UnknownMatch(f"unknown match {match!r}: no fixture is scheduled for it")
        _, comp = self.state(conn, comp_stream)
        assert isinstance(comp, CompetitionState)
        return comp_stream, comp, comp.fixtures[match]

    def fed_fixture(self, conn: sqlite3.Connection, match: str
                    ) -> tuple[str, FixtureScheduled] | None:
        """(competition stream, fixture) of ``match`` scheduled again with the teams the
        bracket gives it, where its fixture names none and the ties that feed it are decided
        now; None otherwise (``Ledger.append`` writes it before the match kicks off)."""
        comp_stream = self._scheduled_in(conn, match)
        if comp_stream is None:
            return None
        _, comp = self.state(conn, comp_stream)
        assert isinstance(comp, CompetitionState)
        fixture = comp.fixtures[match]
        fed = self._fed(conn, comp, fixture)
        if fed == fixture or fed.home is None or fed.away is None:
            return None
        return comp_stream, fed.scheduled()

    def _fed(self, conn: sqlite3.Connection, comp: CompetitionState,
             fixture: Fixture) -> Fixture:
        """``fixture`` with the teams its tie's sides have by now where it names none: a
        fixture the bracket feeds (a final, between the winners of two semi-finals) takes its
        teams the moment the feeding ties are decided."""
        tie = comp.tie(fixture.tie)
        if tie is None or (fixture.home is not None and fixture.away is not None):
            return fixture
        first, second = (side.team or self._through(conn, comp, side.winner_of or "")
                         for side in tie.sides)
        at_home = home_side(fixture.home, fixture.away, (first, second), fixture.leg or 1)
        home, away = (first, second) if at_home == 0 else (second, first)
        return attrs.evolve(fixture, home=fixture.home or home, away=fixture.away or away)

    def _undecided(self, conn: sqlite3.Connection, comp: CompetitionState,
                   fixture: Fixture) -> str:
        """Why a fixture's teams are not known: the feeding ties not decided yet."""
        tie = comp.tie(fixture.tie)
        open_ties = [side.winner_of for side in (tie.sides if tie else ())
                     if side.team is None and side.winner_of
                     and self._through(conn, comp, side.winner_of) is None]
        if not open_ties:
            return "schedule it again with them"
        if len(open_ties) == 1:
            return f"tie {open_ties[0]} is not decided"
        return f"ties {', '.join(open_ties[:-1])} and {open_ties[-1]} are not decided"

    def _match(self, conn: sqlite3.Connection, stream: str, ident: str, event: Event,
               event_id: str) -> tuple[Event, MatchState, bool]:
        """The event as admitted, the match's state it follows, and whether it was judged in
        its place on the pitch, before events already recorded (``typed_late``: a correction,
        or an amendment's replacement)."""
        comp_stream, comp, fixture = self._fixture_of(conn, ident)
        version, state = self.state(conn, stream)
        assert isinstance(state, MatchState)
        if ((fixture.home is None or fixture.away is None) and state.status == "scheduled"
                and isinstance(event, (MatchStarted, *_ON_THE_PITCH))
                and None in _teams(self._fed(conn, comp, fixture))):
            raise RuleBroken(f"{type(event).__name__} refused: the teams of this match are not "
                             f"known yet: {self._undecided(conn, comp, fixture)}")
        if (state.home, state.away) != (fixture.home, fixture.away):
            state = attrs.evolve(state, home=fixture.home, away=fixture.away)
            self._pending[stream] = (version, state)
        reg = self.registry(conn) if isinstance(event, NAMING) else None
        if reg is not None:
            for player in players_named(event).values():
                need_letters(player)
            event = named(reg, event)
        late = event_id == self._awaiting.get(stream) or typed_late(state, event)
        needs_tie = late or isinstance(event, _TIE_DEPENDENT)
        ctx = self._tie_context(conn, comp, fixture) if needs_tie else None
        try:
            if isinstance(event, NAMING) and reg is not None:
                event = rostered(reg, comp_stream.removeprefix("competition:"),
                                 _opponent(state, event.team), event)
            if isinstance(event, EventRetracted):
                self._retraction(conn, stream, state, event, ctx)
            elif late:  # judged as it happened on the pitch, with everything else
                rejudge(state.home, state.away, standing([*self._log(conn, stream),
                                                          (event_id, event)]),
                        ctx, focus=event_id)
                self._awaiting.pop(stream, None)
            else:
                check(state, event, ctx)
        except RuleViolation as e:
            raise RuleBroken(f"{type(event).__name__} refused: {e}") from e
        return event, state, late

    def _kickoff(self, conn: sqlite3.Connection, stream: str) -> int | None:
        """When the match's standing MatchStarted occurred (the latest appended: a match
        starts again only once its start is retracted)."""
        for known in (self._pending_kickoffs, self._kickoffs):
            if stream in known:
                return known[stream]
        row = conn.execute("SELECT occurred_at FROM events WHERE stream = ? AND "
                           "type = 'MatchStarted' ORDER BY version DESC LIMIT 1",
                           (stream,)).fetchone()
        self._pending_kickoffs[stream] = row[0] if row else None
        return self._pending_kickoffs[stream]

    def _ended(self, conn: sqlite3.Connection, stream: str) -> int | None:
        """When the match's final whistle (or abandonment) occurred, for a correction typed
        after it (rare: read each time)."""
        row = conn.execute("SELECT occurred_at FROM events WHERE stream = ? AND type IN "
                           "('MatchEnded', 'MatchAbandoned') ORDER BY version DESC LIMIT 1",
                           (stream,)).fetchone()
        return row[0] if row else None

    def _forget_kickoff(self, stream: str) -> None:
        self._kickoffs.pop(stream, None)
        self._pending_kickoffs.pop(stream, None)

    def _second_legs_hold(self, conn: sqlite3.Connection, match: str, first_leg: MatchState,
                          what: str) -> None:
        """Refuse a correction in a first leg (a retraction, an event typed late) that the
        second leg's play contradicts (its extra time, its shoot-out): the aggregate it was
        played on changes (``what``: the correction, as the refusal names it). A second leg that
        ended in 90 minutes may leave the tie level, without a winner, as a reported result
        may: a correction of several first-leg goals passes through such a moment."""
        _, comp, fixture = self._fixture_of(conn, match)
        tie = comp.tie(fixture.tie)
        if tie is None or tie.legs != 2 or (fixture.leg or 1) != 1:
            return
        for second in self._legs(conn, comp, tie.tie, 2):
            _, played = self.state(conn, f"match:{second}")
            assert isinstance(played, MatchState)
            if played.status == "scheduled":
                continue
            fx = comp.fixtures[second]
            played = attrs.evolve(played, home=fx.home, away=fx.away)
            ctx = self._tie_context(conn, comp, fx, first_leg=first_leg)
            try:
                self._replay(conn, f"match:{second}", played, ctx, unchecked=(MatchEnded,))
            except RuleViolation as e:
                raise RuleBroken(f"{what} would leave the second leg {second} invalid ({e}): "
                                 "retract its events from the last back first") from e

    def _tie_context(self, conn: sqlite3.Connection, comp: CompetitionState,
                     fixture: Fixture, first_leg: MatchState | None = None
                     ) -> TieContext:
        """What the rules of ``fixture``'s match depend on in its tie (``first_leg``: the
        first leg's state to judge it by, rather than the stored one)."""
        tie = comp.tie(fixture.tie)
        if tie is None:  # a match outside any tie (a league game) is never decided by ET
            return TieContext(rules=comp.rules)
        leg = fixture.leg or 1
        ctx = TieContext(rules=comp.rules, deciding=leg >= tie.legs)
        if tie.legs == 2 and leg == 2:
            first = next((comp.fixtures[m] for m in self._legs(conn, comp, tie.tie, 1)), None)
            if first is not None:
                fl = first_leg or self.state(conn, f"match:{first.match}")[1]
                assert isinstance(fl, MatchState)
                fl = attrs.evolve(fl, home=first.home, away=first.away)
                at_home = home_side(first.home, first.away, (fixture.home, fixture.away), 2)
                ctx = attrs.evolve(ctx, earlier=(  # its score after all its play, as it counts
                    TieLeg(home_side=at_home, played=Played.of(fl.total())),))
        return ctx

    def _candidates(self, conn: sqlite3.Connection, comp: CompetitionState, side: Side
                    ) -> set[str]:
        """The teams a side of a tie may be (``events.tie.candidates``)."""
        def sides_of(tie_id: str) -> tuple[Side, Side] | None:
            drawn = comp.tie(tie_id)
            return drawn.sides if drawn is not None else None

        return set(candidates(side, sides_of, lambda t: self._through(conn, comp, t)))

    def _through(self, conn: sqlite3.Connection, comp: CompetitionState, tie_id: str
                 ) -> str | None:
        """The team through from ``tie_id``, once every leg is finished; None before, or
        when the tie was left level."""
        drawn = comp.tie(tie_id)
        assert drawn is not None
        played = [self._legs(conn, comp, tie_id, leg) for leg in range(1, drawn.legs + 1)]
        if any(len(found) != 1 for found in played):
            return None
        finished = [s for found in played if isinstance(
            s := self.state(conn, f"match:{found[0]}")[1], MatchState) and s.status == "finished"]
        last = comp.fixtures[played[-1][0]]
        if len(finished) < len(played) or last.home is None or last.away is None:
            return None
        state = attrs.evolve(finished[-1], home=last.home, away=last.away)
        side = through(state, self._tie_context(conn, comp, last))
        return None if side is None else (last.home, last.away)[side]

    def _legs(self, conn: sqlite3.Connection, comp: CompetitionState, tie: str, leg: int
              ) -> list[str]:
        """The matches scheduled as ``leg`` of ``tie`` but those abandoned: a leg abandoned
        and not yet replayed is no leg played, nor one that takes the leg's place (so of what
        ``events.competition.standing_legs`` keeps for the bracket, the abandoned go too)."""
        def abandoned(match: str) -> bool:
            state = self.state(conn, f"match:{match}")[1]
            return isinstance(state, MatchState) and state.status == "abandoned"

        scheduled = [f for f in comp.fixtures.values() if f.tie == tie and (f.leg or 1) == leg]
        return [f.match for f in scheduled if not abandoned(f.match)]

    def _retraction(self, conn: sqlite3.Connection, stream: str, state: MatchState,
                    event: EventRetracted, ctx: TieContext | None) -> None:
        if state.is_retracted(event.event):
            raise RuleViolation(f"event {event.event} is retracted already")
        if not state.knows(event.event):
            stored = conn.execute("SELECT type FROM events WHERE event_id = ? AND stream = ?",
                                  (event.event, stream)).fetchone()
            if stored is not None and stored[0] == "EventRetracted":
                raise RuleViolation(f"event {event.event} is a retraction, which stands: to "
                                    "undo it, append the retracted event again")
            raise RuleViolation(f"no event {event.event} in this match to retract")
        if not event.reason.strip():
            raise RuleViolation("a retraction needs its reason")
        if event.replacement is not None:  # an amendment: judged with its replacement
            key = event_key(event.event)
            if not any(f.holds(key) for f in (state.goals, state.bookings, state.kicks)):
                raise RuleViolation("only a goal, a card or a shoot-out kick can be amended")
            if event.replacement == event.event:
                raise RuleViolation("an amendment's replacement is a new event, with a new id")
            self._awaiting[stream] = event.replacement
            return
        try:
            self._replay(conn, stream, state, ctx, leaving=event.event)
        except RuleViolation as e:
            raise RuleViolation(f"retracting {event.event} would leave the match invalid: {e}"
                                ) from e

    def _replay(self, conn: sqlite3.Connection, stream: str, state: MatchState,
                ctx: TieContext | None, leaving: str | None = None,
                unchecked: tuple[type[Event], ...] = ()) -> None:
        """Check the match's standing events again, in pitch order, under ``ctx`` and without
        ``leaving`` (``unchecked`` events are applied unchecked); RuleViolation at the first
        that no longer fits."""
        events = [(i, e) for i, e in standing(self._log(conn, stream)) if i != leaving]
        rejudge(state.home, state.away, events, ctx, unchecked=unchecked)

    def _log(self, conn: sqlite3.Connection, stream: str) -> list[tuple[str, Event]]:
        """A match's events as appended, (event id, event): those stored, then those of the
        batch being written."""
        stored = [(event_id, event) for _, event_id, event in _events(conn, stream, -1)]
        return stored + self._batch.get(stream, [])


_OVER = ("finished", "abandoned")
# the events whose rules read the tie (aggregate, extra time, shoot-out)
_TIE_DEPENDENT = (PeriodStarted, MatchEnded, ShootoutKick, EventRetracted, ResultReported)


# what happens on the pitch, once it has kicked off (not a result reported, nor a correction)
_ON_THE_PITCH = (PeriodStarted, PeriodEnded, GoalScored, GoalDisallowed, CardShown,
                 SubstitutionMade, ShootoutKick, MatchEnded, MatchAbandoned)


def _opponent(state: MatchState, team: str) -> str | None:
    """The other team of the match, if its teams are known."""
    return state.away if team == state.home else state.home if team == state.away else None


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat().replace("+00:00", "Z")
E = TypeVar("E", bound=Event)


REGISTRY_STORED_AFTER = 500  # registrations read from the log: store the registry then
REGISTRY = "ledger_registry"  # the registry as of a position, and the hash of the event there


def stored_registry(conn: sqlite3.Connection) -> tuple[int, Registry] | None:
    """The stored registry and the position it was made at, if it checks out: the event
    there has the hash it was stored with, and the JSON is one ``registry_json`` wrote; else
    None (the registry is read from the log). Only a SQLite file stores one."""
    if not isinstance(conn, sqlite3.Connection):
        return None
    try:
        row = conn.execute(f"SELECT r.position, r.registry FROM {REGISTRY} r JOIN events e "
                           "ON e.position = r.position AND e.hash = r.hash").fetchone()
    except sqlite3.OperationalError:  # never stored
        return None
    if row is None or type(row[0]) is not int or type(row[1]) is not str:
        return None
    try:
        return row[0], registry_from_json(row[1])
    except ValueError:
        return None


def store_registry(conn: sqlite3.Connection, position: int, reg: Registry) -> None:
    """Store ``reg``, the registry of the log up to ``position`` (in the caller's write
    transaction), replacing the one stored before; in a SQLite file only (a server's
    process lives long enough to keep its registry)."""
    if not isinstance(conn, sqlite3.Connection):
        return
    conn.execute(f"CREATE TABLE IF NOT EXISTS {REGISTRY} (id INTEGER PRIMARY KEY CHECK (id = 1),"
                 " position INTEGER NOT NULL, hash BLOB NOT NULL, registry TEXT NOT NULL)")
    conn.execute(f"INSERT OR REPLACE INTO {REGISTRY} (id, position, hash, registry) "
                 "SELECT 1, position, hash, ? FROM events WHERE position = ?",
                 (registry_json(reg), position))


def named(reg: Registry, event: E) -> E:
    """``event`` with each team named by its id and each player by the registered spelling:
    what the log stores. An unknown team is an error (with the closest names)."""
    if isinstance(event, NAMING):
        team = reg.resolve_team(event.team)
        changes: dict[str, Any] = {"team": team} if team != event.team else {}
        for field in PLAYER_FIELDS[type(event)]:
            player = getattr(event, field)
            spelt = reg.resolve_player(team, player) if player else player
            if spelt != player:
                changes[field] = spelt
        return attrs.evolve(event, **changes) if changes else event
    # an event already naming ids is kept as it is (a copy of a frozen event is the same)
    if isinstance(event, PlayerRegistered):
        team = reg.resolve_team(event.team)
        return attrs.evolve(event, team=team) if team != event.team else event
    if isinstance(event, TieDrawn):
        first, second = (Side(team=reg.resolve_team(s.team)) if s.team is not None else s
                         for s in event.sides)
        return attrs.evolve(event, sides=(first, second))
    if isinstance(event, FixtureScheduled):
        home = reg.resolve_team(event.home) if event.home is not None else None
        away = reg.resolve_team(event.away) if event.away is not None else None
        if (home, away) == (event.home, event.away):
            return event
        return attrs.evolve(event, home=home, away=away)
    return event


def rostered(reg: Registry, competition: str, opponent: str | None, event: E) -> E:
    """``event`` with each player it names as the team's roster in ``competition`` spells
    them; RuleViolation for one not on it (``events.roster.on_roster``: the ``opponent``'s
    roster, then the others', say whose player it is). A team without a roster there names
    anyone, as results imported without line-ups do."""
    team = getattr(event, "team", None)
    own = reg.roster(competition, team) if team is not None else None
    if own is None:
        return event

    def others() -> Iterator[Roster]:  # built only for a name off the roster: to say whose
        rosters = reg.rosters_in(competition)
        yield from (rosters[t] for t in sorted(rosters, key=lambda t: t != opponent)
                    if t != team)

    changes = {}
    for field, name in players_named(event).items():
        # found on the roster, the common case, at one lookup; else on_roster says why not
        spelt = own.find(name) or on_roster(name, own, others())
        if spelt != name:
            changes[field] = spelt
    return attrs.evolve(event, **changes) if changes else event


def _teams(fixture: Fixture) -> tuple[str | None, str | None]:
    return fixture.home, fixture.away


def _fits(home: str | None, away: str | None, first: set[str], second: set[str]) -> bool:
    """Whether a fixture's teams (None: not known yet) can be the two sides, one each."""
    def on(team: str | None, side: set[str]) -> bool:
        return team is None or team in side
    return (on(home, first) and on(away, second)) or (on(home, second) and on(away, first))


def _empty(stream: str) -> State:
    if stream.startswith("competition:"):
        return CompetitionState(id=stream.removeprefix("competition:"))
    return EMPTY_MATCH


def _events(conn: sqlite3.Connection, stream: str, after_version: int
            ) -> Iterator[tuple[int, str, Event]]:
    rows = conn.execute(
        "SELECT version, event_id, type, schema_version, data FROM events "
        "WHERE stream = ? AND version > ? ORDER BY version",
        (stream, after_version),
    )
    for version, event_id, type_name, schema, data in rows:
        yield version, event_id, decode_stored(type_name, schema, data)


def scheduled_in(conn: sqlite3.Connection, matches: Collection[str]) -> dict[str, str]:
    """The competition stream that scheduled each of ``matches`` that has been, through a
    partial index (a match never moves, so any of its fixtures names it)."""
    return dict(conn.execute(
        "SELECT json_extract(data, '$.match'), stream FROM events "
        "WHERE type = 'FixtureScheduled' AND json_extract(data, '$.match') IN "
        "(SELECT value FROM json_each(?))", (json.dumps(sorted(matches)),)).fetchall())


def decode_data(type_name: str, version: int, data: Any) -> Event:
    """Decode stored/sent data, turning every shape error into a one-line InvalidEvent."""
    if type_name not in _KNOWN:
        raise InvalidEvent(f"unknown event type {type_name!r}")
    if not isinstance(data, dict):
        raise InvalidEvent(f"{type_name}: data must be a JSON object")
    try:
        return decode(type_name, version, data)
    except Exception as e:  # cattrs raises several kinds; all mean a bad shape
        raise InvalidEvent(f"{type_name}: {explain(e)}") from e


def decode_stored(type_name: str, version: int, text: str) -> Event:
    """The event of a stored row; data that is not JSON, or not an event, was written behind
    the ledger's back, and is a one-line InvalidEvent on any read rather than a traceback."""
    try:
        data = loads(text)
    except (ValueError, TypeError) as e:  # a JSONDecodeError, or a column that is not text
        raise InvalidEvent(f"stored {type_name} data is not JSON ({e}): the ledger file was "
                           "changed outside matchledger (matchledger verify shows where)"
                           ) from e
    return decode_data(type_name, version, data)


_KNOWN = COMPETITION_TYPES | MATCH_TYPES | {"EventRetracted"}
