"""The match state machine, as the ledger enforces it on append."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchledger.events import (
    Card,
    CardShown,
    Event,
    EventRetracted,
    FixtureScheduled,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchAbandoned,
    MatchEnded,
    MatchStarted,
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
from matchledger.events.match import Facts, Kick, MatchState, event_id_of, event_key
from matchledger.events.shootout import shootout_can_end
from matchledger.ledger import Draft, InvalidEvent, Ledger, LedgerError, RuleBroken
from matchledger.projections import Projector, bracket, scoreboard, state_at, tie, to_json

from conftest import KICKOFF, drafts, setup_tie
from strategies import event_ids

H1, H2, ET1, ET2, PSO = Period
LEG1, LEG2 = "match:t1-leg1", "match:t1-leg2"
WEEK = dt.timedelta(days=7)


def scheduled(lg: Ledger, match: str) -> FixtureScheduled:
    """``match``'s fixture, which the test has scheduled."""
    fixture = lg.fixture(match)
    assert fixture is not None, match
    return fixture


def later(*events: Event) -> list[Draft]:
    """Drafts of the second leg, from its kick-off on."""
    return drafts(*events, start=KICKOFF + WEEK)


def play_first_leg(lg: Ledger, *goals: GoalScored) -> None:
    lg.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                           PeriodStarted(period=H2), *goals, PeriodEnded(period=H2),
                           MatchEnded()))


def test_a_second_yellow_is_one_sending_off_and_a_plain_second_yellow_is_refused(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1),
                               CardShown(team="benfica", player="Otamendi", card=Card.YELLOW,
                                         minute=10)))
    with pytest.raises(RuleBroken, match="already has a yellow: record a second_yellow"):
        ledger.append(LEG1, drafts(CardShown(team="benfica", player="otamendi ",  # as typed
                                             card=Card.YELLOW, minute=20)))
    with pytest.raises(RuleBroken, match="no yellow card yet"):
        ledger.append(LEG1, drafts(CardShown(team="benfica", player="Neres",
                                             card=Card.SECOND_YELLOW, minute=20)))
    ledger.append(LEG1, drafts(CardShown(team="benfica", player="Otamendi",
                                         card=Card.SECOND_YELLOW, minute=44)))
    with pytest.raises(RuleBroken, match="sent off and cannot be booked again"):
        ledger.append(LEG1, drafts(CardShown(team="benfica", player="Otamendi",
                                             card=Card.RED, minute=45)))
    with pytest.raises(RuleBroken, match="sent off and cannot score"):
        ledger.append(LEG1, drafts(GoalScored(team="benfica", player="OTAMENDI", minute=45)))


@pytest.mark.parametrize(("period", "minute", "added", "ok"), [
    (H1, 1, None, True), (H1, 45, 3, True), (H1, 46, None, False), (H1, 44, 1, False),
    (H2, 46, None, True), (H2, 90, 6, True), (H2, 91, None, False),
    # a first-half minute typed in the second half is a correction, judged in the first half
    (H2, 30, None, True), (H2, 44, 1, False),
])
def test_minutes_must_fit_the_period(ledger: Ledger, period: Period, minute: int,
                                     added: int | None, ok: bool) -> None:
    setup_tie(ledger)
    opening = [MatchStarted(), PeriodStarted(period=H1)]
    if period is H2:
        opening += [PeriodEnded(period=H1), PeriodStarted(period=H2)]
    ledger.append(LEG1, drafts(*opening))
    goal = drafts(GoalScored(team="benfica", minute=minute, added=added))
    if ok:
        ledger.append(LEG1, goal)
    else:
        with pytest.raises(RuleBroken, match=f"minute {minute}|added time"):
            ledger.append(LEG1, goal)


def test_no_goal_at_half_time_or_after_the_final_whistle(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1)))
    with pytest.raises(RuleBroken, match="goal between periods"):
        ledger.append(LEG1, drafts(GoalScored(team="benfica", minute=47)))
    ledger.append(LEG1, drafts(PeriodStarted(period=H2), PeriodEnded(period=H2), MatchEnded()))
    with pytest.raises(RuleBroken, match="goal after the match finished"):
        ledger.append(LEG1, drafts(GoalScored(team="benfica")))


