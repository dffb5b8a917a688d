"""Projections as pure folds: every view tested with a list of envelopes and no database.

The sample log (``projections.testing``) is the Europa League 2023/24 quarter-finals; small
cups built here pin down the rules of ties, records, streaks and players one by one.
"""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import json
from collections.abc import Collection, Iterable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchledger.events import (
    Card,
    CardShown,
    CompetitionCreated,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    KickOutcome,
    MatchAbandoned,
    Period,
    PeriodEnded,
    PeriodStarted,
    ResultReported,
    ShootoutKick,
    Side,
    TeamRegistered,
    TieDrawn,
    TieRules,
)
from matchledger.events.catalogue import MatchEnded
from matchledger.ledger.envelope import Envelope
from matchledger.projections import (
    KINDS,
    AmbiguousTie,
    State,
    UnknownCompetition,
    UnknownMatch,
    UnknownTeam,
    UnknownTie,
    bracket,
    fold,
    fold_all,
    players,
    scoreboard,
    streaks,
    table,
    team_record,
    tie,
    to_json,
)
from matchledger.projections.book import COUNTS, Book, Piece, Summary
from matchledger.projections.records import Outcome, Streaks, streaks_of
from matchledger.projections.testing import (
    FIRST_LEGS,
    SECOND_LEGS,
    LogBuilder,
    Step,
    at,
    goal,
    play,
    regulation,
    sample_log,
    sample_state,
)

UTC = dt.UTC
APRIL_12 = dt.datetime(2024, 4, 12, tzinfo=UTC)
APRIL_19 = dt.datetime(2024, 4, 19, tzinfo=UTC)
DRAWN = dt.datetime(2019, 1, 1, tzinfo=UTC)
KICKOFF = dt.datetime(2019, 2, 1, 20, 0, tzinfo=UTC)
UEFA = "uel-2023-24"


# --- small cups --------------------------------------------------------------------------------


UEFA_RULES = TieRules()


def cup(log: LogBuilder, *, rules: TieRules = UEFA_RULES, legs: int = 2,
        teams: tuple[str, str] = ("a", "b"), competition: str = "cup") -> None:
    """A competition with one tie T1 between ``teams`` (the first at home first)."""
    stream = f"competition:{competition}"
    log.add(stream, CompetitionCreated(competition=competition, name=competition.title(),
                                       season="2019/20", rules=rules), occurred_at=DRAWN)
    for team in teams:
        log.add(stream, TeamRegistered(team=team, name=team.upper()), occurred_at=DRAWN)
    log.add(stream, TieDrawn(round="F", tie="T1", legs=legs,
                             sides=(Side(team=teams[0]), Side(team=teams[1]))),
            occurred_at=DRAWN)
    for leg in range(1, legs + 1):
        home, away = teams if leg == 1 else teams[::-1]
        kickoff = KICKOFF + dt.timedelta(days=7 * (leg - 1))
        log.add(stream, FixtureScheduled(match=f"t1-leg{leg}", date=kickoff.date(),
                                         kickoff=kickoff, home=home, away=away, tie="T1",
                                         leg=leg, round="F"), occurred_at=DRAWN)


def kickoff_of(leg: int) -> dt.datetime:
    return KICKOFF + dt.timedelta(days=7 * (leg - 1))


def steps(goals: Iterable[tuple[int, str]] = (), extra: Iterable[tuple[int, str]] | None = None,
          kicks: Iterable[tuple[str, KickOutcome]] | None = None) -> list[Step]:
    """A whole match: goals (minute, team) in 90 minutes, then extra time, then kicks."""
    played = regulation([goal(m, t, f"{t}-{m}") for m, t in goals], end=False)
    if extra is not None:
        played += [(91, PeriodStarted(period=Period.EXTRA_FIRST))]
        played += [goal(m, t, f"{t}-{m}") for m, t in extra]
        played += [(120, PeriodEnded(period=Period.EXTRA_FIRST)),
                   (120, PeriodStarted(period=Period.EXTRA_SECOND)),
                   (120, PeriodEnded(period=Period.EXTRA_SECOND))]
    if kicks is not None:
        played += [(121, PeriodStarted(period=Period.SHOOTOUT))]
        played += [(122, ShootoutKick(team=t, outcome=o)) for t, o in kicks]
        played += [(125, PeriodEnded(period=Period.SHOOTOUT))]
    return [*played, (125, MatchEnded())]


SCORED, MISSED = KickOutcome.SCORED, KickOutcome.MISSED


def shootout(a: int, b: int, first: str = "a", second: str = "b"
             ) -> list[tuple[str, KickOutcome]]:
    """Five kicks each, ``a`` and ``b`` of them scored."""
    kicks = []
    for i in range(5):
        kicks += [(first, SCORED if i < a else MISSED), (second, SCORED if i < b else MISSED)]
    return kicks


def state_of(log: LogBuilder) -> State:
    return fold_all(log.envelopes)


