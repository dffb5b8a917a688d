"""The README cannot rot: every shell block after the first two, and every Python block, runs
against the installed ``matchledger`` script, in order, in one shell, in a fresh folder (with
the repository's ``tests/data``, which the README imports)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import warnings
from pathlib import Path

import pytest
from test_cli import SCRIPT, all_commands

README = Path(__file__).resolve().parent.parent / "README.md"
DATA = Path(__file__).resolve().parent / "data"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)
DEMO = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && matchledger demo"
TESTS = ("python3 -m venv .venv && . .venv/bin/activate && "
         "pip install -e '.[test,events,postgres]' && python -m pytest -q")


README_PORT = 8765  # the port the README's serve block listens on


def free_port() -> int:
    """A port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def blocks() -> list[tuple[str, str]]:
    return [(lang, body) for lang, body in BLOCK.findall(README.read_text(encoding="utf-8"))]


def shell_script(*, leaving_out: str | None = None) -> str:
    """The README's blocks after the first two, as one bash script: sh as is, Python inline;
    without the sh blocks holding ``leaving_out``, if given."""
    lines = ["set -euo pipefail"]
    for lang, body in blocks()[2:]:
        if lang == "sh" and leaving_out is not None and leaving_out in body:
            continue
        if lang == "sh":
            lines.append(body)
        elif lang == "python":
            lines.append(f"python - <<'PYTHON'\n{body}PYTHON")
    return "\n".join(lines) + "\n"


def test_readme_opens_with_the_demo_and_then_the_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    (first_lang, first), (second_lang, second) = blocks()[:2]
    assert (first_lang, first.strip()) == ("sh", DEMO)
    assert (second_lang, second.strip()) == ("sh", TESTS)
    assert text.index(DEMO) < text.index("<!-- test-command -->") < text.index(TESTS)


def test_every_command_and_subcommand_is_shown_in_the_readme() -> None:
    shown = "\n".join(body for lang, body in blocks() if lang == "sh")
    missing = [c for c in all_commands() if f"matchledger {c}" not in shown]
    assert not missing, f"not in any sh block of the README: {missing}"


def followed_the_live_match(followed: str) -> None:
    """What ``log --follow`` wrote during the README's live match: its events, and after them
    the score at the events' clock, never the wall clock's (a follower that starts late, or
    falls behind, sees several events at once and says the score as the last of them left
    it), full time last."""
    assert "GoalScored" in followed and "EventRetracted" in followed
    scores = re.findall(r"→ (.*)", followed)
    assert scores and scores[-1] == "Marseille 1-1 Atalanta  full time", scores
    for line in scores:
        shown = re.fullmatch(r"Marseille \d-\d Atalanta  (?:live (\d+)'|live, half time|full "
                             r"time)", line)
        assert shown and (shown[1] is None or 1 <= int(shown[1]) <= 70), line  # 70': the last


README_PG = "PG=postgresql://localhost/cup"  # the README's PostgreSQL database, in its sh block


def postgres_or_not(request: pytest.FixtureRequest) -> tuple[str, bool]:
    """The README's script, its PostgreSQL database a schema of this test's own on the test
    server; without a server (no psycopg, no PostgreSQL), without the block that names it.
    Whether it kept it."""
    try:
        url = request.getfixturevalue("pg_url")
    except pytest.skip.Exception as e:
        warnings.warn(f"the README's PostgreSQL block is left out: {e}", stacklevel=2)
        return shell_script(leaving_out=README_PG), False
    return shell_script().replace(README_PG, f"PG='{url}'"), True


def test_every_command_in_the_readme_runs(tmp_path: Path, request: pytest.FixtureRequest
                                          ) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHLEDGER")}
    env.update(PATH=f"{SCRIPT.parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp_path),
               COLUMNS="100", PYTHONIOENCODING="utf-8")
    shutil.copytree(DATA, tmp_path / "tests" / "data")  # as if run from the repository
    # the README's server listens on a port of its own here, free whatever else runs, and
    # nothing it started outlives the test
    port = free_port()
    script, on_postgres = postgres_or_not(request)
    script = (script.replace(f"--port {README_PORT}", f"--port {port}")
              .replace(f"127.0.0.1:{README_PORT}/", f"127.0.0.1:{port}/"))
    with subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as shell:
        try:
            # the README is long and the machine shared: minutes, not seconds
            stdout, stderr = shell.communicate(timeout=480)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    done = subprocess.CompletedProcess(shell.args, shell.returncode, stdout, stderr)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    out = done.stdout
    # what the README promises its commands show
    assert "Marseille 1-0 Benfica (a.e.t., 4-2 pens; agg 2-2)" in out
    assert "Marseille 1-0 Atalanta  live 11'" in out
    assert "Benfica or Marseille v Liverpool or Atalanta" in out
    assert "ok: " in out and "hash chain intact" in out
    # real seasons imported: one club across three files, its table, group and streaks
    assert "imported 3 file(s) into seasons.db" in done.stderr
    assert "matched 'Bayer 04 Leverkusen' -> leverkusen" in done.stderr
    assert re.search(r"1   Bayer Leverkusen +34 +28 +6 +0 +89 +24 +\+65 .* 90", out)
    assert "UEFA Europa League 2023/24 · Group A" in out
    assert "51  42W 9D 0L" in out
    # event data: a real match from kloppy's StatsBomb sample, own goal and all
    assert "Turkey 0-3 Italy  full time" in out and "53'  ⚽ Italy  Merih Demiral (og)" in out
    refusals = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert any("unknown team 'Marsielle'; did you mean 'Marseille'" in r for r in refusals)
    assert any("no shoot-out: this match decides no tie" in r for r in refusals)
    # the follower in the background saw the whole match, score lines included
    followed_the_live_match((tmp_path / "follow.txt").read_text(encoding="utf-8"))
    # a match fixed afterwards, and what was believed before
    assert "90+4'  ⚽ Atalanta  El Bilal Touré  3-0" in out
    assert "52'  ⚽ Atalanta  Ademola Lookman  2-0" in out
    assert any("(minute 100 is in ET1, which was not played)" in r for r in refusals)
    bracket = json.loads((tmp_path / "bracket.json").read_text())
    assert bracket["rounds"][0]["ties"][3]["decided_by"] == "penalties"
    streaks = json.loads((tmp_path / "streaks.json").read_text())
    assert streaks["unbeaten"]["longest"]["length"] == 4
    if on_postgres:  # the ledger moved to PostgreSQL and back, the same chain throughout
        heads = re.findall(r"hash chain intact, rules hold, head hash (\w+)", out)
        assert len(heads) >= 3 and heads[-1] == heads[-2], heads
        assert "rows match the log" in out
    assert "matchledger" in (tmp_path / ".bashrc").read_text()  # completion, in this HOME
    assert "_matchledger_completion" in (tmp_path / "matchledger-completion.sh").read_text()

