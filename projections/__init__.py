"""Projections: pure folds over the log, and the machinery that keeps them in SQLite.

One core fold (``fold``) builds a ``State`` — competitions, teams, ties drawn, fixtures and
each match's ``MatchState`` — and every projection is a view of it: ``scoreboard``, ``tie``,
``bracket``, ``team_record``/``table``, ``streaks``, ``players``. Views return frozen attrs
objects; ``to_json`` gives their JSON contract.

    >>> import datetime as dt
    >>> from matchledger.projections.testing import MemoryLog, sample_log
    >>> ledger = MemoryLog(sample_log().envelopes)        # or a ledger.Ledger
    >>> state = state_at(ledger, as_of=dt.datetime(2024, 4, 12, tzinfo=dt.UTC))
    >>> [t.aggregate for t in bracket(state, "uel-2023-24").rounds[0].ties]
    [(0, 1), (0, 3), (2, 0), (2, 1)]

``Projector`` persists the views as ``rm_*`` tables beside the log (``rebuild``, ``catch_up``,
``follow``) and snapshots the fold so that ``state_at`` (``as_of``, ``known_at``,
``at_position``) starts from the nearest usable snapshot; ``state_at(..., competition=)`` or
``(..., team=)`` loads and folds only what that competition's or team's views read.
``current(ledger)`` reads every team's players and streaks from the read models while they
are caught up to the head of the log, and says None once they are behind.

``projections.query`` is the layer every interface calls: one function per question
(``query.bracket(ledger, "uel-2023-24", as_of=...)``), choosing how to answer it.
"""

from matchledger.projections import query
from matchledger.projections.audit import Difference, ReadModelReport, check_read_models
from matchledger.projections.clock import with_clock
from matchledger.projections.errors import (
    AmbiguousTie,
    CheckpointMoved,
    ProjectionError,
    StaleCache,
    UnknownCompetition,
    UnknownEvent,
    UnknownMatch,
    UnknownRound,
    UnknownTeam,
    UnknownTie,
)
from matchledger.projections.jsonify import dumps, to_json
from matchledger.projections.listing import MatchLine, matches
from matchledger.projections.logreader import LogReader, Progress
from matchledger.projections.projector import Projector, catch_up, current, follow, rebuild
from matchledger.projections.readmodels import Current, checkpoint
from matchledger.projections.records import (
    KINDS,
    PlayerRecord,
    Streak,
    StreakPair,
    Streaks,
    TeamRecord,
    competition_teams,
    players,
    streaks,
    table,
    team_record,
)
from matchledger.projections.scoreboard import Scoreboard, scoreboard
from matchledger.projections.snapshot import nearest_snapshot, snapshots
from matchledger.projections.state import State, fold, fold_all
from matchledger.projections.ties import (
    Bracket,
    Leg,
    PathStep,
    RoundView,
    SideView,
    TieView,
    bracket,
    tie,
)
from matchledger.projections.timetravel import read_filtered, registered_teams, state_at

__all__ = [
    "KINDS",
    "AmbiguousTie",
    "Bracket",
    "CheckpointMoved",
    "Current",
    "Difference",
    "Leg",
    "LogReader",
    "PathStep",
    "ReadModelReport",
    "StaleCache",
    "PlayerRecord",
    "Progress",
    "ProjectionError",
    "Projector",
    "RoundView",
    "Scoreboard",
    "SideView",
    "State",
    "Streak",
    "StreakPair",
    "Streaks",
    "TeamRecord",
    "TieView",
    "UnknownCompetition",
    "UnknownEvent",
    "UnknownMatch",
    "UnknownRound",
    "UnknownTeam",
    "UnknownTie",
    "bracket",
    "catch_up",
    "check_read_models",
    "checkpoint",
    "competition_teams",
    "current",
    "dumps",
    "fold",
    "fold_all",
    "follow",
    "nearest_snapshot",
    "players",
    "query",
    "read_filtered",
    "rebuild",
    "registered_teams",
    "scoreboard",
    "snapshots",
    "state_at",
    "streaks",
    "table",
    "team_record",
    "tie",
    "to_json",
    "matches",
    "MatchLine",
    "with_clock",
]
