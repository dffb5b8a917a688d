"""Football.TXT, openfootball's plain-text format for match schedules and results.

A file is a title, then headers (stages ``== Group``, rounds and groups: ``» Group A``,
``▪ Round 1``, ``Matchday 5``, ``(9) Round of 16 - 1st Leg``), dates (``[Tue Sep/19]``,
``Thu Sep/21 2023``, ``Fri Aug 11``, ``[Sa 24.8.]``), and match lines in any of the layouts the
openfootball repositories use::

    = UEFA Europa League 2023/24
    » Quarterfinals
      Thu Apr/18
        21.00  AS Roma (ITA)  v AC Milan (ITA)            2-1 (2-0)
               Olympique Marseille (FRA) v SL Benfica (POR)  4-2 pen. 1-0 a.e.t. (1-0, 0-0)
    [Sat Jun/1]
      21.00  Borussia Dortmund (GER)  0-2 (0-0)  Real Madrid CF (ESP)   @ Wembley, London
    (49) Sat Jun/30 21:00   Uruguay  2-1 (1-0)  Portugal   @ Fisht Stadium, Sochi (UTC+3)
            [Edinson Cavani 7', 62'; Pepe 55']
    [Sa 24.8.]
      Werder Bremen       Borussia Dortmund      3:2 (1:1)

Scores: ``2-1 (1-0)`` (half time in brackets), ``0-0``, ``3-2 a.e.t. (2-2, 0-2)`` (after
extra time; full time and half time in brackets), ``4-2 pen. 1-1 a.e.t. (1-1, 0-1)`` or
``1-1 a.e.t., 4-2 pen.``, ``5-3 pen. (0-0)`` (penalties straight after 90 minutes), ``3-0 awd.``
(awarded), ``abd.`` (abandoned), ``[cancelled]``, ``[postponed]``; a match without a score
(``A  -  B``, ``A v B``) is a fixture still to play. A team's name never holds a score, a
result marker, a minute or a bracket (``model.team_name_problem``). Scorer lines in ``(...)``
or ``[...]`` follow their match: ``name minute'``, ``45+1'``, ``(pen.)``, ``(o.g.)``; the two
sides are split by ``;`` and an own goal is listed under the side it counts for. ``#`` starts a
comment. Line-ups (``Germany: Neuer - Kimmich, Tah [Y], Andrich (46' Groß), ...``, over
continuation lines) follow their match: see ``ledger.sources.lineups``. A line that is none
of these is an error naming the file, the line and its text; the parser counts the lines of
each kind it read (``LINE_KINDS``).

    >>> season = parse_football_txt("= Cup 2024\\n[Sat May/25]\\n  A  2-1 (1-0)  B\\n", "cup.txt")
    >>> m = season.matches[0]
    >>> m.where, m.team1, m.team2, m.result.full_time, m.result.half_time
    ('cup.txt:3', 'A', 'B', (2, 1), (1, 0))
"""

from __future__ import annotations

import datetime as dt
import re
from types import MappingProxyType

import attrs

from matchledger.ledger.sources.dates import (
    YearContext,
    offset_problem,
    read_date,
    read_offset,
    read_time,
    season_from_path,
    season_years,
    split_title,
)
from matchledger.ledger.sources.errors import ParseError
from matchledger.ledger.sources.lineups import read_lineup
from matchledger.ledger.sources.model import (
    TXT,
    ParsedGoal,
    ParsedLineup,
    ParsedMatch,
    ParsedResult,
    ParsedSeason,
    Score,
    team_name_problem,
)

