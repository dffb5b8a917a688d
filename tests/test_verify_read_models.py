"""``verify --read-models``: the stored read models recomputed apart and compared row by row.

Someone with the file edits ``rm_player`` so that ``players`` shows 51 goals for Dybala: the
chain is intact (plain ``verify`` still passes, as it checks the log), but ``--read-models``
names the table and the row, exits 1, and writes nothing to the ledger.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app
from matchledger.events import TeamRegistered
from matchledger.ledger import Ledger, import_file
from matchledger.projections import Projector

runner = CliRunner()
DYBALA = "rm_player ('roma', 'Paulo Dybala'): goals 51, expected "


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with Ledger(path) as lg:
        import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
        Projector(lg, snapshot_every=50).rebuild()
    return path


def verify(db: Path, *options: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["verify", "--read-models", *options, "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def edit(db: Path, sql: str, *params: object) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(sql, params)


def test_read_models_as_rebuilt_pass(db: Path) -> None:
    code, out, _ = verify(db)
    assert code == 0 and "read models" in out and "match the log at position 142" in out


def test_an_edited_player_row_is_named_by_table_and_key_and_nothing_is_written(db: Path) -> None:
    edit(db, "UPDATE rm_player SET goals = 51 WHERE player = 'Paulo Dybala'")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    assert runner.invoke(app, ["verify", "--db", str(db)]).exit_code == 0  # the chain is fine
    code, out, err = verify(db)
    assert code == 1
    assert DYBALA in out
    assert err.splitlines() == [f"error: read models of {db} differ from the log in 1 row(s) "
                                "of rm_player (matchledger rebuild makes them again)"]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["ledger.db"]
    code, out, _ = verify(db, "--json")
    assert code == 1
    found = json.loads(out)["read_models"]
    assert found["ok"] is False and found["differences"] == [{
        "table": "rm_player", "key": ["roma", "Paulo Dybala"],
        "problem": DYBALA.partition(": ")[2] + "1"}]


@pytest.mark.parametrize(("sql", "shown"), [
    ("DELETE FROM rm_scoreboard WHERE match = 'uel24-qf4-leg2'",
     "rm_scoreboard ('uel24-qf4-leg2',): missing"),
    ("INSERT INTO rm_team_record (team, competition, played) VALUES ('nobody', '', 1)",
     "rm_team_record ('nobody', ''): not in what the log gives"),
    ("UPDATE rm_tie SET winner = 'benfica', decided_by = 'aggregate' WHERE tie = 'QF4'",
     "rm_tie ('uel-2023-24', 'QF4'): winner 'benfica', expected 'marseille', decided_by"),
    ("UPDATE rm_team_piece SET piece = X'80' WHERE team = 'roma' AND competition != ''",
     "rm_team_piece ('roma', 'uel-2023-24'): piece does not decode"),
    ("UPDATE rm_checkpoint SET format = 6", "rm_checkpoint ('projections',): format 6"),
    ("UPDATE rm_snapshot SET max_occurred = max_occurred + 1 WHERE position = 100",
     "rm_snapshot (100,): max_occurred"),
    ("UPDATE rm_snapshot_part SET state = (SELECT state FROM rm_snapshot_part WHERE key = "
     "'[\"match\",\"uel24-qf1-leg1\"]') WHERE key = '[\"match\",\"uel24-qf1-leg2\"]'",
     """rm_snapshot_part ('["match","uel24-qf1-leg2"]', 100): differs from the fold there"""),
    ("UPDATE rm_snapshot_part SET until = 60 WHERE key = '[\"match\",\"uel24-qf1-leg1\"]'",
     """rm_snapshot_part ('["match","uel24-qf1-leg1"]',): no part valid at 100"""),
    ("DELETE FROM rm_snapshot_scope WHERE scope = 'competition:uel-2023-24'",
     "rm_snapshot_scope ('[\"competition\",\"uel-2023-24\"]',): missing from the scopes"),
], ids=["deleted", "added", "tie", "piece", "format", "snapshot", "part", "until", "scope"])
def test_every_kind_of_edit_is_found(db: Path, sql: str, shown: str) -> None:
    edit(db, sql)
    code, out, _ = verify(db)
    assert code == 1 and shown in out, out


def test_read_models_behind_the_log_are_checked_at_their_checkpoint(db: Path) -> None:
    with Ledger(db) as lg:
        lg.append("competition:uel-2023-24", [TeamRegistered(team="braga", name="SC Braga")])
    code, out, _ = verify(db)
    assert code == 0 and "match the log at position 142" in out


def test_a_ledger_never_rebuilt_has_nothing_to_check(tmp_path: Path) -> None:
    path = tmp_path / "bare.db"
    with Ledger(path) as lg:
        import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
    code, out, _ = verify(path)
    assert code == 0 and "not built" in out
