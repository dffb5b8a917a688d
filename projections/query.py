"""The query layer: one function per question a person asks of the ledger.

The command line and the web server call these and only render what they return, so the two
can never disagree. Each takes the ledger, what is asked about, and the time-travel filters
(``as_of``, ``known_at``, ``at_position``); each chooses how to answer (a competition's or a
team's part of the state, the read models when they are caught up and the present is asked,
a long-lived process's hot fold) and returns the projections' own objects (``to_json`` gives
their JSON contract). Something unknown is a ``ProjectionError`` whose one line names it and
the close ones.

    >>> import datetime as dt
    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> log = MemoryLog(sample_log().envelopes)
    >>> answer = bracket(log, "uel-2023-24", as_of=dt.datetime(2024, 4, 12, tzinfo=dt.UTC))
    >>> answer.view.open
    ('QF1', 'QF2', 'QF3', 'QF4', 'SF1', 'SF2')

A long-lived process keeps a ``Hot`` fold and passes it as ``hot=``: questions about the
present are then answered from memory, caught up to the head of the log first (the whole fold,
or the one competition a command asks about more than once).
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

import matchledger.projections.listing as listing
import matchledger.projections.records as records
import matchledger.projections.ties as ties
from matchledger.events import GoalDisallowed, pitch
from matchledger.events.team import Team
from matchledger.projections.clock import with_clock
from matchledger.projections.errors import (
    ProjectionError,
    UnknownCompetition,
    UnknownEvent,
    UnknownMatch,
    UnknownRound,
    UnknownTie,
)
from matchledger.projections.logreader import LogReader
from matchledger.projections.projector import current
from matchledger.projections.readmodels import Current
from matchledger.projections.scoreboard import Scoreboard, scoreboard
from matchledger.projections.state import State, fold
from matchledger.projections.timetravel import advance, registered_teams, state_at

if TYPE_CHECKING:
    from matchledger.events import Event
    from matchledger.ledger import Envelope, Registry

V = TypeVar("V")
Known = State | Current  # what names the teams in an answer (or a ledger's Registry)


class Ledger(LogReader, Protocol):
    """What the query layer reads of a ledger: the log, and the lookups that tell what exists
    without loading any state (``ledger.Ledger`` has them all)."""

    def competition_of(self, match: str) -> str | None: ...
    def competitions_drawing(self, tie: str, **filters: Any) -> list[str]: ...
    def tie_ids(self, competition: str | None = None, **filters: Any) -> set[str]: ...
    def match_ids(self, **filters: Any) -> set[str]: ...
    def competition_ids(self, **filters: Any) -> set[str]: ...
    def has_competition(self, competition: str, **filters: Any) -> bool: ...
    def registry(self) -> Registry: ...


@attrs.frozen(kw_only=True)
class Answer(Generic[V]):
    """A view and what it was read from: ``state`` (None when the read models answered) and
    ``known``, whatever names the teams in it (a state, the read models, a registry)."""

    view: V
    known: Any
    state: State | None = None
    competition: str | None = None  # the competition asked about, when one was
    team: str | None = None  # the team's id, when one was asked about


@attrs.frozen(kw_only=True)
class MatchAnswer:
    """A match's scoreboard and, when it is a leg of a tie, the tie; the state they came from."""

    state: State
    board: Scoreboard
    tie: ties.TieView | None


class Hot:
    """A fold kept in memory and caught up to the head of the log whenever it is asked for,
    so that appends by any process show: the whole fold, for a long-lived process (the web
    server; ``on_event`` is told of each new event, with the state just after it), or one
    competition's part of it, for a command that asks about a match more than once (an
    append checks that the match is live, then prints its score). Loaded at the first ask;
    the whole fold is frozen out of the cycle collector then, as ``Projector`` does, since it
    is acyclic and lives as long as the process."""

    def __init__(self, ledger: LogReader,
                 on_event: Callable[[Envelope, State], None] | None = None, *,
                 competition: str | None = None) -> None:
        self.ledger = ledger
        self.on_event = on_event
        self.competition = competition
        self._state: State | None = None
        self.loaded_at = 0  # the position the fold was first loaded at

    def covers(self, competition: str | None, team: str | None) -> bool:
        """Whether this fold holds what a view of ``competition``, ``team`` or (neither)
        everything reads."""
        return self.competition is None or (team is None and competition == self.competition)

    def state(self) -> State:
        if self._state is None:
            self._state = state_at(self.ledger, competition=self.competition)
            self.loaded_at = self._state.position
            if self.competition is None:  # a competition's part is small, and may be reloaded
                gc.freeze()
        elif self.competition is not None:
            self._state = advance(self.ledger, self._state, competition=self.competition)
        else:
            for env in self.ledger.read(after=self._state.position):
                fold(self._state, env)
                if self.on_event is not None:
                    self.on_event(env, self._state)
        return self._state