# --- the sample: the Europa League quarter-finals ----------------------------------------------


def test_fold_of_the_sample_gives_the_quarter_final_results() -> None:
    state = sample_state()
    got = {t.tie: (t.sides[0].team, t.sides[1].team, t.aggregate, t.winner, t.decided_by)
           for t in (tie(state, f"QF{i}") for i in range(1, 5))}
    assert got == {
        "QF1": ("ac-milan", "roma", (1, 3), "roma", "aggregate"),
        "QF2": ("liverpool", "atalanta", (1, 3), "atalanta", "aggregate"),
        "QF3": ("leverkusen", "west-ham", (3, 1), "leverkusen", "aggregate"),
        "QF4": ("benfica", "marseille", (2, 2), "marseille", "penalties"),
    }


def test_bracket_resolves_semi_final_sides_once_quarter_finals_are_decided() -> None:
    view = bracket(sample_state(), UEFA)
    assert [r.round for r in view.rounds] == ["QF", "SF"]
    sf1, sf2 = view.rounds[1].ties
    assert [s.team for s in sf1.sides] == ["marseille", "atalanta"]
    assert [s.winner_of for s in sf1.sides] == ["QF4", "QF2"]
    assert [s.team for s in sf2.sides] == ["roma", "leverkusen"]
    assert view.open == ("SF1", "SF2")
    assert set(view.alive) == {"marseille", "atalanta", "roma", "leverkusen"}
    assert [(p.tie, p.status) for p in view.paths["marseille"]] == [("QF4", "won"),
                                                                   ("SF1", "open")]
    assert [(p.tie, p.status) for p in view.paths["benfica"]] == [("QF4", "lost")]


def test_bracket_as_of_12_april_shows_first_legs_and_open_semi_finals() -> None:
    view = bracket(sample_state(as_of=APRIL_12), UEFA)
    quarter_finals = view.rounds[0].ties
    assert [t.aggregate for t in quarter_finals] == [(0, 1), (0, 3), (2, 0), (2, 1)]
    assert [t.winner for t in quarter_finals] == [None] * 4
    assert [[leg.status for leg in t.legs] for t in quarter_finals] == [
        ["finished", "scheduled"]] * 4
    data = to_json(view)
    sf1, sf2 = data["rounds"][1]["ties"]
    assert sf1["sides"] == [{"winner_of": "QF4", "candidates": ["benfica", "marseille"]},
                            {"winner_of": "QF2", "candidates": ["liverpool", "atalanta"]}]
    assert sf2["sides"] == [{"winner_of": "QF1", "candidates": ["ac-milan", "roma"]},
                            {"winner_of": "QF3", "candidates": ["leverkusen", "west-ham"]}]
    assert [(p.tie, p.status) for p in view.paths["marseille"]] == [("QF4", "open"),
                                                                   ("SF1", "possible")]


def test_known_at_before_second_legs_were_recorded_hides_them_even_as_of_later() -> None:
    log = LogBuilder()
    from matchledger.projections.testing import draw, first_legs, second_legs

    draw(log)
    first_legs(log)
    second_legs(log, recorded_at=dt.datetime(2024, 4, 19, 7, 25, tzinfo=UTC))  # a day late
    known = dt.datetime(2024, 4, 18, 12, 0, tzinfo=UTC)
    filtered = [e for e in log.envelopes if e.occurred_at <= APRIL_19 and e.recorded_at <= known]
    believed = to_json(bracket(fold_all(filtered), UEFA))
    then = to_json(bracket(fold_all(e for e in log.envelopes if e.occurred_at <= APRIL_12), UEFA))
    assert believed == then


def test_scoreboard_shows_periods_disallowed_goals_and_the_shootout() -> None:
    state = sample_state()
    board = scoreboard(state, "qf2-leg1")
    assert (board.score, board.half_time, board.full_time, board.extra_time) == (
        (0, 3), (0, 1), (0, 3), None)
    assert [(g.player, g.disallowed) for g in board.goals] == [
        ("Mohamed Salah", True), ("Gianluca Scamacca", False), ("Gianluca Scamacca", False),
        ("Mario Pasalic", False)]
    shootout_board = scoreboard(state, "qf4-leg2")
    assert shootout_board.score == (1, 0)
    assert shootout_board.extra_time == (1, 0)
    assert shootout_board.penalties == (4, 2)
    assert len(shootout_board.kicks) == 8
    red = scoreboard(state, "qf1-leg2")
    assert red.sent_off == (("roma", "Zeki Celik"),)
    assert [c.card for c in red.cards] == [Card.RED]


def test_scoreboard_status_runs_scheduled_live_finished() -> None:
    during = sample_state(as_of=FIRST_LEGS + dt.timedelta(minutes=40))
    live = scoreboard(during, "qf2-leg1")
    assert (live.status, live.minute, live.period, live.score) == (
        "live", 38, Period.FIRST_HALF, (0, 1))
    assert live.half_time is None and live.full_time is None
    assert scoreboard(during, "qf2-leg2").status == "scheduled"
    assert scoreboard(sample_state(), "qf2-leg1").status == "finished"
    assert scoreboard(sample_state(), "qf2-leg1").minute is None
    with pytest.raises(UnknownMatch):
        scoreboard(during, "no-such-match")


