"""What a source file says, parsed but not yet judged: the common shape of every format.

Both parsers (Football.TXT and football.json) produce a ``ParsedSeason``; ``plan_import`` turns
it into ledger drafts. Scores are (team1, team2) as the source lists them; team1 is at home
unless the source says otherwise.

    >>> r = ParsedResult(full_time=(1, 1), extra_time=(1, 1), penalties=(4, 2))
    >>> r.final, r.decided_by_penalties
    ((1, 1), True)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

from matchledger.events import Event, Period

Score = tuple[int, int]

TXT = "football.txt"
JSON = "football.json"
STATSBOMB = "statsbomb"


_SCORE = r"\d{1,2}\s?[-:–]\s?\d{1,2}"
_NOT_IN_A_NAME = (
    ("a score", re.compile(rf"(?<!\d){_SCORE}(?!\d)")),
    ("a result marker", re.compile(
        r"(?<!\w)(?:a\.\s?e\.\s?t\.?|aet|pen\.|awd\.|abd\.|n\.\s?V\.|i\.\s?E\.)(?!\w)", re.I)),
    ("a minute", re.compile(r"\d{1,3}\s*(?:\+\s*\d{1,2})?\s*['′]")),
    ("a bracket", re.compile(r"[\[\](){}]")),
)


def team_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a team's name (it holds a score, a result marker, a minute or a
    bracket, or no letter), or None: a line read wrongly never makes up a team.

        >>> team_name_problem("a.e.t., 1-3 pen. Beta")
        'it holds a score'
    """
    if not re.search(r"[^\W\d_]", name):
        return "it has no letter"
    for what, pattern in _NOT_IN_A_NAME:
        if pattern.search(name):
            return f"it holds {what}"
    return None


@attrs.frozen(kw_only=True)
class ParsedResult:
    """A reported result: ``full_time`` after 90 minutes, ``extra_time`` after 120 (cumulative),
    ``penalties`` the shoot-out; None where the source does not say."""

    full_time: Score
    half_time: Score | None = None
    extra_time: Score | None = None
    penalties: Score | None = None

    @property
    def final(self) -> Score:
        """The score after all play (extra time included, shoot-out not)."""
        return self.extra_time or self.full_time

    @property
    def decided_by_penalties(self) -> bool:
        return self.penalties is not None


@attrs.frozen(kw_only=True)
class ParsedGoal:
    """A goal as a source lists it: under the side it *counts for* (``side`` 0 or 1).

    An own goal is listed under the side that benefits, so its scorer plays for the other one.
    ``added`` is stoppage time (90+3 is minute 90, added 3).
    """

    side: int
    player: str | None = None
    minute: int | None = None
    added: int | None = None
    penalty: bool = False
    own_goal: bool = False


@attrs.frozen(kw_only=True)
class ParsedCard:
    """A card of a line-up (``[Y]``, ``[R 42']``, ``[Y/R 78']``): ``card`` is "yellow",
    "second_yellow" or "red"; ``side`` 0 or 1 as the match lists its teams."""

    side: int
    player: str
    card: str
    minute: int | None = None
    added: int | None = None


@attrs.frozen(kw_only=True)
class ParsedSubstitution:
    """A substitution of a line-up (``Andrich (46' Groß)``, ``Mid (Sub 46')``)."""

    side: int
    player_off: str
    player_on: str
    minute: int | None = None
    added: int | None = None


@attrs.frozen(kw_only=True)
class ParsedLineup:
    """The players a line-up names for one side (starters, then those who came on), with
    their cards and substitutions; ``where`` is its first line."""

    where: str
    side: int
    players: tuple[str, ...]
    cards: tuple[ParsedCard, ...] = ()
    substitutions: tuple[ParsedSubstitution, ...] = ()


@attrs.frozen(kw_only=True)
class TimedPlay:
    """A fact of an event-data timeline, at its moment: ``at`` is the time from kick-off on
    the wall clock (half time included), ``side`` the side (0 home, 1 away) whose team the
    event names (left empty in ``event`` until the teams are resolved), ``provider_id`` the
    provider's event id, ``order`` its place in the file (ties of ``at`` keep it)."""

    event: Event
    at: dt.timedelta
    period: Period
    provider_id: str
    side: int | None = None
    order: int = -1
    note: str | None = None


