"""The README's live match, played on PostgreSQL: the demo's ledger moved there with export and
import (the head hash kept), then every command of "A live match" run as written, with
``MATCHLEDGER_DB`` naming the database, the follower and the projector in the background
(woken by NOTIFY); and ``verify`` on both backends."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_cli import SCRIPT
from test_cli_readme import BLOCK, README

pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")


def live_match_script() -> str:
    """The sh blocks of the README's "A live match" section, as one bash script."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## A live match"):]
    section = section[:section.index("\n## ", 1)]
    return "\n".join(body for lang, body in BLOCK.findall(section) if lang == "sh")


def test_the_live_match_walkthrough_on_postgres(tmp_path: Path, pg_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHLEDGER")}
    env.update(PATH=f"{SCRIPT.parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path),
               COLUMNS="100", PYTHONIOENCODING="utf-8", PG=pg_url)
    script = "\n".join([
        "set -euo pipefail",
        "matchledger demo --db demo.db > /dev/null",
        'matchledger export --db demo.db | matchledger import - --db "$PG"',
        'matchledger export --db demo.db | tail -1 > sqlite-head.json',
        'matchledger export --db "$PG" | tail -1 > pg-head.json',
        'export MATCHLEDGER_DB="$PG"',
        live_match_script(),
        "matchledger score uel24-sf1-leg1",
        "matchledger verify --read-models",
    ])
    with subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as shell:
        try:
            out, err = shell.communicate(timeout=240)
            assert shell.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
            followed = tmp_path / "follow.txt"
            deadline = time.monotonic() + 30  # the follower's last lines, as they land
            while ("full time" not in followed.read_text(encoding="utf-8")
                   and time.monotonic() < deadline):
                time.sleep(0.1)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    assert (tmp_path / "pg-head.json").read_text() == (tmp_path / "sqlite-head.json").read_text()
    assert "Marseille 1-1 Atalanta  full time" in out
    assert re.search(r"ok: \d+ events, hash chain intact, rules hold", out)
    assert "read models" in out and "rows match the log" in out
    refusals = [line for line in err.splitlines() if line.startswith("error: ")]
    assert any("unknown team 'Marsielle'; did you mean 'Marseille'" in r for r in refusals)
    assert any("no shoot-out: this match decides no tie" in r for r in refusals)
    followed_text = (tmp_path / "follow.txt").read_text(encoding="utf-8")
    assert "GoalScored" in followed_text and "EventRetracted" in followed_text
    assert "→ Marseille 1-0 Atalanta  live 11'" in followed_text
    assert "→ Marseille 1-1 Atalanta  full time" in followed_text
    assert "caught up to position" in (tmp_path / "projector.txt").read_text(encoding="utf-8")
