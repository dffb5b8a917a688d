"""Football.TXT: every layout and spelling seen in the openfootball files parses; anything else
is an error naming the file, the line and its text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matchledger.events import GoalScored, MatchEnded, ResultReported
from matchledger.ledger import Draft
from matchledger.ledger.codec import encode
from matchledger.ledger.envelope import UTC
from matchledger.ledger.sources import (
    ParsedGoal,
    ParsedMatch,
    ParsedSeason,
    ParseError,
    SourceError,
    event_id,
    parse_football_txt,
    plan_import,
    read_source,
)
from matchledger.ledger.teams import Registry

from conftest import played, scorers

DATA = Path(__file__).parent / "data"
CEST = dt.timedelta(hours=2)


def _txt(text: str, name: str = "t.txt") -> ParsedSeason:
    return parse_football_txt(text, name)


def _by_teams(season: ParsedSeason, team1: str, team2: str) -> ParsedMatch:
    return next(m for m in season.matches if (m.team1, m.team2) == (team1, team2))


# --- whole real files ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "matches", "title", "season"), [
    ("el_2023-24.txt", 141, "UEFA Europa League", "2023/24"),
    ("cl_2023-24.txt", 125, "UEFA Champions League", "2023/24"),
    ("bundesliga_2023-24.txt", 306, "Deutsche Bundesliga", "2023/24"),
    ("dfb-pokal_2023-24.txt", 63, "DFB Pokal", "2023/24"),
    ("cl_2013-14_finals.txt", 29, "UEFA Champions League", "2013/14"),
    ("2022--qatar_cup_finals.txt", 16, "World Cup", "2022"),
    ("2018--russia_cup_finals.txt", 11, "Finals", "2018"),  # title from the header comment
    ("1963-64_bundesliga.txt", 16, "Deutsche Bundesliga", "1963/64"),
    ("1998-99_premierleague.txt", 21, None, "1998/99"),  # no title: the season from the path
    ("facup_2023-24_round1.txt", 8, "English FA Cup", "2023/24"),
    ("sampler.txt", 11, "Sampler Cup", "2013/14"),
])
def test_real_files_parse_whole(name: str, matches: int, title: str | None, season: str) -> None:
    parsed = read_source(DATA / name)
    assert (len(parsed.matches), parsed.name, parsed.season) == (matches, title, season)


def test_v_layout_with_country_codes_half_time_and_kickoff() -> None:
    el = read_source(DATA / "el_2023-24.txt")
    m = el.matches[0]
    assert (m.team1, m.country1, m.team2, m.country2) == ("Olympiakos Piraeus", "GRE",
                                                          "SC Freiburg", "GER")
    assert (played(m).full_time, played(m).half_time) == ((2, 3), (1, 2))
    assert (m.date, m.time, m.round, m.group) == (dt.date(2023, 9, 21), dt.time(21, 0),
                                                   "Group A", "Group A")
    assert m.where.endswith("el_2023-24.txt:11")


def test_a_line_without_a_time_keeps_the_time_above_it() -> None:
    m = read_source(DATA / "el_2023-24.txt").matches[1]  # "           West Ham ... 3-1 (0-0)"
    assert (m.team1, m.time) == ("West Ham United", dt.time(21, 0))


def test_score_without_half_time_and_gruppe_spelling() -> None:
    el = read_source(DATA / "el_2023-24.txt")
    m = _by_teams(el, "AC Sparta Praha", "Rangers FC")
    assert (played(m).full_time, played(m).half_time) == ((0, 0), None)
    assert _by_teams(el, "FC Sheriff", "AS Roma").group == "Gruppe G"


@pytest.mark.parametrize(("team1", "team2", "full", "half", "extra", "pens"), [
    ("SC Freiburg", "RC Lens", (2, 2), (0, 2), (3, 2), None),  # 3-2 a.e.t. (2-2, 0-2)
    ("AS Roma", "Feyenoord", (1, 1), (1, 1), (1, 1), (4, 2)),  # 4-2 pen. 1-1 a.e.t. (1-1, 1-1)
    ("Olympique Marseille", "SL Benfica", (1, 0), (0, 0), (1, 0), (4, 2)),
])
def test_extra_time_and_penalties(team1: str, team2: str, full: tuple[int, int],
                                  half: tuple[int, int], extra: tuple[int, int],
                                  pens: tuple[int, int] | None) -> None:
    r = played(_by_teams(read_source(DATA / "el_2023-24.txt"), team1, team2))
    assert (r.full_time, r.half_time, r.extra_time, r.penalties) == (full, half, extra, pens)


def test_score_between_the_teams_and_bracketed_dates_without_year() -> None:
    cl = read_source(DATA / "cl_2023-24.txt")
    m = cl.matches[0]
    assert (m.team1, m.team2, played(m).full_time, m.date) == (
        "AC Milan", "Newcastle United FC", (0, 0), dt.date(2023, 9, 19))
    final = cl.matches[-1]
    assert (final.round, final.date, final.stage) == ("Final", dt.date(2024, 6, 1), "Finals")
    assert cl.matches[0].stage == "Group"


def test_weekday_picks_the_year_and_a_written_year_sticks() -> None:
    cl = read_source(DATA / "cl_2023-24.txt")  # "[Tue Feb/13]": 2024 (13 Feb 2023 was a Monday)
    assert _by_teams(cl, "FC København", "Manchester City FC").date == dt.date(2024, 2, 13)
    el = read_source(DATA / "el_2023-24.txt")  # "Thu Feb/15 2024" then "Thu Feb/22"
    assert _by_teams(el, "Stade Rennais", "AC Milan").date == dt.date(2024, 2, 22)


def test_month_day_dates_and_colon_times() -> None:
    pokal = read_source(DATA / "dfb-pokal_2023-24.txt")
    m = _by_teams(pokal, "SV Sandhausen", "Hannover 96")  # "Fri Aug 11" / "18:00"
    assert (m.date, m.time, m.round) == (dt.date(2023, 8, 11), dt.time(18), "Round 1")
    assert played(m).extra_time == (3, 3) and played(m).penalties == (4, 2)
    m = _by_teams(pokal, "Bor. Mönchengladbach", "VfL Wolfsburg")  # "1-0 a.e.t. (0-0)"
    assert (played(m).full_time, played(m).extra_time, played(m).half_time) == ((0, 0), (1, 0),
                                                                              None)


def test_leg_rounds_inline_comments_venues_and_partial_brackets() -> None:
    cl = read_source(DATA / "cl_2013-14_finals.txt")
    assert cl.matches[0].round == "Round of 16 - 1st Leg"  # "#  (Tu+We) ..." is a comment
    final = cl.matches[-1]  # "4-1 a.e.t. (1-1, )  Atlético Madrid  @ Estádio da Luz, Lisbon"
    assert (played(final).extra_time, played(final).full_time, played(final).half_time) == (
        (4, 1), (1, 1), None)
    assert final.venue == "Estádio da Luz, Lisbon"


def test_scorer_lines_in_square_brackets() -> None:
    cl = read_source(DATA / "cl_2013-14_finals.txt")
    psg = _by_teams(cl, "Paris Saint-Germain", "Chelsea FC")  # Luiz 61' (o.g.) for PSG
    assert [(g.player, g.minute, g.added, g.own_goal, g.penalty, g.side) for g in scorers(psg)] == [
        ("Lavezzi", 4, None, False, False, 0), ("Luiz", 61, None, True, False, 0),
        ("Pastore", 90, 3, False, False, 0), ("Hazard", 27, None, False, True, 1)]
    bayern = _by_teams(cl, "Bayern München", "Real Madrid")  # "[-; Ramos 16', 20' ...]"
    assert [(g.player, g.minute, g.side) for g in scorers(bayern)] == [
        ("Ramos", 16, 1), ("Ramos", 20, 1), ("Ronaldo", 34, 1), ("Ronaldo", 90, 1)]
    dortmund = _by_teams(cl, "Borussia Dortmund", "Real Madrid")  # "[Reus 24', 37']": no ';'
    assert {g.side for g in scorers(dortmund)} == {0}


def test_scorer_lines_in_round_brackets_over_several_lines() -> None:
    wc = read_source(DATA / "2022--qatar_cup_finals.txt")
    final = wc.matches[-1]
    assert final.goals == (
        ParsedGoal(side=0, player="Lionel Messi", minute=23, penalty=True),
        ParsedGoal(side=0, player="Lionel Messi", minute=108),
        ParsedGoal(side=0, player="Ángel Di María", minute=36),
        ParsedGoal(side=1, player="Kylian Mbappé", minute=80, penalty=True),
        ParsedGoal(side=1, player="Kylian Mbappé", minute=81),
        ParsedGoal(side=1, player="Kylian Mbappé", minute=118, penalty=True),
    )
    arg = _by_teams(wc, "Argentina", "Australia")  # "Enzo Fernández 77'(o.g.)" for Australia
    assert scorers(arg)[-1] == ParsedGoal(side=1, player="Enzo Fernández", minute=77,
                                       own_goal=True)
    japan = _by_teams(wc, "Japan", "Croatia")  # "1-3 pen. 1-1 a.e.t (1-1, 1-0)": no final dot
    assert (played(japan).penalties, played(japan).extra_time) == ((1, 3), (1, 1))
    assert japan.venue == "Al Janoub Stadium, Al Wakrah"


def test_definitions_with_bars_are_not_rounds() -> None:
    wc = read_source(DATA / "2022--qatar_cup_finals.txt")  # "▪ Final  |  Sun Dec 18" first
    assert [m.round for m in wc.matches[:1]] == ["Round of 16"]
    assert wc.matches[-1].round == "Final"


def test_numbered_matches_zones_and_fixtures_not_yet_played() -> None:
    wc = read_source(DATA / "2018--russia_cup_finals.txt")
    first = wc.matches[0]  # "(49) Sat Jun/30 21:00  Uruguay  2-1 (1-0)  Portugal @ ... (UTC+3)"
    assert (first.number, first.date, first.time, first.utc_offset) == (
        49, dt.date(2018, 6, 30), dt.time(21), dt.timedelta(hours=3))
    assert (first.venue, first.round) == ("Fisht Stadium, Sochi", "Round of 16")
    samara = _by_teams(wc, "Brazil", "Mexico")
    assert samara.utc_offset == dt.timedelta(hours=4)
    sweden = _by_teams(wc, "Sweden", "Switzerland")  # "Sweden  -  Switzerland"
    assert (sweden.result, sweden.goals, sweden.number) == (None, None, 55)
    assert wc.matches[-1].round == "Quarter-finals"  # "(17) Quarter-finals"


def test_old_german_layout_colon_scores_and_day_month_dates() -> None:
    bl = read_source(DATA / "1963-64_bundesliga.txt")
    m = bl.matches[0]  # "[Sa 24.8.]" / "Werder Bremen   Borussia Dortmund   3:2 (1:1)"
    assert (m.team1, m.team2, played(m).full_time, played(m).half_time, m.date, m.round) == (
        "Werder Bremen", "Borussia Dortmund", (3, 2), (1, 1), dt.date(1963, 8, 24),
        "1. Spieltag")


def test_one_space_between_teams_is_split_by_names_known_from_other_lines() -> None:
    bl = read_source(DATA / "1963-64_bundesliga.txt")
    m = bl.matches[3]  # "Eintracht Frankfurt 1. FC Kaiserslautern   1:1 (1:1)"
    assert (m.team1, m.team2) == ("Eintracht Frankfurt", "1. FC Kaiserslautern")


def test_inline_dates_single_spaces_and_year_from_the_path() -> None:
    pl = read_source(DATA / "1998-99_premierleague.txt")
    assert (pl.matches[0].date, pl.matches[0].team2, pl.matches[0].round) == (
        dt.date(1999, 5, 15), "Aston Villa", "Round 38")
    assert pl.matches[-1].date == dt.date(1998, 8, 14)


def test_sampler_of_other_spellings() -> None:
    s = read_source(DATA / "sampler.txt")
    assert dict(s.groups) == {"Group A": ("Alpha FC", "Beta", "Gamma SC", "Delta")}
    zoned = s.matches[1]  # "20:45 UTC+2  Gamma SC  v  Delta  0-0"
    assert (zoned.time, zoned.utc_offset) == (dt.time(20, 45), CEST)
    unplayed = s.matches[3]  # "Delta v Alpha FC   // not played (yet)"
    assert (unplayed.team1, unplayed.team2, unplayed.result) == ("Delta", "Alpha FC", None)
    german = s.matches[4]  # "[Sa 24.8.]" / "Alpha FC Gamma SC   3:0 (1:0)" / "Goals: ..."
    assert (german.team1, german.team2, german.date) == ("Alpha FC", "Gamma SC",
                                                         dt.date(2013, 8, 24))
    assert [g.minute for g in scorers(german)] == [5, 50, 88]
    numbered = s.matches[6]  # "(12) Tue Apr/22 20.45  Gamma SC  2-1 (2-1)  Alpha FC  @ ..."
    assert (numbered.number, numbered.round, numbered.utc_offset) == (
        12, "Semi-finals - 1st Leg", CEST)
    assert scorers(numbered)[1] == ParsedGoal(side=0, player="Alpha Defender", minute=44,
                                           own_goal=True)
    second = s.matches[8]  # "Tue Apr/29 20:45" date line with a time
    assert (second.time, played(second).penalties) == (dt.time(20, 45), (4, 2))
    assert scorers(second)[1] == ParsedGoal(side=0, player="Alpha Striker", minute=105, added=1,
                                         penalty=True)
    final = s.matches[-1]  # "24-5-14 @ Lisbon  Alpha FC  1–1 Beta  [aet, 4-3 pen]"
    assert (final.date, final.venue, final.round) == (dt.date(2014, 5, 24), "Lisbon", "Final")
    # the score after 90 minutes is not written: the scorers' minutes tell it
    assert (played(final).full_time, played(final).extra_time, played(final).penalties) == (
        (1, 0), (1, 1), (4, 3))
    assert any("property lines" in note for note in s.notes)


SPEC = """= World Cup 2014

