"""The event catalogue of matchledger: frozen attrs classes, with no knowledge of storage.

Type names are the class names and never change; old stored shapes are lifted by
``events.upcasting``. The game itself lives beside it, a module per job: ``events.match``
(a match's state, folded), ``events.clock`` (periods and the minute), ``events.rules`` (what
can follow what), ``events.shootout``, ``events.pitch`` (corrections judged in pitch order,
amendments), ``events.tie`` (how a tie is decided), ``events.team`` and ``events.competition``
(the competition facts, folded).
"""

from matchledger.events.catalogue import (
    ALL_EVENTS,
    COMPETITION_EVENTS,
    MATCH_EVENTS,
    Card,
    CardShown,
    CompetitionCreated,
    CompetitionFormat,
    Event,
    EventRetracted,
    FixtureScheduled,
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
    PlayerRegistered,
    ResultReported,
    ShootoutKick,
    Side,
    SubstitutionMade,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.upcasting import schema_version, upcast

EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in ALL_EVENTS}

__all__ = [
    "ALL_EVENTS",
    "COMPETITION_EVENTS",
    "EVENT_TYPES",
    "MATCH_EVENTS",
    "Card",
    "CardShown",
    "CompetitionCreated",
    "CompetitionFormat",
    "Event",
    "EventRetracted",
    "FixtureScheduled",
    "GoalDisallowed",
    "GoalKind",
    "GoalScored",
    "KickOutcome",
    "MatchAbandoned",
    "MatchEnded",
    "MatchStarted",
    "Period",
    "PeriodEnded",
    "PeriodStarted",
    "PlayerRegistered",
    "ResultReported",
    "ShootoutKick",
    "Side",
    "SubstitutionMade",
    "TeamRegistered",
    "TieDrawn",
    "TieRules",
    "schema_version",
    "upcast",
]