_COMMENT = re.compile(r"(?:^|\s)(?:#|//).*$")
_MARKER = re.compile(r"^[»▪■•►]+\s*(?P<text>.*)$")  # "▪▪ Group A": as many as written
_NUMBERED = re.compile(r"^\((?P<n>\d{1,3})\)\s+(?P<rest>.*)$")
_GROUP = re.compile(r"^(?:group|gruppe|grupo|groupe|girone|poule)\s+\S{1,3}$", re.I)
_ROUNDISH = re.compile(
    r"matchday|match day|round|spieltag|runde|jornada|giornata|journ[ée]e|speeltag|group|"
    r"gruppe|grupo|groupe|girone|final|semi|quarter|play-?off|knock-?out|qualif|preliminary|"
    r"third place|3rd place|achtel|viertel|halb|last \d|\bleg\b|replay|stage|week|1/\d",
    re.I,
)
_PROPERTY = re.compile(
    r"^(?P<key>goals|referee|ref|yellow cards?|red cards?|sent off|penalties|"
    r"penalty shoot-?out|att|attendance|coach|lineups?)\s*:\s*(?P<value>.*)$",
    re.I,
)
_SC = r"\d{1,2}\s?[-:–]\s?\d{1,2}"
_AET = r"(?:a\.\s?e\.\s?t\.?|aet\b|n\.\s?V\.?)"
_PEN = r"(?:pen\.?|p\.|i\.\s?E\.?)"
_AWARDED = r"(?:awd\.?|awarded)"
_ABANDONED = r"(?:abd\.?|abandoned)"
_RESULT = re.compile(
    rf"""(?<!\S)(?:
          (?P<pen>{_SC})\s*{_PEN}\s+(?P<et1>{_SC})\s*{_AET}
        | (?P<et3>{_SC})\s*{_AET}\s*,\s*(?P<pen3>{_SC})\s*{_PEN}
        | (?P<et2>{_SC})\s*{_AET}
        | (?P<pen2>{_SC})\s*{_PEN}
        | (?P<ft>{_SC})(?:\s*(?P<awd>{_AWARDED})|\s*(?P<abd>{_ABANDONED}))?
        | (?P<bare_awd>{_AWARDED}) | (?P<bare_abd>{_ABANDONED})
        )
        (?:\s*\((?P<paren>[^()]*)\))?
        (?:\s*\[(?P<note>[^\[\]]*)\])?
        (?=\s|$)""",
    re.X | re.I,
)
# a match not played as scheduled: "[cancelled]", "[postponed]", "n/p", "ppd." (see STATUS)
_STATUS = re.compile(
    r"(?<!\S)(?:\[\s*(?P<word>cancell?ed|postponed|awarded|abandoned|annulled|void)\s*\]"
    r"|(?P<short>n/p|canc\.|ppd\.|postp\.))(?!\S)", re.I)
STATUS = {"cancelled": "cancelled", "canceled": "cancelled", "n/p": "cancelled",
          "canc.": "cancelled", "annulled": "cancelled", "void": "cancelled",
          "postponed": "postponed", "ppd.": "postponed", "postp.": "postponed",
          "awarded": "awarded", "abandoned": "abandoned"}
_TRAILING_NOTE = re.compile(
    r"\s\[(?P<note>\s*(?:a\.?e\.?t|pen|\d{1,2}\s?-\s?\d{1,2}\s*p)[^\[\]]*)\]\s*$", re.I)
_SCORE = re.compile(r"^(\d{1,2})\s?[-:–]\s?(\d{1,2})$")
_NOTE_PEN = re.compile(rf"({_SC})\s*(?:pen\.?|p\.?)|(?:pen\.?|p\.?)\s*({_SC})", re.I)
_VERSUS = re.compile(r"\s+(?:v|vs\.?)\s+")
_DASH = re.compile(r"\s+[-–]\s+")
_COUNTRY = re.compile(r"\s*\((?P<code>[A-Z]{2,4})\)$")
_VENUE = re.compile(r"\s+@\s+")
_GAP = re.compile(r"\s{2,}")
_GOAL = re.compile(
    r"""(?P<name>[^\d;,()\[\]]*?)\s*
        (?P<min>\d{1,3})(?:\s*\+\s*(?P<add>\d{1,2}))?\s*'?\s*
        (?P<flag>\(\s*(?:pen|p|o\.\s?g|og)\.?\s*\)|pen\b\.?|og\b|o\.g\.)?
        \s*,?\s*""",
    re.X,
)
_LINEUP = re.compile(r"^(?P<team>[^:\[\]()@]{1,80}?)\s*:\s*(?P<rest>.*)$")
# the kinds of line a file is made of, as the import summary counts them
LINE_KINDS = ("match", "goals", "lineup", "heading", "date", "property", "comment", "blank")
_STAT_WORDS = ("date", "teams", "matches", "stages", "see ", "note", "http")


def parse_football_txt(text: str, source: str, *, season: str | None = None) -> ParsedSeason:
    """Parse a Football.TXT file; ``source`` is the name messages cite ("cl.txt").

    ``season`` ("2023/24") is needed only when neither the title nor the path names one and
    the dates omit the year.
    """
    return _Parser(text, source, season).run()


