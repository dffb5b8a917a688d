"""football.json: the current shape (``matches``, ``score.ft/ht/et/p``, ``goals1/2``) and the
older one (``rounds``, team objects, ``score1``/``score2``, ``timezone``) both parse; a value of
the wrong shape is an error naming the file, the line of the match and the field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchledger.events import GoalScored
from matchledger.ledger.sources import (
    JSON,
    TXT,
    ParsedGoal,
    ParseError,
    detect_format,
    parse_football_json,
    parse_source,
    plan_import,
    read_source,
)
from matchledger.ledger.teams import Registry

from conftest import played, scorers

DATA = Path(__file__).parent / "data"


def test_a_league_season_in_the_current_shape() -> None:
    season = read_source(DATA / "de.1_2023-24.json")
    assert (season.format, season.name, season.season, len(season.matches)) == (
        JSON, "Bundesliga", "2023/24", 306)
    m = season.matches[0]
    assert (m.round, m.date, m.time, m.team1, m.team2) == (
        "Matchday 1", dt.date(2023, 8, 18), dt.time(20, 30), "Werder Bremen", "Bayern München")
    assert (played(m).full_time, played(m).half_time, m.goals) == ((0, 4), (0, 1), None)
    assert m.where.endswith("de.1_2023-24.json:4")


def test_the_same_season_in_both_formats_says_the_same() -> None:
    txt = read_source(DATA / "bundesliga_2023-24.txt")
    js = read_source(DATA / "de.1_2023-24.json")
    assert [(m.date, m.time, m.round, m.result) for m in txt.matches] == [
        (m.date, m.time, m.round, m.result) for m in js.matches]


def test_extra_time_penalties_scorers_own_goals_and_stoppage_time() -> None:
    wc = read_source(DATA / "worldcup_2022_finals.json")
    final = wc.matches[-1]
    r = played(final)
    assert (r.full_time, r.half_time, r.extra_time, r.penalties) == ((2, 2), (2, 0), (3, 3),
                                                                     (4, 2))
    assert scorers(final)[0] == ParsedGoal(side=0, player="Lionel Messi", minute=23, penalty=True)
    assert final.venue == "Lusail Iconic Stadium, Lusail"
    australia = wc.matches[1]
    assert scorers(australia)[-1] == ParsedGoal(side=1, player="Enzo Fernández", minute=77,
                                             own_goal=True)
    france = wc.matches[2]
    assert scorers(france)[2] == ParsedGoal(side=0, player="Mbappé", minute=90, added=1)
    spain = wc.matches[6]  # no goals1/goals2 keys at all: scorers unknown, not "no goals"
    assert (played(spain).penalties, spain.goals) == ((3, 0), None)


def test_the_older_shape_rounds_team_objects_score1_and_timezone() -> None:
    old = read_source(DATA / "worldcup_2018_old.json")
    first = old.matches[0]
    assert (first.round, first.group, first.team1, first.team2, first.number) == (
        "Matchday 1", "Group A", "Russia", "Saudi Arabia", 1)
    assert (played(first).full_time, played(first).half_time) == ((5, 0), None)
    assert (first.utc_offset, first.venue) == (dt.timedelta(hours=3), "Luzhniki Stadium, Moscow")
    assert scorers(first)[3] == ParsedGoal(side=0, player="Cheryshev", minute=90, added=1)
    iran = old.matches[1]
    assert iran.goals == (ParsedGoal(side=1, player="Bouhaddouz", minute=90, added=5,
                                     own_goal=True),)
    assert old.matches[2].result is None  # score1/score2 null: not played yet
    spain = old.matches[3]
    assert (played(spain).full_time, played(spain).half_time, played(spain).extra_time,
            played(spain).penalties) == ((1, 1), (1, 1), (1, 1), (3, 4))
    assert spain.where.endswith("worldcup_2018_old.json:148")


def test_goals_listed_by_side_are_recorded_in_the_order_scored() -> None:
    plan, _ = plan_import(Registry(), read_source(DATA / "worldcup_2022_finals.json"))
    final = dict(plan)["match:world-cup-2022-f"]
    goals = [d.event for d in final if isinstance(d.event, GoalScored)]
    assert [(g.team, g.minute) for g in goals] == [
        ("argentina", 23), ("argentina", 36), ("france", 80), ("france", 81),
        ("argentina", 108), ("france", 118)]
    times = [d.occurred_at for d in final]
    assert times == sorted(times)


def test_format_is_detected() -> None:
    assert detect_format('  {"name": "x"}') == JSON
    assert detect_format("= Cup 2024\n") == TXT
    assert detect_format("", "de.1.json") == JSON
    assert parse_source('{"name": "Cup 2024", "matches": []}', "x").format == JSON


def _doc(**match: object) -> str:
    base: dict[str, object] = {"round": "Final", "date": "2024-05-25", "team1": "A",
                               "team2": "B", "score": {"ft": [1, 0]}}
    base.update(match)
    return json.dumps({"name": "Cup 2024", "matches": [base]}, indent=1)


@pytest.mark.parametrize(("doc", "problem"), [
    ('{"name": "Cup 2024", "matches": [', "malformed JSON"),
    ('[1, 2]', "expected a JSON object"),
    ('{"name": "Cup 2024"}', "expected 'matches' or 'rounds'"),
    ('{"name": "Cup 2024", "matches": {}}', "must be a list"),
    (_doc(team2=None), "matches[0].team2: expected a team name"),
    (_doc(date="25.5.2024"), "matches[0].date"),
    (_doc(date=None), "matches[0].date: expected a date"),
    (_doc(time="evening"), "matches[0].time: expected a time"),
    (_doc(score={"ft": [1]}), "matches[0].score.ft: expected two goal counts"),
    (_doc(score={"ft": [1, -1]}), "matches[0].score.ft"),
    (_doc(score={"ht": [1, 0]}), "no 'ft'"),
    (_doc(score=[1, 0]), "matches[0].score: expected an object"),
    (_doc(goals1=[{"name": "X", "minute": "ten"}]), "goals1[0].minute: expected a number"),
    (_doc(goals1="X 10'"), "must be a list"),
    (_doc(time="20:00", timezone="UTC+25"),
     "matches[0].timezone: a UTC offset must be less than 24 hours, got 'UTC+25'"),
    (_doc(timezone="UTC+24"), "matches[0].timezone: a UTC offset must be less than 24 hours"),
    (_doc(time="20:00 UTC-24"), "matches[0].time: a UTC offset must be less than 24 hours"),
])
def test_a_value_of_the_wrong_shape_names_file_and_field(doc: str, problem: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_football_json(doc, "bad.json")
    assert str(err.value).startswith("bad.json") and problem in str(err.value)
    assert "\n" not in str(err.value)


# --- any shape -------------------------------------------------------------------------------

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 130) | st.floats(allow_nan=False) | st.text(
        max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=6)


def _or_anything(valid: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Mostly ``valid``, now and then any JSON value at all."""
    return st.one_of(*[valid] * 9, ANY_JSON)


