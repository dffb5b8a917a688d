"""Corrections after full time: a match is judged as it happened on the pitch, not as typed.

A goal the reporter missed, a card the referee's report adds, an amended scorer: facts recorded
later about the past. Admitted when they fit the match in their place (period, minute, added
time), refused with the reason when they would make it impossible; every view follows them, and
``known_at`` before the correction shows what was believed then.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from clirun import cli
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.events import (
    Card,
    CardShown,
    Event,
    EventRetracted,
    GoalDisallowed,
    GoalKind,
    GoalScored,
    KickOutcome,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ShootoutKick,
)
from matchledger.events.match import MatchState
from matchledger.events.pitch import pitch_order, rejudge, standing
from matchledger.ledger import Draft, Ledger, RuleBroken, import_lines
from matchledger.projections import (
    Projector,
    UnknownEvent,
    bracket,
    query,
    scoreboard,
    state_at,
    tie,
    to_json,
)
from matchledger.projections.state import bound_match

from conftest import KICKOFF, at, drafts, setup_tie

runner = CliRunner()
H1, H2, ET1, ET2, PSO = Period
LEG1, LEG2 = "match:t1-leg1", "match:t1-leg2"
WEEK = dt.timedelta(days=7)
WHISTLES = (MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
            PeriodStarted(period=H2), PeriodEnded(period=H2), MatchEnded())


def played(*events: Event, start: dt.datetime = KICKOFF) -> list[Draft]:
    """A match's events with the times they happen: the first half from ``start``, the
    second from 62 minutes after it, the final whistle at 112 (``events`` are its goals and
    cards, in any order: each placed at its minute)."""
    def moment(event: Event) -> float:
        minute = getattr(event, "minute", None) or 0
        return minute + (getattr(event, "added", None) or 0) + (17 if minute > 45 else 0)

    whistles = [(0, WHISTLES[0]), (0, WHISTLES[1]), (47, WHISTLES[2]), (62, WHISTLES[3])]
    timed = [*whistles, *((moment(e), e) for e in events), (112, WHISTLES[4]),
             (112, WHISTLES[5])]
    return [Draft(event=e, occurred_at=at(t, start))
            for t, e in sorted(timed, key=lambda te: te[0])]


def full_time(lg: Ledger, stream: str = LEG1, *events: Event, start: dt.datetime = KICKOFF
              ) -> None:
    """A match played through (``events`` typed as they happen), its final whistle blown."""
    lg.append(stream, played(*events, start=start))


def late(event: Event, minute: float) -> list[Draft]:
    """``event`` typed a day after the match, occurring at ``minute`` of it (by the clock)."""
    return [Draft(event=event, occurred_at=at(minute))]


def test_a_goal_typed_after_full_time_but_timed_inside_the_match_is_admitted(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger, LEG1, GoalScored(team="benfica", player="Neres", minute=60))
    typed = ledger.head()
    ledger.append(LEG1, late(GoalScored(team="marseille", player="Aubameyang", minute=83),
                             90))
    board = scoreboard(state_at(ledger), "t1-leg1")
    assert board.status == "finished"
    assert board.score == (1, 1)
    assert [g.minute for g in board.goals] == [60, 83]
    assert tie(state_at(ledger), "T1").aggregate == (1, 1)
    assert scoreboard(state_at(ledger, at_position=typed), "t1-leg1").score == (1, 0)


def test_a_correction_that_leaves_a_deciding_match_level_without_extra_time_is_refused(
        ledger: Ledger) -> None:
    setup_tie(ledger, legs=1)
    full_time(ledger, LEG1, GoalScored(team="benfica", minute=60))
    with pytest.raises(RuleBroken, match="then MatchEnded would not fit: the tie is level: "
                                         "it needs extra time"):
        ledger.append(LEG1, late(GoalScored(team="marseille", minute=83), 95))


def test_a_correction_is_timed_inside_the_match_not_when_it_was_typed(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger)
    head = ledger.head()
    with pytest.raises(RuleBroken, match="after the match ended at .*: a correction is timed "
                                         "inside the match"):
        ledger.append(LEG1, late(GoalScored(team="benfica", minute=50), 60 * 24 * 30))
    assert ledger.head() == head


def test_a_missed_first_half_goal_counts_at_half_time(ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger)
    ledger.append(LEG1, late(GoalScored(team="benfica", minute=45, added=2), 47))
    board = scoreboard(state_at(ledger), "t1-leg1")
    assert board.half_time == (1, 0) and board.score == (1, 0)


def test_the_bracket_follows_a_correction_and_known_at_shows_the_belief_before(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger, LEG1, GoalScored(team="benfica", minute=60),
              GoalScored(team="benfica", minute=70))
    full_time(ledger, LEG2, GoalScored(team="marseille", minute=50), start=KICKOFF + WEEK)
    before = dt.datetime.now(dt.UTC)
    assert tie(state_at(ledger), "T1").winner == "benfica"
    # the second goal was Marseille's, at 70: retract and amend in one batch
    goal = [e for e in ledger.read(stream=LEG1) if isinstance(e.event, GoalScored)][1]
    ledger.amend(LEG1, goal.event_id, {"team": "marseille", "kind": GoalKind.OWN_GOAL},
                 reason="own goal by Otamendi, not a Benfica goal")
    assert scoreboard(state_at(ledger), "t1-leg1").score == (2, 0)  # own goal: still Benfica's
    ledger.amend(LEG1, next(e.event_id for e in ledger.read(stream=LEG1, types=["GoalScored"])
                            if isinstance(e.event, GoalScored) and e.event.team == "marseille"),
                 {"kind": GoalKind.OPEN_PLAY}, reason="it was Marseille's own goal after all")
    assert scoreboard(state_at(ledger), "t1-leg1").score == (1, 1)
    assert bracket(state_at(ledger), "cup").rounds[0].ties[0].winner == "marseille"
    then = state_at(ledger, known_at=before)
    assert scoreboard(then, "t1-leg1").score == (2, 0)
    assert tie(then, "T1").winner == "benfica"


@pytest.mark.parametrize(("event", "reason"), [
    (GoalScored(team="benfica", player="Otamendi", minute=80), "sent off and cannot score"),
    (CardShown(team="benfica", player="Otamendi", card=Card.YELLOW, minute=75),
     "was sent off and cannot be booked again"),
    (GoalScored(team="benfica", minute=100),
     r"goal after the match finished \(minute 100 is in ET1, which was not played\)"),
    (GoalScored(team="benfica", minute=44, added=2), "added time only after minute 45"),
    (CardShown(team="benfica", player="Neres", card=Card.SECOND_YELLOW, minute=50),
     "no yellow card yet"),
])
def test_a_correction_that_would_make_the_match_impossible_is_refused_with_the_reason(
        ledger: Ledger, event: Event, reason: str) -> None:
    setup_tie(ledger)
    full_time(ledger, LEG1, CardShown(team="benfica", player="Otamendi", card=Card.RED,
                                      minute=70))
    head = ledger.head()
    with pytest.raises(RuleBroken, match=reason):
        ledger.append(LEG1, late(event, 95))
    assert ledger.head() == head


def test_a_yellow_typed_late_before_a_recorded_one_makes_that_one_a_second_yellow(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger, LEG1, CardShown(team="benfica", player="Neres", card=Card.YELLOW,
                                      minute=70))
    with pytest.raises(RuleBroken, match="already has a yellow"):
        ledger.append(LEG1, late(CardShown(team="benfica", player="Neres", card=Card.YELLOW,
                                           minute=50), 95))
    # amend the 70th-minute yellow into a second yellow, then the earlier one fits
    card = next(e for e in ledger.read(stream=LEG1, types=["CardShown"]))
    with pytest.raises(RuleBroken, match="no yellow card yet"):
        ledger.amend(LEG1, card.event_id, {"card": Card.SECOND_YELLOW}, reason="report")


def test_a_late_first_leg_goal_that_undoes_the_second_leg_s_extra_time_is_refused(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger)
    ledger.append(LEG2, drafts(*WHISTLES[:5], PeriodStarted(period=ET1),
                               GoalScored(team="marseille", minute=100),
                               PeriodEnded(period=ET1), PeriodStarted(period=ET2),
                               PeriodEnded(period=ET2), MatchEnded(), start=KICKOFF + WEEK))
    head = ledger.head()
    with pytest.raises(RuleBroken, match="second leg t1-leg2 invalid"):
        ledger.append(LEG1, late(GoalScored(team="benfica", minute=20), 95))
    # and a late goal in the second leg's 90 minutes: its extra time would not fit
    with pytest.raises(RuleBroken, match="then PeriodStarted ET1 would not fit"):
        ledger.append(LEG2, [Draft(event=GoalScored(team="benfica", minute=20),
                                   occurred_at=KICKOFF + WEEK + dt.timedelta(minutes=20))])
    assert ledger.head() == head


def test_an_amended_kick_keeps_its_turn_in_the_shoot_out(ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger)
    kicks = [ShootoutKick(team=team, outcome=KickOutcome(outcome)) for team, outcome in [
        ("marseille", "scored"), ("benfica", "saved"), ("marseille", "scored"),
        ("benfica", "scored"), ("marseille", "scored"), ("benfica", "missed"),
        ("marseille", "scored")]]
    ledger.append(LEG2, drafts(*WHISTLES[:5], *[e for p in (ET1, ET2) for e in (
        PeriodStarted(period=p), PeriodEnded(period=p))], PeriodStarted(period=PSO), *kicks,
        PeriodEnded(period=PSO), MatchEnded(), start=KICKOFF + WEEK))
    first = next(e for e in ledger.read(stream=LEG2, types=["ShootoutKick"]))
    ledger.amend(LEG2, first.event_id, {"taker": "Aubameyang"}, reason="taker named")
    board = scoreboard(state_at(ledger), "t1-leg2")
    assert board.penalties == (4, 1)
    assert [k.taker for k in board.kicks][:2] == ["Aubameyang", None]
    # a kick of the other side in its place would break the alternation
    second = [e for e in ledger.read(stream=LEG2, types=["ShootoutKick"])][1]
    with pytest.raises(RuleBroken, match="kicks alternate"):
        ledger.amend(LEG2, second.event_id, {"team": "marseille"}, reason="wrong team")


def test_an_amendment_is_one_atomic_batch_of_its_own_kind(ledger: Ledger) -> None:
    setup_tie(ledger)
    full_time(ledger, LEG1, GoalScored(team="benfica", minute=60))
    goal = next(e for e in ledger.read(stream=LEG1, types=["GoalScored"]))
    head = ledger.head()
    with pytest.raises(RuleBroken, match="replacement .* must follow it"):
        ledger.append(LEG1, [Draft(event=EventRetracted(event=goal.event_id, reason="x",
                                                       replacement="nope"),
                                   occurred_at=at(95))])
    retraction = EventRetracted(event=goal.event_id, reason="x", replacement="card-1")
    card = CardShown(team="benfica", player="Neres", card=Card.YELLOW, minute=60)
    with pytest.raises(RuleBroken, match="replaces a GoalScored with a GoalScored"):
        ledger.append(LEG1, [Draft(event=retraction, occurred_at=at(95)),
                             Draft(event=card, occurred_at=at(60), event_id="card-1")])
    with pytest.raises(RuleBroken, match="changes nothing"):
        ledger.amend(LEG1, goal.event_id, {"minute": 60}, reason="x")
    with pytest.raises(RuleBroken, match="cannot be amended"):
        ledger.amend(LEG1, next(ledger.read(stream=LEG1)).event_id, {}, reason="x")
    assert ledger.head() == head
    (retracted, replaced) = ledger.amend(LEG1, goal.event_id, {"minute": 61}, reason="x")
    assert replaced.occurred_at - goal.occurred_at == dt.timedelta(minutes=1)
    assert [g.minute for g in scoreboard(state_at(ledger), "t1-leg1").goals] == [61]
    # the replacement is retracted as any event is
    ledger.append(LEG1, late(EventRetracted(event=replaced.event_id, reason="no goal"), 95))
    assert scoreboard(state_at(ledger), "t1-leg1").score == (0, 0)


# --- any order of typing the same pitch events gives the same match ----------------------------

FACTS: list[Event] = [
    GoalScored(team="benfica", player="Neres", minute=12),
    CardShown(team="marseille", player="Balerdi", card=Card.YELLOW, minute=30),
    GoalScored(team="marseille", player="Balerdi", minute=45, added=1),
    CardShown(team="marseille", player="Balerdi", card=Card.RED, minute=58),
    GoalScored(team="benfica", player="Otamendi", kind=GoalKind.OWN_GOAL, minute=77),
    CardShown(team="benfica", player="Neres", card=Card.YELLOW, minute=90, added=3),
]


def _summary(state: MatchState) -> tuple[object, ...]:
    return (state.played(), state.score((H1,)), sorted(state.sent_off), state.status,
            sorted((g.minute, g.period) for g in state.goals.values()),
            sorted((b.minute, b.card, b.period) for b in state.bookings.values()))


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(len(FACTS))), typed_live=st.integers(0, len(FACTS)))
def test_any_order_of_typing_the_same_pitch_events_gives_the_same_match(
        order: list[int], typed_live: int) -> None:
    """The first ``typed_live`` facts (in pitch order) are typed as they happen; the rest, in
    ``order``, after the final whistle: the ledger admits them all and the match is the same."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "l.db") as lg:
        setup_tie(lg)
        lg.append(LEG1, played(*FACTS[:typed_live]))
        for i in order:
            if i >= typed_live:
                lg.append(LEG1, late(FACTS[i], 100))
        typed = bound_match(state_at(lg), "t1-leg1")
    ids = [(str(i), e) for i, e in enumerate([*WHISTLES[:2], *FACTS[:3], *WHISTLES[2:4],
                                              *FACTS[3:], *WHISTLES[4:]])]
    in_order = rejudge("benfica", "marseille", standing(ids))
    assert _summary(typed) == _summary(in_order)