def test_extra_time_only_in_a_deciding_leg_that_is_level_on_aggregate(ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), PeriodEnded(period=H2)))
    with pytest.raises(RuleBroken, match="does not decide a tie"):
        ledger.append(LEG1, drafts(PeriodStarted(period=ET1)))
    ledger.append(LEG1, drafts(MatchEnded()))
    start = drafts(MatchStarted(), PeriodStarted(period=H1),
                   GoalScored(team="marseille", minute=5), PeriodEnded(period=H1),
                   PeriodStarted(period=H2), PeriodEnded(period=H2), start=KICKOFF + WEEK)
    ledger.append(LEG2, start)
    with pytest.raises(RuleBroken, match="aggregate is not level"):
        ledger.append(LEG2, later(PeriodStarted(period=ET1)))


def test_a_level_deciding_leg_cannot_end_without_extra_time(ledger: Ledger) -> None:
    setup_tie(ledger)
    play_first_leg(ledger, GoalScored(team="benfica", minute=60))
    ledger.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), GoalScored(team="marseille", minute=79),
                               PeriodEnded(period=H2), start=KICKOFF + WEEK))
    with pytest.raises(RuleBroken, match="the tie is level: it needs extra time"):
        ledger.append(LEG2, later(MatchEnded()))
    ledger.append(LEG2, later(PeriodStarted(period=ET1)))


def test_without_penalties_a_tie_level_after_extra_time_ends_drawn_for_a_replay(
        ledger: Ledger) -> None:
    setup_tie(ledger, rules=TieRules(penalties=False))
    play_first_leg(ledger)
    ledger.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), PeriodEnded(period=H2),
                               start=KICKOFF + WEEK))
    with pytest.raises(RuleBroken, match="the tie is level: it needs extra time"):
        ledger.append(LEG2, later(MatchEnded()))
    ledger.append(LEG2, later(PeriodStarted(period=ET1), PeriodEnded(period=ET1),
                              PeriodStarted(period=ET2), PeriodEnded(period=ET2)))
    with pytest.raises(RuleBroken, match="no penalty shoot-out"):
        ledger.append(LEG2, later(PeriodStarted(period=PSO)))
    ledger.append(LEG2, later(MatchEnded()))
    view = tie(state_at(ledger), "T1")
    assert (view.aggregate, view.winner) == ((0, 0), None)


def test_with_penalties_a_tie_level_after_extra_time_needs_them(ledger: Ledger) -> None:
    setup_tie(ledger)
    play_first_leg(ledger)
    ledger.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), PeriodEnded(period=H2),
                               PeriodStarted(period=ET1), PeriodEnded(period=ET1),
                               PeriodStarted(period=ET2), PeriodEnded(period=ET2),
                               start=KICKOFF + WEEK))
    with pytest.raises(RuleBroken, match="the tie is level: it needs penalties"):
        ledger.append(LEG2, later(MatchEnded()))


def test_cautions_of_the_match_are_not_carried_into_the_shoot_out(ledger: Ledger) -> None:
    setup_tie(ledger, legs=1)
    booked = CardShown(team="benfica", player="Otamendi", card=Card.YELLOW, minute=30)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1), booked,
                               PeriodEnded(period=H1), PeriodStarted(period=H2),
                               PeriodEnded(period=H2), PeriodStarted(period=ET1),
                               PeriodEnded(period=ET1), PeriodStarted(period=ET2),
                               PeriodEnded(period=ET2), PeriodStarted(period=PSO)))
    with pytest.raises(RuleBroken, match="has no yellow card yet"):
        ledger.append(LEG1, drafts(attrs.evolve(booked, card=Card.SECOND_YELLOW, minute=None)))
    ledger.append(LEG1, drafts(attrs.evolve(booked, minute=None)))  # a first caution again
    ledger.append(LEG1, drafts(ShootoutKick(team="benfica", taker="Otamendi",
                                            outcome=KickOutcome.SCORED)))
    with pytest.raises(RuleBroken, match="already has a yellow"):
        ledger.append(LEG1, drafts(attrs.evolve(booked, minute=None)))
    ledger.append(LEG1, drafts(attrs.evolve(booked, card=Card.SECOND_YELLOW, minute=None)))
    assert ("benfica", "Otamendi") in scoreboard(state_at(ledger), "t1-leg1").sent_off


