"""Writes under failure: a disk that fills up mid-append, through the Python API and the CLI.

The ledger runs out of room two ways: SQLite's ``max_page_count`` (SQLITE_FULL at the
statement, any machine), and a small tmpfs filled to the brim (SQLITE_FULL at COMMIT, as a
real disk does; needs root to mount, else skipped).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from matchledger.events import GoalScored, MatchStarted
from matchledger.ledger import Draft, Ledger, LedgerError

from conftest import drafts, setup_tie

STREAM = "match:t1-leg1"
WHEN = dt.datetime(2024, 4, 11, 19, 5, tzinfo=dt.UTC)


def _goal(player: str = "Rafa Silva") -> Draft:
    return Draft(event=GoalScored(team="benfica", player=player), occurred_at=WHEN)


def _big_goal() -> Draft:
    """A goal that takes room: a name and a note as long as the ledger allows."""
    return Draft(event=GoalScored(team="benfica", player="P" * 200), occurred_at=WHEN,
                 meta={"note": "M" * 9000})


def _fill_until_refused(lg: Ledger, acknowledged: list[str], tries: int = 300) -> str:
    """Append goals until the disk refuses a few in a row; the error of the last."""
    refusals: list[str] = []
    for _ in range(tries):
        try:
            acknowledged.append(lg.append(STREAM, [_big_goal()])[0].event_id)
        except LedgerError as e:
            refusals.append(str(e))
            if len(refusals) >= 3:
                return refusals[-1]
    raise AssertionError("the disk never filled up")


def _intact(db: Path, acknowledged: list[str]) -> None:
    """Every acknowledged event is stored, versions have no gap, and verify passes."""
    with Ledger(db) as lg:
        stored = {e.event_id for e in lg.read(stream=STREAM)}
        assert set(acknowledged) <= stored
        versions = [e.version for e in lg.read(stream=STREAM)]
        assert versions == list(range(len(versions)))
        assert lg.verify().ok


def test_a_full_disk_refuses_in_one_line_and_the_same_ledger_then_appends_without_a_gap(
        ledger: Ledger, db_path: Path) -> None:
    setup_tie(ledger)
    ledger.append(STREAM, drafts(MatchStarted()), expected_version=-1)
    pages = ledger.conn.execute("PRAGMA page_count").fetchone()[0]
    ledger.conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    acknowledged: list[str] = []
    error = _fill_until_refused(ledger, acknowledged)
    assert "disk is full" in error and "rollback" not in error and "\n" not in error
    ledger.conn.execute("PRAGMA max_page_count = 1000000")
    acknowledged.append(ledger.append(STREAM, [_goal()])[0].event_id)
    _intact(db_path, acknowledged)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs (root only: skipped where it cannot be mounted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
            capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _brim(disk: Path) -> Path:
    """Fill ``disk`` with a file until no byte more fits; remove it to free the room."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_a_disk_full_at_commit_keeps_every_acknowledged_event_through_the_api(
        small_disk: Path) -> None:
    db = small_disk / "ledger.db"
    acknowledged: list[str] = []
    with Ledger(db) as lg:
        setup_tie(lg)
        lg.append(STREAM, drafts(MatchStarted()), expected_version=-1)
        filler = _brim(small_disk)
        error = _fill_until_refused(lg, acknowledged)
        assert "disk is full" in error and "rollback" not in error
        filler.unlink()
        acknowledged.append(lg.append(STREAM, [_goal()])[0].event_id)
    _intact(db, acknowledged)


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run([sys.executable, "-m", "matchledger.cli.main", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


def test_a_disk_full_says_so_in_one_line_from_the_cli_and_loses_nothing(
        small_disk: Path) -> None:
    db = small_disk / "ledger.db"
    keeper = Ledger(db)  # holds the -wal and -shm files open, as a busy ledger's are
    setup_tie(keeper)
    keeper.append(STREAM, drafts(MatchStarted()), expected_version=-1)
    filler = _brim(small_disk)
    acknowledged, refusals = [], []
    for n in range(60):
        done = _cli("append", "goal", "t1-leg1", "--team", "Benfica", "--minute", 5,
                    "--player", "P" * 200, "--source", "S" * 2000, "--event-id", f"goal-{n}",
                    "--at", "2024-04-11T21:05+02:00", "--db", db)
        if done.returncode == 0:
            acknowledged.append(f"goal-{n}")
            continue
        assert "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1, done.stderr
        refusals.append(done.stderr)
        if len(refusals) >= 2:
            break
    assert refusals and "disk is full" in refusals[-1], refusals
    filler.unlink()
    assert _cli("append", "goal", "t1-leg1", "--team", "Benfica", "--minute", 6,
                "--at", "2024-04-11T21:06+02:00", "--db", db).returncode == 0
    assert _cli("verify", "--db", db).returncode == 0
    keeper.close()
    _intact(db, acknowledged)


def test_a_failed_import_into_a_new_file_leaves_a_ledger_another_process_made_meanwhile(
        tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    created = ('{"stream": "competition:c%d", "type": "CompetitionCreated", "occurred_at": '
               '"2024-01-01T00:00Z", "data": {"competition": "c%d", "name": "Cup %d", '
               '"season": "2024"}}\n')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(created % (n, n, n) for n in range(30000)) + "not json\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    importing = subprocess.Popen([sys.executable, "-m", "matchledger.cli.main", "import", str(bad),
                                  "--db", str(db)], env=env, stderr=subprocess.PIPE, text=True)
    # another process makes the ledger and appends to it while the import is under way
    deadline = time.monotonic() + 60
    while {p.name for p in tmp_path.iterdir()} == {"bad.jsonl"}:  # the import began writing
        assert time.monotonic() < deadline and importing.poll() is None
        time.sleep(0.01)
    assert _cli("init", "--db", db).returncode == 0
    done = _cli("append", "competition", "cup-2025", "--name", "The Cup", "--season", "2025",
                "--db", db)
    assert done.returncode == 0, done.stderr
    _, errors = importing.communicate(timeout=120)
    assert importing.returncode == 1 and "line 30001: malformed JSON" in errors, errors
    assert importing.poll() is not None and db.exists()
    with Ledger(db) as lg:
        assert [e.stream for e in lg.read()] == ["competition:cup-2025"]
        assert lg.verify().ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "race.db"]


def test_export_to_a_full_disk_leaves_the_old_file_whole_and_no_half_of_the_new(
        small_disk: Path, db_path: Path) -> None:
    with Ledger(db_path) as lg:
        setup_tie(lg)
        lg.append(STREAM, drafts(MatchStarted(), *[GoalScored(team="benfica",
                                                              player="P" * 200)] * 2000))
    output = small_disk / "log.jsonl"
    output.write_text("the export of yesterday\n")
    _brim(small_disk)
    done = _cli("export", "--output", output, "--db", db_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "No space left" in done.stderr, done.stderr
    assert output.read_text() == "the export of yesterday\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "log.jsonl"]