def test_a_leg_scheduled_by_its_tie_alone_is_in_the_ties_round() -> None:
    log = LogBuilder()
    cup(log)
    log.add("competition:cup", FixtureScheduled(match="t1-leg1", date=KICKOFF.date(), tie="T1",
                                                leg=1), occurred_at=DRAWN)  # no round given
    state = state_of(log)
    assert scoreboard(state, "t1-leg1").round == "F"
    assert to_json(scoreboard(state, "t1-leg1"))["round"] == "F"
    assert scoreboard(state, "t1-leg2").round == "F"


def test_a_team_registered_again_under_a_new_name_keeps_the_old_one_as_an_alias() -> None:
    log = LogBuilder()
    cup(log)
    log.add("competition:cup", TeamRegistered(team="a", name="Alpha FC", aliases=("Alpha",)),
            occurred_at=DRAWN)
    team = state_of(log).teams["a"]
    assert (team.name, team.aliases) == ("Alpha FC", ("Alpha", "A"))


def test_abandoned_match_shows_its_minute_and_counts_nowhere() -> None:
    log = LogBuilder()
    cup(log, legs=1)
    play(log, "t1-leg1", KICKOFF, [*regulation([goal(10, "a", "A1")], end=False)[:3],
                                   (30, MatchAbandoned(reason="fog", minute=30))])
    state = state_of(log)
    board = scoreboard(state, "t1-leg1")
    assert (board.status, board.minute, board.score) == ("abandoned", 30, (1, 0))
    assert team_record(state, "a").played == 0
    assert players(state) == ()
    assert tie(state, "T1").winner is None


def test_own_goal_counts_for_the_other_side_and_is_no_goal_of_the_scorer() -> None:
    log = LogBuilder()
    cup(log, legs=1)
    play(log, "t1-leg1", KICKOFF, regulation([
        goal(10, "a", "Ann", GoalKind.OWN_GOAL), goal(20, "a", "Bea", GoalKind.PENALTY)]))
    state = state_of(log)
    assert scoreboard(state, "t1-leg1").score == (1, 1)
    assert [g.team for g in scoreboard(state, "t1-leg1").goals] == ["b", "a"]
    rows = {p.player: (p.goals, p.penalties, p.own_goals) for p in players(state)}
    assert rows == {"Ann": (0, 0, 1), "Bea": (1, 1, 0)}


def test_result_reported_stands_in_for_a_match_without_events() -> None:
    log = LogBuilder()
    cup(log, legs=1)
    play(log, "t1-leg1", KICKOFF, [(130, ResultReported(full_time=(1, 1), half_time=(0, 1),
                                                         extra_time=(2, 2),
                                                         penalties=(5, 4)))])
    state = state_of(log)
    board = scoreboard(state, "t1-leg1")
    assert (board.status, board.score, board.half_time, board.full_time, board.extra_time,
            board.penalties) == ("finished", (2, 2), (0, 1), (1, 1), (2, 2), (5, 4))
    view = tie(state, "T1")
    assert (view.winner, view.decided_by) == ("a", "penalties")
    assert team_record(state, "a").drawn == 1


# --- how a tie is decided ------------------------------------------------------------------------

OLD = TieRules(away_goals=True)  # before UEFA 2021/22
OLD_ET = TieRules(away_goals=True, away_goals_in_extra_time=True)


@pytest.mark.parametrize(
    ("rules", "first", "second", "extra", "kicks", "expected"),
    [
        # first leg a at home, second leg b at home; goals as (minute, scorer's team)
        (TieRules(), [(10, "a")], [(10, "a")], None, None, ("a", "aggregate", (2, 0))),
        (TieRules(), [(10, "a"), (20, "a")], [(10, "b")], None, None,
         ("a", "aggregate", (2, 1))),
        # level; away goals off (UEFA from 2021/22): extra time decides
        (TieRules(), [(10, "a"), (20, "b")], [(10, "b"), (20, "a")], [(100, "b")], None,
         ("b", "extra_time", (2, 3))),
        # same goals with away goals on: level on away goals too, so extra time still
        (OLD, [(10, "a"), (20, "b")], [(10, "b"), (20, "a")], [(100, "b")], None,
         ("b", "extra_time", (2, 3))),
        # 2-1 then 0-1: 2-2 on aggregate, b scored once away, a never
        (OLD, [(10, "a"), (20, "a"), (30, "b")], [(10, "b")], None, None,
         ("b", "away_goals", (2, 2))),
        (TieRules(), [(10, "a"), (20, "a"), (30, "b")], [(10, "b")], [], shootout(3, 4),
         ("b", "penalties", (2, 2))),
        # 1-0, 0-1, then 1-1 in extra time: a's goal is an away goal (b at home)
        (OLD_ET, [(10, "a")], [(10, "b")], [(100, "a"), (110, "b")], None,
         ("a", "away_goals", (2, 2))),
        (OLD, [(10, "a")], [(10, "b")], [(100, "a"), (110, "b")], shootout(2, 4, "b", "a"),
         ("a", "penalties", (2, 2))),
    ],
)
def test_two_legged_tie_is_decided_under_the_competitions_rules(
    rules: TieRules, first: list[tuple[int, str]], second: list[tuple[int, str]],
    extra: list[tuple[int, str]] | None, kicks: list[tuple[str, KickOutcome]] | None,
    expected: tuple[str, str, tuple[int, int]],
) -> None:
    log = LogBuilder()
    cup(log, rules=rules)
    play(log, "t1-leg1", kickoff_of(1), steps(first))
    play(log, "t1-leg2", kickoff_of(2), steps(second, extra, kicks))
    view = tie(state_of(log), "T1")
    assert (view.winner, view.decided_by, view.aggregate) == expected