_freeze = False


def freeze_loaded_states() -> None:
    """For a process that asks one question and exits (the CLI): freeze each state loaded out
    of the cycle collector. A long log's state is millions of acyclic objects that live until
    the process ends; without ``gc.freeze`` every view's allocations would set off full
    collections over them. A long-lived process must not: each would stay frozen forever."""
    global _freeze
    _freeze = True


def _asked(filters: dict[str, Any]) -> bool:
    return any(v is not None for v in filters.values())


def _then(filters: dict[str, Any]) -> str:
    return " (as of then)" if _asked(filters) else ""


def _load(lg: LogReader, filters: dict[str, Any], *, competition: str | None = None,
          team: str | None = None, hot: Hot | None = None) -> State:
    """The state a view reads: the hot fold for the present, else only a competition's or a
    team's part of it when given (see ``state_at``)."""
    if hot is not None and not _asked(filters) and hot.covers(competition, team):
        return hot.state()
    state = state_at(lg, **filters, competition=competition, team=team)
    if _freeze:
        gc.freeze()
    return state


def _current(lg: LogReader, filters: dict[str, Any]) -> Current | None:
    """The read models' answers for every team when the present is asked and they are caught
    up to the head of the log (``projections.current``); else None."""
    if _asked(filters):
        return None
    return current(lg)


# --- errors that name the close ones --------------------------------------------------------


def suggest(name: str, known: Iterable[str], what: str, then: str = "") -> str:
    """The tail of an error about ``name``: the close ones among ``known``, else a few
    (``then``: " (as of then)" when a moment in the past was asked for)."""
    known = sorted(set(known))
    folded = {k.casefold(): k for k in known}  # qf1 is close to QF1
    close = [folded[c] for c in difflib.get_close_matches(name.casefold(), folded, n=3,
                                                         cutoff=0.5)]
    if close:
        return "; did you mean " + ", ".join(repr(c) for c in close) + "?"
    if known:
        shown = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        return f"; known {what}: {shown}"
    return f"; no {what} in the ledger{then}"


_ERRORS: dict[str, type[ProjectionError]] = {
    "match": UnknownMatch, "competition": UnknownCompetition, "tie": UnknownTie}


def unknown(kind: str, name: str, known: Iterable[str], then: str = "",
            where: str = "") -> ProjectionError:
    """The error for a match, competition or tie (``kind``) that is not among ``known``
    (``where``: " in 'cup'"), with the close ones."""
    what = "matches" if kind == "match" else kind + "s"
    return _ERRORS[kind](f"unknown {kind} {name!r}{where}{suggest(name, known, what, then)}")


def _unknown_competition(lg: Ledger, filters: dict[str, Any], comp: str) -> ProjectionError:
    return unknown("competition", comp, lg.competition_ids(**filters), _then(filters))


def _competition_state(lg: Ledger, filters: dict[str, Any], comp: str,
                       hot: Hot | None) -> State:
    state = _load(lg, filters, competition=comp, hot=hot)
    if comp not in state.competitions:
        raise _unknown_competition(lg, filters, comp)
    return state


def _existing_competition(lg: Ledger, filters: dict[str, Any], comp: str) -> str:
    if lg.has_competition(comp, **filters):
        return comp
    raise _unknown_competition(lg, filters, comp)


def _team(lg: Ledger, filters: dict[str, Any], team: str,
          competition: str | None) -> tuple[str | None, Registry, str]:
    """For a question about a team: the competition (checked it existed then, when given),
    the registry that names every team, and the team's id from any spelling known today."""
    comp = None if competition is None else _existing_competition(lg, filters, competition)
    registry = lg.registry()
    return comp, registry, registry.resolve_team(team)


