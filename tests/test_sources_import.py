"""Importing whole seasons into a ledger: structure inferred and said so, ties decided by the
competition's rules, one team across files, nothing twice, all of a file or none of it.

Ties are checked through the ledger's own match states (``events.match.MatchState`` folded
from each match stream), against what really happened in those seasons.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchledger.events import (
    CompetitionCreated,
    Event,
    FixtureScheduled,
    GoalKind,
    GoalScored,
    MatchStarted,
    ResultReported,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.match import MatchState
from matchledger.ledger import (
    Draft,
    InvalidEvent,
    Ledger,
    LedgerError,
    Registry,
    RuleBroken,
    import_lines,
)
from matchledger.ledger.sources import (
    AmbiguousTeam,
    ParseError,
    SourceError,
    import_source,
    plan_import,
    read_source,
)

DATA = Path(__file__).parent / "data"
UTC = dt.UTC


# --- reading a competition back from the ledger ---------------------------------------------------


@attrs.frozen
class Season:
    created: CompetitionCreated
    ties: dict[str, TieDrawn]
    fixtures: dict[str, FixtureScheduled]
    states: dict[str, MatchState]


def season_of(lg: Ledger, comp: str) -> Season:
    created, ties, fixtures = None, {}, {}
    for env in lg.read(stream=f"competition:{comp}"):
        event = env.event
        if isinstance(event, CompetitionCreated):
            created = event
        elif isinstance(event, TieDrawn):
            ties[event.tie] = event
        elif isinstance(event, FixtureScheduled):
            fixtures[event.match] = event
    states = {}
    for match, fx in fixtures.items():
        state = MatchState(home=fx.home, away=fx.away)
        for env in lg.read(stream=f"match:{match}"):
            state = state.apply(env.event, event_id=env.event_id)
        states[match] = state
    assert created is not None
    return Season(created, ties, fixtures, states)


def _for(score: tuple[int, int], fx: FixtureScheduled, first: str) -> tuple[int, int]:
    return score if fx.home == first else (score[1], score[0])


Outcome = tuple[str, str, str | None, str | None, tuple[int, int]]


def outcome(season: Season, tie_id: str) -> Outcome:
    """(team 1, team 2, winner, how, aggregate): decided here from the match states alone."""
    rules = season.created.rules
    legs = sorted((f for f in season.fixtures.values() if f.tie == tie_id),
                  key=lambda f: f.leg or 1)
    a, b = legs[0].home, legs[0].away
    assert a is not None and b is not None
    regular, total, away = [0, 0], [0, 0], [0, 0]
    for fx in legs:
        state = season.states[fx.match]
        assert state.reported is not None, fx.match
        result = state.reported[1]
        for i, n in enumerate(_for(result.full_time, fx, a)):
            regular[i] += n
        for i, n in enumerate(_for(state.total(), fx, a)):
            total[i] += n
        visitor = 1 if fx.home == a else 0
        away[visitor] += state.total()[1] if rules.away_goals_in_extra_time else \
            result.full_time[1]
    reported = season.states[legs[-1].match].reported
    assert reported is not None
    last = reported[1]
    steps = [("aggregate", regular)]
    if rules.away_goals and len(legs) == 2:
        steps.append(("away_goals", away))
    if last.extra_time is not None:
        steps.append(("extra_time", total))
    if last.penalties is not None:
        steps.append(("penalties", list(_for(last.penalties, legs[-1], a))))
    for how, (x, y) in steps:
        if x != y:
            return a, b, (a if x > y else b), how, (total[0], total[1])
    return a, b, None, None, (total[0], total[1])


def ties_decided(season: Season) -> set[tuple[frozenset[str], str | None, str | None, int, int]]:
    """{(the two teams, winner, how, winner's aggregate, loser's aggregate)} of every tie."""
    found = set()
    for tie in season.ties:
        a, b, winner, how, (x, y) = outcome(season, tie)
        mine, theirs = (x, y) if winner == a else (y, x)
        found.add((frozenset((a, b)), winner, how, mine, theirs))
    return found


def champion(season: Season, final: str = "F") -> str | None:
    return outcome(season, final)[2]


def _t(a: str, b: str, winner: str, how: str, mine: int, theirs: int
       ) -> tuple[frozenset[str], str, str, int, int]:
    return frozenset((a, b)), winner, how, mine, theirs


# --- a whole European season from Football.TXT ----------------------------------------------------

EL = "uefa-europa-league-2023-24"
EL_TIES = {
    # play-offs
    _t("feyenoord", "as-roma", "as-roma", "penalties", 2, 2),
    _t("bsc-young-boys", "sporting-cp", "sporting-cp", "aggregate", 4, 2),
    _t("galatasaray", "ac-sparta-praha", "ac-sparta-praha", "aggregate", 6, 4),
    _t("shakhtar-donetsk", "olympique-marseille", "olympique-marseille", "aggregate", 5, 3),
    _t("ac-milan", "stade-rennais", "ac-milan", "aggregate", 5, 3),
    _t("rc-lens", "sc-freiburg", "sc-freiburg", "extra_time", 3, 2),
    _t("sl-benfica", "toulouse-fc", "sl-benfica", "aggregate", 2, 1),
    _t("sporting-braga", "qarabag-fk", "qarabag-fk", "extra_time", 6, 5),
    # round of 16
    _t("sporting-cp", "atalanta", "atalanta", "aggregate", 3, 2),
    _t("ac-sparta-praha", "liverpool-fc", "liverpool-fc", "aggregate", 11, 2),
    _t("as-roma", "brighton-hove-albion", "as-roma", "aggregate", 4, 1),
    _t("qarabag-fk", "bayer-leverkusen", "bayer-leverkusen", "aggregate", 5, 4),
    _t("olympique-marseille", "villarreal-cf", "olympique-marseille", "aggregate", 5, 3),
    _t("sl-benfica", "rangers-fc", "sl-benfica", "aggregate", 3, 2),
    _t("sc-freiburg", "west-ham-united", "west-ham-united", "aggregate", 5, 1),
    _t("ac-milan", "slavia-praha", "ac-milan", "aggregate", 7, 3),
    # quarter-finals, semi-finals, final
    _t("ac-milan", "as-roma", "as-roma", "aggregate", 3, 1),
    _t("liverpool-fc", "atalanta", "atalanta", "aggregate", 3, 1),
    _t("bayer-leverkusen", "west-ham-united", "bayer-leverkusen", "aggregate", 3, 1),
    _t("sl-benfica", "olympique-marseille", "olympique-marseille", "penalties", 2, 2),
    _t("olympique-marseille", "atalanta", "atalanta", "aggregate", 4, 1),
    _t("as-roma", "bayer-leverkusen", "bayer-leverkusen", "aggregate", 4, 2),
    _t("atalanta", "bayer-leverkusen", "atalanta", "aggregate", 3, 0),
}


def test_a_european_season_gives_every_tie_and_the_champion(ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "el_2023-24.txt")
    assert (summary.competition, summary.structure, summary.matches, summary.ties) == (
        EL, "mixed", 141, 23)
    season = season_of(ledger, EL)
    assert ties_decided(season) == EL_TIES
    assert champion(season) == "atalanta"
    assert season.created.format.value == "mixed"
    assert season.created.rules == TieRules()  # no away goals since 2021/22
    assert ledger.verify().ok


def test_the_bracket_is_linked_round_to_round(ledger: Ledger) -> None:
    import_source(ledger, DATA / "el_2023-24.txt")
    season = season_of(ledger, EL)
    final = season.ties["F"]
    assert final.legs == 1 and all(s.winner_of and s.winner_of.startswith("SF")
                                   for s in final.sides)
    for side in final.sides:  # each finalist is the winner of the semi-final its side names
        assert side.winner_of is not None
        assert outcome(season, side.winner_of)[2] in (season.fixtures[f"{EL}-f"].home,
                                                      season.fixtures[f"{EL}-f"].away)
    qf = [t for t in season.ties.values() if t.round == "Quarterfinals"]
    assert len(qf) == 4 and all(s.winner_of for t in qf for s in t.sides)
    r16 = [t for t in season.ties.values() if t.round == "Round of 16"]
    # group winners came straight in; play-off winners are "winner of PO..."
    assert sorted(sum(1 for s in t.sides if s.winner_of) for t in r16) == [1] * 8
    assert all(t.legs == 2 for t in season.ties.values() if t.tie != "F")


def test_what_was_inferred_is_recorded_in_meta_and_summary(ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "el_2023-24.txt")
    assert "round 'Quarterfinals': 4 two-legged tie(s) (legs by date)" in summary.inferred
    assert any("linked as the winner" in note for note in summary.inferred)
    tie = next(e for e in ledger.read(stream=f"competition:{EL}", types=["TieDrawn"])
               if isinstance(e.event, TieDrawn) and e.event.tie == "QF4")
    assert tie.meta["inferred"] == "two-legged tie from round 'Quarterfinals' (legs by date)"
    assert tie.meta["source"].endswith("el_2023-24.txt:226, " + str(DATA / "el_2023-24.txt")
                                       + ":231")
    assert "winner of R16-6" in tie.meta["winner_of"]
    result = next(ledger.read(stream=f"match:{EL}-qf4-leg2"))
    assert result.event == ResultReported(full_time=(1, 0), half_time=(0, 0),
                                          extra_time=(1, 0), penalties=(4, 2),
                                          source=f"{DATA / 'el_2023-24.txt'}:231")
    assert result.meta == {"source": f"{DATA / 'el_2023-24.txt'}:231"}
    assert "\n".join(summary.lines()).count("inferred:") == len(summary.inferred)


CL = "uefa-champions-league-2023-24"


def test_group_stage_without_group_names_gets_groups_from_who_played_whom(
        ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "cl_2023-24.txt")
    assert any(note.startswith("8 groups") for note in summary.inferred)
    season = season_of(ledger, CL)
    groups: dict[str, set[str]] = {}
    for fx in season.fixtures.values():
        if fx.tie is None:
            groups.setdefault(fx.round or "", set()).update((fx.home or "", fx.away or ""))
    assert len(groups) == 8 and all(len(teams) == 4 for teams in groups.values())
    assert {"fc-bayern-munchen", "manchester-united-fc", "galatasaray-sk",
            "fc-kobenhavn"} in groups.values()
    assert ties_decided(season) >= {
        _t("fc-internazionale-milano", "club-atletico-de-madrid", "club-atletico-de-madrid",
           "penalties", 2, 2),
        _t("fc-porto", "arsenal-fc", "arsenal-fc", "penalties", 1, 1),
        _t("real-madrid-cf", "manchester-city-fc", "real-madrid-cf", "penalties", 4, 4),
        _t("club-atletico-de-madrid", "borussia-dortmund", "borussia-dortmund", "aggregate",
           5, 4),
        _t("borussia-dortmund", "real-madrid-cf", "real-madrid-cf", "aggregate", 2, 0),
    }
    assert champion(season) == "real-madrid-cf"


def test_older_uefa_seasons_count_away_goals_unless_the_rules_say_otherwise(
        db_path: Path, tmp_path: Path) -> None:
    with Ledger(db_path) as lg:
        summary = import_source(lg, DATA / "cl_2013-14_finals.txt")
        assert any("away goals rule on" in note for note in summary.inferred)
        season = season_of(lg, "uefa-champions-league-2013-14")
        assert season.created.rules == TieRules(away_goals=True, away_goals_in_extra_time=True)
        decided = ties_decided(season)
        assert _t("paris-saint-germain", "chelsea-fc", "chelsea-fc", "away_goals", 3, 3) \
            in decided
        assert _t("real-madrid", "atletico-madrid", "real-madrid", "extra_time", 4, 1) in decided
        assert season.ties["SF1"].sides[1] == Side(winner_of="QF4")  # Chelsea's side
    with Ledger(tmp_path / "other.db") as lg:
        summary = import_source(lg, DATA / "cl_2013-14_finals.txt", rules=TieRules())
        assert any("QF4" in w and "no winner" in w for w in summary.warnings)
        season = season_of(lg, "uefa-champions-league-2013-14")
        assert season.ties["SF1"].sides[1] == Side(team="chelsea-fc")  # no link: undecided


# --- scorers become goals -------------------------------------------------------------------------


def _events(lg: Ledger, stream: str) -> list[Event]:
    return [env.event for env in lg.read(stream=stream)]


def _fixtures(lg: Ledger, comp: str) -> list[FixtureScheduled]:
    return [e.event for e in lg.read(stream=f"competition:{comp}", types=["FixtureScheduled"])
            if isinstance(e.event, FixtureScheduled)]


def test_scorer_lines_become_goals_with_penalty_and_own_goal_flags(ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "2022--qatar_cup_finals.txt")
    assert summary.goals == 52
    comp = "world-cup-2022"
    australia = _events(ledger, f"match:{comp}-r16-2")
    assert isinstance(australia[0], MatchStarted)
    own = australia[3]
    assert own == GoalScored(team="argentina", player="Enzo Fernández", minute=77,
                             kind=GoalKind.OWN_GOAL)  # the scorer's team; counts for Australia
    assert australia[-1] == ResultReported(full_time=(2, 1), half_time=(1, 0),
                                           source=f"{DATA / '2022--qatar_cup_finals.txt'}:15")
    season = season_of(ledger, comp)
    assert season.states[f"{comp}-r16-2"].score() == (2, 1)
    final = season.states[f"{comp}-f"]
    assert final.status == "finished" and final.total() == (3, 3)
    assert sum(1 for g in final.goals.values() if g.kind is GoalKind.PENALTY) == 3
    assert champion(season) == "argentina"
    assert outcome(season, "3P")[2] == "croatia"
    messi = [g for s in season.states.values() for g in s.goals.values()
             if g.player == "Lionel Messi"]
    assert len(messi) == 5
    # the file's own half-time score contradicts its scorers: said, and both kept
    assert any("contradicts itself" in w for w in summary.warnings)


def test_scorers_that_do_not_add_up_are_left_out_and_said(ledger: Ledger,
                                                          tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n» Final\n[Sat Jun/1]\n  A  2-1 (1-0)  B\n"
                    "     (Alpha 10'; Beta 50' Gamma 60')\n")
    summary = import_source(ledger, path)
    assert summary.goals == 0
    assert summary.warnings == (f"{path}:5: scorers add up to 1-2, the score is 2-1: scorers "
                                "left out, the result kept",)
    assert [type(e).__name__ for e in _events(ledger, "match:cup-2024-f")] == ["ResultReported"]


def test_kickoff_with_a_zone_dates_the_facts_of_the_match(ledger: Ledger) -> None:
    import_source(ledger, DATA / "2018--russia_cup_finals.txt")
    comp = "finals-2018"
    fixtures = {f.match: f for f in _fixtures(ledger, comp)}
    plus3 = dt.timezone(dt.timedelta(hours=3))
    uruguay = next(f for f in fixtures.values() if f.home == "uruguay")
    assert uruguay.kickoff == dt.datetime(2018, 6, 30, 21, 0, tzinfo=plus3)
    assert uruguay.venue == "Fisht Stadium, Sochi"
    envs = list(ledger.read(stream=f"match:{uruguay.match}"))
    assert envs[0].occurred_at == dt.datetime(2018, 6, 30, 18, 0, tzinfo=UTC)  # kick-off
    assert envs[1].occurred_at == dt.datetime(2018, 6, 30, 18, 7, tzinfo=UTC)  # Cavani 7'
    assert envs[-1].occurred_at == dt.datetime(2018, 6, 30, 19, 55, tzinfo=UTC)  # + 1h55
    spain = season_of(ledger, comp).states[f"{comp}-r16-3"]
    assert [(g.team, g.kind) for g in spain.goals.values()] == [
        ("russia", GoalKind.OWN_GOAL), ("russia", GoalKind.PENALTY)]
    assert spain.score() == (1, 1)
    unplayed = next(f for f in fixtures.values() if f.home == "sweden")
    assert unplayed.tie == "R16-7" and not list(ledger.read(stream=f"match:{unplayed.match}"))


def test_without_a_zone_kickoff_is_none_and_results_happen_at_the_end_of_the_day(
        ledger: Ledger) -> None:
    import_source(ledger, DATA / "el_2023-24.txt")
    envelope = next(ledger.read(stream=f"competition:{EL}", types=["FixtureScheduled"]))
    fixture = _fixtures(ledger, EL)[0]
    assert fixture.kickoff is None and envelope.meta["local_time"] == "21:00"
    result = next(ledger.read(stream=f"match:{fixture.match}"))
    assert result.occurred_at == dt.datetime(2023, 9, 21, 23, 59, tzinfo=UTC)


def test_a_timezone_option_gives_kickoffs_their_offset_daylight_saving_included(
        ledger: Ledger) -> None:
    import_source(ledger, DATA / "el_2023-24.txt", timezone="Europe/Berlin")
    kickoffs = [f.kickoff for f in _fixtures(ledger, EL)]
    assert kickoffs[0] == dt.datetime(2023, 9, 21, 21, 0,
                                      tzinfo=dt.timezone(dt.timedelta(hours=2)))
    playoff = dt.datetime(2024, 2, 15, 18, 45, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert playoff in kickoffs
    with pytest.raises(SourceError, match="unknown time zone 'Mars/Olympus'"):
        import_source(ledger, DATA / "el_2023-24.txt", timezone="Mars/Olympus")


# --- leagues --------------------------------------------------------------------------------------


def league_table(season: Season) -> list[tuple[str, int, int, int, int, int, int]]:
    """(team, won, drawn, lost, for, against, points), best first, from the match states."""
    rows: dict[str, list[int]] = {}
    for match, fx in season.fixtures.items():
        state = season.states[match]
        if state.status != "finished":
            continue
        home, away = state.total()
        for team, gf, ga in ((fx.home, home, away), (fx.away, away, home)):
            row = rows.setdefault(team or "", [0, 0, 0, 0, 0])
            row[0 if gf > ga else 1 if gf == ga else 2] += 1
            row[3] += gf
            row[4] += ga
    table = [(t, w, d, l_, gf, ga, 3 * w + d) for t, (w, d, l_, gf, ga) in rows.items()]
    return sorted(table, key=lambda r: (-r[6], -(r[4] - r[5]), -r[4], r[0]))


def test_a_league_season_from_football_json_gives_the_final_table(ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "de.1_2023-24.json")
    assert (summary.structure, summary.ties, summary.matches) == ("league", 0, 306)
    table = league_table(season_of(ledger, "bundesliga-2023-24"))
    assert table[:5] == [
        ("bayer-04-leverkusen", 28, 6, 0, 89, 24, 90),
        ("vfb-stuttgart", 23, 4, 7, 78, 39, 73),
        ("bayern-munchen", 23, 3, 8, 94, 45, 72),
        ("rb-leipzig", 19, 8, 7, 77, 39, 65),
        ("borussia-dortmund", 18, 9, 7, 68, 43, 63),
    ]
    assert table[-3:] == [
        ("vfl-bochum", 7, 12, 15, 42, 74, 33),
        ("1-fc-koln", 5, 12, 17, 28, 60, 27),
        ("sv-darmstadt-98", 3, 8, 23, 30, 86, 17),
    ]


# --- one team across files ------------------------------------------------------------------------


def _results_of(lg: Ledger, team: str) -> list[tuple[dt.date, str, str]]:
    """(date, competition, W/D/L) of every finished match of ``team``, across competitions,
    in kick-off order; a match decided on penalties is a draw."""
    rows = []
    for env in lg.read(types=["FixtureScheduled"]):
        fx = env.event
        assert isinstance(fx, FixtureScheduled)
        if team not in (fx.home, fx.away):
            continue
        state = MatchState(home=fx.home, away=fx.away)
        for m in lg.read(stream=f"match:{fx.match}"):
            state = state.apply(m.event, event_id=m.event_id)
        if state.status != "finished":
            continue
        home, away = state.total()
        mine, theirs = (home, away) if fx.home == team else (away, home)
        when = env.meta.get("local_time", "")
        rows.append((fx.date, when, env.stream.partition(":")[2],
                     "W" if mine > theirs else "D" if mine == theirs else "L"))
    return [(d, comp, r) for d, _, comp, r in sorted(rows)]


def test_one_club_across_a_league_a_cup_and_a_european_season(ledger: Ledger) -> None:
    league = import_source(ledger, DATA / "de.1_2023-24.json")
    cup = import_source(ledger, DATA / "dfb-pokal_2023-24.txt")
    europe = import_source(ledger, DATA / "el_2023-24.txt")
    assert "bayer-04-leverkusen" in league.teams_new
    assert ("Bayer Leverkusen", "bayer-04-leverkusen", "normalised form") in {
        (m.name, m.team, m.how) for m in cup.teams_matched}
    assert ("1899 Hoffenheim", "tsg-1899-hoffenheim") in {
        (m.name, m.team) for m in cup.teams_matched}
    assert "bayer-04-leverkusen" not in europe.teams_new
    assert ledger.registry().resolve_team("Bayer Leverkusen (GER)") == "bayer-04-leverkusen"
    results = _results_of(ledger, "bayer-04-leverkusen")
    assert len(results) == 34 + 6 + 13
    runs, run = [], 0
    for _, _, result in results:
        run = run + 1 if result != "L" else 0
        runs.append(run)
    assert max(runs) == 51  # the unbeaten run across the three competitions
    first_loss = next(r for r in results if r[2] == "L")
    assert first_loss == (dt.date(2024, 5, 22), EL, "L")  # the Europa League final
    cup_final = season_of(ledger, "dfb-pokal-2023-24")
    assert champion(cup_final) == "bayer-04-leverkusen"


def test_brackets_tables_and_streaks_span_the_imported_competitions(ledger: Ledger) -> None:
    from matchledger.projections import bracket, fold_all, streaks, table

    for name in ("de.1_2023-24.json", "dfb-pokal_2023-24.txt", "el_2023-24.txt"):
        import_source(ledger, DATA / name)
    state = fold_all(ledger.read())
    final = bracket(state, EL).rounds[-1].ties[0]
    assert (final.winner, final.aggregate) == ("atalanta", (3, 0))
    assert bracket(state, "dfb-pokal-2023-24").rounds[-1].ties[0].winner == \
        "bayer-04-leverkusen"
    top = table(state, "bundesliga-2023-24")[0]
    assert (top.team, top.points, top.lost) == ("bayer-04-leverkusen", 90, 0)
    unbeaten = streaks(state, "bayer-04-leverkusen").unbeaten
    assert (unbeaten.longest.length, unbeaten.current.length) == (51, 1)


def test_a_close_but_unknown_name_is_refused_with_candidates_until_an_alias_settles_it(
        ledger: Ledger) -> None:
    import_source(ledger, DATA / "el_2023-24.txt")
    head = ledger.head()
    with pytest.raises(AmbiguousTeam) as err:
        import_source(ledger, DATA / "cl_2023-24.txt")
    message = str(err.value)
    assert message.startswith(f"{DATA / 'cl_2023-24.txt'}: 3 team names need settling")
    assert "'Feyenoord Rotterdam' is not a known team but is close to 'Feyenoord' (feyenoord)" \
        in message
    assert "'Sport Lisboa e Benfica'" in message and "'SL Benfica' (sl-benfica)" in message
    assert "'Racing Club de Lens'" in message and "'RC Lens' (rc-lens)" in message
    assert ledger.head() == head
    summary = import_source(ledger, DATA / "cl_2023-24.txt", aliases={
        "Feyenoord Rotterdam": "feyenoord", "Sport Lisboa e Benfica": "sl-benfica",
        "Racing Club de Lens": "racing-club-de-lens"})  # a new id: settled as another club
    how = {m.name: (m.team, m.how) for m in summary.teams_matched}
    assert how["Feyenoord Rotterdam"] == ("feyenoord", "alias map")
    assert how["Galatasaray SK"] == ("galatasaray", "normalised form")
    assert "racing-club-de-lens" in summary.teams_new
    assert ledger.registry().resolve_team("Feyenoord Rotterdam (NED)") == "feyenoord"


def _register(lg: Ledger, *teams: TeamRegistered) -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=UTC)
    events: list[Event] = [CompetitionCreated(competition="friendlies", name="Friendlies",
                                              season="2024"), *teams]
    lg.append("competition:friendlies", [Draft(event=e, occurred_at=when) for e in events])


def test_an_ambiguous_name_is_refused_with_both_candidates(ledger: Ledger,
                                                           tmp_path: Path) -> None:
    _register(ledger, TeamRegistered(team="fc-barcelona", name="FC Barcelona", country="ESP"),
              TeamRegistered(team="barcelona-sc", name="Barcelona SC", country="ECU"))
    path = tmp_path / "cup.txt"
    path.write_text("= Cup 2024\n» Final\n[Sat Jul/20]\n  Barcelona  1-0  Real Madrid\n")
    with pytest.raises(AmbiguousTeam, match=r"'Barcelona' is ambiguous: it could be "
                       r"'FC Barcelona' \(fc-barcelona\), 'Barcelona SC' \(barcelona-sc\)"):
        import_source(ledger, path)
    country = tmp_path / "cup2025.txt"
    country.write_text("= Cup 2025\n» Final\n[Sat Jul/19]\n  Barcelona (ECU)  1-0  Real Madrid\n")
    summary = import_source(ledger, country)  # a country code settles it too
    assert ("Barcelona", "barcelona-sc", "normalised form and country") in {
        (m.name, m.team, m.how) for m in summary.teams_matched}
    assert ledger.registry().teams["barcelona-sc"].aliases == ()  # not learnt as an alias
    summary = import_source(ledger, path, aliases={"Barcelona": "fc-barcelona"})
    assert ("Barcelona", "fc-barcelona", "alias map") in {(m.name, m.team, m.how)
                                                          for m in summary.teams_matched}
    assert ledger.resolve_team("Barcelona") == "fc-barcelona"  # learnt: the user said so


# --- idempotency, all or nothing ------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing(
        ledger: Ledger, tmp_path: Path) -> None:
    first = import_source(ledger, DATA / "el_2023-24.txt")
    head = ledger.head()
    copy = tmp_path / "elsewhere" / "el_2023-24.txt"  # the same file by another path
    copy.parent.mkdir()
    copy.write_bytes((DATA / "el_2023-24.txt").read_bytes())
    again = import_source(ledger, copy)
    assert (first.added, first.skipped) == (head, 0)
    assert (again.added, again.skipped) == (0, head)
    assert ledger.head() == head and ledger.verify().ok


def test_other_rules_for_a_competition_already_imported_are_refused(ledger: Ledger) -> None:
    import_source(ledger, DATA / "el_2023-24.txt")
    with pytest.raises(SourceError, match=f"competition '{EL}' exists with other tie rules"):
        import_source(ledger, DATA / "el_2023-24.txt", rules=TieRules(away_goals=True))


def test_matches_already_in_the_ledger_under_other_ids_are_not_recorded_twice(
        ledger: Ledger) -> None:
    with open(Path(__file__).parent.parent / "events" / "seed.jsonl", encoding="utf-8") as f:
        import_lines(ledger, f)  # the hand-entered quarter-finals of the same season
    head = ledger.head()
    with pytest.raises(SourceError) as err:
        import_source(ledger, DATA / "el_2023-24.txt")
    assert str(err.value).startswith(  # the last-16 second leg and the quarter-finals
        f"9 match(es) of {DATA / 'el_2023-24.txt'} are in the ledger already under other ids "
        f"({DATA / 'el_2023-24.txt'}:218: leverkusen v qarabag on 2024-03-14 is match "
        "uel24-r16-lev-qar-leg2 of uel-2023-24, ...): importing them again would count them "
        "twice")
    assert ledger.head() == head
    summary = import_source(ledger, DATA / "el_2023-24.txt", allow_duplicates=True)
    assert sum(w.startswith("recorded twice: ") for w in summary.warnings) == 9
    assert {m.team for m in summary.teams_matched} >= {"liverpool", "benfica", "qarabag"}
    with pytest.raises(SourceError, match="under other ids"):  # the same file, another id
        import_source(ledger, DATA / "el_2023-24.txt", competition="el-again")


def test_event_ids_are_deterministic() -> None:
    parsed = read_source(DATA / "cl_2013-14_finals.txt")
    ids = [[d.event_id for d in drafts] for _, drafts in plan_import(Registry(), parsed)[0]]
    again = [[d.event_id for d in drafts]
             for _, drafts in plan_import(Registry(), read_source(
                 DATA / "cl_2013-14_finals.txt"))[0]]
    assert ids == again and len({i for stream in ids for i in stream}) == sum(map(len, ids))


def _copy(tmp_path: Path, name: str, edit: Iterable[tuple[str, str]] = (),
          upto: str | None = None) -> Path:
    text = (DATA / name).read_text(encoding="utf-8")
    if upto is not None:
        text = text[: text.index(upto)]
    for old, new in edit:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_newer_file_adds_only_what_is_new(ledger: Ledger, tmp_path: Path) -> None:
    early = import_source(ledger, _copy(tmp_path, "el_2023-24.txt", upto="» Playoffs"))
    assert (early.matches, early.ties, early.structure) == (96, 0, "league")
    shutil.copy(DATA / "el_2023-24.txt", tmp_path / "el_2023-24.txt")
    later = import_source(ledger, tmp_path / "el_2023-24.txt")
    assert later.skipped == early.added  # the group stage again: nothing new in it
    assert later.added > 0 and any("exists as league; kept" in n for n in later.inferred)
    assert champion(season_of(ledger, EL)) == "atalanta"


def test_a_changed_result_is_refused_loudly_and_the_file_writes_nothing(
        ledger: Ledger, tmp_path: Path) -> None:
    import_source(ledger, _copy(tmp_path, "el_2023-24.txt", upto="» Playoffs"))
    head = ledger.head()
    changed = _copy(tmp_path, "el_2023-24.txt", edit=[(
        "West Ham United (ENG)   v SC Freiburg (GER)        2-0 (2-0)",
        "West Ham United (ENG)   v SC Freiburg (GER)        2-1 (2-0)")])
    with pytest.raises(RuleBroken) as err:
        import_source(ledger, changed)
    assert str(err.value).startswith(f"{changed}:27: ")
    assert "a result is already reported: retract it first" in str(err.value)
    assert ledger.head() == head  # the play-offs and the rest were not written either


def test_a_line_that_does_not_parse_writes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    broken = _copy(tmp_path, "el_2023-24.txt", edit=[(
        "    21.00  Atalanta (ITA)          v Bayer Leverkusen (GER)   3-0 (2-0)",
        "    21.00  Atalanta (ITA)          v Bayer Leverkusen (GER)   3-0 (2-0) (1-0)")])
    with pytest.raises(ParseError, match=rf"^{broken}:245: "):
        import_source(ledger, broken)
    assert ledger.head() == 0


FUTURE = """= Future League 2030/31

