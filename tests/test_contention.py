"""Several CLI processes at one ledger at once: what each says is true, and none waits long.

Real processes, as users run them, for eight resends of one event id; and what an append
folds while it holds the write lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from matchledger.events import GoalScored, MatchStarted, TeamRegistered
from matchledger.ledger import Draft, Ledger, Registry, validate

from conftest import KICKOFF, drafts, setup_tie


def _start(*args: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen([sys.executable, "-m", "matchledger.cli.main", *map(str, args)],
                            env=env,
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


def test_an_append_folds_the_team_registry_and_its_competition_before_the_write_lock(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process folds to judge its first append is read before BEGIN IMMEDIATE:
    under the lock it reads only what changed since, so other writers hardly wait."""
    when = dt.datetime(2024, 3, 15, 12, 0, tzinfo=dt.UTC)
    with Ledger(db_path) as lg:
        setup_tie(lg)
        lg.append("match:t1-leg1", drafts(MatchStarted()), expected_version=-1)
        lg.append("competition:cup", [Draft(event=TeamRegistered(
            team=f"team-{n}", name=f"Team {n}", country="XYZ"), occurred_at=when)
            for n in range(2000)])
    folded_under_lock: list[int] = []
    locked = [False]
    transaction, registered = Ledger.transaction, Registry.registered

    @contextmanager
    def watched(self: Ledger, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        with transaction(self, write=write) as conn:
            locked[0] = write
            try:
                yield conn
            finally:
                locked[0] = False

    def counted(self: Registry, events: Any, *competitions: Any) -> Registry:
        if locked[0]:
            folded_under_lock.append(len(events))
        return registered(self, events, *competitions)

    def read(conn: sqlite3.Connection, stream: str, after_version: int) -> Iterator[Any]:
        for row in events_of(conn, stream, after_version):
            if locked[0]:
                folded_under_lock.append(1)
            yield row

    events_of = validate._events
    monkeypatch.setattr(Ledger, "transaction", watched)
    monkeypatch.setattr(Registry, "registered", counted)
    monkeypatch.setattr(validate, "_events", read)
    with Ledger(db_path) as cold:  # as a new process: nothing folded yet
        cold.append("match:t1-leg1", [Draft(event=GoalScored(team="Benfica"),
                                            occurred_at=KICKOFF)])
        cold.append("competition:cup", [Draft(event=TeamRegistered(
            team="late", name="Late FC", country="XYZ"), occurred_at=when)])
    assert sum(folded_under_lock) == 0