def same_id(typed: str, known: Iterable[str]) -> str:
    """The known id ``typed`` names, case folded (``qf1`` is ``QF1``) when only one is that;
    else ``typed`` as it is, for the error that follows to name."""
    known = set(known)
    if typed in known:
        return typed
    found = [k for k in known if k.casefold() == typed.casefold()]
    return found[0] if len(found) == 1 else typed


# --- the questions --------------------------------------------------------------------------


def match_views(state: State, match: str) -> tuple[Scoreboard, ties.TieView | None]:
    """A match's scoreboard and, when it is a leg of a tie, the tie, from a loaded state."""
    try:
        board = scoreboard(state, match)
    except UnknownMatch as e:
        raise unknown("match", match, state.fixtures) from e
    view = None
    if board.tie is not None:
        view = ties.tie(state, board.tie, board.competition)
    return board, view


def match(lg: Ledger, match: str, *, as_of: dt.datetime | None = None,
          known_at: dt.datetime | None = None, at_position: int | None = None,
          hot: Hot | None = None, moment: dt.datetime | None = None) -> MatchAnswer:
    """A match as it stands (or stood), folded from its competition's part of the state: the
    match, the other legs of its tie, the teams' names, and its clock at ``moment`` (default:
    ``as_of``, else now). A match never scheduled is an error that suggests the ids scheduled
    by then."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    competition = lg.competition_of(match)
    if competition is None:
        raise unknown("match", match, lg.match_ids(**filters))
    state = _load(lg, filters, competition=competition, hot=hot)
    board, view = match_views(state, match)
    board = with_clock(lg, board, moment=moment, **filters)
    return MatchAnswer(state=state, board=board, tie=view)


# how far from now a match stays "live now" for an event typed without its time: past the
# longest gap between a match's events (a goalless half and its stoppage time, then a break)
LIVE_WINDOW = dt.timedelta(hours=2)


def not_live_now(lg: Ledger, match: str, now: dt.datetime, hot: Hot | None = None
                 ) -> str | None:
    """Why an on-pitch event of ``match`` typed without its time cannot be taken to happen
    ``now`` (None when it can): a match is live now from two hours before its kick-off (its
    day, when the time is not known) until two hours after its latest event, unless over."""
    try:
        board = match_views(_load(lg, {}, competition=lg.competition_of(match), hot=hot),
                            match)[0]
    except ProjectionError:
        return None  # the ledger names what is wrong with the match
    if board.status == "scheduled":
        if board.kickoff is not None:
            if abs(now - board.kickoff) <= LIVE_WINDOW:
                return None
            return f"it kicks off at {board.kickoff.isoformat()}"
        if board.date is None or abs((now.date() - board.date).days) <= 1:
            return None
        return f"it is played on {board.date.isoformat()}"
    latest = max((env.occurred_at for env in lg.read(stream=f"match:{match}")), default=None)
    if board.status == "live" and latest is not None and now - latest <= LIVE_WINDOW:
        return None
    when = f" (its latest event occurred at {latest.isoformat()})" if latest else ""
    return f"it is {board.status}{when}"


def matches(lg: Ledger, *, competition: str | None = None, team: str | None = None,
            round: str | None = None, status: str | None = None,
            since: dt.date | None = None, until: dt.date | None = None,
            last: int | None = None, as_of: dt.datetime | None = None,
            known_at: dt.datetime | None = None, at_position: int | None = None,
            hot: Hot | None = None) -> Answer[list[listing.MatchLine]]:
    """The fixtures and results that pass every filter given (``projections.listing``), in
    kick-off order (only the ``last`` N to kick off, when given), folded from only the
    competition's or the team's part of the state."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    team_id = None
    if team is not None:
        competition, _, team_id = _team(lg, filters, team, competition)
        state = _load(lg, filters, team=team_id, hot=hot)
    elif competition is not None:
        state = _competition_state(lg, filters, competition, hot)
    else:
        state = _load(lg, filters, hot=hot)
    lines = listing.matches(state, competition=competition, team=team_id, round=round,
                            status=status, since=since, until=until)
    if last is not None:
        lines = lines[-last:] if last > 0 else []
    return Answer(view=lines, known=state, state=state, competition=competition, team=team_id)