def test_away_goals_decide_a_level_aggregate_where_the_competition_says_so(
        ledger: Ledger) -> None:
    setup_tie(ledger, away_goals=True)
    play_first_leg(ledger, GoalScored(team="benfica", minute=50),
                   GoalScored(team="benfica", minute=60), GoalScored(team="marseille", minute=70))
    # 2-1 then 1-0 to Marseille: 2-2 on aggregate, Marseille through on away goals
    ledger.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), GoalScored(team="marseille", minute=79),
                               PeriodEnded(period=H2), start=KICKOFF + WEEK))
    with pytest.raises(RuleBroken, match="only when the tie is level"):
        ledger.append(LEG2, later(PeriodStarted(period=ET1)))
    ledger.append(LEG2, later(MatchEnded()))


def test_an_abandoned_leg_replayed_as_another_match_gives_way_to_the_replay(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1),
                               GoalScored(team="marseille", minute=20),
                               MatchAbandoned(minute=30)))
    with pytest.raises(RuleBroken, match="tie T1 leg 2 is already match 't1-leg2'"):
        ledger.append("competition:cup", drafts(attrs.evolve(
            scheduled(ledger, "t1-leg2"), match="t1-again")))
    next_day = KICKOFF + dt.timedelta(days=1)
    replay = attrs.evolve(scheduled(ledger, "t1-leg1"), match="t1-replay", date=next_day.date(),
                          kickoff=next_day)
    assert replay.kickoff is not None
    ledger.append("competition:cup", drafts(replay))
    ledger.append("match:t1-replay", drafts(
        MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
        PeriodStarted(period=H2), GoalScored(team="benfica", minute=60), PeriodEnded(period=H2),
        MatchEnded(), start=replay.kickoff))
    with pytest.raises(RuleBroken, match="tie T1 leg 1 is already match 't1-replay'"):
        ledger.append("competition:cup", drafts(attrs.evolve(replay, match="t1-third")))
    # 1-0 to Benfica in the replay, 1-0 to Marseille in the second leg: level, so extra time
    ledger.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                               PeriodStarted(period=H2), GoalScored(team="marseille", minute=79),
                               PeriodEnded(period=H2), start=KICKOFF + WEEK))
    with pytest.raises(RuleBroken, match="the tie is level: it needs extra time"):
        ledger.append(LEG2, later(MatchEnded()))
    ledger.append(LEG2, drafts(PeriodStarted(period=ET1), GoalScored(team="marseille",
                                                                     minute=100),
                               PeriodEnded(period=ET1), PeriodStarted(period=ET2),
                               PeriodEnded(period=ET2), MatchEnded(),
                               start=KICKOFF + WEEK + dt.timedelta(minutes=95)))
    view = tie(state_at(ledger), "T1")
    assert [leg.match for leg in view.legs] == ["t1-replay", "t1-leg2"]
    assert (view.aggregate, view.winner, view.decided_by) == ((1, 2), "marseille",
                                                              "extra_time")


