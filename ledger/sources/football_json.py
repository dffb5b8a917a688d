"""football.json, openfootball's JSON export, in its current and its older shapes.

Current (2020s)::

    {"name": "Bundesliga 2023/24", "matches": [
      {"round": "Matchday 1", "date": "2023-08-18", "time": "20:30",
       "team1": "Werder Bremen", "team2": "Bayern München",
       "score": {"ht": [0, 1], "ft": [0, 4]},
       "goals1": [], "goals2": [{"name": "Harry Kane", "minute": 74, "penalty": true}]}]}

``score`` may also hold ``et`` (after extra time) and ``p`` (shoot-out); a goal may have
``offset`` (stoppage time) and ``owngoal`` (listed under the side it counts for). Older files
nest matches in ``"rounds": [{"name": ..., "matches": [...]}]``, write teams as objects
(``{"name": "Russia", "code": "RUS"}``) and scores as ``score1``/``score2`` with ``score1i``
(half time), ``score1et`` and ``score1p``; some give ``"timezone": "UTC+3"``. A match without
a score is a fixture still to play. A value of the wrong shape is an error naming the file, the
line of the match and the field.

    >>> text = '{"name": "Cup 2024", "matches": [{"round": "Final", "date": "2024-05-25",'
    >>> text += ' "team1": "A", "team2": "B", "score": {"ft": [2, 1]}}]}'
    >>> m = parse_football_json(text, "cup.json").matches[0]
    >>> m.where, m.round, m.result.full_time
    ('cup.json:1', 'Final', (2, 1))
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from matchledger.ledger.sources.dates import (
    offset_problem,
    read_offset,
    read_time,
    season_from_path,
    split_title,
)
from matchledger.ledger.sources.errors import ParseError
from matchledger.ledger.sources.model import (
    JSON,
    ParsedGoal,
    ParsedMatch,
    ParsedResult,
    ParsedSeason,
    Score,
    team_name_problem,
)

_COUNTRY = re.compile(r"\s*\((?P<code>[A-Z]{2,4})\)$")
_GROUP = re.compile(r"^(?:group|gruppe|grupo|groupe|girone|poule)\s+\S{1,3}$", re.I)


def parse_football_json(text: str, source: str, *, season: str | None = None) -> ParsedSeason:
    """Parse a football.json file; ``source`` is the name messages cite ("de.1.json")."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as e:
        raise ParseError(f"{source}:{e.lineno}", f"malformed JSON ({e.msg})") from e
    if not isinstance(data, dict):
        raise ParseError(source, "expected a JSON object with 'matches' or 'rounds'")
    name, title_season = split_title(str(data.get("name") or ""))
    lines = _match_lines(text)
    matches = tuple(_match(obj, round_name, path, f"{source}:{lines[i] if i < len(lines) else 1}")
                    for i, (obj, round_name, path) in enumerate(_matches(data, source)))
    return ParsedSeason(source=source, format=JSON, name=name or None,
                        season=season or title_season or season_from_path(source),
                        matches=matches, lines=MappingProxyType({"match": len(matches)}))


def _matches(data: dict[str, Any], source: str) -> Iterator[tuple[Any, str | None, str]]:
    """(match object, round name of an enclosing round, JSON path) in file order."""
    if "matches" in data:
        found = _list(data["matches"], f"{source}: matches")
        yield from ((m, None, f"matches[{i}]") for i, m in enumerate(found))
    elif "rounds" in data:
        for r, rnd in enumerate(_list(data["rounds"], f"{source}: rounds")):
            if not isinstance(rnd, dict):
                raise ParseError(source, f"rounds[{r}] must be an object")
            name = rnd.get("name")
            for i, m in enumerate(_list(rnd.get("matches", []), f"{source}: rounds[{r}]")):
                yield m, str(name) if name is not None else None, f"rounds[{r}].matches[{i}]"
    else:
        raise ParseError(source, "expected 'matches' or 'rounds'")


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(where, "must be a list")
    return value


def _match_lines(text: str) -> list[int]:
    """The line of each match object, in order: where its ``"team1"`` key is."""
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"team1"\s*:', text)]


def _match(obj: Any, round_name: str | None, path: str, where: str) -> ParsedMatch:
    if not isinstance(obj, dict):
        raise ParseError(where, f"{path} must be an object")
    team1, country1 = _team(obj.get("team1"), f"{path}.team1", where)
    team2, country2 = _team(obj.get("team2"), f"{path}.team2", where)
    date = _date(obj.get("date"), f"{path}.date", where)
    time, offset = _time(obj, path, where)
    result = _result(obj, path, where)
    goals = _goals(obj, path, where)
    label = str(obj.get("round") or round_name or "")
    group = str(obj["group"]) if obj.get("group") else None
    if group is None and _GROUP.match(label):  # "round": "Group A": a group, as written
        group = label
    return ParsedMatch(
        where=where, round=label, team1=team1, team2=team2,
        date=date, time=time, utc_offset=offset, group=group,
        country1=country1, country2=country2, result=result,
        goals=goals if result is not None else None,
        goals_where=where if goals is not None else None, venue=_venue(obj),
        number=obj.get("num") if isinstance(obj.get("num"), int) else None)