def tie(lg: Ledger, tie_id: str, competition: str | None = None, *,
        as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
        at_position: int | None = None, hot: Hot | None = None) -> Answer[ties.TieView]:
    """A tie (in ``competition``, needed only when the id is drawn in several): its legs, the
    aggregate, who went through and how. Which competitions drew it is known from the log,
    before any state is loaded."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    tie_id = same_id(tie_id, lg.tie_ids(competition, **filters))
    drawn = lg.competitions_drawing(tie_id, **filters)
    if competition is None and len(drawn) > 1:
        raise ties.ambiguous(tie_id, drawn)
    scope = competition or (drawn[0] if drawn else None)
    if competition not in (None, *drawn) or not drawn:
        where = f" in {competition!r}" if competition else ""
        raise unknown("tie", tie_id, lg.tie_ids(competition, **filters), _then(filters), where)
    state = _load(lg, filters, competition=scope, hot=hot)
    return Answer(view=ties.tie(state, tie_id, scope), known=state, state=state,
                  competition=scope)


def bracket(lg: Ledger, competition: str, *, as_of: dt.datetime | None = None,
            known_at: dt.datetime | None = None, at_position: int | None = None,
            hot: Hot | None = None) -> Answer[ties.Bracket]:
    """A competition's bracket: every round and tie, the teams' paths, what is still open."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    state = _load(lg, filters, competition=competition, hot=hot)
    try:
        view = ties.bracket(state, competition)
    except UnknownCompetition as e:
        raise _unknown_competition(lg, filters, competition) from e
    return Answer(view=view, known=state, state=state, competition=competition)


def table(lg: Ledger, competition: str, group: str | None = None, *,
          as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
          at_position: int | None = None,
          hot: Hot | None = None) -> Answer[Sequence[records.TeamRecord]]:
    """A competition's table, best first; with ``group``, only that round's fixtures and the
    teams that play them."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    state = _competition_state(lg, filters, competition, hot)
    if group is not None:
        rounds = {fx.round for fx in state.fixtures.values()
                  if fx.competition == competition and fx.round}
        written = {" ".join(r.casefold().split()): r for r in rounds}
        group = written.get(" ".join(group.casefold().split()), group)  # "group a", "Group  A"
        if group not in rounds:
            raise UnknownRound(f"no round {group!r} in {competition}"
                               f"{suggest(group, rounds, 'rounds', _then(filters))}")
    return Answer(view=records.table(state, competition, group), known=state, state=state,
                  competition=competition)


def teams(lg: Ledger, competition: str | None = None, *, as_of: dt.datetime | None = None,
          known_at: dt.datetime | None = None, at_position: int | None = None,
          hot: Hot | None = None) -> list[Team]:
    """The teams (registered in ``competition``), by id."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    if competition is None:
        if (now := _current(lg, filters)) is not None:
            return sorted(now.teams.values(), key=lambda t: t.id)
        return registered_teams(lg, **filters)
    state = _competition_state(lg, filters, competition, hot)
    return sorted((t for t in state.teams.values() if competition in t.competitions),
                  key=lambda t: t.id)


def team_streaks(lg: Ledger, team: str, competition: str | None = None, *,
                 as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
                 at_position: int | None = None,
                 hot: Hot | None = None) -> Answer[records.Streaks]:
    """A team's streaks (any spelling the ledger knows today), across competitions or in
    ``competition``; ``known`` is the registry that names every team."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    comp, registry, team_id = _team(lg, filters, team, competition)
    state = _load(lg, filters, team=team_id, hot=hot)
    return Answer(view=records.streaks(state, team_id, comp), known=registry, state=state,
                  competition=comp, team=team_id)


def team_record(lg: Ledger, team: str, competition: str | None = None, *,
                as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
                at_position: int | None = None,
                hot: Hot | None = None) -> Answer[records.TeamRecord]:
    """A team's record (any spelling the ledger knows today), overall or in ``competition``."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    comp, registry, team_id = _team(lg, filters, team, competition)
    # a record in a competition sums that competition's part; overall, the team's part
    state = (_load(lg, filters, competition=comp, hot=hot) if comp is not None
             else _load(lg, filters, team=team_id, hot=hot))
    return Answer(view=records.team_record(state, team_id, comp), known=registry, state=state,
                  competition=comp, team=team_id)


