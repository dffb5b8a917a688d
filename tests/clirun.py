"""Commands run in process against ledger files (typer's CliRunner), as most CLI tests run them:
the same command line, exit code, stdout and stderr as the installed script gives, without the
cost of a new Python for each."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from matchledger.cli.main import app
from matchledger.ledger import Ledger

runner = CliRunner()


def unset() -> dict[str, str | None]:
    """The caller's ``MATCHLEDGER_*`` variables, unset for a command run in process."""
    return {k: None for k in os.environ if k.startswith("MATCHLEDGER")}


def cli(db: Path, *args: str, code: int | None = 0, stdin: str | None = None) -> Result:
    """``matchledger ARGS --db DB``, whose exit code must be ``code`` (None: any)."""
    result = runner.invoke(app, [*args, "--db", str(db)], input=stdin, env=unset())
    assert code is None or result.exit_code == code, result.output
    return result


def run(*args: object, db: Path | str | None = None, stdin: str | None = None, ok: bool = True,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``matchledger ARGS [--db DB]`` (a file or a URL) in process, as a finished process: no
    ``MATCHLEDGER_*`` variable of the caller's leaks in; ``ok`` asserts exit code 0."""
    argv = [*map(str, args), *(["--db", str(db)] if db else [])]
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = runner.invoke(app, argv, input=stdin, env={**unset(), "COLUMNS": "100"})
    done = subprocess.CompletedProcess(argv, result.exit_code, result.stdout, result.stderr)
    if ok:
        assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done


def run_json(*args: object, db: Path) -> Any:
    return json.loads(run(*args, "--json", db=db).stdout)


def refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    """A user mistake: exit code != 0, exactly one line on stderr naming it, no traceback."""
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0]


def head_hash(db: Path) -> tuple[int, str | None]:
    with Ledger(db) as lg:
        return lg.head(), lg.verify().head_hash
