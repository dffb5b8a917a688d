"""The command line on real files: the demo, a whole match appended command by command while
another process follows the log, time travel through the JSON contracts, export then import,
and a file tampered with as an attacker would.

Commands run in process (``clirun.run``) but where a real process is the point: the installed
script (``script``: the demo, help, a mistake, a missing file) and followers in processes of
their own. (The wide table of bad inputs: tests/test_cli_errors.py.)
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from clirun import head_hash, refused, run, run_json

from matchledger.ledger import Ledger

SCRIPT = Path(sys.executable).with_name("matchledger")
if not SCRIPT.exists():  # pragma: no cover - a venv always has it next to python
    SCRIPT = Path(shutil.which("matchledger") or "matchledger")
COMPETITION = "uel-2023-24"
SF1 = "uel24-sf1-leg1"


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MATCHLEDGER")}
    return {**clean, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}


def script(*args: object, db: Path | None = None, stdin: str | None = None, ok: bool = True,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``matchledger ARGS [--db DB]`` as a new process of the installed script; ``ok`` asserts
    exit code 0. (``run``, the same in process, serves the tests that need no new process.)"""
    command = [str(SCRIPT), *map(str, args), *(["--db", str(db)] if db else [])]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env(),
                          cwd=cwd, timeout=60)
    if ok:
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done


def all_commands() -> list[str]:
    """Every command and subcommand, as typed: "demo", "append goal", …"""
    import typer.main

    from matchledger.cli.main import app

    names: list[str] = []

    def walk(command: Any, prefix: str) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            names.append(f"{prefix}{name}")
            walk(sub, f"{prefix}{name} ")

    walk(typer.main.get_command(app), "")
    return names


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(a ledger built by ``matchledger demo --db``, what the demo printed)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    done = script("demo", "--db", path)
    return path, done.stdout


@pytest.fixture
def demo_db(demo: tuple[Path, str]) -> Path:
    return demo[0]