def test_a_reported_result_goes_to_extra_time_and_penalties_only_when_the_tie_is_level(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    with pytest.raises(RuleBroken, match="this match decides no tie"):
        ledger.append(LEG1, drafts(ResultReported(full_time=(0, 0), penalties=(4, 3))))
    with pytest.raises(RuleBroken, match="a score above 999 is not a football score"):
        ledger.append(LEG1, drafts(ResultReported(full_time=(1000, 0))))
    with pytest.raises(InvalidEvent, match=r"full_time\[0\]: 100000000000000000000 is out of"):
        ledger.append(LEG1, drafts(ResultReported(full_time=(10 ** 20, 0))))  # ledger.limits
    play_first_leg(ledger, GoalScored(team="benfica", minute=50))
    with pytest.raises(RuleBroken, match="extra time, but the tie was not level after 2-0"):
        ledger.append(LEG2, later(ResultReported(full_time=(2, 0), extra_time=(2, 0))))
    ledger.append(LEG2, drafts(ResultReported(full_time=(1, 0), extra_time=(1, 0),
                                              penalties=(4, 2)), start=KICKOFF + WEEK))
    view = tie(state_at(ledger), "T1")
    assert (view.aggregate, view.winner, view.decided_by) == ((1, 1), "marseille", "penalties")


@pytest.mark.parametrize(("rules", "second_leg", "winner"), [
    (TieRules(away_goals=True), ResultReported(full_time=(1, 0)), "marseille"),  # away goals
    (TieRules(), ResultReported(full_time=(1, 0), extra_time=(2, 0)), "marseille"),
    (TieRules(), ResultReported(full_time=(1, 0), extra_time=(1, 0), penalties=(3, 4)),
     "benfica"),
    (TieRules(penalties=False), ResultReported(full_time=(1, 0), extra_time=(1, 0)), None),
    (TieRules(), ResultReported(full_time=(0, 1)), "benfica"),
])
def test_the_judge_lets_into_the_next_round_whom_the_tie_sends_through(
        ledger: Ledger, rules: TieRules, second_leg: ResultReported, winner: str | None) -> None:
    setup_tie(ledger, rules=rules)
    ledger.append(LEG1, drafts(ResultReported(full_time=(2, 1))))  # Benfica at home
    ledger.append(LEG2, later(second_leg))
    assert tie(state_at(ledger), "T1").winner == winner
    assert let_through(ledger) == winner


def let_through(lg: Ledger) -> str | None:
    """Whom the judge lets into the next round from tie T1, as anyone appending sees it: the
    side of T1 it admits to a semi-final against Porto; None when it admits either."""
    draw = KICKOFF + 4 * WEEK
    lg.append("competition:cup", drafts(
        TeamRegistered(team="porto", name="FC Porto"),
        TieDrawn(round="SF", tie="S1", sides=(Side(winner_of="T1"), Side(team="porto")),
                 legs=1), start=draw))
    admitted = []
    for team in ("benfica", "marseille"):
        semi = FixtureScheduled(match="s1", tie="S1", round="SF", home=team, away="porto",
                                date=(draw + WEEK).date())
        try:
            lg.append("competition:cup", drafts(semi, start=draw))
        except RuleBroken as e:
            assert "tie S1 is between" in str(e)
            continue
        admitted.append(team)
    assert admitted
    return admitted[0] if len(admitted) == 1 else None


def test_a_side_of_a_decided_tie_is_its_winner_alone(ledger: Ledger) -> None:
    setup_tie(ledger, legs=1)
    ledger.append("competition:cup", drafts(
        TeamRegistered(team="porto", name="FC Porto"),
        TieDrawn(round="SF", tie="S1", sides=(Side(winner_of="T1"), Side(team="porto")),
                 legs=1), start=KICKOFF - WEEK))
    semi = FixtureScheduled(match="s1", tie="S1", leg=1, round="SF", home="benfica",
                            away="porto", date=(KICKOFF + WEEK).date())
    ledger.append("competition:cup", drafts(semi, start=KICKOFF - WEEK))  # T1 still open
    ledger.append(LEG1, drafts(ResultReported(full_time=(0, 1))))  # Marseille through
    with pytest.raises(RuleBroken, match="tie S1 is between marseille and porto"):
        ledger.append("competition:cup", drafts(semi, start=KICKOFF + WEEK))
    ledger.append("competition:cup", drafts(attrs.evolve(semi, home="marseille"),
                                            start=KICKOFF + WEEK))


def _to_shootout(lg: Ledger, *first_half: Event) -> None:
    """A tie level after extra time, its second leg's shoot-out under way (``first_half``:
    what happened in that leg's first half)."""
    setup_tie(lg)
    play_first_leg(lg)
    lg.append(LEG2, drafts(MatchStarted(), PeriodStarted(period=H1), *first_half,
                           PeriodEnded(period=H1), *[e for p in (H2, ET1, ET2) for e in (
                               PeriodStarted(period=p), PeriodEnded(period=p))],
                           PeriodStarted(period=PSO), start=KICKOFF + WEEK))


def kick(team: str, outcome: str = "scored", taker: str | None = None) -> ShootoutKick:
    return ShootoutKick(team=team, outcome=KickOutcome(outcome), taker=taker)


def test_kicks_alternate_and_the_shootout_ends_when_one_side_cannot_catch_up(
        ledger: Ledger) -> None:
    _to_shootout(ledger)
    ledger.append(LEG2, later(kick("benfica", "missed")))
    with pytest.raises(RuleBroken, match="kicks alternate"):
        ledger.append(LEG2, later(kick("benfica")))
    ledger.append(LEG2, later(kick("marseille"), kick("benfica", "saved"), kick("marseille"),
                               kick("benfica", "missed"), kick("marseille")))
    # 0-3 after three pairs: Benfica can reach 2 at most, the shoot-out is over
    with pytest.raises(RuleBroken, match="already decided"):
        ledger.append(LEG2, later(kick("benfica")))
    ledger.append(LEG2, later(PeriodEnded(period=PSO), MatchEnded()))


def test_sudden_death_goes_on_in_pairs_until_one_pair_differs() -> None:
    state = MatchState(home="marseille", away="benfica")
    for i in range(5):
        for team in ("benfica", "marseille"):
            state = state.apply(kick(team), event_id=f"{team}{i}")
    assert not state.shootout_decided()
    state = state.apply(kick("benfica", "missed"), event_id="b6")
    assert not state.shootout_decided()  # Marseille still to kick in this pair
    state = state.apply(kick("marseille"), event_id="m6")
    assert state.shootout_decided() and state.shootout_score() == (6, 5)


@given(st.booleans(), st.lists(st.booleans(), min_size=40, max_size=40))
def test_a_shootout_kicked_out_ends_where_a_reported_one_may(benfica_first: bool,
                                                             scored: list[bool]) -> None:
    """Kick by kick, in turn, until it is decided: ``shootout_can_end`` (which judges a
    reported shoot-out) allows every score this reaches."""
    state = MatchState(home="marseille", away="benfica")
    order = ("benfica", "marseille") if benfica_first else ("marseille", "benfica")
    for i, goal in enumerate(scored):
        assert not state.shootout_decided()
        state = state.apply(kick(order[i % 2], "scored" if goal else "missed"),
                            event_id=f"k{i}")
        if state.shootout_decided():
            break
    else:
        return  # twenty pairs of sudden death, still level: enough
    assert shootout_can_end(state.shootout_score())


@pytest.mark.parametrize(("score", "possible"), [
    ((3, 0), True), ((4, 0), False),  # 3-0 after three pairs: the other side cannot catch up
    ((4, 1), True), ((5, 2), False), ((5, 3), True), ((2, 4), True), ((5, 4), True),
    ((7, 6), True), ((9, 7), False), ((1, 0), True),
])
def test_a_reported_shootout_score_is_one_kicks_can_reach(score: tuple[int, int],
                                                          possible: bool) -> None:
    assert shootout_can_end(score) is possible


def test_no_player_kicks_twice_before_every_team_mate_has_kicked(ledger: Ledger) -> None:
    _to_shootout(ledger)
    ledger.append(LEG2, later(kick("benfica", taker="Di Maria"), kick("marseille")))
    with pytest.raises(RuleBroken, match="Di Maria already kicked"):
        ledger.append(LEG2, later(kick("benfica", taker="Di Maria")))


def test_a_team_has_no_more_kickers_than_eligible_players(ledger: Ledger) -> None:
    _to_shootout(ledger, CardShown(team="marseille", player="Mbemba", card=Card.RED,
                                   minute=10))
    for n in range(10):  # ten a side: Benfica leaves one player out to equal Marseille's ten
        ledger.append(LEG2, later(kick("benfica", taker=f"B{n}"),
                                  kick("marseille", taker=f"M{n}")))
        if n < 9:  # the round is not over
            with pytest.raises(RuleBroken, match="b0 already kicked"):  # typed another way
                ledger.append(LEG2, later(kick("benfica", taker="b0")))
    with pytest.raises(RuleBroken, match="benfica has 10 eligible kickers, who have all "
                                         "kicked: B10 would be one more"):
        ledger.append(LEG2, later(kick("benfica", taker="B10")))
    ledger.append(LEG2, later(kick("benfica", taker="b0")))  # the second round begins


def test_an_own_goal_counts_for_the_other_side() -> None:
    state = MatchState(home="west-ham", away="leverkusen")
    state = state.apply(GoalScored(team="west-ham", player="Aaron Cresswell",
                                   kind=GoalKind.OWN_GOAL), event_id="g1")
    assert state.score() == (0, 1)


def test_a_disallowed_goal_must_exist_and_does_not_count(ledger: Ledger) -> None:
    setup_tie(ledger)
    (_, _, goal) = ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1),
                                              GoalScored(team="marseille", minute=3)))
    with pytest.raises(RuleBroken, match="no goal nope in this match"):
        ledger.append(LEG1, drafts(GoalDisallowed(goal="nope")))
    ledger.append(LEG1, drafts(GoalDisallowed(goal=goal.event_id, reason="VAR: offside")))
    with pytest.raises(RuleBroken, match="already disallowed"):
        ledger.append(LEG1, drafts(GoalDisallowed(goal=goal.event_id)))