@attrs.frozen(kw_only=True)
class ParsedMatch:
    """One match line (or JSON object): ``where`` is "file:line", cited in errors and meta."""

    where: str
    round: str  # as written: "Quarter-finals - 1st Leg", "Matchday 5", "" when none
    team1: str
    team2: str
    date: dt.date
    time: dt.time | None = None
    utc_offset: dt.timedelta | None = None
    group: str | None = None
    stage: str | None = None  # a "== Group" section of a Football.TXT file
    country1: str | None = None
    country2: str | None = None
    result: ParsedResult | None = None  # None: not played (yet)
    goals: tuple[ParsedGoal, ...] | None = None  # None: the source lists no scorers
    goals_where: str | None = None
    venue: str | None = None
    number: int | None = None
    # "awarded" (the result stands as given), "abandoned", "cancelled", "postponed"; None: as
    # scheduled (played, or still to play)
    status: str | None = None
    lineups: tuple[ParsedLineup, ...] = ()  # at most one a side
    # event data: every period, goal, card, substitution and shoot-out kick at its clock;
    # None for a results file
    timeline: tuple[TimedPlay, ...] | None = None
    provider_match: str | None = None  # the provider's match id


@attrs.frozen(kw_only=True)
class ParsedSeason:
    """A whole file: one competition's season (or the part of it the file holds)."""

    source: str  # the file's name, as messages cite it
    format: str  # TXT or JSON
    name: str | None
    season: str | None  # "2023/24", "2022"
    matches: tuple[ParsedMatch, ...]
    groups: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # "Group A | t1  t2 ..." lines
    notes: tuple[str, ...] = ()  # what the parser had to guess, said so
    lines: Mapping[str, int] = MappingProxyType({})  # lines read, by kind (``LINE_KINDS``)


@attrs.frozen(kw_only=True)
class TeamMatch:
    """How a name of the file was matched to a team id."""

    name: str
    team: str
    how: str  # "exact", "alias map", "normalised form", "abbreviation", "new"


@attrs.frozen(kw_only=True)
class ImportSummary:
    """What an import did, and what it had to infer to do it."""

    source: str
    format: str
    competition: str
    name: str
    season: str
    structure: str  # "league", "knockout" or "mixed"
    matches: int
    results: int
    goals: int
    teams_new: tuple[str, ...]
    teams_matched: tuple[TeamMatch, ...]  # every name matched to a team already known
    ties: int
    inferred: tuple[str, ...]
    warnings: tuple[str, ...]
    added: int = 0
    skipped: int = 0  # already in the ledger: importing a file twice adds nothing
    line_kinds: Mapping[str, int] = MappingProxyType({})  # lines read by kind: none unaccounted
    players: int = 0  # registered from line-ups
    cards: int = 0
    substitutions: int = 0

    def lines(self) -> list[str]:
        """The summary as a person reads it, one fact a line."""
        out = [
            f"{self.source} ({self.format}): {self.name} {self.season} -> "
            f"competition {self.competition} ({self.structure})",
            f"matches {self.matches} ({self.results} with a result, {self.goals} goals); "
            f"ties {self.ties}",
            f"teams: {len(self.teams_new)} new, {len(self.teams_matched)} matched to known teams",
            f"events: {self.added} added, {self.skipped} already in the ledger",
        ]
        if self.line_kinds:
            out.append("lines read: " + ", ".join(f"{n} {kind}" for kind, n in
                                                 self.line_kinds.items()))
        if self.players or self.cards or self.substitutions:
            out.append(f"line-ups: {self.players} players, {self.cards} cards, "
                       f"{self.substitutions} substitutions")
        out += [f"matched {m.name!r} -> {m.team} ({m.how})" for m in self.teams_matched
                if m.how != "exact"]
        out += [f"inferred: {note}" for note in self.inferred]
        out += [f"warning: {note}" for note in self.warnings]
        return out


__all__ = [
    "JSON",
    "TXT",
    "ImportSummary",
    "ParsedCard",
    "ParsedGoal",
    "ParsedLineup",
    "ParsedMatch",
    "ParsedResult",
    "ParsedSeason",
    "ParsedSubstitution",
    "STATSBOMB",
    "Score",
    "TeamMatch",
    "TimedPlay",
    "team_name_problem",
]
