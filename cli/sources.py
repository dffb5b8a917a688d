"""What ``matchledger import`` needs besides the command: which format a file is, the
openfootball options as ``plan_import`` takes them, and one file imported with its summary.

    $ matchledger import 2023-24/el.txt de.1.json --alias "Bayer 04 Leverkusen=leverkusen"

A file is JSON Lines of events (what ``export`` writes), a Football.TXT file or a football.json
file; the content decides, the name only where the content cannot (a ``.jsonl`` file, a
football.json file whose first line is cut). Each file is appended in its own transaction.

    >>> format_of_text('{"stream": "match:m1", "type": "MatchStarted", "data": {}}\\n', "x")
    'jsonl'
    >>> format_of_text('{\\n  "name": "Bundesliga 2023/24",\\n', "de.1.json")
    'football.json'
    >>> format_of_text("= UEFA Europa League 2023/24\\n", "el.txt")
    'football.txt'
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any

import attrs

from matchledger.cli.common import CliError

if TYPE_CHECKING:
    from matchledger.events import TieRules
    from matchledger.ledger import Ledger
    from matchledger.ledger.sources import ImportSummary

JSONL = "jsonl"
STATSBOMB = "statsbomb"  # ledger.sources.STATSBOMB, without importing the importers
STDIN = "-"


class Format(enum.StrEnum):
    """``--format``: auto (detected by content), or one of the four."""

    AUTO = "auto"
    JSONL = "jsonl"
    TXT = "football.txt"
    JSON = "football.json"
    STATSBOMB = "statsbomb"


def format_of_text(head: str, name: str) -> str:
    """The format of a file whose first lines are ``head``: JSON Lines, or openfootball's."""
    from matchledger.ledger.sources import JSON, detect_format, looks_like_statsbomb

    if name.lower().endswith((".jsonl", ".ndjson")):
        return JSONL
    if looks_like_statsbomb(head):
        return STATSBOMB
    first = next((line.strip() for line in head.lstrip("\ufeff").splitlines() if line.strip()),
                 "")
    if first.startswith("{"):
        try:
            value = json.loads(first)
        except (ValueError, RecursionError):  # a pretty-printed object, a broken line of JSON
            # Lines, or one nested too deeply for json (the ledger's reader says which)
            cut = first == "{" or name.lower().endswith(".json")
            return JSON if cut else JSONL
        is_event = isinstance(value, dict) and ("stream" in value or "type" in value)
        return JSONL if is_event else JSON
    return detect_format(head, name)


class _Stdin:
    """Standard input, its first lines read ahead to tell its format and then given back:
    a stream of JSON Lines is still read a line at a time."""

    def __init__(self) -> None:
        self.stream: IO[str] | None = None  # the sys.stdin that ``head`` was read from
        self.head: list[str] = []

    def peek(self) -> str:
        """The lines up to the first that is not blank (read once)."""
        if self.stream is not sys.stdin:  # a new standard input (one per command in tests)
            self.stream, self.head = sys.stdin, []
            for line in _decoded(sys.stdin):
                self.head.append(line)
                if line.strip():
                    break
        return "".join(self.head)

    def lines(self) -> Iterator[str]:
        if self.stream is sys.stdin:
            yield from self.head
        yield from _decoded(sys.stdin)

    def read(self) -> str:
        return "".join(self.lines())


stdin = _Stdin()


def _decoded(lines: Iterable[str]) -> Iterator[str]:
    """The lines of standard input; bytes that are not UTF-8 are one line of error. (Not
    ``yield from``: closing this generator, as ``peek`` does, would close stdin too.)"""
    read = iter(lines)
    while True:
        try:
            line = next(read)
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            raise CliError(f"stdin is not UTF-8 text ({e.reason})") from e
        yield line


def format_of(file: str, given: Format) -> str:
    """The format to import ``file`` as: ``given``, or detected from its first line."""
    if file == STDIN:
        return given.value if given is not Format.AUTO else format_of_text(stdin.peek(), "")
    path = Path(file)
    if path.is_dir():
        raise CliError(f"{file} is a folder: name the files in it")
    if not path.is_file():
        raise CliError(f"no such file: {file}")
    if given is not Format.AUTO:
        return given.value
    with path.open(encoding="utf-8", errors="replace") as f:
        head = f.readline()
        while head.strip() == "" and (more := f.readline()):
            head = more
    return format_of_text(head, file)


@attrs.frozen(kw_only=True)
class SourceOptions:
    """The openfootball options of ``import``, checked once for every file."""

    aliases: dict[str, str] = attrs.field(factory=dict)
    competition: str | None = None
    season: str | None = None
    timezone: str | None = None
    away_goals: bool | None = None
    points_for_win: int | None = None
    round_kinds: dict[str, str] = attrs.field(factory=dict)
    allow_duplicates: bool = False

    def given(self) -> list[str]:
        """The options typed, as their flags (they mean nothing to a JSON Lines file)."""
        flags = {"--alias/--aliases": self.aliases, "--competition": self.competition,
                 "--season": self.season, "--timezone": self.timezone,
                 "--away-goals/--no-away-goals": self.away_goals is not None,
                 "--points-for-win": self.points_for_win is not None,
                 "--round-kind": self.round_kinds, "--allow-duplicates": self.allow_duplicates}
        return [flag for flag, value in flags.items() if value]

    def rules(self, name: str, season: str | None) -> TieRules | None:
        """The tie rules: the season's defaults with what was typed changed, or None."""
        from matchledger.ledger.sources import default_rules

        if self.away_goals is None and self.points_for_win is None:
            return None  # plan_import picks the defaults and says so
        rules, _ = default_rules(name, season or "")
        if self.away_goals is not None:
            rules = attrs.evolve(rules, away_goals=self.away_goals,
                                  away_goals_in_extra_time=self.away_goals)
        if self.points_for_win is not None:
            rules = attrs.evolve(rules, points_for_win=self.points_for_win)
        return rules


