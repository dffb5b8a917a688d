"""The seven causes of tracebacks found by hostile input, each pinned at its cause: text that
is not UTF-8, dates beyond years 1-9999, integers beyond 64 bits, an infinite interval, deep
nesting, a meta that is not an object, stored data that is not JSON. Each ends as one line on
stderr, a non-zero exit code, and the ledger file unchanged."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from test_limits import refused, runner

from matchledger.cli.demo import seed_lines
from matchledger.cli.main import app
from matchledger.events import TeamRegistered
from matchledger.ledger import Ledger, import_lines

MATCH = "uel24-qf1-leg1"
HUGE = "99999999999999999999"


# --- text that is not UTF-8 ------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["log", "--stream", "x\udcff"], "--stream: not UTF-8 text (a lone surrogate, U+DCFF or "
                                     "the byte 0xFF, at character 2)"),
    (["log", "--stream=x\udcff"], "--stream: not UTF-8 text"),
    (["export", "--stream", "competition:\udc80"], "--stream: not UTF-8 text"),
    (["tie", "QF\udcff"], "argument 2: not UTF-8 text"),
    (["append", "team", "uel-2023-24", "x", "--name", "\ud800"], "--name: not UTF-8 text"),
    (["append", "goal", MATCH, "--team", "roma", "--player", "Dy\udcffbala"],
     "--player: not UTF-8 text"),
    (["import", "\udcff.jsonl"], "argument 2: not UTF-8 text"),
])
def test_an_argument_that_is_not_utf8_is_refused_naming_its_option(
        demo_db: Path, args: list[str], message: str) -> None:
    refused(demo_db, args, message, 2)


@pytest.mark.parametrize("args", [["append", "json"], ["import", "-"]])
@pytest.mark.parametrize("text", [b'{"a": "\xff"}', b'{"stream": "x"}\n{"a": "\xed\xb3\xbf"}\n',
                                  b"= Cup 2023/24\n\xff\n"])
def test_stdin_that_is_not_utf8_is_one_line(demo_db: Path, args: list[str], text: bytes
                                            ) -> None:
    refused(demo_db, args, "stdin is not UTF-8 text", 1, stdin=text)


# --- dates beyond years 1-9999, integers beyond 64 bits, an infinite interval ---------------


@pytest.mark.parametrize(("args", "message", "code"), [
    (["log", "--as-of", "10000-01-01"], "is not a date or time", 2),
    (["append", "goal", MATCH, "--team", "roma", "--at", "0001-01-01T00:00+14:00"],
     "Invalid value for '--at': 0001-01-01T00:00:00+14:00 is outside the years", 2),
    (["append", "fixture", "uel-2023-24", "zz", "--date", "10000-01-01"], "--date:", 1),
    (["append", "fixture", "uel-2023-24", "zz", "--date", ""], "--date: Invalid isoformat", 1),
    (["log", "--after", HUGE], "Invalid value for '--after'", 2),
    (["export", "--after", HUGE], "Invalid value for '--after'", 2),
    (["log", "--last", HUGE], "Invalid value for '--last'", 2),
    (["log", "--at-position", HUGE], "Invalid value for '--at-position'", 2),
    (["bracket", "uel-2023-24", "--at-position", HUGE], "Invalid value for '--at-position'", 2),
    (["log", "--follow", "--interval", "inf"], "Invalid value for '--interval'", 2),
    (["rebuild", "--follow", "--interval", "1e400"], "Invalid value for '--interval'", 2),
])
def test_extreme_dates_numbers_and_intervals_are_one_line(
        demo_db: Path, args: list[str], message: str, code: int) -> None:
    refused(demo_db, args, message, code)


# --- deep nesting, a meta that is not an object -------------------------------------------


def test_json_nested_too_deeply_is_one_line_on_every_path(demo_db: Path, tmp_path: Path) -> None:
    deep = "[" * 100_000
    refused(demo_db, ["append", "json", deep], "malformed JSON: nested too deeply", 1)
    refused(demo_db, ["append", "json"], "malformed JSON: nested too deeply", 1, stdin=deep)
    file = tmp_path / "deep.txt"  # its first line is read to tell its format
    file.write_text('{"stream": ' + deep + "\n")
    refused(demo_db, ["import", str(file)], "line 1: malformed JSON: nested too deeply", 1)


@pytest.mark.parametrize("meta", [[1], "text", 5, True])
def test_a_meta_that_is_not_an_object_with_source_is_one_line(demo_db: Path, meta: object
                                                               ) -> None:
    line = json.dumps({"stream": f"match:{MATCH}", "type": "MatchStarted", "data": {},
                       "meta": meta})
    refused(demo_db, ["append", "json", line, "--source", "BBC"],
            "field 'meta' must be an object", 1)


# --- stored data that is not JSON (a tampered file) -----------------------------------------


def tamper(db: Path, column: str, text: str) -> None:
    """Write ``text`` into ``column`` of a goal of MATCH, behind the ledger's back."""
    conn = sqlite3.connect(db)
    [trigger] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_no_update'"
                             ).fetchone()
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute(f"UPDATE events SET {column} = ? WHERE position = (SELECT min(position) "
                 "FROM events WHERE type = 'GoalScored' AND stream = ?)", (text, f"match:{MATCH}"))
    conn.execute(trigger)  # as it was: the file still looks like a ledger
    conn.commit()
    conn.close()


