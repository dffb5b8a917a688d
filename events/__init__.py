"""The event catalogue of matchledger: frozen attrs classes, with no knowledge of storage.

Type names are the class names and never change; old stored shapes are lifted by
``events.upcasting``. The match rules (a state machine) live in ``events.rules``.
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