def test_pitch_order_puts_each_event_in_its_place() -> None:
    events = [("s", MatchStarted()), ("h1", PeriodStarted(period=H1)),
              ("e1", PeriodEnded(period=H1)), ("h2", PeriodStarted(period=H2)),
              ("g60", GoalScored(team="a", minute=60)), ("e2", PeriodEnded(period=H2)),
              ("end", MatchEnded()), ("g30", GoalScored(team="a", minute=30)),
              ("g45", GoalScored(team="a", minute=45, added=3)),
              ("c60", CardShown(team="a", player="x", card=Card.YELLOW, minute=60))]
    assert [i for i, _ in pitch_order(events)] == [
        "s", "h1", "g30", "g45", "e1", "h2", "g60", "c60", "e2", "end"]


# --- at the command line, on the seed data ------------------------------------------------------

QF3 = "uel24-qf3-leg1"  # Leverkusen 2-0 West Ham: Hofmann 83', Boniface 90'


@pytest.fixture
def seed_db(db_path: Path) -> Path:
    with Ledger(db_path) as lg:
        import_lines(lg, seed_lines())
    return db_path


def test_issue_19_a_goal_retracted_then_typed_again_after_full_time_is_admitted(
        seed_db: Path) -> None:
    hofmann = "a1de57c5-27a5-5526-8fb2-01cab7692d23"
    cli(seed_db, "append", "retract", QF3, hofmann, "--reason", "wrong scorer")
    cli(seed_db, "append", "goal", QF3, "--team", "Leverkusen", "--player", "Boniface",
        "--minute", "83", "--at", "2024-04-11T20:38Z")
    score = json.loads(cli(seed_db, "score", QF3, "--json").stdout)
    assert score["score"] == [2, 0] and score["status"] == "finished"
    assert [(g["player"], g["minute"]) for g in score["goals"]] == [
        ("Victor Boniface", 83), ("Victor Boniface", 90)]


