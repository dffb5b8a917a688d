"""Importers of public results: openfootball's Football.TXT and football.json, whole seasons;
and StatsBomb event data, one match at a time, read through kloppy (``read_statsbomb``).

Parse a file into a ``ParsedSeason`` (what it says), plan it against the ledger (teams matched
across files, league and knockout structure inferred, each inference said in event meta and the
summary) and append the plan in one transaction. Importing the same file twice adds nothing.

    >>> season = parse_source('''= Coppa Italia 2023/24
    ... » Final
    ...   Wed May/15 2024
    ...     21.00  Atalanta  v Juventus  0-1 (0-1)
    ... ''', "coppa.txt")
    >>> season.name, season.season, [(m.team1, m.team2) for m in season.matches]
    ('Coppa Italia', '2023/24', [('Atalanta', 'Juventus')])

Step by step: ``parse_football_txt`` / ``parse_football_json`` (or ``parse_source``, which
detects the format), then ``plan_import`` (drafts and an ``ImportSummary``), then
``append_plan``.
"""

from matchledger.ledger.sources.dates import season_years, split_title
from matchledger.ledger.sources.errors import (
    AmbiguousTeam,
    DuplicateMatches,
    ParseError,
    SourceError,
)
from matchledger.ledger.sources.football_json import parse_football_json
from matchledger.ledger.sources.football_txt import parse_football_txt
from matchledger.ledger.sources.infer import decide, default_rules, split_leg
from matchledger.ledger.sources.load import (
    FORMATS,
    append_plan,
    detect_format,
    import_source,
    parse_source,
    read_source,
)
from matchledger.ledger.sources.model import (
    JSON,
    STATSBOMB,
    TXT,
    ImportSummary,
    ParsedGoal,
    ParsedMatch,
    ParsedResult,
    ParsedSeason,
    TeamMatch,
)
from matchledger.ledger.sources.names import TeamMatcher, club_key, parse_aliases, slug
from matchledger.ledger.sources.plan import Plan, event_id, plan_import
from matchledger.ledger.sources.statsbomb import (
    looks_like_statsbomb,
    read_statsbomb,
    statsbomb_kind,
)

__all__ = [
    "FORMATS",
    "JSON",
    "STATSBOMB",
    "TXT",
    "AmbiguousTeam",
    "DuplicateMatches",
    "ImportSummary",
    "ParseError",
    "ParsedGoal",
    "ParsedMatch",
    "ParsedResult",
    "ParsedSeason",
    "Plan",
    "SourceError",
    "TeamMatch",
    "TeamMatcher",
    "append_plan",
    "club_key",
    "decide",
    "default_rules",
    "detect_format",
    "event_id",
    "import_source",
    "looks_like_statsbomb",
    "parse_aliases",
    "parse_football_json",
    "parse_football_txt",
    "parse_source",
    "plan_import",
    "read_source",
    "read_statsbomb",
    "season_years",
    "slug",
    "split_leg",
    "split_title",
    "statsbomb_kind",
]
