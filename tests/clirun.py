"""A command run in process against a ledger file (typer's CliRunner), as most CLI tests run it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from matchledger.cli.main import app

runner = CliRunner()


def cli(db: Path, *args: str, code: int | None = 0, stdin: str | None = None) -> Result:
    """``matchledger ARGS --db DB``, whose exit code must be ``code`` (None: any)."""
    result = runner.invoke(app, [*args, "--db", str(db)], input=stdin)
    assert code is None or result.exit_code == code, result.output
    return result