» Matchday 1
  Sat Aug/10
    15.00  Alpha FC   v Beta FC
           Gamma FC   v Delta FC
» Matchday 2
  Sat Aug/17
    15.00  Beta FC   v Gamma FC{result}
"""


def test_a_season_still_to_come_is_scheduled_now_and_its_results_refused(
        ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "future.txt"
    path.write_text(FUTURE.format(result="   1-0"), encoding="utf-8")
    with pytest.raises(InvalidEvent, match=rf"^{path}:9: .* is after it was recorded"):
        import_source(ledger, path)
    assert ledger.head() == 0
    path.write_text(FUTURE.format(result=""), encoding="utf-8")
    before = dt.datetime.now(dt.UTC)
    assert import_source(ledger, path).added == 8
    after = dt.datetime.now(dt.UTC)
    assert all(before <= e.occurred_at <= after for e in ledger.read())  # now, not in 2030
    assert {e.event.date.year for e in ledger.read(types={"FixtureScheduled"})
            if isinstance(e.event, FixtureScheduled)} == {2030}


# --- other shapes ---------------------------------------------------------------------------------


def test_replays_are_ties_of_two_matches_decided_by_the_replay(ledger: Ledger) -> None:
    summary = import_source(ledger, DATA / "facup_2023-24_round1.txt")
    assert "round 'Round 1': 5 one-match tie(s), 3 of them replayed after a draw" in \
        summary.inferred[-1]
    season = season_of(ledger, "english-fa-cup-2023-24")
    assert ties_decided(season) == {
        _t("barnsley-fc", "horsham-fc", "barnsley-fc", "aggregate", 6, 3),
        _t("sheppey-united", "walsall-fc", "walsall-fc", "aggregate", 4, 1),
        _t("peterborough-united", "salford-city", "peterborough-united", "penalties", 6, 6),
        _t("scarborough-athletic-fc", "forest-green-rovers", "forest-green-rovers",
           "aggregate", 5, 3),
        _t("notts-county", "crawley-town", "notts-county", "aggregate", 3, 2),
    }


def test_a_knockout_round_where_teams_meet_several_opponents_is_a_round_robin(
        ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "1950.txt"
    path.write_text("= Mini Cup 1950\n» Final round\n[Sun Jul/9]\n  A  1-0  B\n  C  2-2  D\n"
                    "[Thu Jul/13]\n  A  0-0  C\n  B  1-3  D\n[Sun Jul/16]\n  A  2-1  D\n"
                    "  B  1-1  C\n")
    summary = import_source(ledger, path)
    assert (summary.structure, summary.ties) == ("league", 0)
    assert any("round robin" in note for note in summary.inferred)
    table = league_table(season_of(ledger, "mini-cup-1950"))
    assert [row[0] for row in table] == ["a", "d", "c", "b"]


def test_round_kinds_override_the_inference(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "cup.txt"
    path.write_text("= Mini League 2024\n» Round 1\n[Sat Jun/1]\n  A  1-0  B\n  C  2-2  D\n")
    assert import_source(ledger, path, round_kinds={"Round 1": "knockout"}).ties == 2


def test_plan_without_a_ledger_and_its_streams() -> None:
    plan, summary = plan_import(Registry(), read_source(DATA / "sampler.txt"))
    streams = [stream for stream, _ in plan]
    assert streams[0] == "competition:sampler-cup-2013-14"
    assert "match:sampler-cup-2013-14-sf1-leg2" in streams
    assert "match:sampler-cup-2013-14-group-a-delta-alpha-fc" not in streams  # not played
    comp = [d.event for d in plan[0][1]]
    assert [type(e).__name__ for e in comp[:5]] == ["CompetitionCreated"] + ["TeamRegistered"] * 4
    fixtures = [e for e in comp if isinstance(e, FixtureScheduled)]
    assert {f.round for f in fixtures} == {"Group A", "Semi-finals", "Final"}  # "Group A | ..."
    assert summary.teams_new == ("alpha-fc", "beta", "gamma-sc", "delta")


# --- any season file ------------------------------------------------------------------------

CLUBS_SPELT = (("Alpha FC", "Alpha"), ("Beta (GER)", "Beta"), ("Gamma SC",), ("Delta",),
               ("Ολυμπιακός",), ("Athletic Epsilon", "Athletic Eps."))
SCORES = ("", "2-1", "0-0", "2-1 (1-0)", "1-1 a.e.t. (1-1, 0-0)", "2-1 a.e.t. (1-1, 1-0)",
          "3-2 pen. 1-1 a.e.t. (1-1, 0-0)", "1-1 (0-1)")
ROUNDS = ("Round 1", "Quarterfinals", "Semifinals", "Final", "Matchday 2", "Group A",
          "Quarterfinals - 2nd Leg")


@st.composite
def season_files(draw: st.DrawFn) -> str:
    """A Football.TXT season as people write them: rounds, dates, kick-offs, matches with any
    of the score spellings, scorer lines, and now and then a line of anything."""
    lines = ["= Fuzz Cup 2023/24", ""]
    day = dt.date(2023, 9, 1)
    for _ in range(draw(st.integers(1, 4))):
        lines.append(draw(st.sampled_from(ROUNDS)))
        for _ in range(draw(st.integers(1, 2))):
            day += dt.timedelta(days=draw(st.integers(1, 40)))
            lines.append(f"[{day:%a %b/%-d}]")
            for _ in range(draw(st.integers(1, 3))):
                clubs = draw(st.lists(st.sampled_from(CLUBS_SPELT), min_size=2, max_size=2,
                                      unique=True))
                home, away = (draw(st.sampled_from(club)) for club in clubs)
                score = draw(st.sampled_from(SCORES))
                lines.append(f"  20.45  {home}  {score or 'v'}  {away}")
                if draw(st.integers(0, 3)) == 0:
                    lines.append(f"    [{draw(st.sampled_from(('Ann', 'Bo')))} "
                                 f"{draw(st.integers(1, 130))}'; Cy 5' (pen.)]")
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.text(max_size=30).filter(lambda t: "\n" not in t
                                                          and "\r" not in t)))
        lines.append("")
    return "\n".join(lines) + "\n"


def test_a_file_with_one_match_twice_in_a_day_imports_again_adding_nothing(
        ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "cup_2023-24.txt"
    path.write_text("= Fuzz Cup 2023/24\n\nRound 1\n[Sat Sep/2]\n  20.45  Beta  v  Delta\n"
                    "  20.45  Beta  v  Delta\n", encoding="utf-8")
    assert import_source(ledger, path).matches == 2
    assert import_source(ledger, path).added == 0


@settings(max_examples=40, deadline=None)
@given(text=season_files())
def test_any_season_file_imports_whole_or_is_refused_leaving_the_ledger_as_it_was(
        text: str) -> None:
    """Whatever a season file says, it is imported whole or refused with a ledger error (a
    line that does not parse names file and line); a refusal writes nothing, and a file that
    went in goes in again adding nothing."""
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as lg:
        path = Path(folder) / "cup_2023-24.txt"
        path.write_text(text, encoding="utf-8")
        try:
            summary = import_source(lg, path)
        except LedgerError:
            assert lg.head() == 0
            return
        assert lg.head() == summary.added and lg.verify().ok
        assert import_source(lg, path).added == 0
