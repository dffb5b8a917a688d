"""The event catalogue: every fact the ledger can hold, as frozen attrs classes.

Events carry domain facts only. Where they happened (the stream), in which order (version,
position) and when the ledger learned them (recorded_at) belong to the envelope.

    >>> GoalScored(team="atalanta", player="Gianluca Scamacca", minute=38).kind
    <GoalKind.OPEN_PLAY: 'open_play'>
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs


class Period(enum.StrEnum):
    """A period of play; its value is what is stored."""

    FIRST_HALF = "1H"
    SECOND_HALF = "2H"
    EXTRA_FIRST = "ET1"
    EXTRA_SECOND = "ET2"
    SHOOTOUT = "PSO"


class GoalKind(enum.StrEnum):
    OPEN_PLAY = "open_play"
    PENALTY = "penalty"
    OWN_GOAL = "own_goal"


class Card(enum.StrEnum):
    YELLOW = "yellow"
    SECOND_YELLOW = "second_yellow"  # a sending-off, recorded once: never a yellow plus a red
    RED = "red"


class KickOutcome(enum.StrEnum):
    SCORED = "scored"
    MISSED = "missed"
    SAVED = "saved"


class CompetitionFormat(enum.StrEnum):
    KNOCKOUT = "knockout"
    LEAGUE = "league"
    MIXED = "mixed"


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event; subclasses are the catalogue."""


@attrs.frozen(kw_only=True)
class TieRules:
    """How a level tie is settled; rules belong to the competition's data, not to code.

    UEFA dropped away goals from 2021/22 on; older seasons set ``away_goals`` (and, in some
    eras, ``away_goals_in_extra_time``).
    """

    extra_time: bool = True
    away_goals: bool = False
    away_goals_in_extra_time: bool = False
    penalties: bool = True
    points_for_win: int = 3


@attrs.frozen(kw_only=True)
class Side:
    """One side of a tie: a team, or the winner of an earlier tie."""

    team: str | None = None
    winner_of: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.team is None) == (self.winner_of is None):
            raise ValueError("a side is exactly one of team or winner_of")


# --- competition stream: competition:<id> -------------------------------------------------


@attrs.frozen(kw_only=True)
class CompetitionCreated(Event):
    competition: str
    name: str
    season: str
    format: CompetitionFormat = CompetitionFormat.KNOCKOUT
    rules: TieRules = TieRules()


@attrs.frozen(kw_only=True)
class TeamRegistered(Event):
    """A team joins the registry (registering it again in another competition adds aliases)."""

    team: str
    name: str
    country: str | None = None
    aliases: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PlayerRegistered(Event):
    """A player's name as the ledger spells it, with the spellings sources use ("Scamaca")."""

    team: str
    name: str
    aliases: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class TieDrawn(Event):
    """A tie of a knockout round; ``sides[0]`` plays at home first."""

    round: str
    tie: str
    sides: tuple[Side, Side]
    legs: int = 2


@attrs.frozen(kw_only=True)
class FixtureScheduled(Event):
    """A match is set. Scheduling the same match again updates it (teams known after a draw).

    ``kickoff`` is local time with its offset; ``date`` alone when the time is not known.
    """

    match: str
    date: dt.date
    kickoff: dt.datetime | None = None
    home: str | None = None
    away: str | None = None
    tie: str | None = None
    leg: int | None = None
    round: str | None = None
    venue: str | None = None
    neutral: bool = False  # at neither side's ground (a one-match final); absent in old events


# --- match stream: match:<id> -------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MatchStarted(Event):
    pass


@attrs.frozen(kw_only=True)
class PeriodStarted(Event):
    period: Period


@attrs.frozen(kw_only=True)
class PeriodEnded(Event):
    period: Period


@attrs.frozen(kw_only=True)
class GoalScored(Event):
    """A goal. ``team`` is the scorer's own team: an own goal counts for the other side.

    ``player`` and ``minute`` are None where the source does not say; ``added`` is stoppage time
    (90+3 is minute 90, added 3).
    """

    team: str
    player: str | None = None
    minute: int | None = None
    added: int | None = None
    kind: GoalKind = GoalKind.OPEN_PLAY


@attrs.frozen(kw_only=True)
class GoalDisallowed(Event):
    """A goal ruled out (VAR, offside): a fact of the game, not a data fix."""

    goal: str  # event_id of the GoalScored
    reason: str | None = None


@attrs.frozen(kw_only=True)
class CardShown(Event):
    team: str
    player: str
    card: Card
    minute: int | None = None
    added: int | None = None


@attrs.frozen(kw_only=True)
class SubstitutionMade(Event):
    """One player of ``team`` goes off and another comes on.

    The player who went off takes no further part (no goal, no card as a player, no shoot-out
    kick), and a player who came on cannot come on again. ``minute``/``added`` as for a goal
    (90+3 is minute 90, added 3); None where the source does not say.
    """

    team: str
    player_off: str
    player_on: str
    minute: int | None = None
    added: int | None = None


@attrs.frozen(kw_only=True)
class ShootoutKick(Event):
    """A kick from the penalty mark: never a goal in any record."""

    team: str
    outcome: KickOutcome
    taker: str | None = None


@attrs.frozen(kw_only=True)
class MatchEnded(Event):
    pass


@attrs.frozen(kw_only=True)
class ResultReported(Event):
    """A result as a source reports it, for a match without minute-by-minute events.

    Scores are (home, away). ``full_time`` is after 90 minutes, ``extra_time`` after 120
    (cumulative), ``penalties`` the shoot-out; None where the source does not say.
    """

    full_time: tuple[int, int]
    half_time: tuple[int, int] | None = None
    extra_time: tuple[int, int] | None = None
    penalties: tuple[int, int] | None = None
    source: str | None = None


@attrs.frozen(kw_only=True)
class MatchAbandoned(Event):
    reason: str | None = None
    minute: int | None = None


# --- any stream ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class EventRetracted(Event):
    """A data-entry mistake undone: the retracted event is as if never appended.

    An amendment is a retraction naming its ``replacement``, the event appended right after it
    in the same batch, which takes the retracted event's place (a kick keeps its turn).
    """

    event: str  # event_id
    reason: str
    replacement: str | None = None  # event_id of the event that takes its place


COMPETITION_EVENTS: tuple[type[Event], ...] = (
    CompetitionCreated,
    TeamRegistered,
    PlayerRegistered,
    TieDrawn,
    FixtureScheduled,
)
MATCH_EVENTS: tuple[type[Event], ...] = (
    MatchStarted,
    PeriodStarted,
    PeriodEnded,
    GoalScored,
    GoalDisallowed,
    CardShown,
    SubstitutionMade,
    ShootoutKick,
    MatchEnded,
    MatchAbandoned,
    ResultReported,
)
ALL_EVENTS: tuple[type[Event], ...] = (*COMPETITION_EVENTS, *MATCH_EVENTS, EventRetracted)
