"""Read commands write nothing; a file that is not a ledger is refused and left byte-identical.

A read opens the ledger read-only (no switch to WAL, no schema made), a foreign SQLite file
(an ``events`` table of another shape, triggers missing or added, an unknown format marker)
is refused in one line by every command, and paths that are not files, or a ledger in a
folder that cannot be written, get a message that says what they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.ledger import Ledger, import_file
from matchledger.ledger.eventstore import _SCHEMA
from matchledger.projections import Projector

runner = CliRunner()
READS = [
    ["score", "uel24-qf4-leg2"], ["tie", "QF4"], ["bracket", "uel-2023-24"],
    ["table", "uel-2023-24"], ["teams"], ["streaks"], ["streaks", "Leverkusen"], ["players"],
    ["log", "--last", "3"], ["export"], ["stats"], ["verify"],
]
WRITES = [
    ["append", "team", "uel-2023-24", "braga", "--name", "SC Braga"],
    ["rebuild"],
    ["import", "-"],
]


def seeded(path: Path) -> Path:
    with Ledger(path) as lg:
        import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
        Projector(lg, snapshot_every=50).rebuild()
    return path


def state_of(path: Path) -> tuple[str, list[str]]:
    """The file's bytes (as a digest) and the files beside it."""
    return (hashlib.sha256(path.read_bytes()).hexdigest(),
            sorted(p.name for p in path.parent.iterdir()))


def invoke(args: list[str], db: Path, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, [*args, "--db", str(db)], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def refused(args: list[str], db: Path, message: str, stdin: str | None = None) -> None:
    code, out, err = invoke(args, db, stdin)
    lines = err.splitlines()
    assert code == 1 and len(lines) == 1, (args, out, err)
    assert lines[0].startswith("error: ") and message in lines[0], (args, lines[0])


def test_every_read_command_leaves_a_ledger_byte_identical(tmp_path: Path) -> None:
    db = seeded(tmp_path / "ledger.db")
    before = state_of(db)
    assert before[1] == ["ledger.db"]
    for args in READS:
        code, _, err = invoke(args, db)
        assert code == 0, (args, err)
        assert state_of(db) == before, args


def _without_triggers(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)
    conn.executescript("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;")


def _another_trigger(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)
    conn.executescript("CREATE TRIGGER events_log AFTER INSERT ON events BEGIN "
                       "SELECT 1; END;")


FOREIGN: dict[str, tuple[Callable[[sqlite3.Connection], object], str]] = {
    "other events table": (
        lambda conn: conn.executescript("CREATE TABLE events (id INTEGER PRIMARY KEY, what "
                                        "TEXT); INSERT INTO events (what) VALUES ('party');"),
        "its events table is not the ledger's"),
    "no triggers": (_without_triggers, "no events_no_delete, events_no_update"),
    "another trigger": (_another_trigger, "its events trigger events_log is not the ledger's"),
    "unknown application": (
        lambda conn: conn.executescript(_SCHEMA + "PRAGMA application_id = 42;"),
        "of a format this version knows (application_id 42"),
    "newer format": (
        lambda conn: conn.executescript(_SCHEMA + "PRAGMA user_version = 99;"),
        "of a format this version knows (application_id 0, user_version 99)"),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_a_file_that_is_not_this_ledger_is_refused_by_every_command_and_left_untouched(
    tmp_path: Path, case: str,
) -> None:
    make, message = FOREIGN[case]
    db = tmp_path / "foreign.db"
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        make(conn)
    before = state_of(db)
    line = json.dumps({"stream": "competition:c", "type": "CompetitionCreated",
                       "data": {"competition": "c", "name": "C", "season": "1"},
                       "occurred_at": "2024-01-01T00:00:00Z"})
    for args in [*READS, *WRITES]:
        if args == ["verify"] and "trigger" in case:  # verify examines such a file
            refused(args, db, f"ledger {db} broken in: append-only triggers are missing")
        else:
            refused(args, db, "is not a matchledger ledger", stdin=line)
            refused(args, db, message, stdin=line)
        assert state_of(db) == before, args


@pytest.mark.parametrize("kind", ["a character device", "a FIFO (named pipe)", "a directory"])
def test_a_path_that_is_not_a_file_is_named_for_what_it_is(tmp_path: Path, kind: str) -> None:
    if kind == "a character device":
        path = Path("/dev/zero")
    elif kind == "a directory":
        path = tmp_path
    else:
        path = tmp_path / "pipe"
        os.mkfifo(path)
    for args in [*READS, *WRITES, ["init"]]:
        refused(args, path, f"{path} is {kind}, not a ledger file", stdin="")


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[None]:
    """``folder`` made read-only: a read-only bind mount for root, whom permissions do not
    stop (skipped where mounting is not allowed), else its mode."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("a read-only folder needs mount as root")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder), str(folder)],
                       check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


def test_a_ledger_in_a_read_only_folder_reads_and_says_why_it_cannot_be_written(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    db = seeded(folder / "ledger.db")
    expected = invoke(["bracket", "uel-2023-24", "--json"], db)
    with read_only_folder(folder):
        before = state_of(db)
        for args in READS:
            code, _, err = invoke(args, db)
            assert code == 0, (args, err)
        assert invoke(["bracket", "uel-2023-24", "--json"], db) == expected
        for args in WRITES[:2]:
            refused(args, db, f"cannot write to {db}: its folder {folder} is read-only")
        assert state_of(db) == before


@pytest.mark.parametrize("version", [99, True, 0, -1, 10**30, "2"])
def test_an_unknown_schema_version_is_refused_on_append_and_import(
    tmp_path: Path, version: object,
) -> None:
    db = seeded(tmp_path / "ledger.db")
    before = state_of(db)
    line = json.dumps({"stream": "competition:uel-2023-24", "type": "TeamRegistered",
                       "schema_version": version, "data": {"team": "braga", "name": "Braga"},
                       "occurred_at": "2024-04-20T00:00:00Z"})
    message = ("unknown schema_version" if type(version) is int
               else "field 'schema_version' must be an integer")
    refused(["append", "json", line], db, message)
    refused(["import", "-"], db, message, stdin=line + "\n")
    assert state_of(db) == before