def test_a_retraction_that_would_leave_the_match_impossible_is_refused(ledger: Ledger) -> None:
    setup_tie(ledger)
    (started, _, goal) = ledger.append(LEG1, drafts(
        MatchStarted(), PeriodStarted(period=H1), GoalScored(team="marseille", minute=3)))
    with pytest.raises(RuleBroken, match="would leave the match invalid"):
        ledger.append(LEG1, drafts(EventRetracted(event=started.event_id, reason="typo")))
    ledger.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="wrong match")))
    with pytest.raises(RuleBroken, match="is retracted already"):
        ledger.append(LEG1, drafts(EventRetracted(event=goal.event_id, reason="again")))


def test_a_match_with_recorded_periods_cannot_end_before_the_second_half(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG1, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1)))
    with pytest.raises(RuleBroken, match="second half has not been played"):
        ledger.append(LEG1, drafts(MatchEnded()))


def canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


@given(event_ids)
def test_an_event_key_gives_back_exactly_its_id(event_id: str) -> None:
    key = event_key(event_id)
    assert event_id_of(key) == event_id
    assert isinstance(key, int) == canonical_uuid(event_id)  # the ledger's own ids, compact


@given(st.lists(st.tuples(st.sampled_from(["add", "replace", "remove"]), event_ids,
                          st.sampled_from(KickOutcome)), max_size=30))
