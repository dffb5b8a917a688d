"""Substitutions as facts of the match: who went off takes no further part, nobody comes on
twice, and the match is judged as it happened on the pitch, not in typing order."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import (
    Card,
    CardShown,
    GoalScored,
    KickOutcome,
    MatchEnded,
    MatchStarted,
    Period,
    PeriodEnded,
    PeriodStarted,
    ShootoutKick,
    SubstitutionMade,
)
from matchledger.ledger import Ledger, RuleBroken
from matchledger.ledger.codec import decode, encode
from matchledger.projections import scoreboard, state_at, to_json

from conftest import drafts, setup_tie

H1, H2, ET1, ET2, PSO = Period
LEG = "match:t1-leg1"


def _sub(off: str, on: str, minute: int | None = 60, team: str = "benfica",
         added: int | None = None) -> SubstitutionMade:
    return SubstitutionMade(team=team, player_off=off, player_on=on, minute=minute, added=added)


def _second_half(lg: Ledger, *events: object) -> None:
    setup_tie(lg, legs=1)
    lg.append(LEG, drafts(MatchStarted(), PeriodStarted(period=H1), PeriodEnded(period=H1),
                          PeriodStarted(period=H2), *events))  # type: ignore[arg-type]


def test_the_event_has_a_clean_shape_and_round_trips() -> None:
    sub = _sub("Rafa Silva", "Neres", 90, added=2)
    assert encode(sub) == ("SubstitutionMade", 1, {
        "team": "benfica", "player_off": "Rafa Silva", "player_on": "Neres", "minute": 90,
        "added": 2})
    assert decode(*encode(sub)) == sub


@pytest.mark.parametrize(("event", "problem"), [
    (GoalScored(team="benfica", player="rafa silva", minute=70),
     "went off at 60' and cannot score"),
    (CardShown(team="benfica", player="Rafa Silva", card=Card.YELLOW, minute=75),
     "went off at 60' and cannot be booked"),
    (_sub("Rafa Silva", "Kokcu", 80), "went off at 60' and cannot go off again"),
    (_sub("Aursnes", "Neres", 80), "Neres (benfica) came on already"),
    (_sub("Neres", "Rafa Silva", 80), "went off and cannot come back on"),
    (_sub("Aursnes", "Aursnes", 80), "cannot replace himself"),
    (GoalScored(team="benfica", player="Kokcu", minute=50), None),  # never involved: fine
    (GoalScored(team="benfica", player="Rafa Silva", minute=55), None),  # before he went off
    (CardShown(team="benfica", player="Rafa Silva", card=Card.YELLOW, minute=60), None),
])
def test_a_player_who_went_off_takes_no_further_part(ledger: Ledger, event: object,
                                                      problem: str | None) -> None:
    _second_half(ledger, _sub("Rafa Silva", "Neres"))
    if problem is None:
        ledger.append(LEG, drafts(event))  # type: ignore[arg-type]
        return
    with pytest.raises(RuleBroken, match=re.escape(problem)):
        ledger.append(LEG, drafts(event))  # type: ignore[arg-type]


def test_a_second_substitution_of_one_player_is_refused_whenever_it_is_timed(
        ledger: Ledger) -> None:
    _second_half(ledger, _sub("Rafa Silva", "Neres"))
    # judged as on the pitch: off at 50', he cannot go off again at 60'
    with pytest.raises(RuleBroken, match=re.escape("Rafa Silva (benfica) went off at 50' and "
                                                   "cannot go off again")):
        ledger.append(LEG, drafts(_sub("Rafa Silva", "Kokcu", 50)))


def test_no_minute_is_now_while_a_period_is_under_way_and_unknown_in_a_report(
        ledger: Ledger) -> None:
    setup_tie(ledger)
    ledger.append(LEG, drafts(MatchStarted(), PeriodStarted(period=H1), _sub("A", "B", 20)))
    with pytest.raises(RuleBroken, match="went off at 20' and cannot score"):
        ledger.append(LEG, drafts(GoalScored(team="benfica", player="A")))
    # a match known from a report (no periods): a card without a minute may be before
    ledger.append("match:t1-leg2", drafts(MatchStarted(), _sub("Rafa Silva", "Neres"),
                                          CardShown(team="benfica", player="Rafa Silva",
                                                    card=Card.YELLOW)))


def test_a_substitute_cannot_score_before_he_came_on(ledger: Ledger) -> None:
    _second_half(ledger, _sub("Rafa Silva", "Neres", 70))
    with pytest.raises(RuleBroken, match=re.escape("Neres (benfica) scored at 65': he cannot "
                                                   "come on at 70'")):
        ledger.append(LEG, drafts(GoalScored(team="benfica", player="Neres", minute=65)))
    ledger.append(LEG, drafts(GoalScored(team="benfica", player="Neres", minute=75)))


def test_a_substitution_timed_before_a_goal_of_the_player_going_off_is_refused(
        ledger: Ledger) -> None:
    _second_half(ledger, GoalScored(team="benfica", player="Rafa Silva", minute=80))
    with pytest.raises(RuleBroken, match="went off at 60' and cannot score"):
        ledger.append(LEG, drafts(_sub("Rafa Silva", "Neres")))
    ledger.append(LEG, drafts(_sub("Rafa Silva", "Neres", 85)))


def test_no_substitution_before_kick_off_nor_outside_its_period(ledger: Ledger) -> None:
    setup_tie(ledger, legs=1)
    with pytest.raises(RuleBroken, match="substitution before kick-off"):
        ledger.append(LEG, drafts(_sub("A", "B")))
    ledger.append(LEG, drafts(MatchStarted(), PeriodStarted(period=H1)))
    with pytest.raises(RuleBroken, match="minute 60 does not fit 1H"):
        ledger.append(LEG, drafts(_sub("A", "B", 60)))


def test_a_player_who_went_off_takes_no_kick_in_the_shoot_out(ledger: Ledger) -> None:
    _second_half(ledger, _sub("Otamendi", "Morato", 88), PeriodEnded(period=H2),
                 PeriodStarted(period=ET1), PeriodEnded(period=ET1),
                 PeriodStarted(period=ET2), PeriodEnded(period=ET2),
                 PeriodStarted(period=PSO))
    with pytest.raises(RuleBroken, match="went off at 88' and cannot take a kick"):
        ledger.append(LEG, drafts(ShootoutKick(team="benfica", taker="Otamendi",
                                               outcome=KickOutcome.SCORED)))
    ledger.append(LEG, drafts(ShootoutKick(team="benfica", taker="Morato",
                                           outcome=KickOutcome.SCORED)))


def test_a_retracted_substitution_frees_the_player_again(ledger: Ledger) -> None:
    _second_half(ledger)
    [env] = ledger.append(LEG, drafts(_sub("Rafa Silva", "Neres")))
    from matchledger.events import EventRetracted
    ledger.append(LEG, drafts(EventRetracted(event=env.event_id, reason="wrong player")))
    ledger.append(LEG, drafts(GoalScored(team="benfica", player="Rafa Silva", minute=70)))


def test_the_scoreboard_and_its_json_show_the_substitution(ledger: Ledger) -> None:
    _second_half(ledger, GoalScored(team="benfica", minute=50),
                 _sub("Rafa Silva", "Neres", 90, added=1), PeriodEnded(period=H2), MatchEnded())
    board = scoreboard(state_at(ledger), "t1-leg1")
    [sub] = board.substitutions
    assert (sub.player_off, sub.player_on, sub.minute, sub.added) == ("Rafa Silva", "Neres",
                                                                      90, 1)
    [shown] = to_json(board)["substitutions"]
    assert shown["player_on"] == "Neres" and shown["period"] == "2H"


def test_append_sub_on_the_command_line_and_the_timeline_shows_it(tmp_path: Path) -> None:
    db = str(tmp_path / "cup.db")
    runner = CliRunner()
    for args in (["init"],
                 ["append", "competition", "cup-2025", "--name", "The Cup", "--season", "2025"],
                 ["append", "team", "cup-2025", "porto", "--name", "FC Porto"],
                 ["append", "team", "cup-2025", "braga", "--name", "SC Braga"],
                 ["append", "fixture", "cup-2025", "m1", "--home", "porto", "--away", "braga",
                  "--kickoff", "2025-05-25T17:15+01:00"],
                 ["append", "whistle", "m1", "kick-off", "--at", "2025-05-25T17:15+01:00"],
                 ["append", "sub", "m1", "--team", "Porto", "--off", "Pepe", "--on",
                  "Zaidu", "--minute", "30", "--at", "2025-05-25T17:45+01:00"]):
        out = runner.invoke(app, [*args, "--db", db])
        assert out.exit_code == 0, out.output
    assert "⇄ porto: Zaidu on for Pepe 30'" in out.output
    out = runner.invoke(app, ["append", "goal", "m1", "--team", "Porto", "--player", "Pepe",
                              "--minute", "40", "--at", "2025-05-25T17:55+01:00", "--db", db])
    assert out.exit_code == 1
    assert "Pepe (porto) went off at 30' and cannot score" in out.output
    out = runner.invoke(app, ["score", "m1", "--db", db])
    assert "Zaidu on for Pepe" in out.output
    out = runner.invoke(app, ["score", "m1", "--json", "--db", db])
    assert json.loads(out.output)["substitutions"][0]["player_off"] == "Pepe"


def test_a_snapshot_of_the_match_keeps_its_substitutions(ledger: Ledger) -> None:
    """The stored JSON of a match's state (snapshots, read models) carries its substitutions,
    so a read that starts from a snapshot knows who went off."""
    from matchledger.projections.codec import decode_part, encode_part

    _second_half(ledger, _sub("Rafa Silva", "Neres", 90, added=1))
    match = state_at(ledger).matches["t1-leg1"]
    assert match.substitutions
    key = ("match", "t1-leg1")
    assert decode_part(key, encode_part(key, match)) == match
