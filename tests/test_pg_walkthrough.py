"""The README's live match, played on PostgreSQL: the demo's ledger moved there with export and
import (the head hash kept), then every command of "A live match" as written, against that
database, with the follower and the projector as processes of their own in the background
(woken by NOTIFY); and ``verify`` on both backends.

The README test runs every command as the installed script; here the typed commands run in
process (the same command line, exit code and output), which is what lets this test afford a
second backend, and the two background commands are real processes."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
from clirun import run
from test_cli import SCRIPT
from test_cli_readme import BLOCK, README, followed_the_live_match

pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")

REFUSED = ' || echo "refused: exit $?"'


def live_match_commands() -> list[str]:
    """The commands of the sh blocks of the README's "A live match" section, one a line."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## A live match"):]
    section = section[:section.index("\n## ", 1)]
    script = "\n".join(body for lang, body in BLOCK.findall(section) if lang == "sh")
    return [line.strip() for line in script.replace("\\\n", " ").splitlines() if line.strip()]


class Walkthrough:
    """Runs the section's lines in ``folder`` against ``db``: ``matchledger …`` in process,
    fed by the shell's output where piped (``printf … | matchledger …``), its refusals
    allowed where the README allows them; ``… &`` as a background process of its own."""

    def __init__(self, folder: Path, db: str) -> None:
        self.folder, self.db = folder, db
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHLEDGER")}
        self.env.update(PATH=f"{SCRIPT.parent}{os.pathsep}{self.env.get('PATH', '')}",
                        HOME=str(folder), COLUMNS="100", PYTHONIOENCODING="utf-8",
                        MATCHLEDGER_DB=db)
        self.background: list[subprocess.Popen[bytes]] = []
        self.stdout: list[str] = []
        self.refusals: list[str] = []

    def line(self, line: str) -> None:
        if line.endswith("&"):
            self.start(line.removesuffix("&"))
        elif line.startswith("sleep ") and " && kill " in line:
            self.stop()
        elif line.startswith("cat "):
            pass  # the test reads the file itself
        else:
            stdin = None
            if " | matchledger " in line:  # a shell command feeds standard input
                feed, _, rest = line.partition(" | matchledger ")
                line = f"matchledger {rest}"
                stdin = subprocess.run(["bash", "-c", feed], cwd=self.folder, env=self.env,
                                       capture_output=True, text=True, check=True).stdout
            refusable = line.endswith(REFUSED)
            argv = shlex.split(line.removesuffix(REFUSED))
            assert argv[0] == "matchledger", f"this test does not know how to run: {line}"
            done = run(*argv[1:], db=self.db, stdin=stdin, ok=not refusable, cwd=self.folder)
            self.stdout.append(done.stdout)
            self.refusals += [r for r in done.stderr.splitlines() if r.startswith("error: ")]

    def start(self, line: str) -> None:
        """A background command, once it has said something (the follower that it follows,
        the projector what it caught up): what is appended after that reaches it through the
        database's notifications, not in its first read."""
        words = shlex.split(line)
        said = [self.folder / f"background-{len(self.background)}.err"]
        if ">" in words:
            said.append(self.folder / words[words.index(">") + 1])
        with said[0].open("wb") as err:
            proc = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=self.folder,
                                    env=self.env, stderr=err, start_new_session=True)
        self.background.append(proc)
        deadline = time.monotonic() + 60  # the machine may be busy
        while not any(f.exists() and f.stat().st_size for f in said):
            assert proc.poll() is None, said[0].read_text(encoding="utf-8")
            assert time.monotonic() < deadline, f"{line}: nothing said in a minute"
            time.sleep(0.05)

    def stop(self) -> None:
        """Like the README's ``sleep 1 && kill %1 %2``, once the follower has shown full time
        (or half a minute has passed on a busy machine)."""
        followed = self.folder / "follow.txt"
        deadline = time.monotonic() + 30
        while ("full time" not in followed.read_text(encoding="utf-8")
               and time.monotonic() < deadline):
            time.sleep(0.1)
        self.kill()

    def kill(self) -> None:
        for proc in self.background:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def sh(script: str, folder: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-c", f"set -euo pipefail\n{script}"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_live_match_walkthrough_on_postgres(tmp_path: Path, pg_url: str) -> None:
    walk = Walkthrough(tmp_path, pg_url)
    sh('matchledger demo --db demo.db > /dev/null\n'
       'matchledger export --db demo.db | matchledger import - --db "$MATCHLEDGER_DB"\n'
       'matchledger export --db demo.db | tail -1 > sqlite-head.json\n'
       'matchledger export | tail -1 > pg-head.json', tmp_path, walk.env)
    try:
        for line in live_match_commands():
            walk.line(line)
        walk.line("matchledger score uel24-sf1-leg1")
        walk.line("matchledger verify --read-models")
    finally:
        walk.kill()
    out = "".join(walk.stdout)
    assert (tmp_path / "pg-head.json").read_text() == (tmp_path / "sqlite-head.json").read_text()
    assert "Marseille 1-1 Atalanta  full time" in out
    assert re.search(r"ok: \d+ events, hash chain intact, rules hold", out)
    assert "read models" in out and "rows match the log" in out
    assert any("unknown team 'Marsielle'; did you mean 'Marseille'" in r for r in walk.refusals)
    assert any("no shoot-out: this match decides no tie" in r for r in walk.refusals)
    followed_the_live_match((tmp_path / "follow.txt").read_text(encoding="utf-8"))
    assert "caught up to position" in (tmp_path / "projector.txt").read_text(encoding="utf-8")