def test_facts_behave_as_a_dict_of_event_id_to_fact(steps: list[tuple[str, str, KickOutcome]]
                                                   ) -> None:
    facts: Facts[Kick] = Facts()
    model: dict[str, Kick] = {}
    for action, event_id, outcome in steps:
        kick = Kick(key=event_key(event_id), team="a", taker=None, outcome=outcome)
        if action == "add" and event_id not in model:
            facts, model[event_id] = facts.added(kick), kick
        elif action == "replace" and event_id in model:
            facts, model[event_id] = facts.replaced(kick), kick
        elif action == "remove":
            facts = facts.without(event_key(event_id))
            model.pop(event_id, None)
        assert (list(facts), list(facts.values()), len(facts)) == (
            list(model), list(model.values()), len(model))
        assert facts == model and facts == Facts(tuple(model.values()))
        assert (event_id in facts) == (event_id in model)
        assert facts.get(event_id) == model.get(event_id)


@pytest.mark.parametrize("event_id", ["start", str(uuid.uuid4()), str(uuid.uuid4()).upper()],
                         ids=["text", "uuid", "upper-case uuid"])  # the same in every worker
def test_a_match_retracts_and_disallows_by_any_kind_of_id(event_id: str) -> None:
    state = MatchState(home="a", away="b")
    state = state.apply(MatchStarted(), event_id=event_id)
    state = state.apply(PeriodStarted(period=H1), event_id=event_id + "-1h")
    state = state.apply(GoalScored(team="a", minute=3), event_id=event_id + "-goal")
    assert state.knows(event_id) and state.goals[event_id + "-goal"].event_id == event_id + "-goal"
    disallowed = state.apply(GoalDisallowed(goal=event_id + "-goal"), event_id=event_id + "-var")
    assert disallowed.score() == (0, 0) and disallowed.knows(event_id + "-var")
    assert disallowed.without(event_id + "-var").score() == (1, 0)
    gone = state.without(event_id)
    assert not gone.knows(event_id) and gone.is_retracted(event_id)
    assert gone.transitions == (PeriodStarted(period=H1),)
    assert not gone.is_retracted(event_id + "-goal")


# --- anything thrown at a match ------------------------------------------------------------

WHISTLES: list[Event] = [MatchStarted(), *[e for p in Period for e in (
    PeriodStarted(period=p), PeriodEnded(period=p))], MatchEnded()]
