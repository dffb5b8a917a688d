"""Logs without a ledger, for tests and examples: folds are tested with a list of envelopes.

``LogBuilder`` stamps events into envelopes (stream versions, gapless positions, the two
clocks); ``MemoryLog`` serves them through the same ``read`` API the ledger has, with its read
models in a SQLite file of its own; ``sample_log`` is the Europa League 2023/24 quarter-finals.

    >>> from matchledger.projections import tie
    >>> tie(sample_state(), "QF1").aggregate
    (1, 3)
    >>> tie(sample_state(as_of=dt.datetime(2024, 4, 12, tzinfo=UTC)), "QF1").aggregate
    (0, 1)
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

import sqlite_utils

from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ShootoutKick,
    Side,
    TeamRegistered,
    TieDrawn,
)
from matchledger.ledger.envelope import Envelope
from matchledger.projections.state import State, fold_all

UTC = dt.UTC
COMPETITION = "uel-2023-24"


class LogBuilder:
    """Envelopes stamped the way the ledger stamps them; ``recorded_at`` never goes back."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.versions: dict[str, int] = {}
        self.clock = dt.datetime(2000, 1, 1, tzinfo=UTC)

    def add(self, stream: str, event: Event, *, occurred_at: dt.datetime,
            recorded_at: dt.datetime | None = None, event_id: str | None = None) -> Envelope:
        recorded = recorded_at or max(self.clock, occurred_at)
        self.clock = max(self.clock, recorded)
        version = self.versions.get(stream, -1) + 1
        self.versions[stream] = version
        env = Envelope(position=len(self.envelopes) + 1, event_id=event_id or str(uuid.uuid4()),
                       stream=stream, version=version, type=type(event).__name__,
                       schema_version=1, occurred_at=occurred_at, recorded_at=recorded,
                       event=event, meta={}, prev_hash="", hash="")
        self.envelopes.append(env)
        return env


class MemoryLog:
    """A log in a list, read like the ledger; read models go to ``db``."""

    def __init__(self, envelopes: Iterable[Envelope], db_path: str | Path | None = None):
        self.envelopes = list(envelopes)
        # autocommit, as the ledger's connection: transactions are always explicit
        conn = sqlite3.connect(":memory:" if db_path is None else str(db_path),
                               isolation_level=None, check_same_thread=False)
        self._db = sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        return self._db

    def head(self) -> int:
        return self.envelopes[-1].position if self.envelopes else 0

    def read(
        self,
        *,
        after: int = 0,
        stream: str | None = None,
        prefix: str | None = None,
        types: Collection[str] | None = None,
        as_of: dt.datetime | None = None,
        known_at: dt.datetime | None = None,
        at_position: int | None = None,
        limit: int | None = None,
        streams: Collection[str] | None = None,
        teams: Collection[str] | None = None,
        playing: str | None = None,
    ) -> Iterator[Envelope]:
        count = 0
        by_id = {e.event_id: e for e in self.envelopes}
        played = None if playing is None else {
            e.event.match for e in self.envelopes if isinstance(e.event, FixtureScheduled)
            and playing in (e.event.home, e.event.away)}

        def in_time(env: Envelope | None, *, own: bool = False) -> bool:
            """The ledger's rule of time travel (``ledger.eventstore.in_time``), in Python:
            ``own``, an event read rather than one a retraction names."""
            if env is None or (own and at_position is not None and env.position > at_position):
                return False
            if known_at is not None and env.recorded_at > known_at:
                return False
            if not isinstance(env.event, EventRetracted) or not own:
                return as_of is None or env.occurred_at <= as_of
            if as_of is None and known_at is None:
                return True
            replacement = env.event.replacement
            return (in_time(by_id.get(env.event.event))
                    and (replacement is None or in_time(by_id.get(replacement))))

        for env in self.envelopes[after:]:
            if at_position is not None and env.position > at_position:
                return
            if limit is not None and count >= limit:
                return
            if (
                (stream is None or env.stream == stream)
                and (streams is None or env.stream in streams)
                and (prefix is None or env.stream.startswith(prefix))
                and (types is None or env.type in types)
                and (teams is None or getattr(env.event, "team", None) in teams)
                and (played is None or (isinstance(env.event, FixtureScheduled)
                                        and env.event.match in played))
                and in_time(env, own=True)
            ):
                count += 1
                yield env


# --- the Europa League 2023/24 quarter-finals ------------------------------------------------