def test_append_amend_changes_a_goal_in_one_step_and_known_at_shows_before(
        seed_db: Path) -> None:
    before = dt.datetime.now(dt.UTC).isoformat()
    out = cli(seed_db, "append", "amend", QF3, "a1de57c5", "--player", "Boniface",
              "--minute", "84", "--reason", "referee's report").stdout
    assert "EventRetracted" in out and "GoalScored" in out and "Boniface 84'" in out
    score = json.loads(cli(seed_db, "score", QF3, "--json").stdout)
    assert [(g["player"], g["minute"]) for g in score["goals"]] == [
        ("Victor Boniface", 84), ("Victor Boniface", 90)]
    then = json.loads(cli(seed_db, "score", QF3, "--json", "--known-at", before).stdout)
    assert [g["player"] for g in then["goals"]] == ["Jonas Hofmann", "Victor Boniface"]
    # an impossible amendment: one line, exit 1, nothing written
    with Ledger(seed_db) as lg:
        head = lg.head()
    result = runner.invoke(app, ["append", "amend", QF3, "last", "--minute", "100",
                                 "--reason", "x", "--db", str(seed_db)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: match:uel24-qf3-leg1 v11: GoalScored refused: goal between periods (minute "
        "100 is in ET1, which was not played)"]
    with Ledger(seed_db) as lg:
        assert lg.head() == head
    result = runner.invoke(app, ["append", "amend", QF3, "last", "--reason", "x",
                                 "--db", str(seed_db)])
    assert result.exit_code == 1 and "say what to change" in result.stderr


def test_what_a_reference_names_is_what_stands_in_log_order(ledger: Ledger) -> None:
    """``last`` and an id's prefix name events as the match's corrections leave them: an
    amended goal by its replacement (appended last), a goal whose disallowal was retracted
    counts again, a retracted one is gone, and a goal ruled out is no goal to rule out."""
    setup_tie(ledger)
    full_time(ledger, LEG1, *(GoalScored(team="benfica", minute=m) for m in (10, 20, 30, 40)))
    g10, g20, g30, g40 = (e.event_id for e in ledger.read(stream=LEG1, types=["GoalScored"]))
    after = at(115)
    [d20] = ledger.append(LEG1, [Draft(event=GoalDisallowed(goal=g20), occurred_at=after)])
    [d30] = ledger.append(LEG1, [Draft(event=GoalDisallowed(goal=g30), occurred_at=after)])
    [d40] = ledger.append(LEG1, [Draft(event=GoalDisallowed(goal=g40), occurred_at=after)])
    ledger.append(LEG1, [Draft(event=EventRetracted(event=d.event_id, reason="wrong call"),
                               occurred_at=after) for d in (d20, d30)])
    ledger.append(LEG1, [Draft(event=EventRetracted(event=g30, reason="no goal"),
                               occurred_at=after)])
    [_, amended] = ledger.amend(LEG1, g10, {"minute": 11}, reason="report")
    goals = query.standing(ledger, "t1-leg1", lambda e: isinstance(e, GoalScored))
    assert [e.event_id for e in goals] == [g20, g40, amended.event_id]
    allowed = query.standing(ledger, "t1-leg1", lambda e: isinstance(e, GoalScored),
                             ruled_out=False)
    assert [e.event_id for e in allowed] == [g20, amended.event_id]
    calls = query.standing(ledger, "t1-leg1", lambda e: isinstance(e, GoalDisallowed))
    assert [e.event_id for e in calls] == [d40.event_id]
    assert query.find_event(ledger, "t1-leg1", "last", lambda e: True, "event") == (
        amended.event_id)
    assert query.find_event(ledger, "t1-leg1", g40[:12], lambda e: True, "event") == g40
    with pytest.raises(UnknownEvent, match="no goal in t1-leg2 to point at"):
        query.find_event(ledger, "t1-leg2", "last", lambda e: isinstance(e, GoalScored), "goal")


def test_a_goal_ruled_out_stays_ruled_out_when_its_details_are_amended(ledger: Ledger) -> None:
    """The disallowal is a fact of the game: an amendment of the goal's scorer or minute (a
    data fix) passes it on to the replacement, in the fold and in the judge's replay."""
    setup_tie(ledger)
    full_time(ledger, LEG1, GoalScored(team="benfica", player="Rafa", minute=10))
    [goal] = [e.event_id for e in ledger.read(stream=LEG1, types=["GoalScored"])]
    ledger.append(LEG1, [Draft(event=GoalDisallowed(goal=goal, reason="VAR: offside"),
                               occurred_at=at(113))])
    [_, replacement] = ledger.amend(LEG1, goal, {"player": "Di María", "minute": 12},
                                    reason="report")
    [_, again] = ledger.amend(LEG1, replacement.event_id, {"minute": 13}, reason="report")
    board = scoreboard(state_at(ledger), "t1-leg1")
    assert board.score == (0, 0)
    assert [(g.player, g.minute, g.disallowed) for g in board.goals] == [("Di María", 13, True)]
    assert query.standing(ledger, "t1-leg1", lambda e: isinstance(e, GoalScored),
                          ruled_out=False) == []
    with pytest.raises(RuleBroken, match="no goal .* to disallow"):  # the call stands first
        ledger.append(LEG1, [Draft(event=EventRetracted(event=again.event_id, reason="x"),
                                   occurred_at=at(114))])
    Projector(ledger).rebuild()
    assert to_json(scoreboard(state_at(ledger), "t1-leg1")) == to_json(board)