PLAYERS = ("Nicolas Otamendi", "Angel Di Maria", "Chancel Mbemba", "Pierre-Emerick Aubameyang")
# weighted: most matches should live long enough to reach a shoot-out
KINDS = ("goal",) * 16 + ("card",) * 8 + ("kick",) * 24 + ("disallow", "retract") * 4 + (
    "abandon", "result")


def _anything(data: st.DataObject, ids: list[str], goals: list[str], turn: str) -> Event:
    """One event of any match type, mostly aimed at this match's teams and earlier events
    (``ids``; ``goals``: those of its goals; kicks mostly by the team whose ``turn`` it is)."""
    teams = st.sampled_from(("benfica", "marseille", "porto"))
    minute = st.none() | st.integers(-1, 130)
    some_id = st.sampled_from(ids) if ids else st.just(str(uuid.uuid4()))
    some_goal = st.sampled_from(goals) if goals else some_id
    kind = data.draw(st.sampled_from(KINDS))
    if kind == "goal":
        return GoalScored(team=data.draw(teams), player=data.draw(st.none() | st.sampled_from(
            PLAYERS)), minute=data.draw(minute), kind=data.draw(st.sampled_from(GoalKind)))
    if kind == "card":
        return CardShown(team=data.draw(teams), player=data.draw(st.sampled_from(PLAYERS)),
                         card=data.draw(st.sampled_from(Card)), minute=data.draw(minute))
    if kind == "kick":
        kicker = st.sampled_from((turn,) * 6 + ("benfica", "marseille", "porto"))
        return ShootoutKick(team=data.draw(kicker), outcome=data.draw(st.sampled_from(
            KickOutcome)), taker=data.draw(st.none() | st.sampled_from(PLAYERS)))
    if kind == "disallow":
        return GoalDisallowed(goal=data.draw(some_goal))
    if kind == "retract":
        return EventRetracted(event=data.draw(some_id), reason="typed by mistake")
    if kind == "abandon":
        return MatchAbandoned(minute=data.draw(minute))
    score = st.tuples(st.integers(-1, 4), st.integers(0, 4))
    return ResultReported(full_time=data.draw(score),
                          penalties=data.draw(st.none() | st.tuples(st.integers(0, 6),
                                                                     st.integers(0, 6))))


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_anything_appended_to_a_match_is_admitted_or_refused_and_the_views_agree(
        data: st.DataObject) -> None:
    """Whatever is thrown at the deciding match of a tie (one leg, or the second after a
    played first, under any rules), in any order: each event goes in whole or is refused
    with a ledger error and changes nothing; the chain stays intact; the read models a
    rebuild writes are the views of the fold; a finished shoot-out is never level; an own
    goal counts for the other side; the score is the goals and kicks that stand."""
    legs = data.draw(st.sampled_from((1, 2)), label="legs")
    rules = data.draw(st.builds(  # away goals in extra time only with away goals
        lambda extra, away, away_in_extra: TieRules(
            extra_time=extra, away_goals=away, away_goals_in_extra_time=away and away_in_extra),
        st.booleans(), st.booleans(), st.booleans()), label="rules")
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as lg:
        setup_tie(lg, legs=legs, rules=rules)
        match, moment = "t1-leg1", KICKOFF
        if legs == 2:
            first = [GoalScored(team=data.draw(st.sampled_from(("benfica", "marseille"))),
                                minute=50 + n) for n in range(data.draw(st.integers(0, 3)))]
            play_first_leg(lg, *first)
            match, moment = "t1-leg2", KICKOFF + WEEK
        whistle, reported, turn = 0, False, "benfica"
        ids: list[str] = []
        goals: list[str] = []
        for _ in range(data.draw(st.integers(1, 60), label="steps")):
            moment += dt.timedelta(minutes=1)
            tries = ([WHISTLES[whistle], MatchEnded()] if data.draw(st.booleans())
                     and whistle < len(WHISTLES) else [_anything(data, ids, goals, turn)])
            for event in tries:
                head = lg.head()
                try:
                    (env,) = lg.append(f"match:{match}", [Draft(event=event, occurred_at=moment)])
                except LedgerError:
                    assert lg.head() == head
                    continue
                ids.append(env.event_id)
                if isinstance(event, GoalScored):
                    goals.append(env.event_id)
                reported |= isinstance(event, ResultReported)
                if isinstance(event, ShootoutKick):
                    turn = "marseille" if event.team == "benfica" else "benfica"
                if event == WHISTLES[min(whistle, len(WHISTLES) - 1)]:
                    whistle += 1
                break
        assert lg.verify().ok
        Projector(lg).rebuild()
        state = state_at(lg)
        board, view = scoreboard(state, match), tie(state, "T1")
        row = lg.db.table("rm_scoreboard").get(match)
        assert (row["status"], row["home_goals"], row["away_goals"], row["home_penalties"],
                row["away_penalties"]) == (board.status, *board.score,
                                           *(board.penalties or (None, None)))
        stored = lg.db.table("rm_tie").get(("cup", "T1"))["json"]
        assert json.loads(stored) == json.loads(json.dumps(to_json(view)))
        if board.status == "finished" and board.penalties is not None:
            assert board.penalties[0] != board.penalties[1]
        assert let_through(lg) == view.winner  # the judge lets the bracket's winner through
        for goal in board.goals:  # an own goal counts for the other side, any other for its own
            assert (goal.team == goal.scorer_team) == (goal.kind is not GoalKind.OWN_GOAL)
        if not reported:  # then the score is the goals and kicks that stand, nothing else
            sides = (board.home, board.away)
            assert board.score == tuple(sum(1 for g in board.goals if g.team == side
                                            and not g.disallowed) for side in sides)
            scored: list[str | None] = [k.team for k in board.kicks
                                        if k.outcome is KickOutcome.SCORED]
            if board.penalties is not None:
                assert board.penalties == tuple(scored.count(side) for side in sides)