def test_single_match_tie_goes_to_penalties_and_counts_as_a_draw() -> None:
    log = LogBuilder()
    cup(log, legs=1)
    play(log, "t1-leg1", KICKOFF, steps([(10, "a"), (80, "b")], [], shootout(4, 5)))
    state = state_of(log)
    view = tie(state, "T1")
    assert (view.winner, view.decided_by, view.aggregate) == ("b", "penalties", (1, 1))
    assert [view.legs[0].penalties, view.legs[0].extra_time] == [(4, 5), True]
    for team in ("a", "b"):
        record = team_record(state, team)
        assert (record.drawn, record.goals_for, record.goals_against) == (1, 1, 1)
        assert streaks(state, team).unbeaten.current.draws == 1


def test_tie_is_undecided_until_its_last_leg_is_finished() -> None:
    log = LogBuilder()
    cup(log)
    play(log, "t1-leg1", kickoff_of(1), steps([(10, "a"), (20, "a"), (30, "a")]))
    second = play(log, "t1-leg2", kickoff_of(2), steps([(10, "b")]))
    during = fold_all(e for e in log.envelopes if e.position < second[-1].position)
    view = tie(during, "T1")
    assert (view.aggregate, view.winner, view.decided_by) == ((3, 1), None, None)
    assert view.legs[1].status == "live"
    assert tie(state_of(log), "T1").winner == "a"


def test_legs_are_matched_to_sides_by_team_not_by_leg_number() -> None:
    log = LogBuilder()
    cup(log)
    stream = "competition:cup"  # b turns out to host the first leg after all
    for leg, (home, away) in ((1, ("b", "a")), (2, ("a", "b"))):
        log.add(stream, FixtureScheduled(match=f"t1-leg{leg}", date=kickoff_of(leg).date(),
                                         kickoff=kickoff_of(leg), home=home, away=away,
                                         tie="T1", leg=leg), occurred_at=DRAWN)
    play(log, "t1-leg1", kickoff_of(1), steps([(10, "b"), (20, "b")]))
    play(log, "t1-leg2", kickoff_of(2), steps([(10, "a")]))
    view = tie(state_of(log), "T1")
    assert (view.aggregate, view.winner) == ((1, 2), "b")
    assert [(leg.home, leg.score) for leg in view.legs] == [("b", (2, 0)), ("a", (1, 0))]


def test_tie_lookup_errors_name_what_is_missing() -> None:
    log = LogBuilder()
    cup(log, competition="cup")
    cup(log, competition="plate")
    state = state_of(log)
    with pytest.raises(AmbiguousTie, match=r"^tie 'T1' is in cup, plate: name one$"):
        tie(state, "T1")
    assert tie(state, "T1", "plate").competition == "plate"
    for n in range(10):
        cup(log, competition=f"cup{n}")
    with pytest.raises(AmbiguousTie, match=r"cup5, cup6, … \(12 in all\): name one$"):
        tie(state_of(log), "T1")  # a long list is cut short: the error stays one short line
    with pytest.raises(UnknownTie):
        tie(state, "T9")
    with pytest.raises(UnknownCompetition):
        bracket(state, "nowhere")


