"""The command line on PostgreSQL answers as on SQLite: the demo's ledger moved there with
export and import, then every read's JSON compared with the file's, a refusal refused alike
(one line, nothing written), and the read models rebuilt and checked in the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matchledger.cli.main import app

pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")

runner = CliRunner()

READS = [
    ["score", "uel24-qf4-leg2"],
    ["score", "uel24-qf2-leg1", "--known-at", "2024-04-12T10:00"],
    ["tie", "QF1"],
    ["bracket", "uel-2023-24", "--as-of", "2024-04-12"],
    ["bracket", "uel-2023-24"],
    ["table", "uel-2023-24"],
    ["streaks", "Leverkusen"],
    ["players", "--competition", "uel-2023-24", "--top", "5"],
    ["matches"],
    ["teams"],
]


def cli(*args: str, ok: bool = True) -> Any:
    done = runner.invoke(app, list(args))
    if ok:
        assert done.exit_code == 0, f"{args}: {done.output}"
    return done


@pytest.fixture
def both(demo_db: Path, pg_url: str, tmp_path: Path) -> tuple[str, str]:
    """The demo's ledger in a file and, moved with export and import, on PostgreSQL."""
    exported = tmp_path / "demo.jsonl"
    cli("export", "--db", str(demo_db), "--output", str(exported))
    cli("import", str(exported), "--db", pg_url)
    return str(demo_db), pg_url


def test_every_read_answers_the_same_json(both: tuple[str, str]) -> None:
    for args in READS:
        lite, pg = (json.loads(cli(*args, "--json", "--db", db).stdout) for db in both)
        assert lite == pg, args
    heads = [cli("export", "--db", db).stdout.splitlines()[-1] for db in both]
    assert heads[0] == heads[1]


def test_a_refusal_is_the_same_and_writes_nothing(both: tuple[str, str]) -> None:
    said = []
    for db in both:
        done = cli("append", "goal", "uel24-qf4-leg2", "--team", "Marsielle", "--minute", "5",
                   "--at", "2024-04-18T21:05+02:00", "--db", db, ok=False)
        assert done.exit_code != 0
        said.append(done.output.strip())
        assert json.loads(cli("stats", "--json", "--db", db).stdout)["events"] == 142
    assert said[0] == said[1] and "did you mean 'Marseille'" in said[0]


def test_read_models_rebuilt_in_the_database_check_out(both: tuple[str, str]) -> None:
    _, pg = both
    cli("rebuild", "--db", pg)
    done = cli("verify", "--read-models", "--json", "--db", pg)
    report = json.loads(done.stdout)
    assert report["ok"] and report["read_models"]["ok"], report
    assert report["read_models"]["position"] == 142
