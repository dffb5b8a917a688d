"""Errors of the source importers: one root under ``LedgerError``, one line each.

Every message names the file and, where there is one, the line (``el.txt:123``), so a user can
go straight to what needs fixing; nothing is written when one is raised.
"""

from __future__ import annotations

from matchledger.ledger.errors import LedgerError


class SourceError(LedgerError):
    """A source file could not be read, understood or imported; nothing was written"""


class ParseError(SourceError):
    """A line (or JSON value) of a source file does not parse"""

    def __init__(self, where: str, problem: str, text: str | None = None) -> None:
        shown = f": {text.strip()!r}" if text is not None else ""
        super().__init__(f"{where}: {problem}{shown}")
        self.where, self.problem, self.text = where, problem, text


class AmbiguousTeam(SourceError):
    """A team name matches several teams, or none exactly but some closely: an alias settles it"""

    def __init__(self, source: str, problems: list[str]) -> None:
        count = len(problems)
        head = "a team name needs" if count == 1 else f"{count} team names need"
        super().__init__(f"{source}: {head} settling with an alias (NAME=team-id): "
                         + "; ".join(problems))
        self.problems = problems


class DuplicateMatches(SourceError):
    """Matches of a source are in the ledger already under other ids: importing them would
    count them twice (``allow_duplicates`` imports them anyway)"""


__all__ = ["AmbiguousTeam", "DuplicateMatches", "ParseError", "SourceError"]
