"""The tamper matrix: each way an attacker with the file can change the log, caught by verify
at the right position; an anchor or a signed checkpoint where the hash chain alone cannot.

To tamper, the tests drop the append-only triggers as an attacker would, and put them back.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import clirun
import pytest
from typer.testing import CliRunner, Result

from matchledger.cli.main import app
from matchledger.ledger import Ledger, import_file
from matchledger.ledger.eventstore import chain_hash
from matchledger.ledger.trust import (
    Anchor,
    TrustError,
    load_private_key,
    load_public_key,
    make_keys,
)

from conftest import at

FINISHED = "match:uel24-qf1-leg1"  # Milan 0-1 Roma, over


@pytest.fixture(params=[2, 1], ids=["format2", "format1"])
def seeded(db_path: Path, request: pytest.FixtureRequest) -> Path:
    """The bundled seed (142 events) in a ledger file of this format, and of format 1 (each
    row holding its prev_hash), as the version before made it."""
    if request.param == 1:
        shutil.copyfile(Path(__file__).parent / "data" / "ledger-format1.db", db_path)
        return db_path
    with Ledger(db_path) as lg:
        import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
    return db_path


def stored(raw: sqlite3.Connection) -> list[str]:
    """The columns of the events table after position, as this file stores them."""
    return [row[1] for row in raw.execute("PRAGMA table_info(events)")][1:]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private = tmp_path / "keys" / "ledger-key"
    private.parent.mkdir()
    public, _ = make_keys(private)
    return private, public


def tampered(db: Path, tamper: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run ``tamper`` on a raw connection with every trigger dropped, as an attacker would,
    and put the triggers back after; what it returns."""
    raw = sqlite3.connect(db, isolation_level=None)
    triggers = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                           ).fetchall()
    for name, _ in triggers:
        raw.execute(f"DROP TRIGGER {name}")
    try:
        return tamper(raw)
    finally:
        for _, sql in triggers:
            raw.execute(sql)
        raw.close()


def rehash(raw: sqlite3.Connection, start: int) -> None:
    """Hash every row again from ``start``: what hides an edit from the chain."""
    prev = bytes(raw.execute("SELECT hash FROM events WHERE position = ?", (start - 1,)
                             ).fetchone()[0]) if start > 1 else bytes(32)
    rows = raw.execute("SELECT position, event_id, stream, version, type, schema_version, "
                       "occurred_at, recorded_at, data, meta FROM events WHERE position >= ? "
                       "ORDER BY position", (start,)).fetchall()
    for row in rows:
        digest = chain_hash(prev, *row)
        raw.execute("UPDATE events SET hash = ? WHERE position = ?", (digest, row[0]))
        if "prev_hash" in stored(raw):
            raw.execute("UPDATE events SET prev_hash = ? WHERE position = ?", (prev, row[0]))
        prev = digest


def goal_position(raw: sqlite3.Connection) -> int:
    return int(raw.execute("SELECT min(position) FROM events WHERE type = 'GoalScored' "
                           "AND stream = ?", (FINISHED,)).fetchone()[0])


def head_of(raw: sqlite3.Connection) -> int:
    return int(raw.execute("SELECT max(position) FROM events").fetchone()[0])


def edit(raw: sqlite3.Connection) -> int:
    position = goal_position(raw)
    # another of Roma's players: an edit that fits every rule (one off the roster would not)
    raw.execute("UPDATE events SET data = json_set(data, '$.player', 'Paulo Dybala') "
                "WHERE position = ?", (position,))
    return position


def edit_and_rehash(raw: sqlite3.Connection) -> int:
    rehash(raw, edit(raw))
    return head_of(raw)  # only the kept head can tell, and only where it is


def delete_middle(raw: sqlite3.Connection) -> int:
    position = goal_position(raw)
    raw.execute("DELETE FROM events WHERE position = ?", (position,))
    return position