@pytest.fixture
def copy_db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo ledger that a test may write to."""
    copy = tmp_path / "copy.db"
    shutil.copy(demo_db, copy)
    return copy


# --- the demo --------------------------------------------------------------------------------


def test_demo_tells_the_story_in_a_temporary_file(tmp_path: Path) -> None:
    done = script("demo", cwd=tmp_path)
    out = done.stdout
    for told in ("The draw, 15 March 2024", "as of 12 Apr 2024 00:00 UTC",
                 "Benfica or Marseille v Liverpool or Atalanta",
                 "QF1 · Milan v Roma", "0-1, 18 Apr · agg 0-1 · open",
                 "Marseille through on penalties (4-2)", "SF1 · Marseille v Atalanta",
                 "SF2 · Roma v Leverkusen", "Marseille 1-0 Benfica (a.e.t., 4-2 pens; agg 2-2)",
                 "Angel Di Maria   ○ missed", "Luis Henrique    ● scored     4-2",
                 "Leverkusen: streaks", "unbeaten      4  3W 1D 0L",
                 "known at 2024-04-12T11:00 UTC: Liverpool 0-3 Atalanta  full time"):
        assert told in out, told
    assert done.stderr == ""
    assert list(tmp_path.iterdir()) == []  # never a matchledger.db in the current folder


def test_demo_keeps_its_ledger_with_db_and_refuses_to_overwrite_another(
        demo: tuple[Path, str], tmp_path: Path) -> None:
    path, out = demo
    assert f"kept at {path}" in out and "hash chain verified" in out
    assert head_hash(path)[0] == 142
    other = tmp_path / "other.db"
    run("init", db=other)
    run("append", "competition", "cup", "--name", "Cup", "--season", "2025", db=other)
    refused(script("demo", "--db", other, ok=False), "already holds 1 event:")


# --- time travel through the JSON contracts ----------------------------------------------------


def test_bracket_json_as_of_12_april_and_as_of_19_april(demo_db: Path) -> None:
    april_12 = run_json("bracket", COMPETITION, "--as-of", "2024-04-12", db=demo_db)
    assert april_12["competition"] == COMPETITION
    assert [r["round"] for r in april_12["rounds"]] == ["QF", "SF", "F"]
    qf = {t["tie"]: t for t in april_12["rounds"][0]["ties"]}
    assert {k: qf["QF1"][k] for k in ("sides", "aggregate", "winner", "decided_by")} == {
        "sides": ["ac-milan", "roma"], "aggregate": [0, 1], "winner": None, "decided_by": None}
    assert [leg["score"] for leg in qf["QF4"]["legs"]] == [[2, 1], None]
    assert [leg["status"] for leg in qf["QF4"]["legs"]] == ["finished", "scheduled"]
    assert set(qf["QF4"]["legs"][0]) >= {"match", "home", "away", "score", "status"}
    sf1 = april_12["rounds"][1]["ties"][0]
    assert sf1["tie"] == "SF1" and sf1["sides"] == [
        {"winner_of": "QF4", "candidates": ["benfica", "marseille"]},
        {"winner_of": "QF2", "candidates": ["liverpool", "atalanta"]}]

    april_19 = run_json("bracket", COMPETITION, "--as-of", "2024-04-19", db=demo_db)
    qf = {t["tie"]: t for t in april_19["rounds"][0]["ties"]}
    assert (qf["QF4"]["aggregate"], qf["QF4"]["winner"], qf["QF4"]["decided_by"]) == (
        [2, 2], "marseille", "penalties")
    assert qf["QF1"]["winner"] == "roma" and qf["QF1"]["decided_by"] == "aggregate"
    sf = {t["tie"]: t["sides"] for t in april_19["rounds"][1]["ties"]}
    assert sf == {"SF1": ["marseille", "atalanta"], "SF2": ["roma", "leverkusen"]}


def test_tie_json_answers_from_its_competition_as_the_whole_ledger_does(demo_db: Path) -> None:
    import datetime as dt

    import matchledger.projections as P

    for as_of in ("2024-04-12", "2024-04-19"):
        shown = run_json("tie", "QF4", "--as-of", as_of, db=demo_db)
        when = dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.UTC)
        with Ledger(demo_db) as lg:
            assert shown == P.to_json(P.tie(P.state_at(lg, as_of=when), "QF4"))
        assert shown == run_json("tie", "QF4", "--competition", COMPETITION, "--as-of", as_of,
                                 db=demo_db)
    refused(run("tie", "QF4", "--as-of", "2024-01-01", db=demo_db, ok=False),
            "unknown tie 'QF4'")


def test_streaks_and_score_json_answer_as_of_any_moment(demo_db: Path) -> None:
    lev = run_json("streaks", "Bayer 04 Leverkusen", db=demo_db)
    assert set(lev) == {"unbeaten", "winning", "scoring", "clean_sheet", "losing", "winless"}
    assert lev["unbeaten"]["current"] == {
        "length": 4, "wins": 3, "draws": 1, "losses": 0,
        "first_match": "uel24-r16-lev-qar-leg2", "last_match": "uel24-qf3-leg2"}
    assert lev["winning"]["current"]["length"] == 0 and lev["winning"]["longest"]["length"] == 3
    before = run_json("streaks", "leverkusen", "--as-of", "2024-04-15", db=demo_db)
    assert before["winning"]["current"]["length"] == 3  # the 1-1 at West Ham not yet played

    shootout = run_json("score", "uel24-qf4-leg2", db=demo_db)
    assert (shootout["score"], shootout["penalties"], shootout["status"]) == (
        [1, 0], [4, 2], "finished")
    assert [k["outcome"] for k in shootout["kicks"]][:2] == ["missed", "scored"]
    morning = run_json("score", "uel24-qf2-leg1", "--known-at", "2024-04-12T10:00", db=demo_db)
    assert morning["status"] == "scheduled"  # played the night before, recorded at 10:44 UTC
    midway = run_json("score", "uel24-qf4-leg2", "--as-of", "2024-04-18T22:40+02:00",
                      db=demo_db)
    assert (midway["status"], midway["score"], midway["period"]) == ("live", [1, 0], "2H")
    first = run_json("score", "uel24-qf1-leg1", "--at-position", "40", db=demo_db)
    assert first["status"] == "scheduled"


def test_every_team_s_players_streaks_and_teams_come_from_read_models_caught_up(
    copy_db: Path,
) -> None:
    run("rebuild", db=copy_db)
    head = head_hash(copy_db)[0]
    for command in ("players", "streaks", "teams"):  # the fold, at the head, agrees
        assert run_json(command, db=copy_db) == run_json(command, "--at-position", head,
                                                         db=copy_db)
    with Ledger(copy_db) as lg:  # a row changed behind the projector's back shows...
        lg.db.execute("UPDATE rm_player SET goals = 99 WHERE player = 'Gianluca Scamacca'")
        goal = next(e.event_id for e in lg.read(stream="match:uel24-qf2-leg1")
                    if getattr(e.event, "player", None) == "Gianluca Scamacca")
    top = run_json("players", "--top", "1", db=copy_db)
    assert (top[0]["player"], top[0]["goals"]) == ("Gianluca Scamacca", 99)
    # ...until the log moves on: the read models are behind, and the log is folded
    run("append", "retract", "uel24-qf2-leg1", goal, "--reason", "wrong match", db=copy_db)
    scorers = {p["player"]: p["goals"] for p in run_json("players", db=copy_db)}
    assert scorers["Gianluca Scamacca"] == 1  # of his two in the quarter-final


def test_rebuild_follow_keeps_the_read_models_current_as_another_process_appends(
    copy_db: Path,
) -> None:
    head = head_hash(copy_db)[0]
    proc = subprocess.Popen(
        [str(SCRIPT), "rebuild", "--catch-up", "--follow", "--json", "--interval", "0.1",
         "--db", str(copy_db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env())
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None and proc.stderr is not None
    def pump() -> None:
        for line in proc.stdout or ():
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert json.loads(lines.get(timeout=30))["position"] == head
        assert "following" in proc.stderr.readline()
        with Ledger(copy_db) as lg:
            goal = next(e.event_id for e in lg.read(stream="match:uel24-qf2-leg1")
                        if getattr(e.event, "player", None) == "Gianluca Scamacca")
        run("append", "retract", "uel24-qf2-leg1", goal, "--reason", "wrong match", db=copy_db)
        step = json.loads(lines.get(timeout=30))
        assert (step["position"], step["events"]) == (head + 1, 1)
        assert run_json("stats", db=copy_db)["read_models_position"] == head + 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    scorers = {p["player"]: p["goals"] for p in run_json("players", db=copy_db)}
    assert scorers["Gianluca Scamacca"] == 1


# --- a live match ------------------------------------------------------------------------------


class Follower:
    """``matchledger log --follow --json`` in its own process, its lines read by a thread."""

    def __init__(self, db: Path, match: str) -> None:
        self.proc = subprocess.Popen(
            [str(SCRIPT), "log", "--match", match, "--follow", "--json", "--interval", "0.1",
             "--db", str(db)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.proc.stderr is not None
        assert "following" in self.proc.stderr.readline()  # ready before the first event

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def positions(self, until: set[int], timeout: float = 15.0) -> list[int]:
        seen: list[int] = []
        deadline = time.monotonic() + timeout
        while not until <= set(seen) and time.monotonic() < deadline:
            try:
                seen.append(json.loads(self.lines.get(timeout=0.2))["position"])
            except queue.Empty:
                continue
        return seen

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


POSITION = re.compile(r"^appended \w+ at position (\d+) \(([^ ]+) v(\d+)\)", re.M)


def test_a_whole_match_appended_live_while_another_process_follows_the_log(
        copy_db: Path) -> None:
    def append(*args: str) -> tuple[list[int], str]:
        out = run("append", *args, db=copy_db).stdout
        return [int(p) for p, _, _ in POSITION.findall(out)], out

    # the seed scheduled SF1's first leg before the quarter-finals: a date, no teams, no time
    # (its kick-off would take the teams from the bracket: tests/test_match_day.py)
    append("fixture", COMPETITION, SF1, "--home", "Marseille", "--away", "Atalanta")
    append("fixture", COMPETITION, SF1, "--kickoff", "2024-05-02T21:00+02:00")
    append("player", COMPETITION, "--team", "Marseille", "--name", "Chancel Mbemba", "--alias",
           "Mbemba")  # their rosters: only those on them can be named for a team
    append("player", COMPETITION, "--team", "Atalanta", "--name", "Ademola Lookman", "--alias",
           "Lookman")
    follower = Follower(copy_db, SF1)
    goal_id = "0e3c1f9a-5d1b-4f43-9b54-3a2f7f3c0b11"
    try:
        appended: list[int] = []
        steps = [
            (["whistle", SF1, "kick-off", "--now"], "Marseille 0-0 Atalanta  live 1'"),
            (["goal", SF1, "--team", "Olympique de Marseille", "--player", "Mbemba", "--minute",
              "11", "--event-id", goal_id], "Marseille 1-0 Atalanta  live 11'"),
            (["goal", SF1, "--team", "marseille", "--minute", "12"],
             "Marseille 2-0 Atalanta  live 12'"),
            (["retract", SF1, "last", "--reason", "typed twice"],
             "Marseille 1-0 Atalanta  live 11'"),
            (["whistle", SF1, "half-time"], "Marseille 1-0 Atalanta  live, half time"),
            (["whistle", SF1, "start"], "live 46'"),
            (["goal", SF1, "--team", "Atlanta", "--player", "Ademola Lookman", "--minute",
              "59"], "Marseille 1-1 Atalanta  live 59'"),
            (["card", SF1, "--team", "atalanta", "--player", "Lookman", "--minute", "90+3"],
             "live 90+3'"),
            (["whistle", SF1, "full-time"], "Marseille 1-1 Atalanta  full time"),
        ]
        for args, score_line in steps:
            positions, out = append(*args)
            assert positions and score_line in out, out
            appended += positions
        # a resend of the same event (names spelt either way) appends nothing; another event
        # under its id is refused, not dropped; a name the ledger does not know fails
        resent = run("append", "goal", SF1, "--team", "marseille", "--player", "Mbemba",
                     "--minute", "11", "--event-id", goal_id, "--now", db=copy_db).stdout
        assert f"already in the ledger: GoalScored at position {appended[2]}" in resent
        refused(run("append", "goal", SF1, "--team", "marseille", "--minute", "11",
                    "--event-id", goal_id, "--now", db=copy_db, ok=False),
                f"event {goal_id} is stored as another event (GoalScored at "
                f"match:{SF1} v2)")
        refused(run("append", "goal", SF1, "--team", "OM", "--now", db=copy_db, ok=False),
                "unknown team 'OM'")
        seen = follower.positions(until=set(appended))
    finally:
        follower.stop()
    assert seen == appended  # every event, once, in order, as it was appended
    final = run_json("score", SF1, db=copy_db)
    assert (final["status"], final["score"], final["half_time"]) == ("finished", [1, 1], [1, 0])
    assert (final["home"], final["away"], final["kickoff"]) == (
        "marseille", "atalanta", "2024-05-02T21:00:00+02:00")
    assert (final["round"], final["tie"], final["leg"]) == ("SF", "SF1", 1)  # kept as scheduled
    assert [g["player"] for g in final["goals"]] == ["Chancel Mbemba", "Ademola Lookman"]
    assert final["cards"][0]["added"] == 3
    # optimistic concurrency: a stale writer is refused
    refused(run("append", "goal", SF1, "--team", "marseille", "--expect", "3", "--now",
                db=copy_db, ok=False), "expected version 3")


# --- the log in and out ------------------------------------------------------------------------


def test_a_competition_s_log_holds_its_matches_events_too(demo_db: Path) -> None:
    def lines(*args: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in run("log", *args, "--json", db=demo_db)
                .stdout.splitlines()]

    everything = lines()
    mine = lines("--competition", COMPETITION)
    scheduled = {e["data"]["match"] for e in everything if e["type"] == "FixtureScheduled"
                 and e["stream"] == f"competition:{COMPETITION}"}
    assert mine == [e for e in everything if e["stream"] == f"competition:{COMPETITION}"
                    or e["stream"].removeprefix("match:") in scheduled]
    assert len(mine) < len(everything)  # not the Bundesliga's
    kicks = lines("-c", COMPETITION, "--type", "ShootoutKick")
    assert len(kicks) == 8 and {e["stream"] for e in kicks} == {"match:uel24-qf4-leg2"}
    assert lines("--stream", f"competition:{COMPETITION}", "--type", "ShootoutKick") == []
    exported = run("export", "--competition", COMPETITION, db=demo_db).stdout.splitlines()
    assert [json.loads(line) for line in exported] == mine


def test_export_then_import_into_a_new_file_gives_an_identical_ledger(
        demo_db: Path, tmp_path: Path) -> None:
    exported = tmp_path / "log.jsonl"
    run("export", "--output", exported, db=demo_db)
    copy = tmp_path / "copy.db"
    done = run("import", exported, db=copy)
    assert "imported 142 events" in done.stderr
    assert head_hash(copy) == head_hash(demo_db)
    again = run("import", exported, db=copy)
    assert "imported 0 events, 142 already there" in again.stderr
    piped = tmp_path / "piped.db"
    run("import", "-", db=piped, stdin=run("export", db=demo_db).stdout)
    assert head_hash(piped) == head_hash(demo_db)
    assert run_json("stats", db=piped)["head_hash"] == head_hash(demo_db)[1]


def test_import_is_all_or_nothing_and_leaves_no_file_behind(demo_db: Path,
                                                             tmp_path: Path) -> None:
    lines = run("export", db=demo_db).stdout.splitlines()
    goal = max(n for n, line in enumerate(lines) if '"GoalScored"' in line)
    lines[goal] = lines[goal].replace('"GoalScored"', '"GoalScord"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    target = tmp_path / "new.db"
    refused(run("import", bad, db=target, ok=False),
            f"line {goal + 1}: unknown event type 'GoalScord'")
    assert not target.exists()


def test_import_refuses_an_exported_line_changed_after_export(demo_db: Path,
                                                              tmp_path: Path) -> None:
    lines = run("export", db=demo_db).stdout.splitlines()
    goal = next(n for n, line in enumerate(lines) if "Moumbagna" in line)
    changed = tmp_path / "changed.jsonl"
    for edit in (lambda line: line.replace('"marseille"', '"benfica"'),  # the hash left as was
                 lambda line: re.sub('"hash":"[0-9a-f]+"', '"hash":"' + "0" * 64 + '"', line)):
        changed.write_text("\n".join([*lines[:goal], edit(lines[goal]), *lines[goal + 1:]]))
        refused(run("import", changed, db=tmp_path / "copy.db", ok=False),
                f"line {goal + 1}: event ")
        assert not (tmp_path / "copy.db").exists()
    # a byte order mark (as Windows editors write) is not part of the first line
    marked = tmp_path / "marked.jsonl"
    marked.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    run("import", marked, db=tmp_path / "marked.db")
    assert head_hash(tmp_path / "marked.db") == head_hash(demo_db)
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"stream": "match:x", "data": ' + "[" * 1100 + "]" * 1100 + "}\n")
    refused(run("import", deep, db=tmp_path / "deep.db", ok=False),
            "line 1: malformed JSON: nested too deeply")


def test_export_refuses_to_write_over_the_ledger_it_reads(copy_db: Path) -> None:
    before = head_hash(copy_db)
    link = copy_db.parent / "link.db"
    link.symlink_to(copy_db)
    for target in (copy_db, Path(f"{copy_db}-wal"), link):
        refused(run("export", "--output", target, db=copy_db, ok=False),
                "is the ledger's own file: choose another")
    assert head_hash(copy_db) == before
    assert "hash chain intact" in run("verify", db=copy_db).stdout


def test_verify_fails_at_the_first_bad_position_of_a_tampered_file(copy_db: Path) -> None:
    assert "hash chain intact" in run("verify", db=copy_db).stdout
    raw = sqlite3.connect(copy_db)
    (goal,) = raw.execute("SELECT position FROM events WHERE type = 'GoalScored' AND "
                          "data LIKE '%Moumbagna%'").fetchone()
    raw.execute("DROP TRIGGER events_no_update")  # what an attacker with the file would do
    raw.execute("UPDATE events SET data = json_set(data, '$.team', 'benfica') "
                "WHERE position = ?", (goal,))
    raw.commit()
    raw.close()
    refused(run("verify", db=copy_db, ok=False), f"broken at position {goal}: hash does not")
    report = run("verify", "--json", db=copy_db, ok=False)
    assert report.returncode == 1
    assert json.loads(report.stdout)["first_bad"] == goal


# --- mistakes through the real script ----------------------------------------------------------


def test_bad_input_at_the_real_script_is_one_line_and_changes_nothing(copy_db: Path) -> None:
    before = head_hash(copy_db)
    refused(script("append", "goal", "uel24-qf4-leg1", "--team", "Benfika", "--minute", "3",
                "--now", db=copy_db, ok=False), "unknown team 'Benfika'; did you mean 'Benfica'?")
    refused(script("append", "goal", SF1, "--team", "benfica", "--now", db=copy_db, ok=False),
            "goal before kick-off")
    refused(script("append", "json", db=copy_db, stdin='{"stream": "match:', ok=False),
            "malformed JSON")
    refused(script("bracket", COMPETITION, "--as-of", "12 April", db=copy_db, ok=False),
            "Invalid value for '--as-of': '12 April' is not a date or time")
    assert head_hash(copy_db) == before


def test_a_read_command_on_a_missing_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    refused(script("score", "x", db=missing, ok=False), f"no ledger at {missing}: run matchledger")
    assert not missing.exists()


def test_help_of_the_installed_script_lists_every_command() -> None:
    out = script("--help").stdout
    for name in ("demo", "init", "import", "export", "append", "log", "score", "tie",
                 "bracket", "table", "streaks", "players", "rebuild", "verify", "stats"):
        assert re.search(rf"│ {name} ", out), name