def test_rounds_come_in_playing_order_and_candidates_resolve_recursively() -> None:
    log = LogBuilder()
    stream = "competition:k"
    log.add(stream, CompetitionCreated(competition="k", name="K", season="x"),
            occurred_at=DRAWN)
    draws = [  # drawn final first, to show the order comes from who feeds whom
        TieDrawn(round="F", tie="F1", sides=(Side(winner_of="S1"), Side(winner_of="S2")),
                 legs=1),
        TieDrawn(round="SF", tie="S1", sides=(Side(team="a"), Side(team="b")), legs=1),
        TieDrawn(round="SF", tie="S2", sides=(Side(team="c"), Side(winner_of="Q1")),
                 legs=1),
        TieDrawn(round="QF", tie="Q1", sides=(Side(team="d"), Side(team="e")), legs=1),
    ]
    for event in draws:
        log.add(stream, event, occurred_at=DRAWN)
    view = bracket(state_of(log), "k")
    assert [r.round for r in view.rounds] == ["QF", "SF", "F"]
    final = to_json(view)["rounds"][2]["ties"][0]
    assert final["sides"] == [{"winner_of": "S1", "candidates": ["a", "b"]},
                              {"winner_of": "S2", "candidates": ["c", "d", "e"]}]
    assert [(p.tie, p.status) for p in view.paths["e"]] == [
        ("Q1", "open"), ("S2", "possible"), ("F1", "possible")]


# --- records, streaks, players ------------------------------------------------------------------


Game = tuple[str, str, str, tuple[int, int], int]  # (match, home, away, score, day)


def league(log: LogBuilder, results: list[Game]) -> None:
    """League "lg": matches scheduled and played in the order given, whatever their day."""
    stream = "competition:lg"
    if "competition:lg" not in log.versions:
        log.add(stream, CompetitionCreated(competition="lg", name="League", season="x"),
                occurred_at=DRAWN)
    for match, home, away, (home_goals, away_goals), day in results:
        kickoff = KICKOFF + dt.timedelta(days=day)
        log.add(stream, FixtureScheduled(match=match, date=kickoff.date(), kickoff=kickoff,
                                         home=home, away=away), occurred_at=DRAWN)
        teams = [home] * home_goals + [away] * away_goals
        play(log, match, kickoff, steps([(10 + i, team) for i, team in enumerate(teams)]))


def test_team_record_counts_results_goals_clean_sheets_and_cards() -> None:
    log = LogBuilder()
    league(log, [("m1", "a", "b", (2, 0), 1), ("m2", "b", "a", (1, 1), 2),
                 ("m3", "a", "c", (0, 1), 3)])
    state = state_of(log)
    record = team_record(state, "a")
    assert (record.played, record.won, record.drawn, record.lost) == (3, 1, 1, 1)
    assert (record.goals_for, record.goals_against, record.clean_sheets) == (3, 2, 1)
    assert record.points == 4
    assert team_record(state, "a", "lg") == attrs.evolve(record, competition="lg")
    assert [(r.team, r.points) for r in table(state, "lg")] == [("a", 4), ("c", 3), ("b", 1)]


def test_a_table_of_one_round_counts_only_that_rounds_fixtures_and_teams() -> None:
    log = LogBuilder()
    league(log, [("m1", "a", "b", (2, 0), 1), ("m2", "c", "d", (1, 1), 2),
                 ("m3", "a", "c", (0, 1), 3)])  # fixtures without a round
    stream = "competition:lg"
    for match, (home, away, day) in {"g1": ("a", "b", 4), "g2": ("c", "d", 5)}.items():
        kickoff = KICKOFF + dt.timedelta(days=day)
        log.add(stream, FixtureScheduled(match=match, date=kickoff.date(), kickoff=kickoff,
                                         home=home, away=away, round=f"Group {match[1]}"),
                occurred_at=DRAWN)
        play(log, match, kickoff, steps([(10, away)]))
    state = state_of(log)
    assert [(r.team, r.played, r.points) for r in table(state, "lg", "Group 1")] == [
        ("b", 1, 3), ("a", 1, 0)]
    assert [(r.team, r.goals_for) for r in table(state, "lg", "Group 2")] == [
        ("d", 1), ("c", 0)]
    assert table(state, "lg", "Group 9") == ()
    assert [(r.team, r.played, r.points) for r in table(state, "lg")] == [  # every round
        ("d", 2, 4), ("c", 3, 4), ("a", 3, 3), ("b", 2, 3)]
    with pytest.raises(UnknownCompetition):
        table(state, "cup", "Group 1")


def test_second_yellow_is_one_red_not_a_yellow_and_a_red() -> None:
    log = LogBuilder()
    cup(log, legs=1)
    cards = [(20, CardShown(team="a", player="Ann", card=Card.YELLOW, minute=20)),
             (30, CardShown(team="a", player="Ann", card=Card.SECOND_YELLOW, minute=30)),
             (40, CardShown(team="a", player="Eve", card=Card.RED, minute=40)),
             (50, CardShown(team="b", player="Bob", card=Card.YELLOW, minute=50))]
    play(log, "t1-leg1", KICKOFF, regulation([*cards, goal(60, "a", "Cat")]))
    state = state_of(log)
    record = team_record(state, "a")
    assert (record.yellow, record.red) == (1, 2)
    assert scoreboard(state, "t1-leg1").sent_off == (("a", "Ann"), ("a", "Eve"))
    rows = {p.player: (p.yellow, p.red) for p in players(state, "a")}
    assert rows == {"Ann": (1, 1), "Eve": (0, 1), "Cat": (0, 0)}