@attrs.define
class _Match:
    """A match line while the file is read; frozen into a ParsedMatch at the end."""

    line: int
    text: str
    round: str
    group: str | None
    stage: str | None
    date: dt.date
    time: dt.time | None
    offset: dt.timedelta | None
    teams: tuple[str, str] | None  # None: layout with one space between the teams
    countries: tuple[str | None, str | None]
    result: ParsedResult | None
    extra_time_only: Score | None  # "2–1 [aet]": after extra time, full time not given
    penalties_only: Score | None
    venue: str | None
    number: int | None
    status: str | None = None
    goals: tuple[ParsedGoal, ...] | None = None
    goals_line: int | None = None
    lineups: list[ParsedLineup] = attrs.field(factory=list)


@attrs.frozen(kw_only=True)
class _Read:
    """What a match line says of its teams and its score."""

    teams: tuple[str, str] | None = None  # None: one space between the teams, split later
    countries: tuple[str | None, str | None] = (None, None)
    result: ParsedResult | None = None
    extra_time_only: Score | None = None  # "2–1 [aet]": after extra time, full time not given
    penalties_only: Score | None = None
    status: str | None = None  # "awarded", "abandoned", "cancelled", "postponed"


@attrs.define
class _Parser:
    text: str
    source: str
    season: str | None
    title: str | None = None
    stage: str | None = None
    round: str = ""
    group: str | None = None
    date: dt.date | None = None
    time: dt.time | None = None
    offset: dt.timedelta | None = None
    years: YearContext = attrs.field(factory=YearContext)
    matches: list[_Match] = attrs.field(factory=list)
    last: _Match | None = None  # the match scorer lines would belong to
    groups: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)
    ignored: int = 0
    guessed_years: int = 0
    counts: dict[str, int] = attrs.field(factory=dict)  # lines read, by kind (LINE_KINDS)

    def run(self) -> ParsedSeason:
        lines = self.text.lstrip("\ufeff").splitlines()
        self._title(lines)
        index = 0
        while index < len(lines):
            index = self._line(lines, index)
        matches = self._finish()
        name, season = split_title(self.title) if self.title else (None, None)
        if self.guessed_years:
            self.notes.append(f"{self.guessed_years} dates without a year: years taken from "
                              f"the dates before them and the season")
        if self.ignored:
            self.notes.append(f"{self.ignored} property lines (referees, cards, line-ups) "
                              "not imported")
        return ParsedSeason(source=self.source, format=TXT, name=name,
                            season=self.season or season or season_from_path(self.source),
                            matches=matches, groups=MappingProxyType(dict(self.groups)),
                            notes=tuple(self.notes),
                            lines=MappingProxyType({k: self.counts[k] for k in LINE_KINDS
                                                    if k in self.counts}))

    # --- the title and the year context -----------------------------------------------------

    def _title(self, lines: list[str]) -> None:
        """The ``= Title`` line, else the first comment line of the header that names one."""
        commented: str | None = None
        for raw in lines:
            text = raw.strip().lstrip("\ufeff")
            if text.startswith("=") and not text.startswith("=="):
                self.title = _strip_comment(text).lstrip("=").strip()
                break
            if text.startswith("#"):
                words = text.strip("#").strip()
                if commented is None and re.search(r"[A-Za-z]", words) and \
                        not words.lower().startswith(_STAT_WORDS):
                    commented = words
            elif text and commented is not None:
                break
        if self.title is None and commented is not None:
            self.title = commented
        season = self.season or (split_title(self.title)[1] if self.title else None) \
            or season_from_path(self.source)
        self.years = YearContext(season=season_years(season))

    # --- one line -----------------------------------------------------------------------------

    def _line(self, lines: list[str], index: int) -> int:
        """Read the line at ``index`` (and those that continue it); the index after them."""
        kind, after = self._kind_of_line(lines, index)
        self.counts[kind] = self.counts.get(kind, 0) + after - index
        return after

    def _kind_of_line(self, lines: list[str], index: int) -> tuple[str, int]:
        number, raw = index + 1, lines[index]
        text = _strip_comment(raw).strip()
        if not raw.strip():
            return "blank", index + 1
        if not text or raw.lstrip().startswith("%"):
            return "comment", index + 1
        if text.startswith("="):
            self._stage(text, number)
            return "heading", index + 1
        if text[0] in "([" and self._is_scorers(text):
            return "goals", self._scorers(lines, index)
        side = self._lineup_side(text)
        if side is not None:
            return "lineup", self._lineup(lines, index, side)
        if self._header(text, number):
            return "heading", index + 1
        if self._date_line(text, number):
            return "date", index + 1
        prop = _PROPERTY.match(text)
        if prop:
            self._property(prop, number, raw)
            return ("goals" if prop.group("key").lower() == "goals" else "property"), index + 1
        if self._match_line(text, number, raw):
            return "match", index + 1
        self._bare_header(text, number, raw)
        return "heading", index + 1

    def _lineup_side(self, text: str) -> int | None:
        """0 or 1 when ``text`` starts the line-up of a side of the match above it."""
        head = _LINEUP.match(text)
        teams = self.last.teams if self.last is not None else None
        if head is None or teams is None:
            return None
        names = [_norm(t) for t in teams]
        team = _norm(head.group("team"))
        return names.index(team) if team in names else None

    def _lineup(self, lines: list[str], index: int, side: int) -> int:
        """A line-up over as many lines as it goes on for (after ``,``, ``-``, or inside a
        bracket); the index after it."""
        start, parts = index, []
        while index < len(lines):
            chunk = _strip_comment(lines[index]).strip()
            if index > start and not chunk:
                break
            parts.append(chunk)
            index += 1
            joined = " ".join(parts)
            depth = joined.count("(") - joined.count(")") + joined.count("[") - \
                joined.count("]")
            if depth <= 0 and not joined.endswith((",", "-", "–")):
                break
        match, where = self.last, self._where(start + 1)
        assert match is not None
        if any(lineup.side == side for lineup in match.lineups):
            raise ParseError(where, "a second line-up of one side", lines[start])
        head = _LINEUP.match(" ".join(parts))
        assert head is not None
        match.lineups.append(read_lineup(head.group("rest"), side, where, lines[start]))
        return index

    def _where(self, line: int) -> str:
        return f"{self.source}:{line}"

    def _stage(self, text: str, number: int) -> None:
        if not text.startswith("=="):
            return  # the title, read already
        self.stage = text.lstrip("=").strip() or None
        self.round, self.group, self.last = "", None, None

    def _header(self, text: str, number: int) -> bool:
        """``» Group A`` / ``▪ Round 1`` (and ``Group A | t1  t2`` or ``Group A: t1, t2``
        definitions)."""
        m = _MARKER.match(text)
        body = m.group("text").strip() if m else text
        colon = re.match(r"^(?P<head>[^:]+?)\s*:\s*(?P<rest>\S.*)$", body)
        if colon and _GROUP.match(colon.group("head")) and "|" not in body:
            body = f"{colon.group('head')} | {colon.group('rest')}"
        if "|" in body:
            return self._definition(body, number, bool(m))
        if m is None:
            return False
        self._set_round(body, number)
        return True

    def _definition(self, body: str, number: int, marked: bool) -> bool:
        """``Group A | Brazil  Croatia  Mexico`` records a group; ``Final | Sun Dec 18`` is
        only a definition of a round headed later."""
        head, _, rest = body.partition("|")
        head = head.strip()
        if _GROUP.match(head):
            teams = tuple(t.strip() for t in re.split(r",|\s{2,}", rest.strip()) if t.strip())
            self.groups[head] = tuple(_COUNTRY.sub("", t) for t in teams)
            return True
        return bool(marked or _ROUNDISH.search(head))

    def _set_round(self, label: str, number: int) -> None:
        label, date_text = _split_trailing_date(label)
        if _GROUP.match(label):
            self.group, self.round = label, label
        else:
            keep_group = self.group is not None and re.match(
                r"(?i)(matchday|match day|round \d|spieltag|\d+\.\s*spieltag)", label)
            if not keep_group:
                self.group = None
            self.round = label
        self.last = None
        if date_text:
            self._date_line(date_text, number)

    def _bare_header(self, text: str, number: int, raw: str) -> None:
        """``Matchday 5``, ``Round of 16``, ``(16) Round of 16``, ``1. Spieltag``."""
        m = _NUMBERED.match(text)
        label = m.group("rest").strip() if m else text
        if _ROUNDISH.search(label) and not _RESULT.search(_split_trailing_date(label)[0]) \
                and not _VERSUS.search(label):
            self._set_round(label.rstrip(":"), number)
            return
        raise ParseError(self._where(number), "cannot read this line", raw)

    def _date_line(self, text: str, number: int) -> bool:
        """``[Tue Sep/19]``, ``Thu Sep/21 2023``, ``Fri Aug 11``, ``Sat Jun 1 21:00``."""
        body = text[1:-1].strip() if text.startswith("[") and text.endswith("]") else text
        read = read_date(body, self.years)
        if read is None:
            if self.years.season is None and self.years.sticky is None and _date_shaped(body):
                raise ParseError(self._where(number), "a date without a year, and neither the "
                                 "title nor the path names the season", text)
            return False
        rest = body[read.length:].strip()
        time = read_time(rest) if rest else None
        if rest and (time is None or rest[time.length:].strip()):
            return False
        self._set_date(read.date, read.guessed, number, read.weekday_mismatch)
        self.time = time.time if time else None
        self.offset = self._zone(time.offset, number, text) if time else None
        self.last = None
        return True

    def _set_date(self, date: dt.date, guessed: bool, number: int, mismatch: bool) -> None:
        self.date = date
        self.guessed_years += guessed
        if mismatch:
            self.notes.append(f"{self._where(number)}: the weekday does not fit "
                              f"{date.isoformat()}; the date was kept")

    def _zone(self, offset: dt.timedelta | None, number: int,
              raw: str) -> dt.timedelta | None:
        """``offset`` if a zone can have it (``UTC+25`` is refused here, with its line)."""
        problem = offset_problem(offset)
        if problem:
            raise ParseError(self._where(number), problem, raw)
        return offset

    def _property(self, prop: re.Match[str], number: int, raw: str) -> None:
        if prop.group("key").lower() != "goals":
            self.ignored += 1
            return
        self._attach_goals(prop.group("value"), number, raw)

    # --- match lines --------------------------------------------------------------------------

    def _match_line(self, text: str, number: int, raw: str) -> bool:
        rest, match_no = text, None
        m = _NUMBERED.match(rest)
        if m:
            match_no, rest = int(m.group("n")), m.group("rest")
        dated_text = rest
        read = read_date(rest, YearContext(season=self.years.season, sticky=self.years.sticky))
        if read is not None and rest[read.length:read.length + 1] not in (" ", "\t"):
            read = None
        rest = rest[read.length:].strip() if read else rest
        time = read_time(rest)
        if time is not None and rest[time.length:time.length + 1] not in (" ", "\t"):
            time = None
        rest = rest[time.length:].strip() if time else rest
        venue: str | None = None
        if rest.startswith("@"):  # "14-6-24 @ München   Germany  5–1 Scotland"
            pieces = _GAP.split(rest[1:].strip(), maxsplit=1)
            venue, rest = pieces[0].strip(), pieces[1] if len(pieces) == 2 else ""
        parts = _VENUE.split(rest, maxsplit=1)
        rest = parts[0].strip()
        if len(parts) == 2:
            venue = parts[1].strip()
        dated = read is not None or time is not None
        if not dated and _RESULT.search(rest) is None and _ROUNDISH.search(rest):
            return False  # "(9) Round of 16 - 1st Leg" is a header, not "Round of 16" v "1st Leg"
        parsed = self._teams_and_score(rest, number, raw)
        if parsed is None:
            return False
        if read is not None:  # a date on the match line holds for the lines after it
            read = read_date(dated_text, self.years)
            assert read is not None
            self._set_date(read.date, read.guessed, number, read.weekday_mismatch)
            self.time, self.offset = None, None
        if time is not None:
            self.time, self.offset = time.time, self._zone(time.offset, number, raw)
        if self.date is None:
            raise ParseError(self._where(number), "a match before any date", raw)
        offset = self.offset
        if venue:
            offset = self._zone(read_offset(venue), number, raw) or offset
            venue = re.sub(r"\s*\(\s*(?:UTC|GMT)[^)]*\)\s*$", "", venue).strip() or None
        self.last = _Match(line=number, text=rest, round=self.round, group=self.group,
                           stage=self.stage, date=self.date, time=self.time, offset=offset,
                           teams=parsed.teams, countries=parsed.countries,
                           result=parsed.result, extra_time_only=parsed.extra_time_only,
                           penalties_only=parsed.penalties_only, status=parsed.status,
                           venue=venue, number=match_no)
        self.matches.append(self.last)
        return True

    def _teams_and_score(self, text: str, number: int, raw: str) -> _Read | None:
        where = self._where(number)
        status: str | None = None
        marked = _STATUS.search(text)  # "A v B  [cancelled]", "A  [postponed]  B", "A n/p B"
        if marked is not None:
            status = STATUS[(marked.group("word") or marked.group("short")).lower()]
            if _STATUS.search(text, marked.end()):
                raise ParseError(where, "two match statuses", raw)
            head, tail = text[: marked.start()].strip(), text[marked.end():].strip()
            text = f"{head}  v  {tail}" if head and tail and not _RESULT.search(text) else \
                f"{head}  {tail}".strip()
        note = _TRAILING_NOTE.search(text)  # "A  1–1 B  [aet, 4-3 pen]": after team 2
        if note is not None:
            text = text[: note.start()]
        found = _RESULT.search(text)
        if found is None:
            if note is not None:
                raise ParseError(where, "a note about the score but no score", raw)
            fixture = self._fixture(text, where, raw)
            return attrs.evolve(fixture, status=status) if fixture and status else fixture
        before, after = text[: found.start()].strip(), text[found.end():].strip()
        read = _result(found, where, raw, note.group("note") if note else None)
        if status is not None:
            if read.status is not None and read.status != status:
                raise ParseError(where, f"the match is both {read.status} and {status}", raw)
            read = attrs.evolve(read, status=status)
        if read.status in ("cancelled", "postponed") and read.result is not None:
            raise ParseError(where, f"a score for a match {read.status}", raw)
        if not before:
            raise ParseError(where, "no team before the score", raw)
        versus = _VERSUS.split(before)
        if after and len(versus) == 1:
            pair: tuple[str, str] | None = (before, after)
        elif not after and len(versus) == 2:
            pair = (versus[0], versus[1])
        elif not after and len(versus) == 1:
            gaps = _GAP.split(before)  # old layout: "Team1  Team2  3:2 (1:1)"
            pair = (gaps[0], gaps[1]) if len(gaps) == 2 else None
            if len(gaps) > 2:
                raise ParseError(where, "cannot tell the two teams apart", raw)
        else:
            raise ParseError(where, "cannot tell the two teams apart", raw)
        if pair is None:
            return read  # split when the names are known
        teams, countries = _teams(pair, where, raw)
        return attrs.evolve(read, teams=teams, countries=countries)

    def _fixture(self, text: str, where: str, raw: str) -> _Read | None:
        """A match still to play: ``Team1 v Team2`` or ``Team1  -  Team2``."""
        for separator in (_VERSUS, _DASH):
            parts = separator.split(text)
            if len(parts) == 2 and all(p.strip() for p in parts):
                teams, countries = _teams((parts[0], parts[1]), where, raw)
                return _Read(teams=teams, countries=countries)
        return None

    # --- scorer lines -------------------------------------------------------------------------

    def _is_scorers(self, text: str) -> bool:
        if _NUMBERED.match(text):
            return False
        return not (text.startswith("[") and self._looks_like_date(text))

    def _looks_like_date(self, text: str) -> bool:
        return _date_shaped(text[1:].split("]", 1)[0].strip())

    def _scorers(self, lines: list[str], index: int) -> int:
        """A ``(...)`` or ``[...]`` block after a match, possibly over several lines."""
        start, depth, parts = index, 0, []
        while index < len(lines):
            chunk = _strip_comment(lines[index]).strip()
            parts.append(chunk)
            depth += chunk.count("(") + chunk.count("[") - chunk.count(")") - chunk.count("]")
            index += 1
            if depth <= 0:
                break
        text = " ".join(parts)
        if depth > 0:
            raise ParseError(self._where(start + 1), "scorers' bracket is never closed",
                             lines[start])
        self._attach_goals(text[1:-1] if text[-1:] in ")]" else text[1:], start + 1,
                           lines[start])
        return index

    def _attach_goals(self, text: str, number: int, raw: str) -> None:
        match = self.last
        if match is None:
            raise ParseError(self._where(number), "scorers with no match before them", raw)
        if match.goals is not None:
            raise ParseError(self._where(number), "a second list of scorers for one match", raw)
        match.goals = _goals(text, self._where(number), raw, match)
        match.goals_line = number

    # --- the end --------------------------------------------------------------------------------

    def _finish(self) -> tuple[ParsedMatch, ...]:
        known = {_norm(t) for m in self.matches if m.teams for t in m.teams}
        return tuple(self._frozen(m, known) for m in self.matches)

    def _frozen(self, m: _Match, known: set[str]) -> ParsedMatch:
        where = self._where(m.line)
        teams, countries = m.teams, m.countries
        if teams is None:
            teams, countries = _split_by_known(m, known, where)
        result = m.result
        if result is None:
            result, assumed = _result_from_goals(m, where)
            self.notes += [assumed] if assumed else []
        return ParsedMatch(
            where=where, round=m.round, team1=teams[0], team2=teams[1], date=m.date,
            time=m.time, utc_offset=m.offset, group=m.group, stage=m.stage,
            country1=countries[0], country2=countries[1], result=result, goals=m.goals,
            goals_where=self._where(m.goals_line) if m.goals_line else None, venue=m.venue,
            number=m.number, status=m.status, lineups=tuple(m.lineups))


