"""Issue 19, point 9: a file written by ``export --as-of/--known-at/--at-position`` imports
into a fresh ledger that answers every view as the source does under the same filter.

One rule says what a filtered read keeps (``ledger.eventstore.in_time``): a retraction is
exempt from ``--as-of`` but comes only with the event it retracts, and an amendment only with
its replacement (an export up to a position between the two is refused). The views, ``log``
and ``export`` all read by it. The story: the seed, the first semi-final played with a goal
typed in error and retracted, an amendment the next day, and a quarter-final goal retracted
long after.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from clirun import cli

from matchledger.ledger import Ledger

SF1 = "uel24-sf1-leg1"
GABBIA = "uel24-qf1-leg2"  # Roma 2-1 Milan: Gabbia's goal is retracted long after


def cest(hh_mm: str) -> str:
    return f"2024-05-02T{hh_mm}+02:00"


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, demo_template: Path
          ) -> tuple[Path, dict[str, str]]:
    """The source ledger, and moments and positions of its story to filter by."""
    db = tmp_path_factory.mktemp("story") / "source.db"
    shutil.copyfile(demo_template, db)
    marks: dict[str, str] = {}
    cli(db, "append", "fixture", "uel-2023-24", SF1, "--home", "Marseille", "--away",
        "Atalanta", "--kickoff", cest("21:00"), "--at", "2024-04-19T10:00Z")
    cli(db, "append", "whistle", SF1, "kick-off", "--at", cest("21:00"))
    cli(db, "append", "goal", SF1, "--team", "Marseille", "--player", "Chancel Mbemba",
        "--minute", "11", "--at", cest("21:11"), "--new-player")
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Scamacca", "--minute",
        "28", "--at", cest("21:28"))
    cli(db, "append", "retract", SF1, "last", "--reason", "typed in error", "--at",
        cest("21:29"))
    cli(db, "append", "whistle", SF1, "half-time", "--at", cest("21:47"))
    cli(db, "append", "whistle", SF1, "start", "--at", cest("22:03"))
    cli(db, "append", "goal", SF1, "--team", "Atalanta", "--player", "Ademola Lookman",
        "--minute", "59", "--at", cest("22:17"), "--new-player")
    cli(db, "append", "whistle", SF1, "full-time", "--at", cest("22:52"))
    marks["known_before_amendment"] = dt.datetime.now(dt.UTC).isoformat()
    # the report: the goal was a minute later (its replacement occurred at 22:18)
    cli(db, "append", "amend", SF1, "last", "--minute", "60", "--reason", "official report")
    with Ledger(db, read_only=True) as lg:
        amendment = [e.position for e in lg.read(stream=f"match:{SF1}", types=["EventRetracted"])]
        marks["amendment_split"] = str(amendment[-1])  # its retraction, not its replacement
        marks["amendment_whole"] = str(amendment[-1] + 1)
        gabbia = next(e.event_id for e in lg.read(stream=f"match:{GABBIA}", types=["GoalScored"])
                      if getattr(e.event, "player", None) == "Matteo Gabbia")
    marks["known_before_late_retraction"] = dt.datetime.now(dt.UTC).isoformat()
    cli(db, "append", "retract", GABBIA, gabbia, "--reason", "typed into the wrong match")
    return db, marks


FILTERS = [
    # before the semi-finals: Gabbia's goal, retracted long after, is gone all the same
    ("--as-of", "2024-04-19"),
    # the first semi-final at half an hour: the goal typed in error, and its retraction
    ("--as-of", cest("21:30")),
    # between the amended goal (22:17) and its replacement (22:18): neither side of the
    # amendment, so the goal as first typed stands
    ("--as-of", cest("22:17:30")),
    ("--known-at", "known_before_amendment"),
    ("--known-at", "known_before_late_retraction"),
    ("--at-position", "amendment_whole"),
]


def views(db: Path, filters: list[str], matches: list[str], ties: list[str]) -> dict[str, Any]:
    """Every view's JSON (or its refusal) for ``filters``."""
    asked = [["score", m] for m in matches] + [["tie", t] for t in ties] + [
        ["bracket", "uel-2023-24"], ["table", "uel-2023-24"], ["table", "bundesliga-2023-24"],
        ["streaks"], ["streaks", "Atalanta"], ["players"], ["players", "--team", "Atalanta"],
        ["matches"], ["teams"]]
    answers = {}
    for args in asked:
        done = cli(db, *args, *filters, "--json", code=None)
        answers[" ".join(args)] = (done.exit_code,
                                   json.loads(done.stdout) if done.exit_code == 0
                                   else done.stderr)
    return answers


@pytest.mark.parametrize(("option", "value"), FILTERS, ids=[f"{o}={v}" for o, v in FILTERS])
def test_an_export_with_a_filter_imports_into_a_ledger_that_answers_as_the_source(
        story: tuple[Path, dict[str, str]], tmp_path: Path, option: str, value: str) -> None:
    source, marks = story
    filters = [option, marks.get(value, value)]
    exported = tmp_path / "filtered.jsonl"
    exported.write_text(cli(source, "export", *filters).stdout, encoding="utf-8")
    copy = tmp_path / "copy.db"
    cli(copy, "import", str(exported))
    with Ledger(source, read_only=True) as lg:
        matches, ties = sorted(lg.match_ids()), sorted(lg.tie_ids())
    expected = views(source, filters, matches, ties)
    assert views(copy, filters, matches, ties) == expected
    if option != "--as-of":  # every event of the copy passes: it is the filtered log itself
        assert views(copy, [], [SF1, GABBIA], ["SF1"]) == {
            view: answer for view, answer in expected.items()
            if not view.startswith(("score", "tie")) or view.endswith((SF1, GABBIA, "SF1"))}
    # log follows the same rule: the events it lists are the events exported
    logged = [json.loads(line)["event_id"]
              for line in cli(source, "log", *filters, "--json").stdout.splitlines()]
    assert logged == [json.loads(line)["event_id"] for line in exported.read_text().splitlines()]


def test_the_rule_keeps_a_later_retraction_and_drops_a_split_amendment(
        story: tuple[Path, dict[str, str]]) -> None:
    source, marks = story

    def scorers(*filters: str) -> list[tuple[str, int]]:
        board = json.loads(cli(source, "score", SF1, *filters, "--json").stdout)
        return [(g["player"], g["minute"]) for g in board["goals"]]

    def milan(*filters: str) -> list[int]:
        board = json.loads(cli(source, "score", GABBIA, *filters, "--json").stdout)
        return list(board["score"])

    assert milan("--as-of", "2024-04-19") == [2, 0]  # retracted today: gone as of April too
    assert milan("--known-at", marks["known_before_late_retraction"]) == [2, 1]
    assert scorers("--as-of", cest("22:17:30")) == [("Chancel Mbemba", 11),
                                                  ("Ademola Lookman", 59)]
    # a position reads the log up to where it says: its retraction, not yet its replacement
    assert scorers("--at-position", marks["amendment_split"]) == [("Chancel Mbemba", 11)]
    assert scorers() == [("Chancel Mbemba", 11), ("Ademola Lookman", 60)]


def test_an_export_up_to_a_position_inside_an_amendment_is_refused(
        story: tuple[Path, dict[str, str]]) -> None:
    source, marks = story
    split = int(marks["amendment_split"])
    result = cli(source, "export", "--at-position", str(split), code=1)
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: position {split} cuts an amendment in two (its retraction at {split}, its "
        f"replacement at {split + 1}): give {split - 1} or {split + 1}")