def test_streaks_follow_kick_off_order_not_recording_order() -> None:
    games: list[Game] = [
        ("m1", "a", "b", (1, 0), 1), ("m2", "a", "b", (1, 0), 2), ("m3", "a", "b", (0, 1), 3),
        ("m4", "a", "b", (1, 0), 4), ("m5", "a", "b", (0, 0), 5)]
    in_order, shuffled = LogBuilder(), LogBuilder()
    league(in_order, games)
    league(shuffled, [games[i] for i in (4, 2, 0, 3, 1)])  # back-filled out of order
    assert streaks(state_of(in_order), "a") == streaks(state_of(shuffled), "a")
    runs = streaks(state_of(shuffled), "a")
    assert attrs.asdict(runs.unbeaten.longest) == {
        "length": 2, "wins": 2, "draws": 0, "losses": 0, "first_match": "m1",
        "last_match": "m2"}
    assert (runs.unbeaten.current.length, runs.unbeaten.current.first_match) == (2, "m4")
    assert (runs.winless.current.length, runs.winless.current.draws) == (1, 1)
    assert (runs.losing.longest.length, runs.losing.longest.first_match) == (1, "m3")
    assert runs.scoring.longest.length == 2 and runs.scoring.current.length == 0
    assert runs.clean_sheet.longest.length == 2 and runs.clean_sheet.current.length == 2


_OUTCOMES = st.lists(st.builds(
    Outcome, match=st.sampled_from(["m1", "m2", "m3"]), competition=st.just("c"),
    goals_for=st.integers(0, 2), goals_against=st.integers(0, 2),
    result=st.sampled_from(["W", "D", "L"]), yellow=st.just(0), red=st.just(0)), max_size=12)


@given(played=_OUTCOMES, cut=st.integers(0, 12))
def test_streaks_carried_on_from_earlier_results_equal_streaks_of_them_all(
    played: list[Outcome], cut: int,
) -> None:
    """What a long-lived projector relies on to add a new result without a replay."""
    earlier = streaks_of("a", played[:cut])
    assert streaks_of("a", played[cut:], since=earlier) == streaks_of("a", played)


def test_a_back_filled_match_breaks_a_streak_it_falls_inside() -> None:
    log = LogBuilder()
    league(log, [("m1", "a", "b", (1, 0), 1), ("m3", "a", "b", (1, 0), 3)])
    assert streaks(state_of(log), "a").winning.current.length == 2
    league(log, [("m2", "a", "b", (0, 1), 2)])  # recorded last, played in between
    runs = streaks(state_of(log), "a")
    assert (runs.winning.current.length, runs.winning.current.first_match) == (1, "m3")
    assert runs.winning.longest.first_match == "m1"


def test_a_book_started_from_stored_sums_loads_only_the_pieces_that_change() -> None:
    """A new process loads a team's sums and the pieces of the competitions its events touch:
    the stored pieces of the others stay in the sums, unread (a team may play where it never
    registered)."""
    state = sample_state()
    made = Book().team(state, "leverkusen", dirty={})
    uel = made.pieces[UEFA]
    stored = {UEFA: uel, "friendlies": uel}
    twice = {n: 2 * getattr(made.overall, n) for n in COUNTS}
    tally = {k: {f: 2 * n for f, n in counts.items()} for k, counts in uel.players.items()}
    summary = Summary(totals=twice, players=tally, last=made.last,
                      competitions=(UEFA, "friendlies"))
    loaded: list[set[str]] = []

    class Store:
        def summary(self, team: str) -> tuple[Summary, Streaks | None]:
            return summary, made.streaks

        def pieces(self, team: str, competitions: Collection[str]) -> dict[str, Piece]:
            loaded.append(set(competitions))
            return {c: stored[c] for c in competitions}

    book = Book(store=Store())
    tables = book.team(state, "leverkusen", dirty={("leverkusen", UEFA): None})
    assert loaded == [{UEFA}]
    assert not tables.first and tables.removed_competitions == set()
    assert tables.competitions == ("friendlies", UEFA)
    # recomputed from the same state, nothing changed: no row of the team to rewrite
    assert tables.pieces == {} and tables.changed_records == set()
    assert not (tables.changed_overall or tables.changed_streaks or tables.changed_summary)
    assert tables.overall.played == 2 * uel.record.played
    assert tables.streaks == made.streaks  # nothing new: carried on, not replayed
    gone = book.team(state, "leverkusen", dirty={("leverkusen", "friendlies"): None})
    assert loaded == [{UEFA}, {"friendlies"}]
    assert gone.removed_competitions == {"friendlies"}  # a changed pair with no match left
    assert gone.overall.played == uel.record.played
    assert gone.overall == made.overall and gone.competitions == (UEFA,)
    assert gone.changed_overall and gone.changed_summary and not gone.changed_streaks
    assert {p: book.players["leverkusen"][(t, p)] for t, p in book.players["leverkusen"]} == {
        p.player: {f: n for f, n in attrs.asdict(p).items() if f not in ("team", "player") and n}
        for p in players(state, "leverkusen")}