TEAMS = {
    "ac-milan": ("AC Milan", "ITA"),
    "roma": ("AS Roma", "ITA"),
    "liverpool": ("Liverpool", "ENG"),
    "atalanta": ("Atalanta", "ITA"),
    "leverkusen": ("Bayer 04 Leverkusen", "GER"),
    "west-ham": ("West Ham United", "ENG"),
    "benfica": ("Benfica", "POR"),
    "marseille": ("Olympique de Marseille", "FRA"),
}
QUARTER_FINALS = {  # tie: (side 0 at home first, side 1)
    "QF1": ("ac-milan", "roma"),
    "QF2": ("liverpool", "atalanta"),
    "QF3": ("leverkusen", "west-ham"),
    "QF4": ("benfica", "marseille"),
}
SEMI_FINALS = {"SF1": ("QF4", "QF2"), "SF2": ("QF1", "QF3")}
FIRST_LEGS = dt.datetime(2024, 4, 11, 19, 0, tzinfo=UTC)
SECOND_LEGS = dt.datetime(2024, 4, 18, 19, 0, tzinfo=UTC)

Step = tuple[int, Event]  # (match minute, event); minute 0 is kick-off


def at(kickoff: dt.datetime, minute: int) -> dt.datetime:
    """When a match minute happened: 15 minutes of half time, 5 before extra time."""
    pause = 15 if minute > 45 else 0
    pause += 5 if minute > 90 else 0
    pause += 5 if minute > 120 else 0
    return kickoff + dt.timedelta(minutes=minute + pause)


def play(log: LogBuilder, match: str, kickoff: dt.datetime, steps: Iterable[Step], *,
         recorded_at: dt.datetime | None = None) -> list[Envelope]:
    """Append a match's events; ``recorded_at`` back-dates nothing, it records late."""
    return [log.add(f"match:{match}", event, occurred_at=at(kickoff, minute),
                    recorded_at=recorded_at) for minute, event in steps]


def regulation(goals: Iterable[Step], *, end: bool = True) -> list[Step]:
    """Kick-off, both halves with ``goals`` (and cards) in between, and the final whistle."""
    steps: list[Step] = [(0, MatchStarted()), (0, PeriodStarted(period=Period.FIRST_HALF))]
    goals = sorted(goals, key=lambda s: s[0])
    steps += [g for g in goals if g[0] <= 45]
    steps += [(45, PeriodEnded(period=Period.FIRST_HALF)),
              (46, PeriodStarted(period=Period.SECOND_HALF))]
    steps += [g for g in goals if g[0] > 45]
    steps.append((93, PeriodEnded(period=Period.SECOND_HALF)))
    if end:
        steps.append((93, MatchEnded()))
    return steps


def goal(minute: int, team: str, player: str, kind: GoalKind = GoalKind.OPEN_PLAY,
         added: int | None = None) -> Step:
    return minute + (added or 0), GoalScored(team=team, player=player, minute=minute,
                                              added=added, kind=kind)


def draw(log: LogBuilder) -> None:
    """Competition, teams, the draw of 15 March and its fixtures."""
    stream = f"competition:{COMPETITION}"
    created = dt.datetime(2023, 6, 1, tzinfo=UTC)
    log.add(stream, CompetitionCreated(competition=COMPETITION, name="UEFA Europa League",
                                       season="2023/24"), occurred_at=created)
    for team, (name, country) in TEAMS.items():
        log.add(stream, TeamRegistered(team=team, name=name, country=country),
                occurred_at=created)
    drawn = dt.datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
    for tie_id, (home, away) in QUARTER_FINALS.items():
        log.add(stream, TieDrawn(round="QF", tie=tie_id,
                                 sides=(Side(team=home), Side(team=away))), occurred_at=drawn)
    for tie_id, (first, second) in SEMI_FINALS.items():
        sides = (Side(winner_of=first), Side(winner_of=second))
        log.add(stream, TieDrawn(round="SF", tie=tie_id, sides=sides), occurred_at=drawn)
    for tie_id, (home, away) in QUARTER_FINALS.items():
        number = tie_id[-1]
        for leg, kickoff, h, a in ((1, FIRST_LEGS, home, away), (2, SECOND_LEGS, away, home)):
            log.add(stream, FixtureScheduled(match=f"qf{number}-leg{leg}", date=kickoff.date(),
                                             kickoff=kickoff, home=h, away=a, tie=tie_id,
                                             leg=leg, round="QF"), occurred_at=drawn)
    for tie_id in SEMI_FINALS:
        for leg, day in ((1, dt.date(2024, 5, 2)), (2, dt.date(2024, 5, 9))):
            log.add(stream, FixtureScheduled(match=f"sf{tie_id[-1]}-leg{leg}", date=day,
                                             tie=tie_id, leg=leg, round="SF"),
                    occurred_at=drawn)