# --- anything thrown at a cup's draw ---------------------------------------------------------

CLUBS = ("benfica", "marseille", "roma", "milan", "porto")


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_draw_and_schedule_is_admitted_or_refused_and_the_bracket_agrees(
        data: st.DataObject) -> None:
    """Ties drawn between any teams or winners, fixtures with any teams, ties and legs: each
    goes in whole or is refused with a ledger error; the bracket a rebuild stores is the
    fold's; a fixture of a tie has teams its sides can be, and a round has each side once."""
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.db") as lg:
        setup_tie(lg)
        lg.append("competition:cup", drafts(*[TeamRegistered(team=t, name=t.title())
                                              for t in CLUBS[2:]]))
        tie_ids = ["T1", "T2", "T3", "S1", "S2", "F"]
        side = st.one_of(st.builds(Side, team=st.sampled_from(CLUBS)),
                         st.builds(Side, winner_of=st.sampled_from(tie_ids)))
        for _ in range(data.draw(st.integers(1, 40), label="steps")):
            if data.draw(st.booleans()):
                event: Event = TieDrawn(round=data.draw(st.sampled_from(("QF", "SF", "F"))),
                                        tie=data.draw(st.sampled_from(tie_ids)),
                                        sides=(data.draw(side), data.draw(side)),
                                        legs=data.draw(st.integers(1, 2)))
            else:
                teams = st.none() | st.sampled_from(CLUBS)
                event = FixtureScheduled(match=data.draw(st.sampled_from(("m1", "m2", "m3"))),
                                         date=KICKOFF.date(), home=data.draw(teams),
                                         away=data.draw(teams), tie=data.draw(
                                             st.none() | st.sampled_from(tie_ids)),
                                         leg=data.draw(st.none() | st.integers(1, 2)))
            head = lg.head()
            try:
                lg.append("competition:cup", drafts(event))
            except LedgerError:
                assert lg.head() == head
        assert lg.verify().ok
        Projector(lg).rebuild()
        state = state_at(lg)
        view = bracket(state, "cup")
        stored = lg.db.table("rm_bracket").get("cup")["json"]
        assert json.loads(stored) == json.loads(json.dumps(to_json(view)))
        for rnd in view.rounds:
            drawn = [s.winner_of or s.team for t in rnd.ties for s in t.sides]
            assert len(drawn) == len(set(drawn)), drawn
        for fx in state.fixtures.values():
            if fx.tie is not None:
                ties = {t.tie: t for r in view.rounds for t in r.ties}
                may = [set(s.candidates) | {t for t in (s.team,) if t is not None}
                       for s in ties[fx.tie].sides]
                assert {fx.home, fx.away} - {None} <= may[0] | may[1]
