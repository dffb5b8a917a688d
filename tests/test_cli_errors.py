"""Every bad input of the ledger, typed at the command line: one line on stderr, exit code != 0,
the ledger unchanged. In-process (typer's CliRunner) to keep the wide table fast; a few of the
same mistakes go through the installed script in tests/test_cli.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_ledger import (
    BAD_INPUTS,
    _live_second_half,
    _not_level,
    _plate_draws_t1,
    _shootout_decided,
)
from typer.testing import CliRunner

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.ledger import Ledger, import_lines

from conftest import setup_tie

runner = CliRunner()
Build = Callable[[Ledger], None]


def state(db: Path) -> tuple[int, str | None]:
    with Ledger(db) as lg:
        return lg.head(), lg.verify().head_hash


def build(db: Path, setup: Build) -> tuple[int, str | None]:
    with Ledger(db) as lg:
        setup(lg)
    return state(db)


# what is typed on the pitch, here into matches of 2024 without --at: --now says it is meant
ON_THE_PITCH = {"goal", "card", "sub", "kick", "whistle", "disallow", "abandon", "result"}


def now(args: list[str]) -> list[str]:
    """``args`` with ``--now`` when they append on the pitch without ``--at``."""
    if args[:1] == ["append"] and args[1:2] and args[1] in ON_THE_PITCH and "--at" not in args:
        return [*args, "--now"]
    return args


def refused(db: Path, args: list[str], message: str, *, stdin: str | None = None) -> int:
    """Run the CLI; assert one line on stderr naming ``message``; return the exit code."""
    result = runner.invoke(app, [*now(args), "--db", str(db)], input=stdin)
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert result.stdout == ""
    return result.exit_code


@pytest.mark.parametrize(("build_state", "line", "message"),
                         [(case[1], case[2], case[4]) for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_every_bad_input_of_the_ledger_as_raw_json_is_one_line_and_changes_nothing(
        db_path: Path, build_state: Build, line: str, message: str) -> None:
    before = build(db_path, build_state)
    assert refused(db_path, ["append", "json", line], message) == 1
    assert refused(db_path, ["append", "json"], message, stdin=line) == 1  # from stdin
    assert state(db_path) == before


def _seed(lg: Ledger) -> None:
    import_lines(lg, seed_lines())


L1, L2 = "t1-leg1", "t1-leg2"
TYPED: list[tuple[str, Build, list[str], str, int]] = [
    ("wrong field type", _live_second_half,
     ["append", "goal", L1, "--team", "benfica", "--minute", "fifty"],
     "Invalid value for '--minute': 'fifty' is not a match minute", 2),
    ("missing field", _live_second_half, ["append", "goal", L1, "--minute", "50"],
     "Missing option '--team'", 2),
    ("unknown team", _live_second_half, ["append", "goal", L1, "--team", "Benfika"],
     "unknown team 'Benfika'; did you mean 'Benfica'?", 1),
    ("unknown match", _live_second_half, ["append", "goal", "t9-leg1", "--team", "benfica"],
     "unknown match 't9-leg1'", 1),
    ("goal before kick-off", _live_second_half, ["append", "goal", L2, "--team", "benfica"],
     "goal before kick-off", 1),
    ("minute 130 in the second half", _live_second_half,
     ["append", "goal", L1, "--team", "benfica", "--minute", "130"],
     "minute 130 does not fit 2H (46-90)", 1),
    ("kick when the tie is not level", _not_level,
     ["append", "kick", L2, "scored", "--team", "benfica"],
     "no shoot-out: the tie is not level", 1),
    ("kick in a first leg", _live_second_half,
     ["append", "kick", L1, "scored", "--team", "benfica"],
     "no shoot-out: this match decides no tie", 1),
    ("kick after the shoot-out is decided", _shootout_decided,
     ["append", "kick", L2, "scored", "--team", "benfica"],
     "the shoot-out is already decided", 1),
    ("red-carded player scoring", _live_second_half,
     ["append", "goal", L1, "--team", "benfica", "--player", "Nicolas Otamendi", "--minute",
      "60"], "Nicolas Otamendi (benfica) was sent off and cannot score", 1),
    ("red-carded player booked again", _live_second_half,
     ["append", "card", L1, "--team", "benfica", "--player", "Nicolas Otamendi"],
     "was sent off and cannot be booked again", 1),
    ("unknown card", _live_second_half,
     ["append", "card", L1, "--team", "benfica", "--player", "X", "--card", "blue"],
     "Invalid value for '--card'", 2),
    ("stale expected version", _live_second_half,
     ["append", "goal", L1, "--team", "benfica", "--minute", "50", "--expect", "2"],
     "conflict on match:t1-leg1: expected version 2, but it is at 4", 1),
    ("a period before the last one ended", _not_level,
     ["append", "whistle", L2, "start", "PSO"], "2H has not ended", 1),
    ("no period to end", lambda lg: setup_tie(lg), ["append", "whistle", L1, "end"],
     "no period is under way in t1-leg1", 1),
    ("disallow with no goal", _live_second_half, ["append", "disallow", L1, "last"],
     "no goal in t1-leg1 to point at", 1),
    ("retract an unknown event", _live_second_half,
     ["append", "retract", L1, "abc123", "--reason", "x"],
     "no event id starting 'abc123' in t1-leg1", 1),
    ("a duplicate competition", lambda lg: setup_tie(lg),
     ["append", "competition", "cup", "--name", "Cup", "--season", "2025"],
     "competition 'cup' already exists", 1),
    ("a tie from an unknown tie", lambda lg: setup_tie(lg),
     ["append", "tie", "cup", "SF1", "winner:QF9", "benfica", "--round", "SF"],
     "winner_of 'QF9': no such tie in this competition", 1),
    ("away goals in extra time without away goals", lambda lg: None,
     ["append", "competition", "old", "--name", "Old", "--season", "1990",
      "--away-goals-in-extra-time"], "--away-goals-in-extra-time needs --away-goals", 1),
    ("a fixture with no date", lambda lg: setup_tie(lg),
     ["append", "fixture", "cup", "t2-leg1", "--home", "benfica"],
     "give --kickoff (with its offset) or --date", 1),
    ("a team that cannot be in a tie", _seed,
     ["append", "fixture", "uel-2023-24", "uel24-sf1-leg1", "--home", "Roma"],
     "tie SF1 is between marseille and atalanta", 1),
    ("both teams from one side of a tie", _seed,
     ["append", "fixture", "uel-2023-24", "uel24-sf1-leg1", "--home", "Benfica", "--away",
      "Marseille"], "tie SF1 is between marseille and atalanta", 1),
    ("a competition with a blank name", lambda lg: None,
     ["append", "competition", "c9", "--name", " ", "--season", "2025"],
     "competition name ' ' has no letters or digits", 1),
    ("a tie with a blank id", lambda lg: setup_tie(lg),
     ["append", "tie", "cup", " ", "Benfica", "Marseille", "--round", "SF"],
     "tie id ' ' has no letters or digits", 1),
    ("a tie's fixture in another round", lambda lg: setup_tie(lg),
     ["append", "fixture", "cup", "t1-leg1", "--round", "SF"],
     "tie T1 is in round QF, not SF", 1),
    ("a kick-off on another day than the match's", lambda lg: setup_tie(lg),
     ["append", "fixture", "cup", "t9", "--kickoff", "2024-05-02T21:00+02:00", "--date",
      "2024-05-09"], "is not on the match's date 2024-05-09", 1),
    ("abandoned past the end of extra time", _live_second_half,
     ["append", "abandon", L1, "--minute", "200"], "minute 200 is not a match minute", 1),
    ("abandoned before a minute already played", _live_second_half,
     ["append", "abandon", L1, "--minute", "20"],
     "abandoned at minute 20, but the match had reached minute 46", 1),
    ("a retraction with a blank reason", _live_second_half,
     ["append", "retract", L1, "last", "--reason", " "], "a retraction needs its reason", 1),
    ("a team drawn twice in one round", lambda lg: setup_tie(lg),
     ["append", "tie", "cup", "T2", "Benfica", "Marseille", "--round", "QF"],
     "benfica is already in tie T1 of round QF", 1),
    ("a second first leg for a tie", lambda lg: setup_tie(lg),
     ["append", "fixture", "cup", "t1-again", "--tie", "T1", "--leg", "1", "--date",
      "2024-04-09"], "tie T1 leg 1 is already match 't1-leg1'", 1),
    ("a kick-off without its offset", lambda lg: setup_tie(lg),
     ["append", "fixture", "cup", "t9", "--kickoff", "2024-05-02T21:00"],
     "'2024-05-02T21:00' is not a kick-off with its UTC offset", 2),
    ("a bad time", lambda lg: setup_tie(lg),
     ["append", "whistle", L1, "kick-off", "--at", "yesterday"],
     "Invalid value for '--at': 'yesterday' is not a date or time", 2),
]


@pytest.mark.parametrize(("build_state", "args", "message", "code"),
                         [case[1:] for case in TYPED], ids=[case[0] for case in TYPED])
def test_every_bad_input_typed_at_the_cli_is_one_line_and_changes_nothing(
        db_path: Path, build_state: Build, args: list[str], message: str, code: int) -> None:
    before = build(db_path, build_state)
    assert refused(db_path, args, message) == code
    assert state(db_path) == before


@pytest.mark.parametrize(("args", "message"), [
    (["score", "t1-leg9"], "unknown match 't1-leg9'; did you mean"),
    (["tie", "T9"], "unknown tie 'T9'; did you mean 'T1'?"),
    (["bracket", "cop"], "unknown competition 'cop'; did you mean 'cup'?"),
    (["table", "nope"], "unknown competition 'nope'; known competitions: cup"),
    (["streaks", "Benfika"], "unknown team 'Benfika'; did you mean 'Benfica'?"),
    (["players", "--team", "Marselle"], "unknown team 'Marselle'; did you mean 'Marseille'"),
    (["log", "--type", "Goal"], "unknown event type 'Goal'"),
    (["log", "--match", "t1-leg1", "--stream", "competition:cup"], "give one of --stream"),
    (["log", "--match", "t1-lg1"], "unknown match 't1-lg1'; did you mean 't1-leg1'"),
    (["log", "--competition", "cop"], "unknown competition 'cop'; did you mean 'cup'?"),
    (["export", "--stream", "competition:cop"], "unknown competition 'cop'; did you mean"),
    (["export", "--match", "t9"], "unknown match 't9'"),
    (["score", "t1-leg1", "--as-of", "2024-13-01"], "Invalid value for '--as-of'"),
    (["score", "t1-leg1", "--known-at", "soon"], "Invalid value for '--known-at'"),
    (["score", "t1-leg1", "--at-position", "-3"], "Invalid value for '--at-position'"),
    (["scor", "t1-leg1"], "No such command 'scor'"),
    (["rebuild", "scorebored"], "unknown projection 'scorebored'"),
    (["import", "no-such-file.jsonl"], "no such file: no-such-file.jsonl"),
    (["import", "."], ". is a folder: name the files in it"),
])
def test_bad_reads_are_one_line_too(db_path: Path, args: list[str], message: str) -> None:
    before = build(db_path, setup_tie)
    refused(db_path, args, message)
    assert state(db_path) == before


def test_a_tie_id_drawn_in_two_competitions_is_refused_unless_one_is_named_or_meant(
        db_path: Path) -> None:
    def both(lg: Ledger) -> None:
        setup_tie(lg)
        _plate_draws_t1(lg)

    build(db_path, both)
    refused(db_path, ["tie", "T1"], "tie 'T1' is in cup, plate: name one with --competition")
    for args, competition in ((["--competition", "plate"], "plate"),
                              (["--as-of", "2024-03-18"], "cup")):  # before the plate's draw
        result = runner.invoke(app, ["tie", "T1", *args, "--json", "--db", str(db_path)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["competition"] == competition


def test_a_file_that_is_not_a_ledger_is_refused_not_touched(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    refused(text, ["score", "x"], f"{text} is not a matchledger ledger")
    refused(text, ["import", "-"], f"{text} exists and is not a matchledger ledger", stdin="")
    assert text.read_text() == "not a database\n"


def test_a_result_must_agree_with_the_goals_recorded(db_path: Path) -> None:
    before = build(db_path, _not_level)
    refused(db_path, ["append", "result", L1, "2-2"], "contradicts the goals recorded")
    refused(db_path, ["append", "result", L1, "two-one"], "SCORE: 'two-one' is not a score")
    assert state(db_path) == before


def test_a_result_that_leaves_a_tie_without_a_winner_is_kept_with_a_warning(db_path: Path
                                                                            ) -> None:
    """A source may report a level last leg and no shoot-out (a coin toss, a tie annulled):
    the ledger keeps what it was told, and the desk hears that the tie has no winner."""
    build(db_path, lambda lg: setup_tie(lg, legs=1))
    warning = "warning: tie T1 is level after its last leg and no shoot-out is reported"
    leveled = runner.invoke(app, ["append", "result", L1, "1-1", "--now", "--db", str(db_path)])
    assert leveled.exit_code == 0 and leveled.stderr.strip().startswith(warning)
    runner.invoke(app, ["append", "retract", L1, "last", "--reason", "x", "--db", str(db_path)])
    decided = runner.invoke(app, ["append", "result", L1, "1-1", "--extra-time", "1-1",
                                  "--penalties", "4-3", "--now", "--db", str(db_path)])
    assert decided.exit_code == 0 and decided.stderr == "", decided.stderr
    two_legs = str(db_path.with_name("two-legs.db"))  # the second leg not scheduled yet
    assert runner.invoke(app, ["init", "--db", two_legs]).exit_code == 0
    for args in (["competition", "c", "--name", "C", "--season", "2024"],
                 ["team", "c", "a", "--name", "A"], ["team", "c", "b", "--name", "B"],
                 ["tie", "c", "T1", "a", "b", "--round", "F"],
                 ["fixture", "c", "f1", "--tie", "T1", "--leg", "1", "--date", "2024-05-01"]):
        assert runner.invoke(app, ["append", *args, "--db", two_legs]).exit_code == 0
    first = runner.invoke(app, ["append", "result", "f1", "1-1", "--at", "2024-05-01T20:00Z",
                                  "--db", two_legs])
    assert first.exit_code == 0 and first.stderr == "", first.stderr  # the second leg decides


def test_an_import_with_one_bad_line_writes_none_of_the_file(db_path: Path) -> None:
    before = build(db_path, _live_second_half)
    good = json.dumps({"stream": "competition:cup", "type": "TeamRegistered",
                       "data": {"team": "porto", "name": "FC Porto"},
                       "occurred_at": "2024-04-11T20:00:00+01:00"})
    bad = json.dumps({"stream": "match:t1-leg1", "type": "GoalScored",
                      "data": {"team": "benfica", "minute": 130},
                      "occurred_at": "2024-04-11T21:30:00+01:00"})
    refused(db_path, ["import", "-"], "line 2: ", stdin=f"{good}\n{bad}\n")
    assert state(db_path) == before