PAIRS = st.lists(st.integers(0, 5), min_size=2, max_size=2)
MATCHES = st.fixed_dictionaries({
    "date": _or_anything(st.sampled_from(("2024-05-25", "2024-05-26", "2024-02-30"))),
    "team1": _or_anything(st.sampled_from(("Alpha", "Beta")) | st.fixed_dictionaries(
        {"name": st.sampled_from(("Alpha", "Beta")), "code": st.just("ALP")})),
    "team2": _or_anything(st.sampled_from(("Gamma", "Delta"))),
}, optional={
    "round": _or_anything(st.sampled_from(("Final", "Matchday 1"))),
    "time": _or_anything(st.sampled_from(("20:45", "20.45 UTC+2", "25:61"))),
    "score": _or_anything(st.fixed_dictionaries({"ft": _or_anything(PAIRS)}, optional={
        k: _or_anything(PAIRS) for k in ("ht", "et", "p")})),
    "score1": _or_anything(st.integers(0, 5)), "score2": _or_anything(st.integers(0, 5)),
    "goals1": _or_anything(st.lists(st.fixed_dictionaries(
        {"name": _or_anything(st.just("Ann"))},
        optional={"minute": _or_anything(st.integers(1, 120)),
                  "offset": _or_anything(st.integers(1, 5)),
                  "penalty": _or_anything(st.booleans()),
                  "owngoal": _or_anything(st.booleans())}), max_size=2)),
    "timezone": _or_anything(st.just("UTC+2")), "ground": _or_anything(st.just("Wembley")),
    "num": _or_anything(st.integers(1, 64)), "group": _or_anything(st.just("Group A")),
})


@settings(max_examples=200, deadline=None)
@given(doc=st.one_of(
    st.fixed_dictionaries({"name": _or_anything(st.just("Cup 2024")),
                           "matches": _or_anything(st.lists(MATCHES, max_size=3))}),
    st.fixed_dictionaries({"name": st.just("Cup 2024"), "rounds": _or_anything(st.lists(
        st.fixed_dictionaries({"name": ANY_JSON, "matches": _or_anything(
            st.lists(MATCHES, max_size=2))}), max_size=2))}),
    ANY_JSON))
def test_any_json_document_parses_or_is_one_parse_error(doc: object) -> None:
    """Whatever shape a football.json file has, it parses or is refused with a ParseError
    naming the file (never a KeyError or TypeError from deep inside)."""
    try:
        parse_football_json(json.dumps(doc, indent=1), "any.json", season="2024")
    except ParseError as e:
        assert str(e).startswith("any.json") and "\n" not in str(e)