def delete_tail(raw: sqlite3.Connection) -> int:
    head = head_of(raw)
    raw.execute("DELETE FROM events WHERE position > ?", (head - 3,))
    return head - 2  # the first position missing


def swap(raw: sqlite3.Connection) -> int:
    first = goal_position(raw)
    columns = ", ".join(stored(raw))
    a = raw.execute(f"SELECT {columns} FROM events WHERE position = ?", (first,)).fetchone()
    b = raw.execute(f"SELECT {columns} FROM events WHERE position = ?", (first + 5,)
                    ).fetchone()
    raw.execute("UPDATE events SET event_id = 'swapping', version = -1 WHERE position = ?",
                (first,))
    sets = ", ".join(f"{c.strip()} = ?" for c in columns.split(","))
    raw.execute(f"UPDATE events SET {sets} WHERE position = ?", (*a, first + 5))
    raw.execute(f"UPDATE events SET {sets} WHERE position = ?", (*b, first))
    return first


def forge_appended(raw: sqlite3.Connection) -> int:
    """A goal after full time, appended with a correct hash: only the rules refuse it."""
    head = head_of(raw)
    prev = bytes(raw.execute("SELECT hash FROM events WHERE position = ?", (head,)
                             ).fetchone()[0])
    version = raw.execute("SELECT max(version) FROM events WHERE stream = ?", (FINISHED,)
                          ).fetchone()[0] + 1
    when = int(at(60 * 24 * 30).timestamp() * 1_000_000)
    row = (head + 1, "forged-goal", FINISHED, version, "GoalScored", 2, when, when,
           json.dumps({"team": "roma", "player": "Dybala", "minute": 50}), None)
    kept = (prev,) if "prev_hash" in stored(raw) else ()
    values = (*row, *kept, chain_hash(prev, *row))
    raw.execute(f"INSERT INTO events VALUES ({', '.join('?' * len(values))})", values)
    return head + 1


def prev_hash(raw: sqlite3.Connection) -> int:
    """Format 1: a prev_hash edited (format 2 stores none: the hash of the row before is the
    one the chain is checked with, so it edits that row's hash)."""
    position = goal_position(raw)
    column = "prev_hash" if "prev_hash" in stored(raw) else "hash"
    target = position if column == "prev_hash" else position - 1
    raw.execute(f"UPDATE events SET {column} = zeroblob(32) WHERE position = ?", (target,))
    return target


def schema_version(raw: sqlite3.Connection) -> int:
    position = goal_position(raw)
    raw.execute("UPDATE events SET schema_version = 1 WHERE position = ?", (position,))
    return position


Tamper = Callable[[sqlite3.Connection], int]
# (tampering, whether the hash chain and the rules alone catch it)
MATRIX: list[tuple[Tamper, bool]] = [
    (edit, True), (edit_and_rehash, False), (delete_middle, True), (delete_tail, False),
    (swap, True), (forge_appended, True), (prev_hash, True), (schema_version, True),
]
IDS = [tamper.__name__ for tamper, _ in MATRIX]


def verify(db: Path, **given: object) -> tuple[bool, int | None, str | None]:
    with Ledger(db) as lg:
        report = lg.verify(**given)  # type: ignore[arg-type]
    return report.ok, report.first_bad, report.problem


@pytest.mark.parametrize(("tamper", "alone"), MATRIX, ids=IDS)
def test_the_chain_and_the_rules_alone_catch_what_they_can(
        seeded: Path, tamper: Tamper, alone: bool) -> None:
    bad = tampered(seeded, tamper)
    ok, first_bad, problem = verify(seeded)
    if alone:
        assert (ok, first_bad) == (False, bad), problem
    else:  # what a hash chain cannot prove, stated plainly: the next tests close the gap
        assert ok


@pytest.mark.parametrize(("tamper", "alone"), MATRIX, ids=IDS)
def test_a_head_kept_outside_catches_every_tampering_at_its_position(
        seeded: Path, tamper: Tamper, alone: bool) -> None:
    with Ledger(seeded) as lg:
        kept = lg.anchor()
    bad = tampered(seeded, tamper)
    ok, first_bad, problem = verify(seeded, anchors=[kept])
    assert (ok, first_bad) == (False, bad), problem
    if not alone:
        assert str(kept.hash[:12]) in (problem or "")


