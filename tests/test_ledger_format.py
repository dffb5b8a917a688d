"""Ledger file formats: a new file stores no prev_hash (format 2), one made before (format 1,
``tests/data/ledger-format1.db``) is read, verified, appended to and exported as it was.

Either way ``export`` gives the same JSON Lines and the same head hash: the chain is over the
same text, and a format 2 row's prev_hash is the hash of the row before it.
"""

from __future__ import annotations

import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import pytest
from clirun import cli

from matchledger.events import TeamRegistered
from matchledger.ledger import Ledger, import_file
from matchledger.ledger.files import LEDGER_FORMAT

from conftest import drafts

DATA = Path(__file__).parent / "data"
UEFA = "competition:uel-2023-24"


@pytest.fixture
def format1(tmp_path: Path) -> Path:
    """A copy of the seed ledger as the version before format 2 made it."""
    db = tmp_path / "format1.db"
    shutil.copyfile(DATA / "ledger-format1.db", db)
    return db


def layout(db: Path) -> tuple[int, list[str]]:
    """(PRAGMA user_version, the events table's columns) of a ledger file."""
    with sqlite3.connect(db) as raw:
        version = raw.execute("PRAGMA user_version").fetchone()[0]
        columns = [row[1] for row in raw.execute("PRAGMA table_info(events)")]
    raw.close()
    return version, columns


def test_a_new_ledger_stores_no_prev_hash_and_exports_what_format_1_did(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    with Ledger(db) as lg:
        import_file(lg, str(resources.files("matchledger.events") / "seed.jsonl"))
    version, columns = layout(db)
    assert version == LEDGER_FORMAT == 2 and "prev_hash" not in columns and "hash" in columns
    assert cli(db, "export").stdout == (DATA / "ledger-format1.jsonl").read_text()
    assert "ok" in cli(db, "verify").stdout.lower()
    with Ledger(db, read_only=True) as lg:  # each read gives the prev_hash format 1 stores
        hashes = {e.position: e.hash for e in lg.read()}
        hashes[0] = "00" * 32
        for envelopes in (list(lg.read(after=40, at_position=60)), list(lg.read(limit=3)),
                          list(lg.read(stream=UEFA)), list(lg.read(types=["GoalScored"]))):
            assert envelopes and all(e.prev_hash == hashes[e.position - 1] for e in envelopes)


def test_a_format_1_file_reads_verifies_and_exports_as_it_did(format1: Path) -> None:
    expected = (DATA / "ledger-format1.jsonl").read_text()
    assert cli(format1, "export").stdout == expected
    with Ledger(format1, read_only=True) as lg:
        report = lg.verify()
        envelopes = list(lg.read())
    assert report.ok and report.events == 142 and report.head_hash == envelopes[-1].hash
    assert [e.prev_hash for e in envelopes[1:]] == [e.hash for e in envelopes[:-1]]
    assert envelopes[0].prev_hash == "00" * 32
    assert layout(format1)[0] == 1  # a read changes nothing


def test_a_format_1_file_stays_format_1_when_appended_to(format1: Path) -> None:
    with Ledger(format1) as lg:
        head = lg.anchor()
        lg.append(UEFA, drafts(TeamRegistered(team="braga", name="SC Braga")))
        assert lg.verify().ok
        new = list(lg.read(after=head.position or 0))
    version, columns = layout(format1)
    assert version == 1 and "prev_hash" in columns  # what the version before still reads
    with sqlite3.connect(format1) as raw:
        stored = raw.execute("SELECT prev_hash FROM events WHERE position = ?",
                             (new[0].position,)).fetchone()[0]
    raw.close()
    assert bytes(stored).hex() == new[0].prev_hash == head.hash


def test_a_format_1_export_imports_into_a_format_2_ledger_with_the_same_head(
        format1: Path, tmp_path: Path) -> None:
    new = tmp_path / "new.db"
    cli(new, "import", str(DATA / "ledger-format1.jsonl"))
    with Ledger(format1, read_only=True) as old, Ledger(new, read_only=True) as lg:
        assert lg.anchor() == old.anchor()
    assert layout(new)[0] == 2
