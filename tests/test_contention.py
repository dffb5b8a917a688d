"""Several CLI processes at one ledger at once: what each says is true, and none waits long.

Real processes, as users run them: eight resends of one event id, and appends next to a
ledger whose team registry is large.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from events import MatchStarted
from ledger import Ledger

from conftest import drafts, setup_tie


def _start(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen([sys.executable, "-m", "cli.main", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_eight_simultaneous_resends_of_one_event_id_say_appended_once(db_path: Path) -> None:
    with Ledger(db_path) as lg:
        setup_tie(lg)
        lg.append("match:t1-leg1", drafts(MatchStarted()), expected_version=-1)
    for round_ in range(2):
        senders = [_start("append", "goal", "t1-leg1", "--team", "Benfica", "--minute", 3,
                          "--event-id", f"resent-{round_}", "--at", "2024-04-11T21:03+02:00",
                          "--json", "--db", db_path) for _ in range(8)]
        said = []
        for sender in senders:
            out, err = sender.communicate(timeout=120)
            assert sender.returncode == 0, err
            said.append(json.loads(out)["appended"][0])
        assert sorted(s["new"] for s in said) == [False] * 7 + [True]
        assert len({(s["position"], s["version"]) for s in said}) == 1  # the original's
    with Ledger(db_path) as lg:
        assert [e.event_id for e in lg.read(types=["GoalScored"])] == [
            f"resent-{n}" for n in range(2)]
