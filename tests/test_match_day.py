"""Issue 19 on match day: the clock, the timeline, finals the bracket feeds, listing matches,
and help that reads cleanly. On the seed data (tests/test_seed_data.py tells its story)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from clirun import cli
from test_cli import all_commands
from typer.testing import CliRunner

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.events import Period
from matchledger.events.clock import match_clock
from matchledger.ledger import Ledger, import_lines

runner = CliRunner()
CEST = dt.timezone(dt.timedelta(hours=2))
QF4 = "uel24-qf4-leg2"  # Marseille 1-0 Benfica a.e.t., 4-2 pens: 1H from 21:00 CEST


@pytest.fixture(scope="module")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "seed.db"
    with Ledger(db) as lg:
        import_lines(lg, seed_lines())
    return db


def score_json(db: Path, *args: str) -> dict[str, object]:
    return json.loads(cli(db, "score", *args, "--json").stdout)  # type: ignore[no-any-return]


# --- 3. the clock ------------------------------------------------------------------------------

WHISTLE = dt.datetime(2024, 4, 18, 21, 0, tzinfo=CEST)


@pytest.mark.parametrize(("period", "after", "ended", "text"), [
    (Period.FIRST_HALF, 22.5, (), "23'"),
    (Period.FIRST_HALF, 0, (), "1'"),
    (Period.FIRST_HALF, 46.2, (), "45+2'"),
    (None, 50, (Period.FIRST_HALF,), "HT"),
    (Period.SECOND_HALF, 21.5, (Period.FIRST_HALF,), "67'"),
    (Period.SECOND_HALF, 21, (Period.FIRST_HALF,), "66'"),
    (Period.EXTRA_FIRST, 13.5, (Period.FIRST_HALF, Period.SECOND_HALF), "ET 104'"),
    (Period.EXTRA_SECOND, 16.5, (), "ET 120+2'"),
    (Period.SHOOTOUT, 3, (), "pens"),
    (Period.SECOND_HALF, 24 * 60, (Period.FIRST_HALF,), "90+'"),  # a whistle never typed
    (None, 0, (), None),
])
def test_the_clock_runs_from_the_period_s_start_whistle(
        period: Period | None, after: float, ended: tuple[Period, ...], text: str | None) -> None:
    clock = match_clock(period, WHISTLE, WHISTLE + dt.timedelta(minutes=after), ended=ended)
    assert (clock.text if clock else None) == text


def test_the_clock_never_shows_less_than_a_minute_recorded() -> None:
    clock = match_clock(Period.FIRST_HALF, WHISTLE, WHISTLE + dt.timedelta(minutes=5), ended=(),
                        reached=(12, 0))
    assert clock is not None and clock.text == "12'"


@pytest.mark.parametrize(("as_of", "clock", "status"), [
    ("2024-04-18T21:30+02:00", "30'", "live 30'"),  # issue 19: it said "live 1'"
    ("2024-04-18T21:46:30+02:00", "45+2'", "live 45+2'"),
    ("2024-04-18T21:50+02:00", "HT", "live, half time"),
    ("2024-04-18T22:48+02:00", "90'", "live, end of 90 minutes"),
    ("2024-04-18T23:28+02:00", "pens", "live, penalty shoot-out"),
])
def test_score_as_of_a_moment_shows_the_live_clock(seed_db: Path, as_of: str, clock: str,
                                                  status: str) -> None:
    assert score_json(seed_db, QF4, "--as-of", as_of)["clock"] == clock
    assert status in cli(seed_db, "score", QF4, "--as-of", as_of).stdout


def test_the_panel_shows_the_90_minute_score_during_extra_time_and_pens_once_known(
        seed_db: Path) -> None:
    during = cli(seed_db, "score", QF4, "--as-of", "2024-04-18T23:00+02:00").stdout
    assert "HT 0-0  90' 1-0" in during and "ET " in during
    after = cli(seed_db, "score", QF4).stdout
    assert "HT 0-0  90' 1-0  AET 1-0  pens 4-2" in after
    assert score_json(seed_db, QF4)["clock"] is None  # finished: no clock


# --- 4. the timeline ---------------------------------------------------------------------------


def test_goals_and_cards_are_listed_in_match_order_with_the_score_after_each_goal(
        tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with Ledger(db) as lg:
        import_lines(lg, seed_lines())
    match = "uel24-qf1-leg2"  # Roma 2-1 Milan: Mancini 12', Dybala 22', Celik red 31', Gabbia 85'
    # typed late, out of order: a yellow at 5' and a (made-up) disallowed goal at 60'
    cli(db, "append", "card", match, "--team", "Milan", "--player", "Theo Hernandez",
        "--minute", "5", "--at", "2024-04-18T19:05Z", "--new-player")
    cli(db, "append", "goal", match, "--team", "Milan", "--player", "Leao", "--minute", "60",
        "--at", "2024-04-18T20:15Z", "--new-player")
    cli(db, "append", "disallow", match, "last", "--reason", "VAR: offside",
        "--at", "2024-04-18T20:16Z")
    board = score_json(db, match)
    goals = board["goals"]
    assert isinstance(goals, list)
    assert [(g["minute"], g["score_after"], g["disallowed"]) for g in goals] == [
        (12, [1, 0], False), (22, [2, 0], False), (60, None, True), (85, [2, 1], False)]
    cards = board["cards"]
    assert isinstance(cards, list)
    assert [c["minute"] for c in cards] == [5, 31]
    panel = cli(db, "score", match).stdout
    lines = [line for line in panel.splitlines() if "'" in line and ("⚽" in line or "▮" in line)]
    assert [line.split("'")[0].strip("│ ") for line in lines] == ["5", "12", "22", "31", "60",
                                                                  "85"]
    assert "Gabbia  2-1" in panel and "disallowed" in panel


# --- 5. fixtures the bracket feeds -------------------------------------------------------------


def _play(db: Path, match: str, day: str, *goals: tuple[str, str, int]) -> None:
    """A match played through on ``day`` (kick-off 19:00 UTC), with ``goals`` (team, player,
    minute)."""
    def at(minute: int) -> str:
        return (dt.datetime.fromisoformat(f"{day}T19:00+00:00")
                + dt.timedelta(minutes=minute)).isoformat()

    cli(db, "append", "whistle", match, "kick-off", "--at", at(0))
    for team, player, minute in goals:
        if minute > 45:
            continue
        cli(db, "append", "goal", match, "--team", team, "--player", player, "--minute",
            str(minute), "--at", at(minute), "--new-player")
    cli(db, "append", "whistle", match, "half-time", "--at", at(47))
    cli(db, "append", "whistle", match, "start", "--at", at(62))
    for team, player, minute in goals:
        if minute > 45:
            cli(db, "append", "goal", match, "--team", team, "--player", player, "--minute",
                str(minute), "--at", at(minute + 17), "--new-player")
    cli(db, "append", "whistle", match, "full-time", "--at", at(110))


def test_a_final_takes_its_teams_once_the_semi_finals_are_decided(tmp_path: Path) -> None:
    db = tmp_path / "f.db"
    with Ledger(db) as lg:
        import_lines(lg, seed_lines())
        head = lg.head()
    refused = runner.invoke(app, ["append", "whistle", "uel24-final", "kick-off", "--at",
                                  "2024-05-22T19:00Z", "--db", str(db)])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "error: match:uel24-final v0: MatchStarted refused: the teams of this match are not "
        "known yet: ties SF1 and SF2 are not decided"]
    # no follow-on message blames a period that never started
    refused = runner.invoke(app, ["append", "whistle", "uel24-final", "start", "--at",
                                  "2024-05-22T19:00Z", "--db", str(db)])
    assert "1H started before kick-off" not in refused.stderr
    assert "ties SF1 and SF2 are not decided" in refused.stderr
    with Ledger(db) as lg:
        assert lg.head() == head
    # the semi-finals kick off with the quarter-finals' winners, as the bracket has them
    _play(db, "uel24-sf1-leg1", "2024-05-02", ("Atalanta", "Lookman", 30))
    _play(db, "uel24-sf1-leg2", "2024-05-09", ("Atalanta", "Ruggeri", 2))
    sf1 = score_json(db, "uel24-sf1-leg2")
    assert (sf1["home"], sf1["away"], sf1["score"]) == ("atalanta", "marseille", [1, 0])
    refused = runner.invoke(app, ["append", "whistle", "uel24-final", "kick-off", "--at",
                                  "2024-05-22T19:00Z", "--db", str(db)])
    assert "tie SF2 is not decided" in refused.stderr
    _play(db, "uel24-sf2-leg1", "2024-05-02", ("Leverkusen", "Andrich", 73))
    _play(db, "uel24-sf2-leg2", "2024-05-09", ("Leverkusen", "Stanisic", 90))
    _play(db, "uel24-final", "2024-05-22", ("Atalanta", "Lookman", 12),
          ("Atalanta", "Lookman", 26), ("Atalanta", "Lookman", 75))
    final = score_json(db, "uel24-final")
    assert (final["home"], final["away"], final["score"]) == ("atalanta", "leverkusen", [3, 0])
    streaks = json.loads(cli(db, "streaks", "Leverkusen", "--json").stdout)
    assert streaks["unbeaten"]["current"]["length"] == 0
    assert json.loads(cli(db, "bracket", "uel-2023-24", "--json").stdout)["alive"] == [
        "atalanta"]


# --- 10. listing matches; ids as people type them ------------------------------------------------


def test_matches_lists_fixtures_and_results_by_competition_team_round_status_and_date(
        seed_db: Path) -> None:
    def listed(*args: str) -> list[tuple[object, ...]]:
        rows = json.loads(cli(seed_db, "matches", *args, "--json").stdout)
        return [(r["match"], r["status"], r["score"]) for r in rows]

    assert listed("--competition", "UEL-2023-24", "--round", "qf", "--to", "2024-04-11") == [
        ("uel24-qf1-leg1", "finished", [0, 1]), ("uel24-qf2-leg1", "finished", [0, 3]),
        ("uel24-qf3-leg1", "finished", [2, 0]), ("uel24-qf4-leg1", "finished", [2, 1])]
    assert listed("--team", "Roma") == [("uel24-qf1-leg1", "finished", [0, 1]),
                                        ("uel24-qf1-leg2", "finished", [2, 1])]
    assert listed("--team", "Roma", "--as-of", "2024-04-12") == [
        ("uel24-qf1-leg1", "finished", [0, 1]), ("uel24-qf1-leg2", "scheduled", None)]
    scheduled = listed("--status", "scheduled")
    assert [m for m, _, _ in scheduled][-1] == "uel24-final" and len(scheduled) == 5
    assert listed("--from", "2024-04-18", "--to", "2024-04-18", "--status", "finished",
                  "--known-at", "2024-04-18T12:00") == []
    row = json.loads(cli(seed_db, "matches", "--round", "QF", "--json").stdout)[7]
    assert row == {"match": "uel24-qf4-leg2", "competition": "uel-2023-24", "round": "QF",
                   "tie": "QF4", "leg": 2, "date": "2024-04-18",
                   "kickoff": "2024-04-18T21:00:00+02:00", "home": "marseille",
                   "away": "benfica", "status": "finished", "score": [1, 0],
                   "extra_time": True, "penalties": [4, 2]}
    table = runner.invoke(app, ["matches", "--team", "Benfica", "--db", str(seed_db)],
                          env={"COLUMNS": "120"}).stdout
    assert "uel24-qf4-leg2" in table and "18 Apr 2024 21:00 +02:00" in table
    assert "finished (a.e.t., 4-2 pens)" in table


@pytest.mark.parametrize(("day", "message"), [
    ("2201-01-01", "2201-01-01 is outside the years 1850 to 2200"),
    ("1849-12-31", "1849-12-31 is outside the years 1850 to 2200"),
    ("2024-4-1", "'2024-4-1' is not a date: give it as 2024-04-11"),
])
def test_matches_takes_days_the_ledger_could_hold(seed_db: Path, day: str, message: str) -> None:
    for option in ("--from", "--to"):
        refused = cli(seed_db, "matches", option, day, code=2)
        assert refused.stderr.splitlines() == [
            f"error: Invalid value for '{option}': {message} (see matchledger matches --help)"]


@pytest.mark.parametrize(("args", "message"), [
    (["tie", "qf9"], "unknown tie 'qf9'; did you mean 'QF4', 'QF3', 'QF2'?"),
    (["score", "uel24-qf1-leg9"], "unknown match 'uel24-qf1-leg9'; did you mean"),
    (["matches", "--status", "over"], "--status 'over': use scheduled, live, finished"),
    (["matches", "--competition", "uel-2023-25"], "unknown competition 'uel-2023-25'"),
])
def test_an_unknown_id_suggests_the_close_ones(seed_db: Path, args: list[str],
                                               message: str) -> None:
    result = runner.invoke(app, [*args, "--db", str(seed_db)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


def test_match_tie_and_competition_ids_are_matched_whatever_their_case(seed_db: Path) -> None:
    assert json.loads(cli(seed_db, "tie", "qf1", "--json").stdout)["tie"] == "QF1"
    assert score_json(seed_db, "UEL24-QF1-LEG1")["match"] == "uel24-qf1-leg1"
    assert json.loads(cli(seed_db, "bracket", "UEL-2023-24", "--json").stdout)["competition"] \
        == "uel-2023-24"


# --- help -----------------------------------------------------------------------------------------


def _command_paths() -> list[list[str]]:
    return [[], *(command.split() for command in all_commands())]


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "matchledger")
def test_every_command_s_help_renders_cleanly(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Usage: matchledger" in out
    assert not re.search(r"<[a-z|\[\]_]+>|\{[A-Z_]+\}", out), out
    if path and path != ["append"]:
        assert "Example: matchledger" in out, out