# --- pieces -----------------------------------------------------------------------------------


def _strip_comment(line: str) -> str:
    return _COMMENT.sub("", line)


def _date_shaped(text: str) -> bool:
    """Whether ``text`` starts with a date, whatever year it would take."""
    return read_date(text, YearContext(season=(2001, 2002))) is not None


def _split_trailing_date(label: str) -> tuple[str, str | None]:
    """("Round 34", "May 10") from "Round 34 [May 10]"."""
    m = re.match(r"^(?P<label>.*?)\s*\[(?P<date>[^\]]+)\]\s*$", label)
    if m:
        return m.group("label").strip(), m.group("date")
    return label.strip(), None


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", _COUNTRY.sub("", name)).strip().lower()


def _teams(pair: tuple[str, str], where: str,
           raw: str) -> tuple[tuple[str, str], tuple[str | None, str | None]]:
    names: list[str] = []
    countries: list[str | None] = []
    for part in pair:
        text = re.sub(r"\s+", " ", part.strip())
        m = _COUNTRY.search(text)
        countries.append(m.group("code") if m else None)
        name = _COUNTRY.sub("", text).strip()
        problem = team_name_problem(name)
        if problem:
            raise ParseError(where, f"{name!r} is not a team name ({problem})", raw)
        names.append(name)
    return (names[0], names[1]), (countries[0], countries[1])