@pytest.mark.parametrize(("tamper", "alone"), MATRIX, ids=IDS)
def test_a_signed_checkpoint_catches_every_tampering_without_outside_help(
        seeded: Path, keys: tuple[Path, Path], tamper: Tamper, alone: bool) -> None:
    private, public = keys
    with Ledger(seeded) as lg:
        lg.checkpoint(load_private_key(private))
    bad = tampered(seeded, tamper)
    for given in ({}, {"key": load_public_key(public)}):
        ok, first_bad, problem = verify(seeded, **given)
        assert (ok, first_bad) == (False, bad), (given, problem)


def test_a_checkpoint_signed_by_another_key_or_edited_fails(
        seeded: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    other, _ = make_keys(tmp_path / "other-key")
    public = keys[1]
    with Ledger(seeded) as lg:
        lg.checkpoint(load_private_key(tmp_path / "other-key"))
        head = lg.head()
    ok, first_bad, problem = verify(seeded, key=load_public_key(public))
    assert (ok, first_bad) == (False, head) and "signed by another key" in (problem or "")
    assert verify(seeded, key=load_public_key(other))[0]

    tampered(seeded, lambda raw: raw.execute(
        "UPDATE checkpoints SET signed_at = '2030-01-01T00:00:00Z' WHERE id = 1"))
    ok, _, problem = verify(seeded, key=load_public_key(other))
    assert not ok and "edited since it was signed" in (problem or ""), problem


def test_verify_with_a_key_needs_a_checkpoint_and_its_triggers(
        seeded: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    ok, _, problem = verify(seeded, key=load_public_key(public))
    assert not ok and "no signed checkpoint" in (problem or "")
    with Ledger(seeded) as lg:
        lg.checkpoint(load_private_key(private))
    assert verify(seeded, key=load_public_key(public))[0]
    raw = sqlite3.connect(seeded, isolation_level=None)
    raw.execute("DROP TRIGGER checkpoints_no_delete")
    raw.execute("DELETE FROM checkpoints")
    raw.close()
    ok, _, problem = verify(seeded, key=load_public_key(public))
    assert not ok and "triggers are missing" in (problem or "")


def test_checkpoints_are_append_only_and_appends_go_on_after_them(
        seeded: Path, keys: tuple[Path, Path]) -> None:
    with Ledger(seeded) as lg:
        lg.checkpoint(load_private_key(keys[0]))
        for sql in ("UPDATE checkpoints SET position = 1", "DELETE FROM checkpoints"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                lg.conn.execute(sql)
    assert verify(seeded, key=load_public_key(keys[1]))[0]


@pytest.mark.parametrize("edit", [
    "hash = 'abc'", "data = X'00ff'", "event_id = 5", "occurred_at = 'x'", "recorded_at = 1e300",
    "meta = '[1'", "version = 'a'", "schema_version = 'z'", "type = 5", "stream = 5",
])
def test_a_column_of_another_type_is_one_line_from_every_command_and_verify_names_it(
        seeded: Path, edit: str) -> None:
    """A value of a type the ledger never writes (text for a hash, a blob for data), as only
    an edit by hand makes: verify names its position, and no command shows a traceback."""
    goal = tampered(seeded, lambda raw: (goal_position(raw), raw.execute(
        f"UPDATE events SET {edit} WHERE position = ?", (goal_position(raw),)))[0])
    result = clirun.cli(seeded, "verify", code=None)
    assert result.exit_code == 1 and result.stderr.startswith(
        f"error: ledger {seeded} broken at position {goal}: "), result.stderr
    for command in (["verify", "--no-rules"], ["log"], ["export"], ["stats"], ["matches"],
                    ["score", FINISHED.removeprefix("match:")], ["rebuild", "--no-progress"]):
        result = clirun.cli(seeded, *command, code=None)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            (command, result.exc_info)
        assert result.exit_code == 0 or (result.exit_code == 1 and len(
            result.stderr.splitlines()) == 1 and result.stderr.startswith("error: ")), \
            (command, result.stderr)


@pytest.mark.parametrize("text", ["12", "x:" + "a" * 64, "0:" + "a" * 64, "3:" + "g" * 64])
def test_a_malformed_head_is_one_line(text: str) -> None:
    with pytest.raises(TrustError, match="head"):
        Anchor.parse(text)


def test_an_anchor_saved_and_loaded_is_the_head_with_or_without_its_position(
        seeded: Path, tmp_path: Path) -> None:
    with Ledger(seeded) as lg:
        head = lg.anchor()
    head.save(tmp_path / "kept.anchor", str(seeded))
    assert Anchor.load(tmp_path / "kept.anchor") == head
    assert Anchor.parse(head.hash) == Anchor(None, head.hash)
    assert verify(seeded, anchors=[Anchor(None, head.hash)])[0]
    ok, _, problem = verify(seeded, anchors=[Anchor(None, "0" * 64)])
    assert not ok and "no event has the hash" in (problem or "")


# --- the same through the command line -----------------------------------------------------


def cli(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_cli_keeps_a_head_signs_a_checkpoint_and_verify_holds_the_log_to_both(
        seeded: Path, tmp_path: Path) -> None:
    private = tmp_path / "ledger-key"
    made = cli("keygen", private)
    assert made.exit_code == 0 and oct(private.stat().st_mode & 0o777) == "0o600"
    assert cli("keygen", private).exit_code == 1  # a key is never overwritten
    head = cli("anchor", "--output", tmp_path / "kept.anchor", "--db", seeded).stdout.split()[0]
    assert cli("stats", "--json", "--db", seeded).stdout.count(head) == 1
    exported = cli("export", "--output", tmp_path / "log.jsonl", "--db", seeded)
    assert f"verify --head {head}" in exported.output
    assert cli("checkpoint", "--key", private, "--db", seeded).exit_code == 0
    ok = cli("verify", "--head", head, "--anchor", tmp_path / "kept.anchor",
             "--key", f"{private}.pub", "--db", seeded)
    assert ok.exit_code == 0 and "signed checkpoints verified" in ok.stdout, ok.output

    tampered(seeded, delete_tail)
    for given in (["--head", head], ["--anchor", tmp_path / "kept.anchor"],
                  ["--key", f"{private}.pub"], []):
        broken = cli("verify", *given, "--db", seeded)
        assert broken.exit_code == 1, given
        assert f"broken at position {int(head.split(':')[0]) - 2}: the log ends" in (
            broken.output), broken.output


@pytest.mark.parametrize(("args", "message"), [
    (["verify", "--head", "12:zz"], "expected POSITION:HASH or HASH"),
    (["verify", "--anchor", "missing.anchor"], "missing.anchor is not a file (no such file)"),
    (["verify", "--anchor", "/dev/zero"], "/dev/zero is not a file"),
    (["verify", "--key", "missing.pub"], "missing.pub is not a file"),
    (["checkpoint", "--key", "missing"], "missing is not a file"),
])
def test_bad_trust_options_are_one_line(seeded: Path, args: list[str], message: str) -> None:
    done = cli(*args, "--db", seeded)
    assert done.exit_code == 1 and message in done.output
    assert done.output.count("\n") == 1 and "Traceback" not in done.output


def test_every_head_kept_at_one_position_is_checked_not_only_the_first(seeded: Path) -> None:
    with Ledger(seeded) as lg:
        kept = lg.anchor()
    assert kept.position is not None
    wrong = Anchor(kept.position, "0" * 64)
    ok, first_bad, problem = verify(seeded, anchors=[kept, wrong])
    assert (ok, first_bad) == (False, kept.position) and "000000000000" in (problem or "")