def test_only_finished_matches_count_in_records_and_streaks() -> None:
    log = LogBuilder()
    league(log, [("m1", "a", "b", (1, 0), 1)])
    log.add("competition:lg", FixtureScheduled(match="m2", date=KICKOFF.date(),
                                               kickoff=KICKOFF + dt.timedelta(days=2),
                                               home="a", away="b"), occurred_at=DRAWN)
    play(log, "m2", KICKOFF + dt.timedelta(days=2), regulation([goal(10, "b", "B")])[:3])
    state = state_of(log)
    assert scoreboard(state, "m2").status == "live"
    assert team_record(state, "a").played == 1
    assert streaks(state, "a").winning.current.length == 1
    assert {p.player for p in players(state)} == {"a-10", "B"}  # goals under way count


def test_players_count_goals_penalties_and_never_shootout_kicks() -> None:
    state = sample_state()
    rows = {(p.team, p.player): (p.goals, p.penalties, p.own_goals) for p in players(state)}
    assert rows[("liverpool", "Mohamed Salah")] == (1, 1, 0)  # his first-leg goal disallowed
    assert rows[("atalanta", "Gianluca Scamacca")] == (2, 0, 0)
    assert ("marseille", "Luis Henrique") not in rows  # scored the deciding kick only
    assert players(state)[0].goals == 2
    assert all(p.team == "roma" for p in players(state, "roma"))
    with pytest.raises(UnknownTeam):
        players(state, "nobody")
    with pytest.raises(UnknownTeam):
        streaks(state, "nobody")


# --- retractions and disallowed goals ---------------------------------------------------------


def views(state: State) -> dict[str, Any]:
    """Every view of the sample competition, as JSON, goal event ids left out."""
    teams = sorted(state.teams)
    data = {
        "bracket": to_json(bracket(state, UEFA)),
        "records": to_json([team_record(state, t) for t in teams]),
        "streaks": {t: to_json(streaks(state, t)) for t in teams},
        "players": to_json(players(state)),
        "scores": {m: to_json(scoreboard(state, m))["score"] for m in sorted(state.fixtures)},
    }
    return json.loads(json.dumps(data))  # type: ignore[no-any-return]


def without(envelopes: list[Envelope], skip: set[str]) -> list[Envelope]:
    """The log as if the events ``skip`` had never been appended (renumbered)."""
    log = LogBuilder()
    for env in envelopes:
        if env.event_id not in skip:
            log.add(env.stream, env.event, occurred_at=env.occurred_at,
                    recorded_at=env.recorded_at, event_id=env.event_id)
    return log.envelopes


def goal_ids(log: LogBuilder, match: str, player: str) -> list[str]:
    return [e.event_id for e in log.envelopes
            if e.stream == f"match:{match}" and getattr(e.event, "player", None) == player]


def goal_id(log: LogBuilder, match: str, player: str) -> str:
    return goal_ids(log, match, player)[0]


def test_a_retracted_event_is_as_if_never_appended() -> None:
    log = sample_log()
    gone = {i for p in ("Gianluca Scamacca", "Mario Pasalic")
            for i in goal_ids(log, "qf2-leg1", p)}
    before = views(state_of(log))
    for event_id in sorted(gone):
        log.add("match:qf2-leg1", EventRetracted(event=event_id, reason="wrong match"),
                occurred_at=APRIL_19)
    after = views(state_of(log))
    assert after == views(fold_all(without(log.envelopes[:-3], gone)))
    assert after["scores"]["qf2-leg1"] == [0, 0]
    sf1 = after["bracket"]["rounds"][1]["ties"][0]  # Liverpool through 1-0 on aggregate
    assert sf1["sides"][1] == "liverpool"
    assert after["bracket"]["rounds"][0]["ties"][1]["aggregate"] == [1, 0]
    assert before["bracket"] != after["bracket"]
    assert {p["player"] for p in after["players"]} & {"Gianluca Scamacca", "Mario Pasalic"} \
        == set()
    assert after["streaks"]["liverpool"]["unbeaten"]["current"]["length"] == 2
    assert after["records"] != before["records"]


def test_a_disallowed_goal_counts_nowhere_and_retracting_the_call_restores_it() -> None:
    log = sample_log()
    moumbagna = goal_id(log, "qf4-leg2", "Faris Moumbagna")
    before = views(state_of(log))
    call = log.add("match:qf4-leg2", GoalDisallowed(goal=moumbagna, reason="offside"),
                   occurred_at=at(SECOND_LEGS, 80))
    after = views(state_of(log))
    assert after["scores"]["qf4-leg2"] == [0, 0]
    qf4 = after["bracket"]["rounds"][0]["ties"][3]
    assert (qf4["aggregate"], qf4["winner"], qf4["decided_by"]) == ([2, 1], "benfica",
                                                                   "aggregate")
    assert after["bracket"]["rounds"][1]["ties"][0]["sides"][0] == "benfica"
    assert "Faris Moumbagna" not in {p["player"] for p in after["players"]}
    marseille = after["streaks"]["marseille"]
    assert (marseille["winning"]["current"]["length"], marseille["winless"]["current"]["length"]
            ) == (0, 2)
    log.add("match:qf4-leg2", EventRetracted(event=call.event_id, reason="wrong match"),
            occurred_at=APRIL_19)
    assert views(state_of(log)) == before


