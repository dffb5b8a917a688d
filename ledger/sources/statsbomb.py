"""StatsBomb event data, read through kloppy, as a ``ParsedSeason`` of one match with its
timeline: periods, goals, cards, substitutions and the shoot-out, each at its clock.

A StatsBomb match is three files: the events (``events/3788741.json``), the line-ups
(``lineups/3788741.json``) and the competition's match records (``matches/55/43.json``: date,
local kick-off time, teams, competition, season, stage). Give them in any order, or only the
events: the others are found beside it by StatsBomb's naming (open-data's folders, or
``*_event.json`` / ``*_lineup.json`` / ``*_match.json`` as kloppy's samples name them).

    parsed = read_statsbomb(["events/3788741.json"])     # Turkey 0-3 Italy, Euro 2020

(``tests/test_statsbomb.py`` reads that match so, from kloppy's sample files: kloppy is
optional, and the files are too big to stand here.)

kloppy is an optional dependency (``pip install 'matchledger[events]'``): the model it reads
StatsBomb into is the field's common one, and the mapping to the catalogue reads only that
model (event types, shot results, card types, periods, the clock), so another provider kloppy
reads would need only its own loader. What the mapping decides:

- a shot whose result is a goal is a ``GoalScored`` (a penalty when its set piece says so); an
  own goal is StatsBomb's "Own Goal Against", which kloppy reads as a shot with an own-goal
  result, by the player who put the ball in, of his own team: counted once, for the other side
  ("Own Goal For", its mirror, kloppy drops);
- cards: first yellow, second yellow (one sending-off), red;
- in the shoot-out period (StatsBomb's period 5) every shot is a ``ShootoutKick``: goal is
  scored, saved (or blocked) saved, off target or the woodwork missed; never a goal;
- the clock: each event's timestamp counts from its period's start; a period starts after the
  last one ended plus a pause (15 minutes at half time, 5 before extra time, 1 between its
  halves, 5 before the shoot-out): the minute is the period's first plus the minutes played,
  and past the period's last minute it is added time (46:10 of the first half is 45+2).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from matchledger.events import (
    Card,
    CardShown,
    Event,
    GoalKind,
    GoalScored,
    KickOutcome,
    Period,
    PeriodEnded,
    PeriodStarted,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.events.clock import PERIOD_MINUTES
from matchledger.ledger.sources.errors import SourceError
from matchledger.ledger.sources.model import (
    STATSBOMB,
    ParsedLineup,
    ParsedMatch,
    ParsedResult,
    ParsedSeason,
    TimedPlay,
)

EXTRA = "pip install 'matchledger[events]'"

_PERIODS = {1: Period.FIRST_HALF, 2: Period.SECOND_HALF, 3: Period.EXTRA_FIRST,
            4: Period.EXTRA_SECOND, 5: Period.SHOOTOUT}
# the pause before each period's first whistle, after the one before it ended
_PAUSE = {Period.FIRST_HALF: 0, Period.SECOND_HALF: 15, Period.EXTRA_FIRST: 5,
          Period.EXTRA_SECOND: 1, Period.SHOOTOUT: 5}
_KICKS = {"GOAL": KickOutcome.SCORED, "SAVED": KickOutcome.SAVED,
          "BLOCKED": KickOutcome.SAVED, "OFF_TARGET": KickOutcome.MISSED,
          "POST": KickOutcome.MISSED}
_CARDS = {"FIRST_YELLOW": Card.YELLOW, "SECOND_YELLOW": Card.SECOND_YELLOW, "RED": Card.RED}
_MOST_BYTES = 64 * 1024 * 1024  # a match's events are a few MB


@attrs.frozen(kw_only=True)
class StatsBombFiles:
    """The files of one match: events, line-ups, and the match records (any may be found)."""

    events: Path
    lineups: Path
    matches: Path | None = None


def kind_of(value: Any) -> str | None:
    """Which StatsBomb file a decoded JSON value is: "events", "lineups", "matches" or None.

        >>> kind_of([{"team_id": 1, "team_name": "A", "lineup": []}])
        'lineups'
    """
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return None
    first = value[0]
    if {"id", "period", "timestamp", "type"} <= first.keys():
        return "events"
    if {"team_id", "lineup"} <= first.keys():
        return "lineups"
    if {"match_id", "home_team", "away_team"} <= first.keys():
        return "matches"
    return None


def looks_like_statsbomb(head: str) -> bool:
    """Whether a file that starts with ``head`` is StatsBomb's: a JSON array of objects
    (nothing else ``import`` reads starts with ``[``)."""
    return head.lstrip("\ufeff \t\r\n").startswith("[")


def _load(path: Path) -> Any:
    try:
        if path.stat().st_size > _MOST_BYTES:
            raise SourceError(f"{path}: larger than {_MOST_BYTES // 2**20} MB: not one match")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise SourceError(f"{path}: cannot read ({e})") from e
    try:
        return json.loads(text)
    except ValueError as e:
        cut = "" if text.rstrip().endswith(("]", "}")) else " (truncated?)"
        raise SourceError(f"{path}: not valid JSON{cut}: {e}") from e


def statsbomb_kind(path: str | Path) -> str:
    """Which StatsBomb file ``path`` is ("events", "lineups", "matches"), or a SourceError."""
    kind = kind_of(_load(Path(path)))
    if kind is None:
        raise SourceError(f"{path}: not a StatsBomb events, line-ups or matches file "
                          "(a JSON array of its objects)")
    return kind


def match_files(paths: Sequence[str | Path]) -> StatsBombFiles:
    """The events, line-ups and match records among ``paths``, those missing found beside
    the events file."""
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        kind = statsbomb_kind(path)
        if kind in found:
            raise SourceError(f"{path}: a second {kind} file ({found[kind]} is one): import "
                              "one match at a time")
        found[kind] = path
    if "events" not in found:
        raise SourceError(f"{paths[0]}: no StatsBomb events file among "
                          f"{', '.join(map(str, paths))}")
    events = found["events"]
    lineups = found.get("lineups") or _beside(events, "lineups")
    if lineups is None:
        raise SourceError(f"{events}: no line-up file given or beside it "
                          f"(../lineups/{events.name}, or *_lineup.json): give its path")
    return StatsBombFiles(events=events, lineups=lineups,
                          matches=found.get("matches") or _beside(events, "matches"))


def _beside(events: Path, kind: str) -> Path | None:
    """A companion file by StatsBomb's naming: ``lineups/ID.json`` beside ``events/ID.json``
    (``matches/*/*.json`` for the records), or ``x_lineup.json`` beside ``x_event.json``."""
    single = {"lineups": "lineup", "matches": "match"}[kind]
    named = re.sub(r"events?(?=[^/]*$)", single, events.name, count=1)
    candidates = [events.with_name(named)] if named != events.name else []
    if events.parent.name == "events":
        root = events.parent.parent / kind
        candidates += ([root / events.name] if kind == "lineups"
                       else sorted(root.glob("*/*.json")))
    for path in candidates:
        if path.is_file() and (kind == "lineups" or _record_in(path, events.stem) is not None):
            return path
    return None


def _match_id(events: Path) -> str | None:
    digits = re.findall(r"\d{3,}", events.stem)
    return digits[0] if digits else None


def _record_in(path: Path, events_stem: str) -> dict[str, Any] | None:
    """The match record of the events file ``events_stem`` in a matches file, if it is there
    (a matches file of one record is that match's)."""
    try:
        records = _load(path)
    except SourceError:
        return None
    if not isinstance(records, list):
        return None
    wanted = _match_id(Path(events_stem))
    for record in records:
        if isinstance(record, dict) and (str(record.get("match_id")) == wanted
                                         or len(records) == 1):
            return record
    return None


def read_statsbomb(paths: Sequence[str | Path]) -> ParsedSeason:
    """Read one match (its events file, with line-ups and match records given or beside it)."""
    files = match_files(paths)
    record = _record_in(files.matches, files.events.stem) if files.matches else None
    if record is None:
        where = f"in {files.matches}" if files.matches else "given or beside it"
        raise SourceError(f"{files.events}: no match record {where} (its date, kick-off and "
                          "competition): give StatsBomb's matches/COMPETITION/SEASON.json")
    dataset = _kloppy_dataset(files)
    return _Reader(files, record, dataset).season()


def _kloppy_dataset(files: StatsBombFiles) -> Any:
    try:
        from kloppy import statsbomb
    except ImportError as e:
        raise SourceError(f"{files.events}: StatsBomb event data is read through kloppy, "
                          f"which is not installed: {EXTRA}") from e
    try:
        return statsbomb.load(event_data=str(files.events), lineup_data=str(files.lineups))
    except SourceError:
        raise
    except Exception as e:  # kloppy raises what its parsing meets (KeyError, ValueError...)
        if "player" in str(e).lower():
            raise SourceError(f"{files.events}: the events do not match the line-ups of "
                              f"{files.lineups} ({e})") from e
        raise SourceError(f"{files.events}: not StatsBomb event data kloppy can read with "
                          f"{files.lineups} ({type(e).__name__}: {e})") from e


def _text(record: dict[str, Any], *keys: str) -> str | None:
    value: Any = record
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return str(value) if value not in (None, "") else None


@attrs.define
class _Reader:
    files: StatsBombFiles
    record: dict[str, Any]
    dataset: Any
    sides: dict[str, int] = attrs.field(factory=dict)  # kloppy team id -> 0 home, 1 away
    rosters: dict[int, dict[str, str]] = attrs.field(factory=dict)  # side -> id -> name
    notes: list[str] = attrs.field(factory=list)

    @property
    def where(self) -> str:
        return str(self.files.events)

    def season(self) -> ParsedSeason:
        rec, where = self.record, self.where
        home, away = _text(rec, "home_team", "home_team_name"), _text(rec, "away_team",
                                                                      "away_team_name")
        date = _text(rec, "match_date")
        if not home or not away or not date:
            raise SourceError(f"{self.files.matches}: the match record lacks "
                              "match_date, home_team or away_team")
        try:
            day = dt.date.fromisoformat(date)
            kick = _text(rec, "kick_off")
            time = dt.time.fromisoformat(kick[:8]) if kick else None
        except ValueError as e:
            raise SourceError(f"{self.files.matches}: {e}") from e
        self._sides(home, away)
        timeline = tuple(self._timeline())
        result = _result(timeline)
        self._agrees(result)
        name = _text(rec, "competition", "competition_name") or "StatsBomb"
        season = _text(rec, "season", "season_name")
        stage = _text(rec, "competition_stage", "name") or ""
        match = ParsedMatch(
            where=where, round=stage, team1=home, team2=away, date=day, time=time,
            result=result, venue=_text(rec, "stadium", "name"),
            country1=_text(rec, "home_team", "country", "name"),
            country2=_text(rec, "away_team", "country", "name"),
            lineups=tuple(ParsedLineup(where=str(self.files.lineups), side=side,
                                       players=tuple(dict.fromkeys(roster.values())))
                          for side, roster in sorted(self.rosters.items())),
            timeline=timeline, provider_match=_text(rec, "match_id"))
        return ParsedSeason(source=where, format=STATSBOMB, name=name, season=season,
                            matches=(match,), notes=tuple(self.notes))

    def _sides(self, home: str, away: str) -> None:
        """Home and away of kloppy's teams, by the match record's names, and their players."""
        teams = list(self.dataset.metadata.teams)
        names = [str(t.name) for t in teams]
        if sorted(names) != sorted([home, away]):
            raise SourceError(f"{self.where}: the events are of {' v '.join(names)}, the match "
                              f"record of {home} v {away}")
        for team in teams:
            side = 0 if str(team.name) == home else 1
            self.sides[str(team.team_id)] = side
            self.rosters[side] = {str(p.player_id): str(p.name) for p in team.players}

    def _timeline(self) -> Iterable[TimedPlay]:
        starts = self._period_starts()
        for period, (start, _) in starts.items():
            yield TimedPlay(event=PeriodStarted(period=period), at=start, period=period,
                            provider_id=f"period-{period.value}-start")
        for n, raw in enumerate(self.dataset.events):
            of = _PERIODS.get(int(raw.period.id))
            if of is None or of not in starts:
                continue
            play = self._play(raw, of)
            if play is None:
                continue
            clock = _seconds(raw.timestamp)
            yield TimedPlay(event=play, at=starts[of][0] + dt.timedelta(seconds=clock),
                            period=of, provider_id=str(raw.event_id),
                            side=self._side(raw), order=n, note=self._note(raw, of))
        for period, (start, length) in starts.items():
            yield TimedPlay(event=PeriodEnded(period=period), at=start + length,
                            period=period, provider_id=f"period-{period.value}-end",
                            order=1 << 30)

    def _period_starts(self) -> dict[Period, tuple[dt.timedelta, dt.timedelta]]:
        """Each period's start from kick-off (wall clock) and its length."""
        starts: dict[Period, tuple[dt.timedelta, dt.timedelta]] = {}
        clock = dt.timedelta(0)
        for p in sorted(self.dataset.metadata.periods, key=lambda p: int(p.id)):
            period = _PERIODS.get(int(p.id))
            if period is None:
                raise SourceError(f"{self.where}: period {p.id} is not a period of football")
            length = p.end_timestamp - p.start_timestamp
            if starts:
                clock += dt.timedelta(minutes=_PAUSE[period])
            starts[period] = (clock, length)
            clock += length
        if Period.FIRST_HALF not in starts:
            raise SourceError(f"{self.where}: no first half (no Half Start event of period 1)")
        return starts

    def _side(self, raw: Any) -> int:
        team = raw.team
        side = self.sides.get(str(team.team_id)) if team is not None else None
        if side is None:
            raise SourceError(f"{self.where}: event {raw.event_id} is of a team not in the "
                              f"match ({getattr(team, 'name', None)})")
        return side

    def _player(self, raw: Any, player: Any, side: int) -> str:
        """The name of an event's player, who must be on a line-up of the match: on the
        other side's, the event is kept as it is (its team decides whom a goal counts for),
        and said in the notes."""
        if player is not None:
            ident = str(getattr(player, "player_id", ""))
        else:  # kloppy finds a player on the event's team only
            given = (getattr(raw, "raw_event", None) or {}).get("player")
            ident = str(given.get("id", "")) if isinstance(given, dict) else ""
        name = self.rosters[side].get(ident)
        other = self.rosters[1 - side].get(ident)
        if name is None and other is not None:
            self.notes.append(f"event {raw.event_id}: {other} is on the other side's line-up; "
                              "kept under the team the event names")
            return other
        if name is None:
            given = getattr(player, "name", None) or ident or "?"
            raise SourceError(f"{self.where}: the events do not match the line-ups of "
                              f"{self.files.lineups} (event {raw.event_id}: player {given} "
                              "is on neither)")
        return name

    def _play(self, raw: Any, period: Period) -> Event | None:
        kind = raw.event_type.name
        if kind == "SHOT":
            return self._shot(raw, period)
        if kind == "CARD":
            side = self._side(raw)
            card = _CARDS.get(raw.card_type.name) if raw.card_type is not None else None
            if card is None or period is Period.SHOOTOUT:
                return None
            minute, added = _minute(period, raw.timestamp)
            return CardShown(team="", player=self._player(raw, raw.player, side), card=card,
                             minute=minute, added=added)
        if kind == "SUBSTITUTION" and period is not Period.SHOOTOUT:
            side = self._side(raw)
            minute, added = _minute(period, raw.timestamp)
            return SubstitutionMade(team="", player_off=self._player(raw, raw.player, side),
                                    player_on=self._player(raw, raw.replacement_player, side),
                                    minute=minute, added=added)
        return None

    def _shot(self, raw: Any, period: Period) -> Event | None:
        side, result = self._side(raw), raw.result.name if raw.result is not None else ""
        player = self._player(raw, raw.player, side)
        if period is Period.SHOOTOUT:
            outcome = _KICKS.get(result)
            if outcome is None:
                raise SourceError(f"{self.where}: shoot-out kick {raw.event_id} has no "
                                  f"outcome a kick can have ({result or 'none'})")
            return ShootoutKick(team="", taker=player, outcome=outcome)
        if result not in ("GOAL", "OWN_GOAL"):
            return None
        minute, added = _minute(period, raw.timestamp)
        kind = (GoalKind.OWN_GOAL if result == "OWN_GOAL"
                else GoalKind.PENALTY if _is_penalty(raw) else GoalKind.OPEN_PLAY)
        return GoalScored(team="", player=player, minute=minute, added=added, kind=kind)

    def _note(self, raw: Any, period: Period) -> str | None:
        """What the provider said that the catalogue does not: a kick hitting the post."""
        if period is Period.SHOOTOUT and getattr(raw.result, "name", None) == "POST":
            return "hit the woodwork"
        return None

    def _agrees(self, result: ParsedResult) -> None:
        """The match record's score, where it gives one, is the events'."""
        home, away = self.record.get("home_score"), self.record.get("away_score")
        if isinstance(home, int) and isinstance(away, int) and (home, away) != result.final:
            raise SourceError(f"{self.where}: the events add up to "
                              f"{result.final[0]}-{result.final[1]}, the match record says "
                              f"{home}-{away}")


def _is_penalty(raw: Any) -> bool:
    for q in getattr(raw, "qualifiers", None) or ():
        if getattr(q, "name", None) == "set_piece" and q.value.name == "PENALTY":
            return True
    return False


def _seconds(clock: Any) -> float:
    return float(clock.total_seconds() if isinstance(clock, dt.timedelta) else clock)


def _minute(period: Period, clock: Any) -> tuple[int, int | None]:
    """The minute as a match report writes it: 00:30 of the second half is 46', 47:10 of the
    first half 45+3'."""
    first, last = PERIOD_MINUTES[period]
    minute = first + int(_seconds(clock) // 60)
    return (minute, None) if minute <= last else (last, minute - last)


def _result(timeline: Sequence[TimedPlay]) -> ParsedResult:
    """Scores after the first half, 90 minutes and extra time, and the shoot-out."""
    periods = {p.event.period for p in timeline if isinstance(p.event, PeriodStarted)}

    def score(upto: set[Period]) -> tuple[int, int]:
        counted = [0, 0]
        for p in timeline:
            if isinstance(p.event, GoalScored) and p.side is not None and p.period in upto:
                own = p.event.kind is GoalKind.OWN_GOAL
                counted[1 - p.side if own else p.side] += 1
        return counted[0], counted[1]

    halves = {Period.FIRST_HALF, Period.SECOND_HALF}
    extra = halves | {Period.EXTRA_FIRST, Period.EXTRA_SECOND}
    kicks = [0, 0]
    for p in timeline:
        if isinstance(p.event, ShootoutKick) and p.event.outcome is KickOutcome.SCORED \
                and p.side is not None:
            kicks[p.side] += 1
    return ParsedResult(
        full_time=score(halves), half_time=score({Period.FIRST_HALF}),
        extra_time=score(extra) if Period.EXTRA_FIRST in periods else None,
        penalties=(kicks[0], kicks[1]) if Period.SHOOTOUT in periods else None)


__all__ = ["EXTRA", "StatsBombFiles", "kind_of", "looks_like_statsbomb", "match_files",
           "read_statsbomb", "statsbomb_kind"]