def first_legs(log: LogBuilder, *, recorded_at: dt.datetime | None = None) -> None:
    """11 April: Milan 0-1 Roma, Liverpool 0-3 Atalanta (Salah's goal disallowed),
    Leverkusen 2-0 West Ham, Benfica 2-1 Marseille."""
    k = FIRST_LEGS
    play(log, "qf1-leg1", k, regulation([goal(17, "roma", "Gianluca Mancini")]),
         recorded_at=recorded_at)
    steps = regulation([goal(38, "atalanta", "Gianluca Scamacca"),
                        goal(60, "atalanta", "Gianluca Scamacca"),
                        goal(83, "atalanta", "Mario Pasalic")])
    salah = play(log, "qf2-leg1", k, steps[:2] + [goal(5, "liverpool", "Mohamed Salah")],
                 recorded_at=recorded_at)[-1]
    play(log, "qf2-leg1", k, [(6, GoalDisallowed(goal=salah.event_id, reason="offside"))],
         recorded_at=recorded_at)
    play(log, "qf2-leg1", k, steps[2:], recorded_at=recorded_at)
    play(log, "qf3-leg1", k, regulation([goal(83, "leverkusen", "Jonas Hofmann"),
                                         goal(90, "leverkusen", "Victor Boniface", added=2)]),
         recorded_at=recorded_at)
    play(log, "qf4-leg1", k, regulation([goal(13, "benfica", "Rafa Silva"),
                                         goal(52, "marseille", "Jordan Veretout"),
                                         goal(71, "benfica", "Angel Di Maria")]),
         recorded_at=recorded_at)


def second_legs(log: LogBuilder, *, recorded_at: dt.datetime | None = None) -> None:
    """18 April: Roma 2-1 Milan (Celik sent off), Atalanta 0-1 Liverpool, West Ham 1-1
    Leverkusen, Marseille 1-0 Benfica after extra time, 4-2 on penalties."""
    k = SECOND_LEGS
    play(log, "qf1-leg2", k, regulation([
        goal(12, "roma", "Gianluca Mancini"), goal(22, "roma", "Paulo Dybala"),
        (31, CardShown(team="roma", player="Zeki Celik", card=Card.RED, minute=31)),
        goal(85, "ac-milan", "Matteo Gabbia")]), recorded_at=recorded_at)
    play(log, "qf2-leg2", k, regulation([
        goal(7, "liverpool", "Mohamed Salah", GoalKind.PENALTY),
        (30, CardShown(team="atalanta", player="Matteo Ruggeri", card=Card.YELLOW,
                       minute=30))]), recorded_at=recorded_at)
    play(log, "qf3-leg2", k, regulation([goal(13, "west-ham", "Michail Antonio"),
                                         goal(89, "leverkusen", "Jeremie Frimpong")]),
         recorded_at=recorded_at)
    steps = regulation([goal(79, "marseille", "Faris Moumbagna")], end=False)
    steps += [(91, PeriodStarted(period=Period.EXTRA_FIRST)),
              (105, PeriodEnded(period=Period.EXTRA_FIRST)),
              (106, PeriodStarted(period=Period.EXTRA_SECOND)),
              (120, PeriodEnded(period=Period.EXTRA_SECOND)),
              (121, PeriodStarted(period=Period.SHOOTOUT))]
    kicks = [("benfica", "Arthur Cabral", KickOutcome.SCORED),
             ("marseille", "Jordan Veretout", KickOutcome.SCORED),
             ("benfica", "Angel Di Maria", KickOutcome.SAVED),
             ("marseille", "Amine Harit", KickOutcome.SCORED),
             ("benfica", "Antonio Silva", KickOutcome.MISSED),
             ("marseille", "Jonathan Clauss", KickOutcome.SCORED),
             ("benfica", "Joao Neves", KickOutcome.SCORED),
             ("marseille", "Luis Henrique", KickOutcome.SCORED)]
    steps += [(122, ShootoutKick(team=t, taker=p, outcome=o)) for t, p, o in kicks]
    steps += [(125, PeriodEnded(period=Period.SHOOTOUT)), (125, MatchEnded())]
    play(log, "qf4-leg2", k, steps, recorded_at=recorded_at)


def sample_log() -> LogBuilder:
    """The quarter-finals as they happened, each event recorded when it occurred."""
    log = LogBuilder()
    draw(log)
    first_legs(log)
    second_legs(log)
    return log


def sample_state(*, as_of: dt.datetime | None = None,
                 known_at: dt.datetime | None = None) -> State:
    """The fold of ``sample_log`` (events that occurred by ``as_of``, recorded by ``known_at``)."""
    return fold_all(env for env in sample_log().envelopes
                    if (as_of is None or env.occurred_at <= as_of)
                    and (known_at is None or env.recorded_at <= known_at))