def test_retraction_applies_to_as_of_views_but_not_to_known_at_before_it() -> None:
    from matchledger.projections.testing import MemoryLog
    from matchledger.projections.timetravel import read_filtered

    log = sample_log()
    salah = goal_id(log, "qf2-leg2", "Mohamed Salah")
    retraction = log.add("match:qf2-leg2", EventRetracted(event=salah, reason="wrong match"),
                         occurred_at=dt.datetime(2024, 5, 1, tzinfo=UTC))
    memory = MemoryLog(log.envelopes)
    as_of = fold_all(read_filtered(memory, as_of=APRIL_19))
    assert scoreboard(as_of, "qf2-leg2").score == (0, 0)  # we know better now
    believed = fold_all(read_filtered(memory, as_of=APRIL_19, known_at=APRIL_19))
    assert scoreboard(believed, "qf2-leg2").score == (0, 1)  # what we believed then
    assert retraction.position == len(log.envelopes)


# --- the fold itself ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(0, 200))
def test_fold_of_all_equals_fold_of_a_prefix_then_the_rest(cut: int) -> None:
    envelopes = sample_log().envelopes
    cut = min(cut, len(envelopes))
    first = fold_all(envelopes[:cut])
    kept = first.copy()
    rest = fold_all(envelopes[cut:], first)
    assert rest == fold_all(envelopes)
    assert kept == fold_all(envelopes[:cut])  # the copy did not move with the fold
    assert views(rest) == views(fold_all(envelopes))


def test_fold_returns_the_state_it_was_given() -> None:
    state = State()
    env = sample_log().envelopes[0]
    assert fold(state, env) is state
    assert state.position == env.position


def test_events_the_fold_does_not_know_change_nothing() -> None:
    log = sample_log()
    state = state_of(log)

    @attrs.frozen(kw_only=True)
    class Weather(Event):
        rain: bool

    log.add("competition:uel-2023-24", Weather(rain=True), occurred_at=APRIL_19)
    log.add("match:qf1-leg1", Weather(rain=True), occurred_at=APRIL_19)
    after = state_of(log)
    assert attrs.evolve(after, position=state.position, max_occurred=state.max_occurred,
                        max_recorded=state.max_recorded) == state


# --- the JSON contract -----------------------------------------------------------------------


def test_bracket_json_has_the_contracted_keys() -> None:
    data = to_json(bracket(sample_state(), UEFA))
    assert {"competition", "rounds"} <= set(data)
    for rnd in data["rounds"]:
        assert set(rnd) == {"round", "ties"}
        for t in rnd["ties"]:
            assert {"tie", "sides", "legs", "aggregate", "winner", "decided_by"} <= set(t)
            assert len(t["sides"]) == 2
            assert t["decided_by"] in (None, "aggregate", "away_goals", "extra_time",
                                       "penalties")
            for leg in t["legs"]:
                assert {"match", "home", "away", "score", "status"} <= set(leg)
    qf4 = data["rounds"][0]["ties"][3]
    assert qf4["legs"][1]["score"] == [1, 0]
    assert (qf4["aggregate"], qf4["winner"], qf4["decided_by"]) == ([2, 2], "marseille",
                                                                   "penalties")
    json.dumps(data)


def test_streaks_json_has_six_kinds_each_current_and_longest() -> None:
    data = to_json(streaks(sample_state(), "leverkusen"))
    assert list(data) == list(KINDS)
    for pair in data.values():
        assert set(pair) == {"current", "longest"}
        for run in pair.values():
            assert set(run) == {"length", "wins", "draws", "losses", "first_match",
                                "last_match"}


def test_every_view_is_json_ready() -> None:
    state = sample_state()
    for view in (scoreboard(state, "qf4-leg2"), tie(state, "SF1"), bracket(state, UEFA),
                 team_record(state, "roma"), table(state, UEFA), streaks(state, "roma"),
                 players(state)):
        json.dumps(to_json(view))
    with pytest.raises(TypeError):
        to_json(object())


@pytest.mark.parametrize("module", [
    "matchledger.projections", "matchledger.projections.state",
    "matchledger.projections.scoreboard", "matchledger.projections.ties",
    "matchledger.projections.records", "matchledger.projections.jsonify",
    "matchledger.projections.projector", "matchledger.projections.timetravel",
    "matchledger.projections.testing"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0