def _score(text: str | None) -> Score | None:
    if text is None:
        return None
    m = _SCORE.match(text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def _result(found: re.Match[str], where: str, raw: str, trailing: str | None = None) -> _Read:
    """The result a score says: with full time, or (``extra_time_only``, ``penalties_only``)
    when the score after 90 minutes is not given; ``status`` "awarded" or "abandoned"."""
    if found.group("bare_awd") or found.group("bare_abd"):
        if found.group("paren") is not None or found.group("note") is not None:
            raise ParseError(where, "a score in brackets without a score before it", raw)
        return _Read(status="awarded" if found.group("bare_awd") else "abandoned")
    pens = _score(found.group("pen") or found.group("pen3") or found.group("pen2"))
    extra = _score(found.group("et1") or found.group("et2") or found.group("et3"))
    main = _score(found.group("ft"))
    status = "awarded" if found.group("awd") else "abandoned" if found.group("abd") else None
    paren = found.group("paren")
    parts = [p.strip() for p in paren.split(",")] if paren is not None else []
    if any(p and _score(p) is None for p in parts) or len(parts) > 2:
        raise ParseError(where, f"cannot read the score in brackets ({paren})", raw)
    note = found.group("note") if trailing is None else trailing
    if note is not None:
        extra, pens, main = _note(note, main, pens, where, raw)
    if found.group("pen2"):  # "5-3 pen. (0-0)": penalties straight after 90 minutes
        if not parts or not parts[0]:
            raise ParseError(where, "penalties without the score after 90 minutes "
                             "(write it in brackets: 5-3 pen. (0-0))", raw)
        main, parts = _score(parts[0]), parts[1:]
    if status == "abandoned":  # the score when play stopped is no result
        if parts:
            raise ParseError(where, "a half-time score for an abandoned match", raw)
        return _Read(status=status)
    if extra is not None:
        full = _score(parts[0]) if parts else None
        half = _score(parts[1]) if len(parts) > 1 else None
        if full is None:
            return _Read(extra_time_only=extra, penalties_only=pens)
        return _Read(result=ParsedResult(full_time=full, half_time=half, extra_time=extra,
                                         penalties=pens))
    assert main is not None
    if len(parts) > 1:
        raise ParseError(where, f"two scores in brackets after a full-time score ({paren})", raw)
    return _Read(result=ParsedResult(full_time=main,
                                     half_time=_score(parts[0]) if parts else None,
                                     penalties=pens), status=status)


def _note(note: str, main: Score | None, pens: Score | None, where: str,
          raw: str) -> tuple[Score | None, Score | None, Score | None]:
    """``[aet]``, ``[aet, 3-0 pen]``: the score before it is the one after extra time."""
    text = note.strip().lower()
    if not re.match(r"a\.?e\.?t\.?", text) and not _NOTE_PEN.search(text):
        raise ParseError(where, f"cannot read [{note}]", raw)
    found = _NOTE_PEN.search(note)
    if found:
        pens = _score(found.group(1) or found.group(2))
    if not re.match(r"a\.?e\.?t\.?", text):
        return None, pens, main  # penalties straight after 90 minutes
    return main, pens, None


def _goals(text: str, where: str, raw: str, match: _Match) -> tuple[ParsedGoal, ...]:
    sides = text.split(";")
    if len(sides) > 2:
        raise ParseError(where, "scorers of more than two sides", raw)
    if len(sides) == 1:
        side = _lone_side(match, where, raw, bool(sides[0].strip(" -")))
        return tuple(_side_goals(sides[0], side, where, raw))
    return (*_side_goals(sides[0], 0, where, raw), *_side_goals(sides[1], 1, where, raw))


def _lone_side(match: _Match, where: str, raw: str, any_goals: bool) -> int:
    """The side of a scorer list without ``;``: the only side that scored."""
    final = match.result.final if match.result else match.extra_time_only
    if not any_goals or final is None or final[1] == 0:
        return 0
    if final[0] == 0:
        return 1
    raise ParseError(where, "both sides scored: separate their scorers with ';'", raw)


def _side_goals(text: str, side: int, where: str, raw: str) -> list[ParsedGoal]:
    text = text.strip()
    if text in ("", "-", "–"):
        return []
    goals, pos, player = [], 0, None
    while pos < len(text):
        m = _GOAL.match(text, pos)
        if m is None or m.end() == pos:
            raise ParseError(where, f"cannot read the scorers at {text[pos:]!r}", raw)
        player = m.group("name").strip(" ,'") or player  # "Williams' 75": a stray mark
        flag = (m.group("flag") or "").lower().replace(" ", "")
        goals.append(ParsedGoal(
            side=side, player=player, minute=int(m.group("min")),
            added=int(m.group("add")) if m.group("add") else None,
            penalty="p" in flag, own_goal="o" in flag))
        pos = m.end()
    return goals


def _split_by_known(m: _Match, known: set[str],
                    where: str) -> tuple[tuple[str, str], tuple[str | None, str | None]]:
    """Two team names written with one space between them, split where both halves are
    names the file uses elsewhere (``Eintracht Frankfurt 1. FC Kaiserslautern``)."""
    found = _RESULT.search(m.text)
    before = m.text[: found.start()].strip() if found else m.text
    words = before.split()
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    fitting = [s for s in splits if _norm(s[0]) in known and _norm(s[1]) in known]
    if len(fitting) != 1:
        raise ParseError(where, "cannot tell the two teams apart (put two spaces between them)",
                         m.text)
    return _teams(fitting[0], where, m.text)


def _result_from_goals(m: _Match, where: str) -> tuple[ParsedResult | None, str | None]:
    """The full-time score of ``2–1 [aet]`` or ``1-1 a.e.t., 3-4 pen.``: from the scorers'
    minutes, or 0-0 after 0-0; and what had to be assumed, said (None: nothing).

    A level score after extra time with no scorers listed is taken as the score after 90
    minutes too (no goal in extra time assumed, and said): the tie, the records and the
    streaks come out the same whatever the split, and the note tells the reader."""
    extra = m.extra_time_only
    if extra is None:
        return None, None
    if extra == (0, 0):
        return ParsedResult(full_time=(0, 0), extra_time=extra,
                            penalties=m.penalties_only), None
    goals = m.goals or ()
    if m.goals is None and extra[0] == extra[1]:
        return (ParsedResult(full_time=extra, extra_time=extra, penalties=m.penalties_only),
                f"{where}: the score after 90 minutes is not given: taken as "
                f"{extra[0]}-{extra[1]}, the score after extra time (no goal in extra time "
                "assumed)")
    if m.goals is None or len(goals) != sum(extra) or any(g.minute is None for g in goals):
        raise ParseError(where, "the score after 90 minutes is not given and the scorers do "
                         "not tell it", m.text)
    full = [0, 0]
    for goal in goals:
        if (goal.minute or 0) <= 90:
            full[goal.side] += 1
    return ParsedResult(full_time=(full[0], full[1]), extra_time=extra,
                        penalties=m.penalties_only), None


__all__ = ["LINE_KINDS", "parse_football_txt"]