def _team(value: Any, path: str, where: str) -> tuple[str, str | None]:
    if isinstance(value, dict):
        value = value.get("name")
    if not isinstance(value, str) or not value.strip():
        raise ParseError(where, f"{path}: expected a team name, got {value!r}")
    m = _COUNTRY.search(value)
    name = _COUNTRY.sub("", value).strip()
    if team_name_problem(name):
        raise ParseError(where, f"{path}: {name!r} is not a team name ({team_name_problem(name)})")
    return name, m.group("code") if m else None


def _date(value: Any, path: str, where: str) -> dt.date:
    if not isinstance(value, str):
        raise ParseError(where, f"{path}: expected a date like 2024-05-25, got {value!r}")
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as e:
        raise ParseError(where, f"{path}: {e}") from e


def _time(obj: dict[str, Any], path: str,
          where: str) -> tuple[dt.time | None, dt.timedelta | None]:
    value = obj.get("time")
    zone = obj.get("timezone")
    offset = read_offset(zone) if isinstance(zone, str) else None
    problem = offset_problem(offset)
    if problem:
        raise ParseError(where, f"{path}.timezone: {problem}, got {zone!r}")
    if value is None or value == "":
        return None, offset
    read = read_time(str(value).strip()) if isinstance(value, str) else None
    if read is None:
        raise ParseError(where, f"{path}.time: expected a time like 20:45, got {value!r}")
    problem = offset_problem(read.offset)
    if problem:
        raise ParseError(where, f"{path}.time: {problem}, got {value!r}")
    return read.time, read.offset or offset


def _pair(value: Any, path: str, where: str) -> Score | None:
    if value is None:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                       for v in value)):
        raise ParseError(where, f"{path}: expected two goal counts like [2, 1], got {value!r}")
    return value[0], value[1]


def _result(obj: dict[str, Any], path: str, where: str) -> ParsedResult | None:
    score = obj.get("score")
    if isinstance(score, dict):
        full = _pair(score.get("ft"), f"{path}.score.ft", where)
        if full is None:
            if any(score.get(k) is not None for k in ("ht", "et", "p")):
                raise ParseError(where, f"{path}.score: no 'ft' (the score after 90 minutes)")
            return None
        return ParsedResult(full_time=full, half_time=_pair(score.get("ht"), f"{path}.score.ht",
                                                            where),
                            extra_time=_pair(score.get("et"), f"{path}.score.et", where),
                            penalties=_pair(score.get("p"), f"{path}.score.p", where))
    if score is not None:
        raise ParseError(where, f"{path}.score: expected an object, got {score!r}")
    return _old_result(obj, path, where)


def _old_result(obj: dict[str, Any], path: str, where: str) -> ParsedResult | None:
    """``score1``/``score2`` (90 minutes), ``score1i`` (half time), ``score1et``, ``score1p``."""
    def pair(suffix: str) -> Score | None:
        a, b = obj.get(f"score1{suffix}"), obj.get(f"score2{suffix}")
        if a is None and b is None:
            return None
        return _pair([a, b], f"{path}.score1{suffix}/score2{suffix}", where)

    full = pair("")
    if full is None:
        return None
    return ParsedResult(full_time=full, half_time=pair("i"), extra_time=pair("et"),
                        penalties=pair("p") or pair("pen"))


def _goals(obj: dict[str, Any], path: str, where: str) -> tuple[ParsedGoal, ...] | None:
    if "goals1" not in obj and "goals2" not in obj:
        return None
    goals: list[ParsedGoal] = []
    for side, key in enumerate(("goals1", "goals2")):
        for i, goal in enumerate(_list(obj.get(key) or [], f"{where}: {path}.{key}")):
            goals.append(_goal(goal, side, f"{path}.{key}[{i}]", where))
    return tuple(goals)


def _goal(goal: Any, side: int, path: str, where: str) -> ParsedGoal:
    if not isinstance(goal, dict):
        raise ParseError(where, f"{path}: expected an object")
    minute, offset = goal.get("minute"), goal.get("offset")
    for field, value in (("minute", minute), ("offset", offset)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ParseError(where, f"{path}.{field}: expected a number, got {value!r}")
    name = goal.get("name")
    return ParsedGoal(side=side, player=str(name).strip() if name else None, minute=minute,
                      added=offset or None, penalty=bool(goal.get("penalty")),
                      own_goal=bool(goal.get("owngoal")))


def _venue(obj: dict[str, Any]) -> str | None:
    ground = obj.get("ground")
    if isinstance(ground, dict):
        ground = ground.get("name")
    stadium = obj.get("stadium")
    if not ground and isinstance(stadium, dict):
        ground = stadium.get("name")
        if ground and obj.get("city"):
            ground = f"{ground}, {obj['city']}"
    return str(ground) if ground else None


__all__ = ["parse_football_json"]