def source_options(*, alias: Iterable[str], aliases_file: Path | None,
                   round_kind: Iterable[str], **given: Any) -> SourceOptions:
    """``SourceOptions`` from the command line: ``NAME=team-id`` flags and file lines,
    ``ROUND=league|knockout`` flags."""
    from matchledger.ledger.sources import parse_aliases

    lines = list(alias)
    if aliases_file is not None:
        try:
            lines += aliases_file.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise CliError(f"cannot read the aliases file {aliases_file}: {e}") from e
    kinds: dict[str, str] = {}
    for item in round_kind:
        label, sep, kind = item.rpartition("=")
        if not sep or not label.strip() or kind.strip() not in ("league", "knockout"):
            raise CliError(f"--round-kind {item!r}: write ROUND=league or ROUND=knockout")
        kinds[label.strip()] = kind.strip()
    return SourceOptions(aliases=parse_aliases(lines), round_kinds=kinds, **given)


def statsbomb_groups(sources: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """The files to import, each a list: a StatsBomb events file with the line-ups and match
    records given after it (or before it, when it comes first), every other file alone."""
    from matchledger.ledger.sources import SourceError, statsbomb_kind

    groups: list[tuple[list[str], str]] = []
    waiting: list[str] = []  # StatsBomb companions given before any events file
    current: list[str] | None = None
    for file, fmt in sources:
        if fmt != STATSBOMB:
            groups.append(([file], fmt))
            current = None
            continue
        if file == STDIN:
            raise CliError("stdin (-): StatsBomb files are imported by path (the events, "
                           "line-ups and match records go together)")
        try:
            kind = statsbomb_kind(file)
        except SourceError as e:
            raise CliError(str(e)) from e
        if kind == "events":
            current = [file, *waiting]
            waiting = []
            groups.append((current, fmt))
        elif current is not None:
            current.append(file)
        else:
            waiting.append(file)
    if waiting:
        raise CliError(f"{waiting[0]}: a StatsBomb {statsbomb_kind(waiting[0])} file given "
                       "without its events file")
    return groups


def import_source_file(lg: Ledger, file: str | list[str], fmt: str, options: SourceOptions
                       ) -> ImportSummary:
    """One Football.TXT or football.json file (``-``: stdin), or one StatsBomb match (its
    events file with its companions), into ``lg``, in one transaction."""
    from matchledger.ledger.sources import (
        AmbiguousTeam,
        DuplicateMatches,
        append_plan,
        parse_source,
        plan_import,
        read_source,
        read_statsbomb,
    )

    if fmt == STATSBOMB:
        parsed = read_statsbomb([file] if isinstance(file, str) else file)
        if options.season:
            parsed = attrs.evolve(parsed, season=options.season)
    elif isinstance(file, list):
        raise CliError(f"{file[0]}: one {fmt} file at a time")
    elif file == STDIN:
        parsed = parse_source(stdin.read(), "stdin", format=fmt, season=options.season)
    else:
        parsed = read_source(file, format=fmt, season=options.season)
    name = parsed.name or PurePath(parsed.source).stem
    try:
        plan, summary = plan_import(
            lg, parsed, rules=options.rules(name, parsed.season), aliases=options.aliases,
            competition=options.competition, timezone=options.timezone,
            round_kinds=options.round_kinds, allow_duplicates=options.allow_duplicates)
    except AmbiguousTeam as e:  # what to type about it
        raise CliError(f"{e}; settle them with --alias NAME=ID (or --aliases FILE)") from e
    except DuplicateMatches as e:
        raise CliError(f"{e}; --allow-duplicates imports them anyway") from e
    added, skipped = append_plan(lg, plan)
    return attrs.evolve(summary, added=added, skipped=skipped)


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    """The ``--json`` form of one openfootball file's summary (stable keys, see the README)."""
    return {
        "file": summary.source, "format": summary.format, "competition": summary.competition,
        "name": summary.name, "season": summary.season, "structure": summary.structure,
        "matches": summary.matches, "results": summary.results, "goals": summary.goals,
        "ties": summary.ties, "teams_new": list(summary.teams_new),
        "teams_matched": [{"name": m.name, "team": m.team, "how": m.how}
                          for m in summary.teams_matched],
        "inferred": list(summary.inferred), "warnings": list(summary.warnings),
        "added": summary.added, "skipped": summary.skipped, "lines": dict(summary.line_kinds),
        "players": summary.players, "cards": summary.cards,
        "substitutions": summary.substitutions,
    }


def jsonl_json(file: str, added: int, skipped: int) -> dict[str, Any]:
    """The ``--json`` form of one JSON Lines file: the same keys as an openfootball file's
    where they mean something, null where they do not."""
    return {"file": file, "format": JSONL, "competition": None, "name": None, "season": None,
            "structure": None, "matches": None, "results": None, "goals": None,
            "ties": None, "teams_new": [], "teams_matched": [], "inferred": [],
            "warnings": [], "added": added, "skipped": skipped, "lines": None, "players": None,
            "cards": None, "substitutions": None}


__all__ = ["JSONL", "STATSBOMB", "STDIN", "Format", "SourceOptions", "format_of", "format_of_text",
           "import_source_file", "jsonl_json", "source_options", "statsbomb_groups",
           "summary_json"]
