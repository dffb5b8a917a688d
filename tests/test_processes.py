"""Real processes against one ledger file: concurrent writers, and a writer killed mid-batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from matchledger.events import MatchStarted
from matchledger.ledger import Ledger

from conftest import drafts, setup_tie

WORKER = str(Path(__file__).with_name("_worker.py"))


def _start_match(lg: Ledger) -> int:
    setup_tie(lg)
    lg.append("match:t1-leg1", drafts(MatchStarted()), expected_version=-1)
    return lg.head()


def _spawn(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen([sys.executable, WORKER, *map(str, args)], env=env,
                            stdout=subprocess.PIPE, text=True)


def test_four_processes_appending_to_one_stream_interleave_without_gaps(
        ledger: Ledger, db_path: Path) -> None:
    before = _start_match(ledger)
    workers = [_spawn("append", db_path, "match:t1-leg1", 1000) for _ in range(4)]
    for w in workers:
        out, _ = w.communicate(timeout=240)
        assert w.returncode == 0, out
    rows = ledger.conn.execute(
        "SELECT version, position FROM events WHERE stream = 'match:t1-leg1' AND version > 0 "
        "ORDER BY version").fetchall()
    assert [v for v, _ in rows] == list(range(1, 4001))
    positions = [p for (p,) in ledger.conn.execute("SELECT position FROM events ORDER BY 1")]
    assert positions == list(range(1, before + 4001))
    assert ledger.conn.execute("SELECT count(DISTINCT event_id) FROM events").fetchone()[0] == (
        before + 4000)
    assert ledger.verify().ok


def test_a_writer_killed_mid_batch_leaves_all_or_nothing(ledger: Ledger, db_path: Path) -> None:
    before = _start_match(ledger)
    worker = _spawn("batch", db_path, "match:t1-leg1", 10_000)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "go"
    time.sleep(0.2)  # inside the 10,000-event append (it takes about two seconds)
    worker.send_signal(signal.SIGKILL)
    rest, _ = worker.communicate(timeout=30)
    assert "done" not in rest, "the batch finished before the kill: make it longer"
    assert worker.returncode == -signal.SIGKILL
    after = Ledger(db_path)
    assert after.head() in (before, before + 10_000)
    report = after.verify()
    assert report.ok, report
    after.close()
