"""The ledger's bounds (ledger.limits): a value that would make the ledger unreadable, or a
megabyte where a name belongs, is refused at the door with one line naming the field, on every
path in (the command line, append json, import, the Python API), and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import GoalScored, TeamRegistered
from matchledger.ledger import Draft, InvalidEvent, Ledger, parse_json, parse_time
from matchledger.ledger.limits import MAX_ID, MAX_META, MAX_NAME, check_time

runner = CliRunner()
UTC = dt.UTC
MATCH = "uel24-qf1-leg1"


def refused(db: Path, args: list[str], message: str, code: int = 1,
            stdin: str | bytes | None = None, *, unchanged: bool = True) -> None:
    """The CLI refuses with one line on stderr naming ``message``, and (``unchanged``)
    leaves the ledger file as it was, byte for byte."""
    before = db.read_bytes()
    result = runner.invoke(app, [*args, "--db", str(db)], input=stdin)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exc_info)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], \
        result.stderr
    assert db.read_bytes() == before or not unchanged


def line(**fields: object) -> str:
    base: dict[str, object] = {
        "stream": "competition:x1", "type": "CompetitionCreated",
        "data": {"competition": "x1", "name": "X", "season": "2024"},
        "occurred_at": "2024-01-01T00:00Z"}
    return json.dumps({**base, **fields})


# --- the three values that made the ledger unreadable ---------------------------------------


def test_a_recorded_at_beyond_the_range_is_refused_rather_than_breaking_every_read(
        demo_db: Path) -> None:
    text = line(recorded_at="9999-12-31T23:59:59-23:59")
    refused(demo_db, ["append", "json", text],
            "recorded_at: 9999-12-31T23:59:59-23:59 is outside the years 1850 to 2200")
    jsonl = demo_db.parent / "in.jsonl"
    jsonl.write_text(text + "\n")
    refused(demo_db, ["import", str(jsonl)], "line 1: recorded_at:")


def test_a_huge_points_for_win_is_refused_rather_than_breaking_the_rebuild(demo_db: Path) -> None:
    refused(demo_db, ["append", "competition", "big", "--name", "Big", "--season", "2024",
                   "--points-for-win", "99999999999999999999"],
            "rules.points_for_win: 99999999999999999999 is out of range")


def test_a_kickoff_in_year_one_is_refused_rather_than_breaking_the_table(demo_db: Path) -> None:
    refused(demo_db, ["append", "fixture", "uel-2023-24", "zz", "--kickoff",
                   "0001-01-01T00:00+14:00"],
            "Invalid value for '--kickoff': 0001-01-01T00:00:00+14:00 is outside", code=2)
    refused(demo_db, ["append", "fixture", "uel-2023-24", "zz", "--date", "0001-01-01"],
            "date: 0001-01-01 is outside the years 1850 to 2200")


@pytest.mark.parametrize("option", ["--as-of", "--known-at"])
@pytest.mark.parametrize("moment", ["1849-12-31T23:59Z", "2201-01-01", "0001-01-01T00:00+14:00",
                                    "9999-12-31T23:59:59-23:59"])
def test_times_asked_about_are_within_the_range_too(demo_db: Path, option: str, moment: str
                                                    ) -> None:
    refused(demo_db, ["log", option, moment], "is outside the years 1850 to 2200", code=2)


def test_the_range_is_1850_to_2200_inclusive() -> None:
    check_time(dt.datetime(1850, 1, 1, tzinfo=UTC), "t")
    check_time(dt.datetime(2200, 12, 31, 23, 59, 59, tzinfo=UTC), "t")
    for outside in (dt.datetime(1849, 12, 31, 23, 59, tzinfo=UTC),
                    dt.datetime(2201, 1, 1, tzinfo=UTC)):
        with pytest.raises(InvalidEvent, match="outside the years 1850 to 2200"):
            check_time(outside, "t")
    with pytest.raises(InvalidEvent, match="occurred_at"):
        parse_time("1700-01-01T00:00Z", "occurred_at")


# --- integers beyond 64 bits, lone surrogates ------------------------------------------------


def test_a_huge_schema_version_is_one_line_not_a_traceback(demo_db: Path) -> None:
    refused(demo_db, ["append", "json", line(schema_version=99999999999999999999)],
            "unknown schema_version 99999999999999999999 of CompetitionCreated")


@pytest.mark.parametrize("field", ["name", "season", "competition"])
def test_a_lone_surrogate_in_a_json_field_is_refused_naming_the_field(demo_db: Path, field: str
                                                                      ) -> None:
    data = {"competition": "x1", "name": "X", "season": "2024"}
    data[field] = "a\ud800b"
    refused(demo_db, ["append", "json", line(data=data)],
            f"{field}: not UTF-8 text (a lone surrogate, U+D800, at character 2)")


def test_a_lone_surrogate_in_meta_or_the_event_id_is_refused(demo_db: Path) -> None:
    refused(demo_db, ["append", "json", line(meta={"by": "\udcff"})], "meta: not UTF-8 text")
    refused(demo_db, ["append", "json", line(event_id="id-\udcff")], "event_id: not UTF-8 text")


# --- lengths and sizes ---------------------------------------------------------------------


def test_a_name_longer_than_the_limit_is_refused_on_the_command_line(demo_db: Path) -> None:
    refused(demo_db, ["append", "goal", MATCH, "--team", "roma", "--player", "x" * (MAX_NAME + 1)],
            f"player: {MAX_NAME + 1} characters, more than the {MAX_NAME} allowed")
    refused(demo_db, ["append", "team", "uel-2023-24", "big", "--name", "n" * 1_000_000],
            "name: 1,000,000 characters")
    refused(demo_db, ["append", "retract", MATCH, "last", "--reason", "r" * 100_000],
            "reason: 100,000 characters")


def test_ids_meta_and_aliases_are_bounded_in_the_api_too(ledger: Ledger) -> None:
    at = dt.datetime(2024, 1, 1, tzinfo=UTC)
    goal = GoalScored(team="roma", player="Dybala")
    with pytest.raises(InvalidEvent, match="event_id: 101 characters"):
        Draft(event=goal, occurred_at=at, event_id="e" * (MAX_ID + 1))
    with pytest.raises(InvalidEvent, match="team: 201 characters"):
        Draft(event=TeamRegistered(team="t" * (MAX_NAME + 1), name="T"), occurred_at=at)
    with pytest.raises(InvalidEvent, match="aliases: 101 items"):
        Draft(event=TeamRegistered(team="t", name="T", aliases=("a",) * 101), occurred_at=at)
    with pytest.raises(InvalidEvent, match="meta: more than the"):
        Draft(event=goal, occurred_at=at, meta={"source": "s" * MAX_META, "by": "me"})
    deep: dict[str, object] = {}
    for _ in range(50):
        deep = {"x": deep}
    with pytest.raises(InvalidEvent, match="meta: nested more than"):
        Draft(event=goal, occurred_at=at, meta=deep)
    with pytest.raises(InvalidEvent, match="stream: 2,000 characters"):
        stream, draft = parse_json(line(stream="match:" + "m" * 1994))
        ledger.append(stream, [draft])


def test_a_megabyte_team_name_in_a_football_txt_file_is_refused_before_fuzzy_matching(
        demo_db: Path, tmp_path: Path) -> None:
    name = "Real " + "abcdefgh " * 116_000 + "Madrid"
    season = tmp_path / "cup.txt"
    season.write_text(f"= Test Cup 2023/24\n\n[Tue Sep/19 2023]\n  18.45  {name}  0-0  "
                      "AC Milan\n", encoding="utf-8")
    started = time.perf_counter()
    refused(demo_db, ["import", str(season)], "cup.txt: team name 'Real abcdefgh")
    assert time.perf_counter() - started < 5  # not the minutes difflib takes over a megabyte