Group A  |  Brazil       Croatia              Mexico         Cameroon
Matchday 1  |  Thu Jun 12
Final                  |  Sun Jul 13

Group A

(1) Thu Jun 12 17:00   Brazil - Croatia       @ Arena de São Paulo, São Paulo (UTC-3)
(18) Wed Jun 18 18:00   Cameroon - Croatia     @ Arena Amazônia, Manaus (UTC-4)
"""


def test_the_example_of_the_format_spec() -> None:
    spec = _txt(SPEC, "spec.txt")
    first, last = spec.matches
    assert (first.number, first.group, first.date, first.time, first.utc_offset) == (
        1, "Group A", dt.date(2014, 6, 12), dt.time(17), dt.timedelta(hours=-3))
    assert (first.team1, first.team2, first.result, first.venue) == (
        "Brazil", "Croatia", None, "Arena de São Paulo, São Paulo")
    assert (last.number, last.utc_offset) == (18, dt.timedelta(hours=-4))
    assert spec.groups["Group A"] == ("Brazil", "Croatia", "Mexico", "Cameroon")


# --- errors -------------------------------------------------------------------------------------

HEAD = "= Test Cup 2023/24\n» Final\n[Sat Jun/1]\n"


@pytest.mark.parametrize(("line", "number", "problem"), [
    ("  Arsenal FC 2-1", 4, "cannot tell the two teams apart"),  # no second team
    ("  2-1  Chelsea", 4, "no team before the score"),
    ("  Arsenal FC  2-1 (1-0, 0-0)  Chelsea", 4, "two scores in brackets"),
    ("  Arsenal FC  2-1 (x-y)  Chelsea", 4, "score in brackets"),
    ("  this line means nothing", 4, "cannot read this line"),
    ("  A  B  C  2-1", 4, "cannot tell the two teams apart"),
    ("  Arsenal FC  2-1  Chelsea  [extra stuff]", 4, "is not a team name"),
    ("  Arsenal FC  2-1 [aet]  Chelsea", 4, "not given"),
    ("  Arsenal FC  v  ", 4, "cannot read this line"),
    ("  Arsenal FC  1-1  Chelsea\n    (Saka 10'; Palmer)", 5, "cannot read the scorers"),
    ("  Arsenal FC  2-1  Chelsea\n    (Saka 10' Rice 20' Havertz 30')", 5, "both sides scored"),
    ("  Arsenal FC  2-1  Chelsea\n    (Saka 10'; Palmer 20'; Rice 30')", 5, "more than two"),
    ("  Arsenal FC  2-1  Chelsea\n    (Saka 10'; Palmer 20'", 5, "never closed"),
    ("  Arsenal FC  2-1  Chelsea\n    (Saka 10'; Palmer 20')\n  (Rice 30')", 6, "second list"),
    ("(Saka 10')", 4, "no match before"),
    ("  Arsenal FC  v  Chelsea  [cancelled] x", 4, "cannot read this line"),
    ("  Arsenal FC  v  Chelsea 2-1  [cancelled]", 4, "a score for a match cancelled"),
    ("  Arsenal FC  [cancelled]  Chelsea  [postponed]", 4, "two match statuses"),
    ("  Arsenal FC  5-3 pen.  Chelsea", 4, "penalties without the score after 90"),
    ("  Arsenal FC  2-1 a.e.t., 3-4 pen.  Chelsea", 4, "not given"),
    ("  Arsenal FC  2-1 abd. (1-0)  Chelsea", 4, "half-time score for an abandoned"),
    ("  Arsenal FC  abd. (1-0)  Chelsea", 4, "without a score before it"),
    ("  Arsenal FC  2-1  Chelsea 45'", 4, "is not a team name"),  # a minute
    ("  Arsenal FC  2-1  Chelsea a.e.t.", 4, "is not a team name"),  # a marker after team 2
    ("  Arsenal FC  2-1  pen. Chelsea", 4, "penalties without the score"),
    ("  Arsenal FC (1-0)  2-1  Chelsea", 4, "is not a team name"),
    ("  20:00 UTC+25  Arsenal FC  2-1  Chelsea", 4, "less than 24 hours"),
    ("  Arsenal FC  2-1  Chelsea  @ Wembley (UTC-24)", 4, "less than 24 hours"),
    ("Sun Jun/2 2024 20:00 UTC+24\n  Arsenal FC  2-1  Chelsea", 4, "less than 24 hours"),
])
def test_a_line_that_does_not_parse_names_file_line_and_text(line: str, number: int,
                                                              problem: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_football_txt(HEAD + line + "\n", "bad.txt")
    message = str(err.value)
    assert message.startswith(f"bad.txt:{number}: ") and problem in message
    assert line.splitlines()[number - 4].strip()[:8] in message  # the text of the line
    assert "\n" not in message


@pytest.mark.parametrize(("line", "team2", "full", "extra", "pens", "status"), [
    # the shoot-out between the two teams: never part of a team's name
    ("  Alpha  1-1 a.e.t., 1-3 pen.  Beta\n    (Ann 10'; Bob 80')", "Beta", (1, 1), (1, 1),
     (1, 3), None),
    ("  Alpha  1-1 a.e.t., 3-4 pen. (1-1, 0-0)  Beta", "Beta", (1, 1), (1, 1), (3, 4), None),
    ("  Alpha  Beta  0-0 a.e.t., 3-4 pen.", "Beta", (0, 0), (0, 0), (3, 4), None),
    # level after extra time, no scorers: 90 minutes taken as that score, and said so
    ("  Alpha  1-1 a.e.t., 1-3 pen.  Beta", "Beta", (1, 1), (1, 1), (1, 3), None),
    ("  Alpha  2-1 a.e.t. (1-1, 0-0)  Beta", "Beta", (1, 1), (2, 1), None, None),
    # penalties straight after 90 minutes (domestic cups), after both teams or between them
    ("  Alpha FC v Beta City 5-3 pen. (0-0)", "Beta City", (0, 0), None, (5, 3), None),
    ("  Alpha  5-3 pen. (1-1, 0-1)  Beta", "Beta", (1, 1), None, (5, 3), None),
    ("  Alpha  3-0 awd.  Beta", "Beta", (3, 0), None, None, "awarded"),
    ("  Alpha v Beta  0-3  [awarded]", "Beta", (0, 3), None, None, "awarded"),
    ("  Alpha  abd.  Beta", "Beta", None, None, None, "abandoned"),
    ("  Alpha  2-1 abd.  Beta", "Beta", None, None, None, "abandoned"),
    ("  Alpha  [cancelled]  Beta", "Beta", None, None, None, "cancelled"),
    ("  Alpha v Beta  [canceled]", "Beta", None, None, None, "cancelled"),
    ("  Alpha v Beta  [postponed]  @ Stadium, City", "Beta", None, None, None, "postponed"),
    ("  Alpha  n/p  Beta", "Beta", None, None, None, "cancelled"),
])
def test_every_score_form(line: str, team2: str, full: tuple[int, int] | None,
                          extra: tuple[int, int] | None, pens: tuple[int, int] | None,
                          status: str | None) -> None:
    m = parse_football_txt(HEAD + line + "\n", "forms.txt").matches[0]
    assert (m.team1.split()[0], m.team2, m.status) == ("Alpha", team2, status)
    result = m.result
    got = (result.full_time, result.extra_time, result.penalties) if result else (None,) * 3
    assert got == (full, extra, pens)


def test_a_full_time_score_taken_from_extra_time_is_said() -> None:
    season = parse_football_txt(HEAD + "  Alpha  1-1 a.e.t., 1-3 pen.  Beta\n", "f.txt")
    assert any(n.startswith("f.txt:4: the score after 90 minutes is not given: taken as 1-1")
               for n in season.notes)


def test_a_match_before_any_date_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"^t.txt:2: a match before any date"):
        _txt("= Cup 2024\n  A  1-0  B\n")


def test_one_space_between_unknown_teams_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"^t.txt:3: cannot tell the two teams apart"):
        _txt("= Cup 2024\n[Sat Jun/1]\nAlpha Beta Gamma   1:0\n")


def test_dates_without_year_and_no_season_are_errors() -> None:
    with pytest.raises(ParseError, match=r"^cup.txt:2: a date without a year"):
        parse_football_txt("= Cup\n[Sat Jun/1]\n  A  1-0  B\n", "cup.txt")
    season = parse_football_txt("= Cup\n[Sat Jun/1]\n  A  1-0  B\n", "cup.txt",
                                season="2023/24")
    assert season.matches[0].date == dt.date(2024, 6, 1)


# --- from a file to events: when things happened, in the order they happened ----------------


def _streams(text: str) -> dict[str, list[Draft]]:
    plan, _ = plan_import(Registry(), parse_football_txt(text, "cup.txt"))
    return {stream: drafts for stream, drafts in plan}


def _timeline(text: str, match: str) -> list[tuple[str, str, dt.datetime]]:
    return [(type(d.event).__name__, getattr(d.event, "player", None) or "", d.occurred_at)
            for d in _streams(text)[f"match:{match}"]]


LATE = """= Late Cup 2023/24
▪ Final
Sat May/25 2024
  20:00 UTC+2  Alpha FC   2-1 (1-0)  Beta SC
     (Alpha Striker 10', 90+12'; Beta Forward 50')
"""


def test_goals_are_in_the_order_scored_not_the_order_listed() -> None:
    events = _timeline(LATE, "late-cup-2023-24-f")
    goals = [(who, when) for kind, who, when in events if kind == "GoalScored"]
    kickoff = dt.datetime(2024, 5, 25, 18, 0, tzinfo=UTC)
    assert goals == [("Alpha Striker", kickoff + dt.timedelta(minutes=10)),
                     ("Beta Forward", kickoff + dt.timedelta(minutes=65)),
                     ("Alpha Striker", kickoff + dt.timedelta(minutes=117))]


def test_the_goals_of_the_world_cup_final_follow_the_pitch() -> None:
    streams = _streams((DATA / "2022--qatar_cup_finals.txt").read_text(encoding="utf-8"))
    final = [d.event for d in streams["match:world-cup-2022-f"]
             if isinstance(d.event, GoalScored)]
    assert [g.minute for g in final] == [23, 36, 80, 81, 108, 118]
    for stream, drafts in streams.items():
        if stream.startswith("match:"):
            minutes = [(g.minute, g.added or 0) for g in (d.event for d in drafts)
                       if isinstance(g, GoalScored)]
            times = [d.occurred_at for d in drafts]
            assert minutes == sorted(minutes) and times == sorted(times)


def test_goal_ids_name_the_goal_by_its_place_in_the_file() -> None:
    """Putting goals in the order scored keeps their ids: a file imported before adds
    nothing when imported again."""
    ids = {d.event.minute: d.event_id for d in _streams(LATE)["match:late-cup-2023-24-f"]
           if isinstance(d.event, GoalScored)}
    listed = [GoalScored(team="alpha-fc", player="Alpha Striker", minute=10),
              GoalScored(team="alpha-fc", player="Alpha Striker", minute=90, added=12),
              GoalScored(team="beta-sc", player="Beta Forward", minute=50)]
    assert ids == {g.minute: event_id("late-cup-2023-24-f", "goal", n, *encode(g))
                   for n, g in enumerate(listed)}


def test_the_match_ends_after_a_goal_deep_in_added_time() -> None:
    events = _timeline(LATE, "late-cup-2023-24-f")
    last_goal = max(when for kind, _, when in events if kind == "GoalScored")
    ended = [when for kind, _, when in events if kind in ("MatchEnded", "ResultReported")]
    assert [kind for kind, _, _ in events][-2:] == ["MatchEnded", "ResultReported"]
    assert all(when > last_goal for when in ended)


def test_extra_time_and_the_shoot_out_come_after_a_late_goal_of_the_period_before() -> None:
    text = ("= Late Cup 2023/24\n▪ Final\nSat May/25 2024\n"
            "  20:00 UTC+2  Alpha FC  4-3 pen. 2-2 a.e.t. (1-1, 1-0)  Beta SC\n"
            "     (Alpha Striker 10', 120+11'; Beta Forward 90+11', 91')\n")
    events = _timeline(text, "late-cup-2023-24-f")
    assert [who for kind, who, _ in events if kind == "GoalScored"] == [
        "Alpha Striker", "Beta Forward", "Beta Forward", "Alpha Striker"]
    times = [when for _, _, when in events]
    assert times == sorted(times) and len(set(times[1:-2])) == len(times) - 3
    kickoff = dt.datetime(2024, 5, 25, 18, 0, tzinfo=UTC)
    last_goal = times[-3]
    assert last_goal > kickoff + dt.timedelta(minutes=150)  # 120+11 after a late 90+11
    assert times[-2] == times[-1] == last_goal + dt.timedelta(minutes=16)  # whistle + shoot-out
    assert isinstance(_streams(text)["match:late-cup-2023-24-f"][-2].event, MatchEnded)


def test_competition_facts_come_before_a_kick_off_east_of_utc() -> None:
    text = ("= East Cup 2023/24\n▪ Final\nSat May/25 2024\n"
            "  10:00 UTC+11  Iota   2-1 (1-0)  Kappa\n"
            "     (Iota Striker 10', 60'; Kappa Forward 50')\n")
    streams = _streams(text)
    kickoff = dt.datetime(2024, 5, 24, 23, 0, tzinfo=UTC)
    assert streams["match:east-cup-2023-24-f"][0].occurred_at == kickoff
    facts = streams["competition:east-cup-2023-24"]
    assert {d.occurred_at for d in facts} == {dt.datetime(2024, 5, 24, 13, 0, tzinfo=UTC)}
    assert [type(d.event).__name__ for d in facts][0] == "CompetitionCreated"
    result = streams["match:east-cup-2023-24-f"][-1].event
    assert isinstance(result, ResultReported) and result.full_time == (2, 1)


def test_competition_facts_west_of_utc_stay_at_midnight_utc() -> None:
    text = "= West Cup 2023/24\n▪ Final\nSat May/25 2024\n  10:00 UTC-5  Iota  2-1  Kappa\n"
    facts = _streams(text)["competition:west-cup-2023-24"]
    assert {d.occurred_at for d in facts} == {dt.datetime(2024, 5, 25, 0, 0, tzinfo=UTC)}


def test_a_timezone_option_of_a_day_or_more_is_one_line_error() -> None:
    parsed = parse_football_txt(LATE, "cup.txt")
    with pytest.raises(SourceError, match=r"^time zone 'UTC\+24': a UTC offset must be less "
                                          r"than 24 hours$"):
        plan_import(Registry(), parsed, timezone="UTC+24")