def streaks(lg: Ledger, competition: str | None = None, *, as_of: dt.datetime | None = None,
            known_at: dt.datetime | None = None, at_position: int | None = None,
            hot: Hot | None = None) -> Answer[list[records.Streaks]]:
    """Every team's streaks (of ``competition``'s teams, in its matches), unsorted."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    if competition is not None:
        state = _competition_state(lg, filters, competition, hot)
        return Answer(view=[records.streaks(state, t, competition)
                            for t in records.competition_teams(state, competition)],
                      known=state, state=state, competition=competition)
    if (now := _current(lg, filters)) is not None:
        return Answer(view=list(now.streaks.values()), known=now)
    state = _load(lg, filters, hot=hot)
    return Answer(view=[records.streaks(state, t) for t in state.teams], known=state,
                  state=state)


def players(lg: Ledger, team: str | None = None, competition: str | None = None, *,
            as_of: dt.datetime | None = None, known_at: dt.datetime | None = None,
            at_position: int | None = None,
            hot: Hot | None = None) -> Answer[Sequence[records.PlayerRecord]]:
    """Scorers and booked players, top scorer first: a team's (any spelling), a
    competition's, or everyone's."""
    filters: dict[str, Any] = {"as_of": as_of, "known_at": known_at, "at_position": at_position}
    if team is not None:
        comp, registry, team_id = _team(lg, filters, team, competition)
        state = _load(lg, filters, team=team_id, hot=hot)
        return Answer(view=records.players(state, team_id, comp), known=registry, state=state,
                      competition=comp, team=team_id)
    if competition is not None:
        state = _competition_state(lg, filters, competition, hot)
        return Answer(view=records.players(state, competition=competition), known=state,
                      state=state, competition=competition)
    if (now := _current(lg, filters)) is not None:
        return Answer(view=now.players, known=now)
    state = _load(lg, filters, hot=hot)
    return Answer(view=records.players(state), known=state, state=state)


def standing(lg: LogReader, match: str, wanted: Callable[[Event], bool], *,
             ruled_out: bool = True) -> list[Envelope]:
    """The ``wanted`` events of ``match`` that stand (``events.pitch.standing``: not
    retracted, nor replaced by an amendment), and a goal ruled out only if ``ruled_out``; in
    log order, so that "last" names the latest of them."""
    envelopes = list(lg.read(stream=f"match:{match}"))
    kept = dict(pitch.standing((env.event_id, env.event) for env in envelopes))
    if not ruled_out:
        for event in list(kept.values()):
            if type(event) is GoalDisallowed:
                kept.pop(event.goal, None)
    return [env for env in envelopes if env.event_id in kept and wanted(env.event)]


def find_event(lg: LogReader, match: str, ref: str, wanted: Callable[[Event], bool],
               what: str, *, ruled_out: bool = True) -> str:
    """The full id of the event of ``match`` that ``ref`` names: an id, a unique prefix of
    one, or "last" (the latest ``wanted`` event standing; ``what`` names them in errors)."""
    if ref == "last":
        found = standing(lg, match, wanted, ruled_out=ruled_out)
        if not found:
            raise UnknownEvent(f"no {what} in {match} to point at")
        return found[-1].event_id
    ids = [env.event_id for env in lg.read(stream=f"match:{match}")
           if env.event_id.startswith(ref)]
    if len(ids) > 1:
        raise UnknownEvent(f"{ref!r} is the start of {len(ids)} event ids in {match}: "
                           "give more")
    if not ids:
        if len(ref) >= 32:
            return ref  # a full id: the ledger says why it does not fit
        raise UnknownEvent(f"no event id starting {ref!r} in {match} (see matchledger log "
                           f"--match {match})")
    return ids[0]


def log_after(lg: LogReader, position: int = 0, *, limit: int = 1000,
              streams: Collection[str] | None = None) -> list[Envelope]:
    """The events after ``position``, in position order, at most ``limit`` of them (of
    ``streams`` when given)."""
    return list(lg.read(after=position, limit=limit, streams=streams))
