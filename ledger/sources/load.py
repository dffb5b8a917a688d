"""Reading a source file and appending its plan: all of a file, or none of it.

    >>> import tempfile
    >>> from matchledger.ledger import Ledger
    >>> folder = tempfile.TemporaryDirectory()
    >>> source = Path(folder.name) / "coppa.txt"
    >>> _ = source.write_text('''= Coppa Italia 2023/24
    ... » Final
    ...   Wed May/15 2024
    ...     21.00  Atalanta  v Juventus  0-1 (0-1)
    ... ''', encoding="utf-8")
    >>> with Ledger(Path(folder.name) / "matchledger.db") as ledger:
    ...     summary = import_source(ledger, source)
    ...     again = import_source(ledger, source)
    >>> summary.added, summary.ties, again.added
    (6, 1, 0)
    >>> folder.cleanup()
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs

from matchledger.events import TieRules
from matchledger.ledger.eventstore import StreamRun
from matchledger.ledger.sources.errors import SourceError
from matchledger.ledger.sources.football_json import parse_football_json
from matchledger.ledger.sources.football_txt import parse_football_txt
from matchledger.ledger.sources.model import JSON, STATSBOMB, TXT, ImportSummary, ParsedSeason
from matchledger.ledger.sources.plan import Plan, plan_import
from matchledger.ledger.sources.statsbomb import looks_like_statsbomb, read_statsbomb
from matchledger.ledger.store import Ledger

FORMATS = (TXT, JSON, STATSBOMB)


def detect_format(text: str, name: str = "") -> str:
    """football.json for a JSON object (or a ``.json`` name), else Football.TXT."""
    if name.lower().endswith(".json") or text.lstrip("\ufeff \t\r\n").startswith("{"):
        return JSON
    return TXT


def parse_source(text: str, name: str, *, format: str | None = None,
                 season: str | None = None) -> ParsedSeason:
    """Parse ``text`` (a file called ``name``) in ``format``, detected when None."""
    fmt = format or detect_format(text, name)
    if fmt in (TXT, "txt"):
        return parse_football_txt(text, name, season=season)
    if fmt in (JSON, "json"):
        return parse_football_json(text, name, season=season)
    if fmt == STATSBOMB:
        raise SourceError(f"{name}: StatsBomb files are read by path, with their line-ups "
                          "and match record (read_source, read_statsbomb)")
    raise SourceError(f"{name}: unknown format {fmt!r} (use {' or '.join(FORMATS)})")


def read_source(path: str | Path, *, format: str | None = None,
                season: str | None = None) -> ParsedSeason:
    """Read and parse a file; messages cite it by the name given (as typed, or relative).
    A StatsBomb events file is read with its line-ups and match record found beside it."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"{path}: cannot read ({e})") from e
    if format == STATSBOMB or (format is None and looks_like_statsbomb(text)):
        parsed = read_statsbomb([path])
        return attrs.evolve(parsed, season=season) if season else parsed
    return parse_source(text, str(path), format=format, season=season)


def import_source(
    ledger: Ledger,
    path: str | Path,
    *,
    format: str | None = None,
    season: str | None = None,
    rules: TieRules | None = None,
    aliases: Mapping[str, str] | None = None,
    competition: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    round_kinds: Mapping[str, str] | None = None,
    allow_duplicates: bool = False,
) -> ImportSummary:
    """Import one file into ``ledger`` in one transaction; see ``plan_import`` for options."""
    parsed = read_source(path, format=format, season=season)
    plan, summary = plan_import(ledger, parsed, rules=rules, aliases=aliases,
                                competition=competition, name=name, timezone=timezone,
                                round_kinds=round_kinds, allow_duplicates=allow_duplicates)
    added, skipped = append_plan(ledger, plan)
    return attrs.evolve(summary, added=added, skipped=skipped)


def append_plan(ledger: Ledger, plan: Plan) -> tuple[int, int]:
    """Append a plan in one transaction: (added, skipped as already stored).

    Like ``ledger.import_lines``: events whose ids are stored already are skipped, the rest
    go through the ledger's rules; the first refusal rolls everything back and is raised with
    the file and line of the fact refused.
    """
    runs = (StreamRun(stream, drafts, cited=[str(d.meta.get("source", stream)) for d in drafts])
            for stream, drafts in plan)
    # an event's id is made from what identifies the fact: stored in its stream, it is that fact
    done = ledger.append_batch(runs, strict_resends=False)
    return done.added, done.skipped


__all__ = ["FORMATS", "append_plan", "detect_format", "import_source", "parse_source",
           "read_source"]