READS = [["log"], ["score", MATCH], ["bracket", "uel-2023-24"], ["table", "uel-2023-24"],
         ["streaks", "roma"], ["players"], ["tie", "QF1"], ["rebuild"],
         ["append", "goal", MATCH, "--team", "roma"], ["log", "--match", MATCH, "--follow",
                                                       "--at-position", "100"]]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:2]) for a in READS])
def test_stored_data_that_is_not_json_is_one_line_on_any_read(demo_db: Path, args: list[str]
                                                              ) -> None:
    tamper(demo_db, "data", "{not json")
    # a rebuild writes its read models as it goes (rolled back, but the file is touched)
    refused(demo_db, args, "stored GoalScored data is not JSON", 1, unchanged=args != ["rebuild"])


def test_stored_meta_that_is_not_json_is_one_line(demo_db: Path) -> None:
    tamper(demo_db, "meta", "[[")
    with Ledger(demo_db) as lg:
        goal = next(e for e in lg.read(stream=f"match:{MATCH}", types=["GoalScored"]))
        with pytest.raises(Exception, match="stored meta is not JSON") as raised:
            dict(goal.meta)
    assert type(raised.value).__name__ == "InvalidEvent"


# --- terminal control characters in what the CLI prints -------------------------------------

PWNED = "\x1b]0;pwned\x07 FC\u202e"  # retitles the terminal, then reverses what follows
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def test_names_with_control_characters_are_escaped_in_tables_lines_and_errors(
        demo_db: Path) -> None:
    added = runner.invoke(app, ["append", "team", "uel-2023-24", "pwn", "--name", PWNED,
                                "--alias", "\u009b2J", "--db", str(demo_db)])
    assert added.exit_code == 0, added.stderr
    for args in (["teams"], ["log", "--last", "1"], ["log", "--last", "1", "--follow",
                                                     "--at-position", "143"]):
        result = runner.invoke(app, [*args, "--db", str(demo_db)])
        assert result.exit_code == 0, result.stderr
        for out in (added.stdout, result.stdout, result.stderr):
            assert not UNSAFE.search(out), out
        assert "\\x1b]0;pwned" in result.stdout and "\\x9b2J" in result.stdout
    unknown = runner.invoke(app, ["streaks", "\x1b[2J\x1b[H", "--db", str(demo_db)])
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: unknown team '\\x1b[2J\\x1b[H'")
    assert not UNSAFE.search(unknown.stderr)


def test_json_output_stays_exact_json_and_safe_on_a_terminal(demo_db: Path) -> None:
    with Ledger(demo_db) as lg:
        lg.append("competition:uel-2023-24", [TeamRegistered(team="pwn", name=PWNED,
                                                             aliases=("\u009b2J",))])
    teams = runner.invoke(app, ["teams", "--json", "--db", str(demo_db)])
    log = runner.invoke(app, ["log", "--last", "1", "--json", "--db", str(demo_db)])
    export = runner.invoke(app, ["export", "--after", "142", "--db", str(demo_db)])
    for result in (teams, log, export):
        assert result.exit_code == 0 and not UNSAFE.search(result.stdout), result.stdout
    team = next(t for t in json.loads(teams.stdout) if t["team"] == "pwn")
    assert (team["name"], team["aliases"]) == (PWNED, ["\u009b2J"])
    for result in (log, export):
        assert json.loads(result.stdout)["data"]["name"] == PWNED
    copy = demo_db.parent / "copy.db"
    with Ledger(copy) as lg:  # an escaped export imports back: the same values, hashes hold
        import_lines(lg, [*seed_lines(), export.stdout])
        assert lg.verify().ok


def test_stdin_read_after_its_format_is_sniffed_is_still_open(db_path: Path) -> None:
    """The check for UTF-8 must not close stdin once the first line is read ahead."""
    result = runner.invoke(app, ["import", "-", "--db", str(db_path)],
                           input="\n".join(seed_lines()) + "\n")
    assert result.exit_code == 0, result.stderr
    with Ledger(db_path) as lg:
        assert lg.head() == len(seed_lines())
