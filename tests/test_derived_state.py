"""Derived state is a cache in a form that cannot run code, recomputed when it does not check out.

A ledger file is something people send each other: a crafted one that plants a pickle payload
in every blob column must not run it in any read, catch-up or rebuild, and every answer must
stay what the log says. Snapshots and pieces that are undecodable, of the wrong shape, or made
for another log are ignored and recomputed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import sqlite3
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import TeamRegistered
from matchledger.ledger import Ledger, import_file
from matchledger.projections import (
    Projector,
    bracket,
    current,
    fold_all,
    players,
    state_at,
    to_json,
)
from matchledger.projections.codec import MAX_PART, decode_part, encode_part
from matchledger.projections.testing import sample_state

runner = CliRunner()
UEFA = "uel-2023-24"
READS = [
    ["score", "uel24-qf4-leg2"],
    ["score", "uel24-qf1-leg1", "--as-of", "2024-04-12"],
    ["bracket", UEFA],
    ["bracket", UEFA, "--as-of", "2024-04-12"],
    ["tie", "QF4"],
    ["table", UEFA],
    ["streaks", "Leverkusen"],
    ["streaks"],
    ["players"],
    ["players", "--team", "Atalanta"],
    ["teams"],
]


class Payload:
    """The classic attack on pickle: unpickling it runs a shell command (here, touching a
    marker file)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def seeded(path: Path) -> Ledger:
    lg = Ledger(path)
    import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
    return lg


def answers(db: Path) -> dict[str, Any]:
    found = {}
    for args in READS:
        result = runner.invoke(app, [*args, "--json", "--db", str(db)])
        assert result.exit_code == 0, (args, result.output)
        found[" ".join(args)] = json.loads(result.stdout)
    return found


def blob_columns(db: Path) -> list[tuple[str, str]]:
    """(table, column) of every BLOB column outside the log itself."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'events'")]
        return [(t, c[1]) for t in tables for c in conn.execute(f"PRAGMA table_info({t})")
                if c[2].upper() == "BLOB"]


def plant(db: Path, blob: bytes) -> list[tuple[str, str]]:
    columns = blob_columns(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        for table, column in columns:
            conn.execute(f"UPDATE {table} SET {column} = ?", (blob,))
    return columns


def test_a_pickle_planted_in_every_blob_column_never_runs_and_answers_stay_right(
    tmp_path: Path,
) -> None:
    db, marker = tmp_path / "ledger.db", tmp_path / "pwned"
    payload = pickle.dumps(Payload(marker))
    pickle.loads(payload)  # the payload is live: unpickled, it does touch the marker
    assert marker.exists()
    marker.unlink()
    lg = seeded(db)
    Projector(lg, snapshot_every=10).rebuild()
    lg.close()
    expected = answers(db)
    planted = plant(db, payload)
    assert {("rm_snapshot_part", "state"), ("rm_team_piece", "piece")} <= set(planted)
    assert answers(db) == expected
    # a new event, then a catch-up in a new process: it needs the team's stored pieces
    clean = tmp_path / "clean.db"
    for path in (db, clean):
        with (seeded(path) if path == clean else Ledger(path)) as lg:
            lg.append(f"competition:{UEFA}", [TeamRegistered(team="braga", name="SC Braga")])
    for command in (["rebuild", "--catch-up"], ["rebuild"]):
        result = runner.invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 0, result.output
        plant(db, payload)
    assert answers(db) == answers(clean)
    assert not marker.exists()


@pytest.mark.parametrize("blob", [
    b"", b"[]", b"null", b'{"a": 1}', b"[1, 2, 3]", b"\xff\xfe", b"[" * 5000,
    b'["x", null, [], [], [], [], [], [], null, []]',
    zlib.compress(b"[" + b" " * (MAX_PART + 1) + b"]", 9), zlib.compress(b"[1, 2, 3]" * 40)[:-5],
    zlib.compress(b"x" * 300),
], ids=["empty", "array", "null", "object", "numbers", "bytes", "deep", "almost",
        "deflated-too-long", "deflated-cut-short", "deflated-not-json"])
def test_a_snapshot_or_piece_of_the_wrong_shape_is_ignored_and_recomputed(
    tmp_path: Path, blob: bytes,
) -> None:
    db = tmp_path / "ledger.db"
    lg = seeded(db)
    Projector(lg, snapshot_every=10).rebuild()
    expected = to_json(bracket(state_at(lg, as_of=None), UEFA))
    plant(db, blob)
    assert to_json(bracket(state_at(lg, competition=UEFA), UEFA)) == expected
    assert to_json(bracket(state_at(lg), UEFA)) == expected
    lg.append(f"competition:{UEFA}", [TeamRegistered(team="braga", name="SC Braga")])
    Projector(lg, once=True).catch_up()  # the pieces do not check out: rebuilt
    assert current(lg) is not None
    assert "braga" in current(lg).teams  # type: ignore[union-attr]
    lg.close()


def test_a_long_part_is_stored_deflated_and_a_short_one_as_json() -> None:
    state = sample_state()
    for key, value in [*((("match", m), s) for m, s in state.matches.items()),
                       *state.history.items()]:
        blob = encode_part(key, value)
        assert blob[:1] in (b"[", b"x")
        assert decode_part(key, blob) == value
    key = ("match", "qf4-leg2")
    long = attrs.evolve(state.matches["qf4-leg2"], home="h" * 400)
    assert encode_part(key, long)[:1] == b"x"
    assert decode_part(key, encode_part(key, long)) == long


def test_snapshots_and_read_models_of_another_log_are_not_used(tmp_path: Path) -> None:
    """A snapshot and a checkpoint carry the log's hash at their position: derived state
    copied beside another log (the same positions, one scorer renamed) is recomputed, not
    shown."""
    seed = Path(str(resources.files("matchledger.events") / "seed.jsonl")).read_text().splitlines()
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(seed).replace("Faris Moumbagna", "Somebody Else") + "\n")
    ours, theirs = seeded(tmp_path / "ours.db"), Ledger(tmp_path / "theirs.db")
    import_file(theirs, str(other))
    for lg in (ours, theirs):
        Projector(lg, snapshot_every=10).rebuild()
    expected = current(ours)
    with contextlib.closing(sqlite3.connect(tmp_path / "ours.db")) as conn, conn:  # theirs in ours
        conn.execute("ATTACH ? AS theirs", (str(tmp_path / "theirs.db"),))
        for (name,) in conn.execute("SELECT name FROM theirs.sqlite_master WHERE type = "
                                    "'table' AND name LIKE 'rm_%'").fetchall():
            conn.execute(f"DELETE FROM main.{name}")
            conn.execute(f"INSERT INTO main.{name} SELECT * FROM theirs.{name}")
    assert current(ours) is None  # their read models answer for their log, not ours
    assert state_at(ours) == fold_all(ours.read())
    assert "Somebody Else" not in {p.player for p in players(state_at(ours, team="marseille"))}
    Projector(ours, once=True).catch_up()  # rebuilt for our log
    assert current(ours) == expected
    ours.close()
    theirs.close()


def test_no_package_can_load_code_from_data() -> None:
    """Nothing in the packages imports a module that rebuilds objects by name or runs code
    from bytes: derived state is JSON, read by checked decoders (projections/codec.py)."""
    root = Path(__file__).parent.parent
    risky = ("import pickle", "import marshal", "import shelve", "import dill", "eval(",
             "exec(", "import_module(", "__import__(")
    for package in ("cli", "events", "ledger", "projections"):
        for source in (root / package).rglob("*.py"):
            text = source.read_text()
            assert not [r for r in risky if r in text], source
